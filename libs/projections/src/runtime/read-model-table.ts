/** A value a read-model column stores. */
export type RowValue = string | number | null;

/**
 * What a column holds, in words every SQL database has: a later PostgreSQL read model maps `integer` to BIGINT
 * (epoch milliseconds do not fit 32 bits) and `flag` to BOOLEAN; SQLite's STRICT tables know only INTEGER and TEXT.
 */
export type ColumnKind = 'text' | 'integer' | 'flag';

/** One field of a row object as a column: its kind, and how its value is stored and read back. */
export interface Column<V> {
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  /** The SQL name when it is not the field's name in snake_case (`from` is a keyword: `from_ms`). */
  readonly name?: string;
  encode(value: V): RowValue;
  decode(value: RowValue): V;
}

const asText = (value: RowValue): string => {
  if (typeof value !== 'string') throw new TypeError(`expected text, got ${String(value)}`);
  return value;
};
const asInteger = (value: RowValue): number => {
  if (typeof value !== 'number') throw new TypeError(`expected an integer, got ${String(value)}`);
  return value;
};

export const text: Column<string> = {
  kind: 'text',
  nullable: false,
  encode: (value) => value,
  decode: asText,
};

/** Text whose values the row type narrows (a status, a direction): the database keeps what derive wrote. */
export const textOf = <V extends string>(): Column<V> => text as Column<V>;

export const integer: Column<number> = {
  kind: 'integer',
  nullable: false,
  encode: (value) => value,
  decode: asInteger,
};

/** A boolean, stored as 0 or 1. */
export const flag: Column<boolean> = {
  kind: 'flag',
  nullable: false,
  encode: (value) => (value ? 1 : 0),
  decode: (value) => asInteger(value) === 1,
};

export function nullable<V>(column: Column<V>): Column<V | null> {
  return {
    ...column,
    nullable: true,
    encode: (value) => (value === null ? null : column.encode(value)),
    decode: (value) => (value === null ? null : column.decode(value)),
  };
}

export function named<V>(name: string, column: Column<V>): Column<V> {
  return { ...column, name };
}

/** Every field of the row type, each once, as a column: a field left out or of another type does not compile. */
export type Columns<R> = { readonly [K in keyof R]-?: Column<R[K]> };

export interface TableOptions<R> {
  /** None: a table whose rows are only ever found through an index (a journey's, a ward's). */
  readonly primaryKey?: readonly (keyof R & string)[];
  /** Index name → the fields it covers, in order. */
  readonly indexes?: Readonly<Record<string, readonly (keyof R & string)[]>>;
}

/**
 * A read-model table declared once: its DDL, its INSERT and the reader of its rows all come from the same columns,
 * so the order of a declaration decides nothing but the order of the columns on disk. Methods (not function-typed
 * properties), so that a table of any row type can stand in a list of `ReadModelTable<unknown>`.
 */
export interface ReadModelTable<R> {
  readonly name: string;
  /** As declared: another table may be declared from it (the specs reorder one). */
  readonly declaration: Columns<R>;
  /** Keys and indexes by field name (checked against the row type where the table is declared). */
  readonly options: TableOptions<Record<string, unknown>>;
  /** SQL column names, in declaration order. */
  readonly columns: readonly string[];
  /** CREATE TABLE and CREATE INDEX statements (IF NOT EXISTS: opening an existing generation changes nothing). */
  readonly create: string;
  /** INSERT naming every column, its parameters in the order `encode` gives them. */
  readonly insert: string;
  /** The INSERT, or on the same primary key: `nothing` keeps the row there, `update` takes the new values. */
  insertOnConflict(action: 'nothing' | 'update'): string;
  /** A row's values in the order of `columns` (and of `insert`'s parameters). */
  encode(row: R): RowValue[];
  /** Appends a row's values to `values`: rows travel between threads as one flat array. */
  encodeInto(values: RowValue[], row: R): void;
  /** A row as SELECT * (or any selection naming the columns) returns it, by column name. */
  read(row: unknown): R;
  /** A field's column name, for the WHERE clauses of queries. */
  column(field: keyof R & string): string;
}

const SQLITE_TYPES: Readonly<Record<ColumnKind, string>> = {
  text: 'TEXT',
  integer: 'INTEGER',
  flag: 'INTEGER',
};

const snakeCase = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Declares a table from its row type's columns; the row type is inferred from them, or checked against one given. */
export function readModelTable<R>(
  name: string,
  columns: Columns<R>,
  options: TableOptions<R>,
): ReadModelTable<R> {
  const fields = (Object.keys(columns) as (keyof R & string)[]).map((field) => {
    const column = columns[field] as Column<unknown>;
    return { field, sql: column.name ?? snakeCase(field), column };
  });
  const sqlName = new Map(fields.map((f) => [f.field, f.sql]));
  const column = (field: keyof R & string): string => {
    const sql = sqlName.get(field);
    if (sql === undefined) throw new Error(`${name} has no column for ${field}`);
    return sql;
  };
  const list = (of: readonly (keyof R & string)[]) => of.map(column).join(', ');
  const definitions = fields.map(
    (f) => `${f.sql} ${SQLITE_TYPES[f.column.kind]}${f.column.nullable ? '' : ' NOT NULL'}`,
  );
  const primaryKey = options.primaryKey ?? [];
  if (primaryKey.length > 0) definitions.push(`PRIMARY KEY (${list(primaryKey)})`);
  const create = [
    `CREATE TABLE IF NOT EXISTS ${name} (${definitions.join(', ')}) STRICT;`,
    ...Object.entries(options.indexes ?? {}).map(
      ([index, of]) => `CREATE INDEX IF NOT EXISTS ${index} ON ${name} (${list(of)});`,
    ),
  ].join('\n');
  const names = fields.map((f) => f.sql);
  const insert = `INSERT INTO ${name} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
  const keys = new Set(primaryKey.map(column));
  const encodeInto = (values: RowValue[], row: R) => {
    for (const f of fields) values.push(f.column.encode(row[f.field]));
  };
  return {
    name,
    declaration: columns,
    options: options as TableOptions<Record<string, unknown>>,
    columns: names,
    create,
    insert,
    insertOnConflict(action) {
      if (keys.size === 0) throw new Error(`${name} has no primary key to meet a conflict on`);
      const target = `${insert} ON CONFLICT (${[...keys].join(', ')})`;
      if (action === 'nothing') return `${target} DO NOTHING`;
      const set = names.filter((n) => !keys.has(n)).map((n) => `${n} = excluded.${n}`);
      return `${target} DO UPDATE SET ${set.join(', ')}`;
    },
    encode(row) {
      const values: RowValue[] = [];
      encodeInto(values, row);
      return values;
    },
    encodeInto,
    read(row) {
      const stored = row as Readonly<Record<string, RowValue>>;
      const out: Partial<Record<keyof R, unknown>> = {};
      for (const f of fields) {
        try {
          out[f.field] = f.column.decode(stored[f.sql] ?? null);
        } catch (error) {
          throw new Error(`${name}.${f.sql}: ${(error as Error).message}`);
        }
      }
      return out as R;
    },
    column,
  };
}
