import type { Pool } from 'pg';
import { lazyMigration } from './lazy-migration';

/** A pool whose queries are answered by the spec: each call records its SQL and waits to be settled. */
class ScriptedPool {
  readonly calls: { sql: string; resolve: () => void; reject: (error: Error) => void }[] = [];
  query(sql: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.calls.push({ sql, resolve: () => resolve({ rows: [] }), reject });
    });
  }
}

describe('lazyMigration', () => {
  it('given queries awaiting it together and after, then the DDL runs once, on the first call', async () => {
    const pool = new ScriptedPool();
    const migrate = lazyMigration(pool as unknown as Pick<Pool, 'query'>, 'CREATE TABLE t ()');
    expect(pool.calls).toHaveLength(0);

    const first = migrate();
    const second = migrate();
    expect(pool.calls).toHaveLength(1);
    pool.calls[0]!.resolve();
    await Promise.all([first, second, migrate()]);

    expect(pool.calls.map((c) => c.sql)).toEqual(['CREATE TABLE t ()']);
  });

  it('given the DDL fails (a race on CREATE SCHEMA), then that call rejects and the next one runs it again', async () => {
    const pool = new ScriptedPool();
    const migrate = lazyMigration(pool as unknown as Pick<Pool, 'query'>, 'CREATE SCHEMA s');

    const failed = migrate();
    pool.calls[0]!.reject(new Error('duplicate key value violates unique constraint'));
    await expect(failed).rejects.toThrow('duplicate key');

    const retried = migrate();
    expect(pool.calls).toHaveLength(2);
    pool.calls[1]!.resolve();
    await expect(retried).resolves.toBeUndefined();
  });
});
