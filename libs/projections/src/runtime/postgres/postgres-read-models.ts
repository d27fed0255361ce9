import { Pool, type PoolClient, type PoolConfig, types } from 'pg';
import type { Column, ColumnKind, ReadModelTable } from '../read-model-table';
import { numberedParameters, type SqlParams, type SqlReader } from '../sql-reader';

const BIGINT = 20;

/**
 * Read-model integers are epoch milliseconds, counts and sequence numbers, all below 2^53, so a BIGINT (and
 * PostgreSQL's COUNT) comes back as the number the embedded store gives, not as pg's default string.
 */
const parseDefault = types.getTypeParser as (
  oid: number,
  format?: 'text' | 'binary',
) => (value: string) => unknown;
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === BIGINT && format !== 'binary'
      ? (value: string) => Number(value)
      : parseDefault(oid, format)) as typeof types.getTypeParser,
};

/** Flags stay 0/1 (SMALLINT), as on the embedded store, so one query text reads both. */
export const POSTGRES_TYPES: Readonly<Record<ColumnKind, string>> = {
  text: 'TEXT',
  integer: 'BIGINT',
  flag: 'SMALLINT',
};

/** A table's columns in declaration order (the order of `columns` and of `encode`). */
export const columnsOf = (table: ReadModelTable<unknown>): Column<unknown>[] =>
  Object.values(table.declaration);

/** A table's CREATE TABLE and CREATE INDEX statements for PostgreSQL, from the same declaration as SQLite's. */
export function postgresTableDdl(table: ReadModelTable<unknown>): string {
  const kinds = columnsOf(table);
  const definitions = table.columns.map(
    (name, i) => `${name} ${POSTGRES_TYPES[kinds[i]!.kind]}${kinds[i]!.nullable ? '' : ' NOT NULL'}`,
  );
  const column = (field: string) => (table as ReadModelTable<Record<string, unknown>>).column(field);
  const list = (fields: readonly string[]) => fields.map(column).join(', ');
  const primaryKey = table.options.primaryKey ?? [];
  if (primaryKey.length > 0) definitions.push(`PRIMARY KEY (${list(primaryKey)})`);
  return [
    `CREATE TABLE IF NOT EXISTS ${table.name} (${definitions.join(', ')});`,
    ...Object.entries(table.options.indexes ?? {}).map(
      ([index, fields]) => `CREATE INDEX IF NOT EXISTS ${index} ON ${table.name} (${list(fields)});`,
    ),
  ].join('\n');
}

/** A query's rows, its `@name` parameters numbered as PostgreSQL wants them. */
async function rowsOf(on: Pool | PoolClient, sql: string, params: SqlParams = {}): Promise<unknown[]> {
  const { text, values } = numberedParameters(sql, params);
  return (await on.query(text, values)).rows as unknown[];
}

/** Runs `work` in one transaction (opened by `begin`) on one connection of `pool`; rolls back on any failure. */
async function inTransaction<T>(
  pool: Pool,
  begin: string,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true; // the connection itself failed: it is not given back to the pool
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** The array type `unnest` reads a column's values as. */
export const arrayTypeOf = (kind: ColumnKind): string => `${POSTGRES_TYPES[kind].toLowerCase()}[]`;

const PREFIX = /^[a-z][a-z0-9_]{0,39}$/;

export interface PgReadModelsOptions {
  readonly connectionString: string;
  /** Names every schema CarePath's read models use (`<prefix>_catalog`, `<prefix>_<projection>`…). Default `carepath`. */
  readonly prefix?: string;
  /** Connections of each pool (the writers' and each read model's readers). Default 4. */
  readonly poolSize?: number;
  /** Run in the transaction that puts a generation in service, after its views are made (analysts' views). */
  readonly afterPromote?: (client: PoolClient, models: PgReadModels) => Promise<void>;
}

/**
 * Where read models live in PostgreSQL. A generation is a schema of its own (`<prefix>_<projection>_g<n>`), built
 * beside the one in service; the catalog names the generation in service, and a schema of views per read model
 * (`<prefix>_<projection>`) shows it. Putting a generation in service is one transaction over the catalog and those
 * views, so a reader in any process sees either the old generation or the new one whole (blue/green), and analysts
 * keep one stable name while generations come and go.
 */
export class PgReadModels {
  readonly prefix: string;
  /** Writes: generations' DDL, pages and checkpoints, promotions. */
  readonly pool: Pool;
  private readonly readers = new Map<string, Pool>();
  private initialised: Promise<void> | null = null;

  constructor(private readonly options: PgReadModelsOptions) {
    this.prefix = options.prefix ?? 'carepath';
    if (!PREFIX.test(this.prefix))
      throw new RangeError(`read-model schema prefix ${this.prefix} must match ${PREFIX.source}`);
    this.pool = new Pool(this.poolConfig());
    // An idle connection the server drops must not take the process down; the next query opens another.
    this.pool.on('error', () => undefined);
  }

  private poolConfig(extra: PoolConfig = {}): PoolConfig {
    return {
      connectionString: this.options.connectionString,
      max: this.options.poolSize ?? 4,
      types: TYPES,
      ...extra,
    };
  }

  get catalog(): string {
    return `${this.prefix}_catalog`;
  }

  /** A projection's name as part of a schema name (`ward-occupancy` → `ward_occupancy`). */
  private static part(name: string): string {
    const part = name.replace(/-/g, '_');
    if (!/^[a-z][a-z0-9_]*$/.test(part)) throw new RangeError(`projection name ${name} cannot name a schema`);
    return part;
  }

  schemaOf(name: string, generation: number): string {
    return `${this.prefix}_${PgReadModels.part(name)}_g${generation}`;
  }

  /** The schema of views showing the generation in service: what queries and analysts read. */
  servingSchema(name: string): string {
    return `${this.prefix}_${PgReadModels.part(name)}`;
  }

  /** Creates the catalog once per process (idempotent across processes). */
  init(): Promise<void> {
    this.initialised ??= this.transaction(async (client) => {
      // Two processes starting together would race on CREATE SCHEMA IF NOT EXISTS: one waits for the other.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [this.catalog]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.catalog}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.catalog}.generations (name TEXT PRIMARY KEY, generation INTEGER NOT NULL, version INTEGER NOT NULL)`,
      );
    }).catch((error: unknown) => {
      this.initialised = null;
      throw error;
    });
    return this.initialised;
  }

  async current(name: string): Promise<{ generation: number; version: number } | null> {
    await this.init();
    const { rows } = await this.pool.query<{ generation: number; version: number }>(
      `SELECT generation, version FROM ${this.catalog}.generations WHERE name = $1`,
      [name],
    );
    return rows[0] ?? null;
  }

  /**
   * A generation number not in use: above the one in service and above any schema left by a rebuild that never
   * finished (its process died), which `open` would otherwise find half-built.
   */
  async nextGeneration(name: string): Promise<number> {
    const current = await this.current(name);
    const { rows } = await this.pool.query<{ schema_name: string }>(
      `SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE $1`,
      [`${this.servingSchema(name)}\\_g%`],
    );
    const used = rows.map((r) => Number(r.schema_name.slice(this.servingSchema(name).length + 2)));
    return Math.max(current?.generation ?? 0, ...used.filter(Number.isInteger)) + 1;
  }

  /** Creates a generation's schema, its checkpoint and tables (IF NOT EXISTS: opening an existing one changes nothing). */
  async open(name: string, generation: number, tables: readonly ReadModelTable<unknown>[]): Promise<void> {
    const schema = this.schemaOf(name, generation);
    await this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [schema]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`SET LOCAL search_path TO ${schema}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS checkpoint (id SMALLINT PRIMARY KEY CHECK (id = 1), position BIGINT NOT NULL, events BIGINT NOT NULL, writer TEXT);
         INSERT INTO checkpoint (id, position, events) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING;
         ${tables.map(postgresTableDdl).join('\n')}`,
      );
    });
  }

  /**
   * Puts a generation in service, in one transaction: the catalog names it, and the read model's schema of views
   * (and whatever `afterPromote` builds on them) shows it from the same commit on.
   */
  async promote(
    name: string,
    generation: number,
    version: number,
    tables: readonly ReadModelTable<unknown>[],
  ): Promise<void> {
    const serving = this.servingSchema(name);
    const schema = this.schemaOf(name, generation);
    await this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [this.catalog]);
      await client.query(
        `INSERT INTO ${this.catalog}.generations (name, generation, version) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET generation = excluded.generation, version = excluded.version`,
        [name, generation, version],
      );
      await client.query(`DROP SCHEMA IF EXISTS ${serving} CASCADE`);
      await client.query(`CREATE SCHEMA ${serving}`);
      for (const table of [{ name: 'checkpoint' }, ...tables]) {
        await client.query(`CREATE VIEW ${serving}.${table.name} AS SELECT * FROM ${schema}.${table.name}`);
      }
      await this.options.afterPromote?.(client, this);
    });
  }

  /**
   * Vacuums and analyses a generation's tables once it is built. A build replaces each journey's rows as the log goes,
   * so a generation fresh from the log holds far more dead rows than live ones, and no statistics: a worklist read
   * of one institution on a year-sized log walked 53,600 dead index entries for no row (44 ms against under a
   * millisecond), and took 871 times SQLite's time where autovacuum was off (docs/benchmarks.md, "On a year-sized
   * log"). A failure changes nothing but speed, so it does not fail the build (autovacuum, where it runs, does the
   * work later): the tables it failed on are returned with the reason, for the runner to log.
   */
  async vacuum(
    name: string,
    generation: number,
    tables: readonly ReadModelTable<unknown>[],
  ): Promise<{ table: string; message: string }[]> {
    const schema = this.schemaOf(name, generation);
    const failed: { table: string; message: string }[] = [];
    for (const table of tables) {
      // VACUUM cannot run in a transaction: each on a pooled connection of its own, as an autocommit statement.
      await this.pool.query(`VACUUM (ANALYZE) ${schema}.${table.name}`).catch((error: unknown) => {
        failed.push({ table: table.name, message: error instanceof Error ? error.message : String(error) });
      });
    }
    return failed;
  }

  /** Drops a generation and all it holds (out of service, or never put in). */
  async remove(name: string, generation: number): Promise<void> {
    const schema = this.schemaOf(name, generation);
    const readers = this.readers.get(schema);
    this.readers.delete(schema);
    await readers?.end();
    await this.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }

  /** Runs `work` in one transaction on one connection; rolls back on any failure. */
  transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, 'BEGIN', work);
  }

  /**
   * What queries of a read model read: its schema of views, so a query names tables as it does on the embedded store
   * and always sees the generation in service. Each read model has its own small pool, whose connections start with
   * that schema as their search path.
   */
  reader(name: string): SqlReader {
    const readers = this.poolOn(this.servingSchema(name));
    return {
      dialect: 'postgres',
      all: (sql, params) => rowsOf(readers, sql, params),
      /*
       * Each query on the pool is a transaction of its own, on whichever connection is free: two of them may straddle
       * a projector's commit. A group is one transaction on one connection instead, whose snapshot (REPEATABLE READ)
       * is taken at its first query and holds to its end; READ ONLY, as nothing a reader does may write.
       */
      snapshot: (read) =>
        inTransaction(readers, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
          let open = true;
          // A connection runs one query at a time: reads asked for together (Promise.all) wait their turn here, as
          // pg's own queue for them is deprecated (it warns, and pg 9 drops it).
          let turn: Promise<unknown> = Promise.resolve();
          const snapshot: SqlReader = {
            dialect: 'postgres',
            all: (sql, params) => {
              const rows = turn.then(() =>
                open
                  ? rowsOf(client, sql, params)
                  : Promise.reject(new Error('read after its snapshot ended')),
              );
              turn = rows.catch(() => undefined);
              return rows;
            },
            snapshot: (inner) => inner(snapshot),
          };
          try {
            return await read(snapshot);
          } finally {
            open = false;
          }
        }),
    };
  }

  /** A pool whose connections read `schema`'s tables by their bare names (its search path), opened on first use. */
  private poolOn(schema: string, max?: number): Pool {
    let pool = this.readers.get(schema);
    if (!pool) {
      pool = new Pool(this.poolConfig({ options: `-c search_path=${schema}`, ...(max ? { max } : {}) }));
      pool.on('error', () => undefined);
      this.readers.set(schema, pool);
    }
    return pool;
  }

  /**
   * What a writer reads of the generation it writes, as last committed (not the writes it has queued since): for a
   * projection that looks up what earlier events established (the notifications' referral parties). Its pool is
   * opened at the first read and closed with the generation or with this object.
   */
  generationReader(name: string, generation: number): SqlReader {
    const schema = this.schemaOf(name, generation);
    return {
      dialect: 'postgres',
      all: (sql, params) => rowsOf(this.poolOn(schema, 2), sql, params),
    };
  }

  /** The checkpoint of the generation in service, as a projector last committed it (null: never built). */
  async servedPosition(name: string): Promise<bigint | null> {
    try {
      const { rows } = await this.pool.query<{ position: string }>(
        `SELECT position::text AS position FROM ${this.servingSchema(name)}.checkpoint`,
      );
      return rows[0] ? BigInt(rows[0].position) : null;
    } catch (error) {
      if ((error as { code?: unknown }).code === '42P01' || (error as { code?: unknown }).code === '3F000')
        return null; // no such table or schema: never put in service
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), ...[...this.readers.values()].map((p) => p.end())]);
    this.readers.clear();
  }
}
