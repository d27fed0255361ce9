import { randomBytes } from 'node:crypto';
import {
  numberedParameters,
  postgresTableDdl,
  type ReadModelTable,
  type RowValue,
  type SqlReader,
} from '@carepath/projections';
import { Client, types } from 'pg';
import type { TableRows } from './read-model-rows';

/**
 * The PostgreSQL the specs use: TEST_DATABASE_URL, or the local server `.ci/run` starts and gives a `carepath_test`
 * database (trust authentication on the loopback, as on the development machines).
 */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/carepath_test';

/** A schema name no other spec uses; `dropSchema` removes it and all it holds. */
export const freshSchema = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`;

export async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Drops every schema whose name starts with `<prefix>_` (a read-model space: catalog, generations, views), in the
 * specs' database unless `connectionString` names another (a benchmark's).
 */
export async function dropSchemasOf(prefix: string, connectionString = TEST_DATABASE_URL): Promise<void> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ schema_name: string }>(
      'SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE $1',
      [`${prefix}\\_%`],
    );
    for (const { schema_name } of rows) await client.query(`DROP SCHEMA IF EXISTS ${schema_name} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * A schema of its own holding `tables` (their PostgreSQL DDL from the same declarations as SQLite's), read as the
 * read models' readers read: integers as numbers, named parameters numbered. `load` replaces the tables' rows.
 */
export async function scratchSchema(
  prefix: string,
  tables: readonly ReadModelTable<any>[],
): Promise<{
  readonly reader: SqlReader;
  load(contents: readonly TableRows[]): Promise<void>;
  close(): Promise<void>;
}> {
  const schema = freshSchema(prefix);
  const client = new Client({
    connectionString: TEST_DATABASE_URL,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 && format !== 'binary'
          ? (value: string) => Number(value)
          : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
    },
  });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path = ${schema}`);
  for (const table of tables) await client.query(postgresTableDdl(table));
  // One connection runs one query at a time: reads asked for together wait their turn here (pg's own queue for
  // them is deprecated).
  let turn: Promise<unknown> = Promise.resolve();
  const reader: SqlReader = {
    dialect: 'postgres',
    all(sql, params = {}) {
      const { text, values } = numberedParameters(sql, params);
      const rows = turn.then(async () => (await client.query(text, values)).rows as unknown[]);
      turn = rows.catch(() => undefined);
      return rows;
    },
  };
  return {
    reader,
    async load(contents) {
      for (const { table, rows } of contents) {
        await client.query(`DELETE FROM ${table.name}`);
        for (const row of rows) {
          const values: RowValue[] = table.encode(row);
          await client.query(
            `INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`,
            values,
          );
        }
      }
    },
    async close() {
      await client.end();
      await dropSchema(schema);
    },
  };
}
