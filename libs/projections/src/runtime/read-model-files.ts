import Database from 'better-sqlite3';
import { preparedOn } from './sql-reader';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Page cache of a read-model file while it is built (a rebuild, or a first catch-up on a long log): it inserts into
 * several indexes at once, and the cache must hold their upper levels. 4 MB does that for a log of a million events as
 * fast as 16 MB did, and three read models then keep 36 MB less (2 MB was slower: docs/benchmarks.md, "Projections").
 */
const BUILDING_CACHE_KB = 4_000;

/**
 * Page cache of a read-model file once caught up: each page of new events touches the right-hand edges of indexes
 * keyed by time-ordered ids and the rows of the few journeys on the page. Eight read models kept 4 MB each under
 * `npm run bench:http` for no measurable gain: with 1 MB the API's peak RSS was about 10 MB lower at the same CPU
 * per command (docs/benchmarks.md, "HTTP commands").
 */
const LIVE_CACHE_KB = 1_000;

/**
 * Where read models live: one SQLite file per projection generation (`<name>.g<n>.db`) plus a catalog naming the
 * generation in service. A rebuild writes a fresh file and swaps the catalog entry, so queries keep reading the
 * old generation until the new one has caught up, and a half-built generation is never served.
 */
export class ReadModelFiles {
  private readonly catalog: Database.Database;

  constructor(readonly folder: string) {
    mkdirSync(folder, { recursive: true });
    this.catalog = new Database(join(folder, 'catalog.db'));
    this.catalog.pragma('journal_mode = WAL');
    this.catalog.pragma('synchronous = FULL');
    this.catalog.pragma('busy_timeout = 5000');
    this.catalog.exec(
      'CREATE TABLE IF NOT EXISTS generations (name TEXT PRIMARY KEY, generation INTEGER NOT NULL, version INTEGER NOT NULL) STRICT',
    );
  }

  /**
   * The generation in service, or null when the projection was never built. Null too once the catalog is closed: a
   * rebuild stopped by a shutdown still reports its statuses after the process let go of its files.
   */
  current(name: string): { generation: number; version: number } | null {
    if (!this.catalog.open) return null;
    // Asked before every page a runner applies (whether another process put a rebuild in service): prepared once.
    const row = preparedOn(this.catalog, 'SELECT generation, version FROM generations WHERE name = ?').get(
      name,
    ) as { generation: number; version: number } | undefined;
    return row ?? null;
  }

  /** A generation number never used before for this projection. */
  nextGeneration(name: string): number {
    return (this.current(name)?.generation ?? 0) + 1;
  }

  fileOf(name: string, generation: number): string {
    return join(this.folder, `${name}.g${generation}.db`);
  }

  /** Opens a generation's file, creating it with the runner's tables and the projection's schema. */
  open(name: string, generation: number, schema: string): Database.Database {
    const db = new Database(this.fileOf(name, generation));
    // Read models are rebuildable from the log and the checkpoint commits with the rows, so NORMAL (no fsync per
    // commit) can only lose a suffix that is then re-applied from the checkpoint.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`cache_size = -${BUILDING_CACHE_KB}`);
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL, events INTEGER NOT NULL, writer TEXT) STRICT;
      INSERT OR IGNORE INTO checkpoint (id, position, events) VALUES (1, 0, 0);
      ${schema}
    `);
    // Files made before the checkpoint named its writer (ProjectionRunner's fence) take the column where found.
    const columns = db.prepare('PRAGMA table_info(checkpoint)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'writer')) db.exec('ALTER TABLE checkpoint ADD COLUMN writer TEXT');
    return db;
  }

  /** A generation has caught up with the log: from now on it takes pages in as they come (LIVE_CACHE_KB). */
  caughtUp(db: Database.Database): void {
    db.pragma(`cache_size = -${LIVE_CACHE_KB}`);
  }

  /** Puts a generation in service (atomic: one row). */
  promote(name: string, generation: number, version: number): void {
    this.catalog
      .prepare(
        'INSERT INTO generations (name, generation, version) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET generation = excluded.generation, version = excluded.version',
      )
      .run(name, generation, version);
  }

  /**
   * Looks at a generation's file through a connection of its own, so that no page cache hides what is on disk:
   * every table in `tables` must be there and readable (`thorough`: every page, by SQLite's quick check). Returns
   * what is wrong, or null. Throws only when it cannot look (e.g. no file handle left).
   */
  inspect(
    name: string,
    generation: number,
    tables: readonly string[],
    options: { thorough?: boolean } = {},
  ): string | null {
    const file = this.fileOf(name, generation);
    if (!existsSync(file)) return `${basename(file)} is missing`;
    let db: Database.Database | null = null;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
      const present = new Set(
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
      );
      const missing = tables.filter((t) => !present.has(t));
      if (missing.length > 0) return `${basename(file)} lost table ${missing.join(', ')}`;
      for (const table of tables) db.prepare(`SELECT * FROM "${table.replaceAll('"', '""')}" LIMIT 1`).all();
      if (options.thorough) {
        const problems = db.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[];
        if (problems.some((p) => p.quick_check !== 'ok'))
          return `${basename(file)}: ${problems.map((p) => p.quick_check).join('; ')}`;
      }
      return null;
    } catch (error) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      const damaged =
        (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) ||
        (code === 'SQLITE_ERROR' && typeof message === 'string' && /^no such table/.test(message));
      if (damaged) return `${basename(file)}: ${String(message)}`;
      throw error;
    } finally {
      db?.close();
    }
  }

  remove(name: string, generation: number): void {
    const file = this.fileOf(name, generation);
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(file + suffix)) rmSync(file + suffix, { force: true });
    }
  }

  close(): void {
    this.catalog.close();
  }
}

/**
 * Every row of every table but the checkpoint, as arrays of values, in a stable order: what "two read models are
 * equal" means when a live generation is checked against a rebuild.
 */
export function dumpReadModel(db: Database.Database): Record<string, unknown[]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'checkpoint' ORDER BY name")
    .pluck()
    .all() as string[];
  return Object.fromEntries(
    tables.map((t) => {
      const columns = db
        .prepare(`PRAGMA table_info(${t})`)
        .all()
        .map((_, i) => i + 1)
        .join(', ');
      return [t, db.prepare(`SELECT * FROM ${t} ORDER BY ${columns}`).raw(true).all()];
    }),
  );
}
