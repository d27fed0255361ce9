import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

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
