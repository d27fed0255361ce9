import { Client, type PoolClient } from 'pg';
import { integer, PgWrites, postgresTableDdl, readModelTable, text } from '@carepath/projections';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';

/*
 * PostgreSQL's writes are queued and sent at the commit (docs/scaling.md, "Read models in PostgreSQL"); inserts that
 * keep the first row, run one after another into one table, travel as one statement. Given inserts and upserts
 * interleaved, some on a key already taken within the same statement, when they are sent, then the table ends as
 * the same writes one by one leave it: the first insert of a key stays, an upsert wins over the inserts before it
 * and loses to none after it, and a delete between two inserts of a key leaves the second.
 */
describe('queued PostgreSQL writes', () => {
  const table = readModelTable('kept', { key: text, n: integer, by: text }, { primaryKey: ['key'] });
  const schema = freshSchema('writes');
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path = ${schema}`);
    await client.query(postgresTableDdl(table));
  });
  afterAll(async () => {
    await client?.end();
    await dropSchema(schema);
  });

  it('given inserts keeping the first row around upserts and a delete, then the table is as the writes one by one leave it', async () => {
    const writes = new PgWrites();
    writes.insertIgnore(table, { key: 'a', n: 1, by: 'first insert' });
    writes.insertIgnore(table, { key: 'b', n: 2, by: 'first insert' });
    writes.insertIgnore(table, { key: 'a', n: 3, by: 'second insert, same statement' });
    writes.upsert(table, { key: 'c', n: 4, by: 'upsert' });
    writes.insertIgnore(table, { key: 'c', n: 5, by: 'insert after the upsert' });
    writes.insertIgnore(table, { key: 'd', n: 6, by: 'insert after the upsert' });
    writes.upsert(table, { key: 'd', n: 7, by: 'upsert after the insert' });
    writes.insertIgnore(table, { key: 'e', n: 8, by: 'insert before the delete' });
    writes.delete(table, { key: 'e' });
    writes.insertIgnore(table, { key: 'e', n: 9, by: 'insert after the delete' });
    expect(writes.size).toBe(10);
    await client.query('BEGIN');
    await writes.flush(client as unknown as PoolClient);
    await client.query('COMMIT');
    expect(writes.size).toBe(0);
    const { rows } = await client.query('SELECT key, n, by FROM kept ORDER BY key');
    expect(rows).toEqual([
      { key: 'a', n: '1', by: 'first insert' },
      { key: 'b', n: '2', by: 'first insert' },
      { key: 'c', n: '4', by: 'upsert' },
      { key: 'd', n: '7', by: 'upsert after the insert' },
      { key: 'e', n: '9', by: 'insert after the delete' },
    ]);
  });

  it("given a key's rows as they stand, when they are replaced by the same rows, then nothing is queued", async () => {
    const visits = readModelTable('visits', { journeyId: text, n: integer }, {});
    await client.query(postgresTableDdl(visits));
    const rows = [1, 2].map((n) => ({ journeyId: 'j-1', n }));
    const first = new PgWrites();
    first.replace(visits, 'journey_id', 'j-1', rows, []);
    await first.flush(client as unknown as PoolClient);
    const writes = new PgWrites();
    writes.replace(visits, 'journey_id', 'j-1', rows, rows);
    expect(writes.size).toBe(0);
    writes.replace(visits, 'journey_id', 'j-1', [...rows, { journeyId: 'j-1', n: 3 }], rows);
    expect(writes.size).toBe(3);
    await writes.flush(client as unknown as PoolClient);
    const { rows: stored } = await client.query('SELECT n FROM visits ORDER BY n');
    expect(stored.map((r: { n: string }) => Number(r.n))).toEqual([1, 2, 3]);
  });
});
