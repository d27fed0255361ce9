import Database from 'better-sqlite3';
import { ALL_PROJECTIONS } from '../projections.registry';
import { isJourneyProjection } from './journey-projection';
import {
  type Column,
  type Columns,
  flag,
  integer,
  named,
  nullable,
  readModelTable,
  type ReadModelTable,
  text,
} from './read-model-table';

type Row = Record<string, unknown>;
type Table = ReadModelTable<Row>;

const tables = ALL_PROJECTIONS.flatMap((p) =>
  isJourneyProjection(p) ? [...(p.journey.referenceTables ?? []), ...p.journey.tables] : [],
) as Table[];

/** The same table with its columns declared in the opposite order. */
function reversed(table: Table): Table {
  const entries = Object.entries(table.declaration).reverse();
  return readModelTable(table.name, Object.fromEntries(entries) as Columns<Row>, table.options);
}

/** A row whose every field holds a value no other field holds; `nulls`: nullable fields are null. */
function sampleRow(table: Table, nulls: boolean): Row {
  return Object.fromEntries(
    Object.entries(table.declaration as Record<string, Column<unknown>>).map(([field, column], i) => {
      if (nulls && column.nullable) return [field, null];
      if (column.kind === 'flag') return [field, i % 2 === 0];
      return [field, column.kind === 'integer' ? 1_000 + i : `${field}-${i}`];
    }),
  );
}

describe('read-model tables', () => {
  it('every read model declares at least one table of each projection', () => {
    expect(tables.map((t) => t.name).sort()).toEqual([
      'bed_counts',
      'current_stays',
      'follow_up_outcomes',
      'follow_ups',
      'institutions',
      'open_referrals',
      'patient_journeys',
      'process_actions',
      'proposal_outcomes',
      'referral_outcomes',
      'referrals',
      'segments',
      'stays',
      'transfer_proposals',
      'visits',
      'wards',
      'with_us_upstairs',
    ]);
  });

  describe.each(tables.map((table) => [table.name, table] as const))('%s', (_name, table) => {
    const db = new Database(':memory:');
    afterAll(() => db.close());

    it.each([
      ['as declared', table, table],
      ['declared in reverse', reversed(table), reversed(table)],
      // A file on disk keeps the column order it was created with while the declaration changes.
      ['written in reverse into a file created as declared', table, reversed(table)],
      ['written as declared into a file created in reverse', reversed(table), table],
    ])('round-trips every field into its own column: %s', (_case, created, writing) => {
      db.exec(`DROP TABLE IF EXISTS ${table.name}`);
      db.exec(created.create);
      for (const nulls of [false, true]) {
        db.exec(`DELETE FROM ${table.name}`);
        const row = sampleRow(table, nulls);
        db.prepare(writing.insert).run(writing.encode(row));
        const stored = db.prepare(`SELECT * FROM ${table.name}`).get();
        expect(table.read(stored)).toEqual(row);
        expect(reversed(table).read(stored)).toEqual(row);
        // Column by column, by name: the value is the field's own.
        for (const field of Object.keys(row)) {
          const value = db
            .prepare(`SELECT ${table.column(field)} AS v FROM ${table.name}`)
            .pluck()
            .get();
          expect(value).toEqual(writing.encode(row)[writing.columns.indexOf(table.column(field))]);
        }
      }
    });
  });

  it('generates the DDL, the INSERT and the upserts from one declaration', () => {
    const table = readModelTable(
      'bed_counts',
      {
        eventId: text,
        wardId: text,
        from: named('from_ms', integer),
        openBeds: nullable(integer),
        held: flag,
      },
      { primaryKey: ['eventId'], indexes: { bed_counts_by_ward: ['wardId', 'from'] } },
    );
    expect(table.create).toBe(
      'CREATE TABLE IF NOT EXISTS bed_counts (event_id TEXT NOT NULL, ward_id TEXT NOT NULL, from_ms INTEGER NOT NULL, open_beds INTEGER, held INTEGER NOT NULL, PRIMARY KEY (event_id)) STRICT;\n' +
        'CREATE INDEX IF NOT EXISTS bed_counts_by_ward ON bed_counts (ward_id, from_ms);',
    );
    expect(table.insert).toBe(
      'INSERT INTO bed_counts (event_id, ward_id, from_ms, open_beds, held) VALUES (?, ?, ?, ?, ?)',
    );
    expect(table.insertOnConflict('nothing')).toBe(`${table.insert} ON CONFLICT (event_id) DO NOTHING`);
    expect(table.insertOnConflict('update')).toBe(
      `${table.insert} ON CONFLICT (event_id) DO UPDATE SET ward_id = excluded.ward_id, from_ms = excluded.from_ms, open_beds = excluded.open_beds, held = excluded.held`,
    );
    expect(table.encode({ eventId: 'e', wardId: 'w', from: 5, openBeds: null, held: true })).toEqual([
      'e',
      'w',
      5,
      null,
      1,
    ]);
  });

  it('refuses to read a row whose column holds another kind of value', () => {
    const table = readModelTable('t', { n: integer }, {});
    expect(() => table.read({ n: 'five' })).toThrow('t.n: expected an integer, got five');
    expect(() => table.read({})).toThrow('t.n: expected an integer, got null');
  });
});
