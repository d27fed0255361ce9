import type { PoolClient } from 'pg';
import type { ReadModelTable, RowValue } from '../read-model-table';
import { deleteStatement, keptRows, type ReadModelWrites } from '../read-model-writes';
import { numberedParameters } from '../sql-reader';
import { arrayTypeOf, columnsOf } from './postgres-read-models';

/** `?` placeholders (the table declarations' INSERTs) as `$n`. */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

interface Replaced {
  readonly table: ReadModelTable<unknown>;
  readonly keyColumn: string;
  /** The latest rows of each key replaced since the last flush: a later replace of a key supersedes an earlier one. */
  readonly rows: Map<string, readonly unknown[]>;
}

/**
 * Writes queued for one PostgreSQL transaction. A page (or a batch of pages while catching up) replaces many keys'
 * rows; they go as one DELETE … = ANY and one INSERT … SELECT FROM unnest per table, a statement per table rather
 * than per row. Other writes (institutions' reference rows) are few and keep their order.
 */
export class PgWrites implements ReadModelWrites {
  private readonly replaced = new Map<string, Replaced>();
  /**
   * The other writes in order. Inserts that keep the first row run one after another into one table (the
   * notifications of a page) travel as one statement: their order within it is the order they came in.
   */
  private ops: (
    { text: string; values: RowValue[] } | { ignoring: ReadModelTable<unknown>; rows: RowValue[][] }
  )[] = [];
  private rowCount = 0;

  replace(
    table: ReadModelTable<unknown>,
    keyColumn: string,
    key: string,
    rows: readonly unknown[],
    previous?: readonly unknown[],
  ): void {
    // Rows as they were (or as queued, when this batch replaced them already): nothing to send.
    if (previous?.length === rows.length && keptRows(table, previous, rows) === rows.length) return;
    const at = `${table.name}\u0000${keyColumn}`;
    let entry = this.replaced.get(at);
    if (!entry) this.replaced.set(at, (entry = { table, keyColumn, rows: new Map() }));
    this.rowCount += rows.length - (entry.rows.get(key)?.length ?? 0);
    entry.rows.set(key, rows);
  }

  upsert(table: ReadModelTable<unknown>, row: unknown): void {
    this.ops.push({ text: numbered(table.insertOnConflict('update')), values: table.encode(row) });
  }

  insertIgnore(table: ReadModelTable<unknown>, row: unknown): void {
    const last = this.ops.at(-1);
    if (last && 'ignoring' in last && last.ignoring === table) last.rows.push(table.encode(row));
    else this.ops.push({ ignoring: table, rows: [table.encode(row)] });
  }

  delete(
    table: ReadModelTable<unknown>,
    where: Readonly<Record<string, RowValue>>,
    unlessIn?: ReadModelTable<unknown>,
  ): void {
    this.ops.push(numberedParameters(deleteStatement(table, where, unlessIn), where));
  }

  /** Rows queued: a batch is committed before it holds too many. */
  get size(): number {
    return this.rowCount + this.ops.reduce((n, op) => n + ('rows' in op ? op.rows.length : 1), 0);
  }

  clear(): void {
    this.replaced.clear();
    this.ops = [];
    this.rowCount = 0;
  }

  /** Sends everything queued on `client`, inside the caller's transaction, then forgets it. */
  async flush(client: PoolClient): Promise<void> {
    for (const { table, keyColumn, rows } of this.replaced.values()) {
      await client.query(`DELETE FROM ${table.name} WHERE ${keyColumn} = ANY($1::text[])`, [
        [...rows.keys()],
      ]);
      const kinds = columnsOf(table).map((c) => c.kind);
      const columns: RowValue[][] = kinds.map(() => []);
      for (const keyRows of rows.values()) {
        for (const row of keyRows) table.encode(row).forEach((value, i) => columns[i]!.push(value));
      }
      if (columns[0]!.length === 0) continue;
      const arrays = kinds.map((kind, i) => `$${i + 1}::${arrayTypeOf(kind)}`).join(', ');
      await client.query(
        `INSERT INTO ${table.name} (${table.columns.join(', ')}) SELECT * FROM unnest(${arrays})`,
        columns,
      );
    }
    for (const op of this.ops) {
      if ('text' in op) await client.query(op.text, op.values);
      else await insertKeepingFirst(client, op.ignoring, op.rows);
    }
    this.clear();
  }
}

/** Rows of one table inserted unless their key is taken, as unnest arrays: one statement per 10,000 rows. */
async function insertKeepingFirst(
  client: PoolClient,
  table: ReadModelTable<unknown>,
  rows: readonly RowValue[][],
): Promise<void> {
  const kinds = columnsOf(table).map((c) => c.kind);
  const arrays = kinds.map((kind, i) => `$${i + 1}::${arrayTypeOf(kind)}`).join(', ');
  // The table's own conflict clause: what follows its single-row INSERT in `insertOnConflict`.
  const single = table.insertOnConflict('nothing');
  if (!single.startsWith(table.insert))
    throw new Error(`${table.name}: its conflict clause does not follow its INSERT`);
  const conflict = single.slice(table.insert.length);
  for (let from = 0; from < rows.length; from += 10_000) {
    const chunk = rows.slice(from, from + 10_000);
    await client.query(
      `INSERT INTO ${table.name} (${table.columns.join(', ')}) SELECT * FROM unnest(${arrays})${conflict}`,
      kinds.map((_, i) => chunk.map((row) => row[i] ?? null)),
    );
  }
}
