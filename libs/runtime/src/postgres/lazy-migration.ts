import type { Pool } from 'pg';

/**
 * The migration of a PostgreSQL store's tables, run by its first query since a constructor cannot await it. Returns
 * what each query awaits first: the DDL runs once, and a failed run is forgotten so that the next query tries again
 * (two processes starting together may race to create the schema: the loser's retry finds it there).
 */
export function lazyMigration(pool: Pick<Pool, 'query'>, ddl: string): () => Promise<void> {
  let ready: Promise<void> | null = null;
  return () => {
    ready ??= pool.query(ddl).then(
      () => undefined,
      (error: unknown) => {
        ready = null;
        throw error;
      },
    );
    return ready;
  };
}
