import type Database from 'better-sqlite3';
import type { ReadModelTable, RowValue } from './read-model-table';

/**
 * The writes a projection makes, in words every SQL store has. Each is idempotent, so a redelivered page or a
 * replay ends where the first run did. The embedded store runs each at once inside the page's transaction; the
 * PostgreSQL store queues them and sends them with the checkpoint in one transaction (docs/scaling.md, "Read models
 * in PostgreSQL"). A projection that writes only through these runs on either store.
 */
export interface ReadModelWrites {
  /**
   * Replaces the rows whose `keyColumn` holds `key` (a journey's, a stream's) with `rows`: the rows of a key are a
   * function of its events, so they are always replaced as a whole. `previous`: the rows the table holds for the key
   * now, when the caller knows them (none: `[]`); a store may then write only what changed.
   */
  replace(
    table: ReadModelTable<unknown>,
    keyColumn: string,
    key: string,
    rows: readonly unknown[],
    previous?: readonly unknown[],
  ): void;
  /** Inserts the row, or on its primary key takes its values. */
  upsert(table: ReadModelTable<unknown>, row: unknown): void;
  /** Inserts the row unless its primary key is taken (the first one stays). */
  insertIgnore(table: ReadModelTable<unknown>, row: unknown): void;
  /**
   * Deletes the rows whose columns equal `where`; with `unlessIn`, only while no row of that table has the same
   * values in those columns (a ward stays while a bed count of it stands).
   */
  delete(
    table: ReadModelTable<unknown>,
    where: Readonly<Record<string, RowValue>>,
    unlessIn?: ReadModelTable<unknown>,
  ): void;
}

/** The SQL of a delete, with its parameters named after the columns (`@column`). */
export function deleteStatement(
  table: ReadModelTable<unknown>,
  where: Readonly<Record<string, RowValue>>,
  unlessIn?: ReadModelTable<unknown>,
): string {
  const columns = Object.keys(where);
  const match = (alias: string) => columns.map((c) => `${alias}${c} = @${c}`).join(' AND ');
  const unless = unlessIn ? ` AND NOT EXISTS (SELECT 1 FROM ${unlessIn.name} u WHERE ${match('u.')})` : '';
  return `DELETE FROM ${table.name} WHERE ${match('')}${unless}`;
}

/**
 * How many of `rows` the table already holds when it holds `previous`: all of `previous` when it is where `rows`
 * start (nothing to delete, only the rest to insert), or -1 when something else changed (delete and insert them all).
 * A journey mostly grows at its end: a visit adds a row to one table of one projection and leaves the other tables as
 * they were, where deleting and inserting every row of every table made each event cost as much as the journey's
 * whole history (docs/benchmarks.md, "HTTP commands").
 */
export function keptRows(
  table: ReadModelTable<unknown>,
  previous: readonly unknown[],
  rows: readonly unknown[],
): number {
  if (previous.length > rows.length) return -1;
  for (let i = 0; i < previous.length; i++) {
    const before = table.encode(previous[i]);
    const now = table.encode(rows[i]);
    for (let c = 0; c < before.length; c++) if (before[c] !== now[c]) return -1;
  }
  return previous.length;
}

/** Writes on an embedded read model, at once, with each statement prepared once per table. */
export function sqliteWrites(db: Database.Database): ReadModelWrites {
  const statements = new Map<string, Database.Statement>();
  const statement = (sql: string) => {
    let prepared = statements.get(sql);
    if (!prepared) statements.set(sql, (prepared = db.prepare(sql)));
    return prepared;
  };
  // A replace runs once per journey and table on every page: its two statements are found by the table itself,
  // without building their SQL again.
  const replacers = new Map<
    ReadModelTable<unknown>,
    { key: string; remove: Database.Statement; insert: Database.Statement }
  >();
  const replacer = (table: ReadModelTable<unknown>, keyColumn: string) => {
    let found = replacers.get(table);
    if (!found || found.key !== keyColumn) {
      found = {
        key: keyColumn,
        remove: statement(`DELETE FROM ${table.name} WHERE ${keyColumn} = ?`),
        insert: statement(table.insert),
      };
      replacers.set(table, found);
    }
    return found;
  };
  return {
    replace(table, keyColumn, key, rows, previous) {
      const { remove, insert } = replacer(table, keyColumn);
      const kept = previous === undefined ? -1 : keptRows(table, previous, rows);
      if (kept < 0) remove.run(key);
      for (let i = Math.max(kept, 0); i < rows.length; i++) insert.run(table.encode(rows[i]));
    },
    upsert(table, row) {
      statement(table.insertOnConflict('update')).run(table.encode(row));
    },
    insertIgnore(table, row) {
      statement(table.insertOnConflict('nothing')).run(table.encode(row));
    },
    delete(table, where, unlessIn) {
      statement(deleteStatement(table, where, unlessIn)).run(where);
    },
  };
}
