import type Database from 'better-sqlite3';
import type { RowValue } from './read-model-table';

/** A query's parameters by name: `@name` in its SQL. */
export type SqlParams = Readonly<Record<string, RowValue>>;

/**
 * Reads one read model, whichever database holds it (SQLite embedded, PostgreSQL beyond one machine: docs/scaling.md).
 * A query is written once, in SQL both accept, with named parameters (`@name`): the PostgreSQL reader numbers them.
 * Rows come back by column name; integers (BIGINT in PostgreSQL, counts included) as numbers.
 */
export interface SqlReader {
  readonly dialect: 'sqlite' | 'postgres';
  all(sql: string, params?: SqlParams): Promise<unknown[]>;
  /**
   * Runs `read`'s queries on one snapshot of the database: an answer made of several reads sees every commit made
   * before it, or none of them, whatever a projector commits meanwhile. Optional so that a wrapper forwarding `all`
   * alone still reads (each of its queries then sees the commits made before it): call it through `inOneSnapshot`.
   */
  snapshot?<T>(read: (reader: SqlReader) => Promise<T>): Promise<T>;
}

/** `read` on one snapshot of `reader`'s database, when the reader can make one (see `SqlReader.snapshot`). */
export function inOneSnapshot<T>(reader: SqlReader, read: (reader: SqlReader) => Promise<T>): Promise<T> {
  return reader.snapshot ? reader.snapshot(read) : read(reader);
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * `sql` prepared once per connection and kept with it: queries run on every wake-up of a process (each page a
 * projection applies) spent much of their share of the request thread in `prepare` at 1,000 commands/s
 * (docs/benchmarks.md, "HTTP commands"). A statement is shared by every caller of the same SQL on that connection,
 * so one that changes its mode (`pluck`, `safeIntegers`, `raw`) sets it on each use.
 */
export function preparedOn(db: Database.Database, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map<string, Database.Statement>()));
  let found = cache.get(sql);
  if (!found) cache.set(sql, (found = db.prepare(sql)));
  return found;
}

/** How often an embedded answer of several reads is read again while commits keep coming (sqliteReader). */
export const SNAPSHOT_ATTEMPTS = 8;

/** A reader over an open SQLite read model; statements are prepared once per connection. */
export function sqliteReader(db: Database.Database): SqlReader {
  const statement = (sql: string): Database.Statement => preparedOn(db, sql);
  /** Changes with every commit to the file: this connection's (total_changes) and any other's (data_version). */
  const version = () => {
    const own = statement('SELECT total_changes()').pluck(true).get() as number;
    const others = statement('PRAGMA data_version').pluck(true).get() as number;
    return `${own}:${others}`;
  };
  const reader: SqlReader = {
    dialect: 'sqlite',
    all(sql, params = {}) {
      // A failure (a damaged file, a missing parameter) rejects, as a PostgreSQL query's would.
      return new Promise((resolve) => resolve(statement(sql).all(params)));
    },
    /*
     * Each read runs whole when it is asked for, and reads asked for together (Promise.all) run back to back with no
     * commit between them. But an answer that awaits one read before asking the next gives way between them to
     * whatever else is due in that turn of the loop: the runner writing this file on this connection commits a page
     * right after a wait for its position is released, and a projector in another process commits at any time. So
     * the group is read again, after that turn of the loop (the commits due in it are done by then), until no commit
     * came while it was read: its answer is then the file as one commit left it. A projector in another process
     * committing page after page could keep that from ever happening; the reads are not held hostage to it: after
     * SNAPSHOT_ATTEMPTS the last answer stands, which may then span two commits, as every answer did before
     * (docs/scaling.md: PostgreSQL, the store for several processes, gives one snapshot always).
     */
    async snapshot(read) {
      for (let attempt = 1; ; attempt++) {
        const before = version();
        const answer = await read(reader);
        if (version() === before || attempt >= SNAPSHOT_ATTEMPTS) return answer;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
  return reader;
}

/**
 * `@name` parameters as PostgreSQL's `$n`, each name one number however often it appears; `values` in that order.
 * A name the SQL uses and `params` lacks is an error, as better-sqlite3 makes it.
 */
export function numberedParameters(
  sql: string,
  params: SqlParams,
): { readonly text: string; readonly values: RowValue[] } {
  const numbers = new Map<string, number>();
  const values: RowValue[] = [];
  // `@` followed by a name; `::` casts and quoted text hold none in our queries.
  const text = sql.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    let n = numbers.get(name);
    if (n === undefined) {
      if (!(name in params)) throw new RangeError(`missing named parameter "${name}"`);
      values.push(params[name] ?? null);
      numbers.set(name, (n = values.length));
    }
    return `$${n}`;
  });
  return { text, values };
}
