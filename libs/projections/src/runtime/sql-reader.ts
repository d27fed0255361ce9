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
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A reader over an open SQLite read model; statements are prepared once per connection. */
export function sqliteReader(db: Database.Database): SqlReader {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map<string, Database.Statement>()));
  const prepared = cache;
  return {
    dialect: 'sqlite',
    all(sql, params = {}) {
      // A failure (a damaged file, a missing parameter) rejects, as a PostgreSQL query's would.
      return new Promise((resolve) => {
        let statement = prepared.get(sql);
        if (!statement) prepared.set(sql, (statement = db.prepare(sql)));
        resolve(statement.all(params));
      });
    },
  };
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
