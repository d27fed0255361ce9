import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  inOneSnapshot,
  institutionsTable,
  type Period,
  PgReadModels,
  type ReadModelTable,
  type RowValue,
  slotBookingsTable,
  slotReleasesTable,
  type SlotUseRow,
  type SqlReader,
  querySlotUse,
  sqliteReader,
} from '@carepath/projections';
import { dropSchemasOf, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { slotBooking, slotRelease, tableRows, type TableRows } from '../support/read-model-rows';

/*
 * An answer made of several reads of a read model comes from one snapshot of it (docs/scaling.md, "Read models in
 * PostgreSQL"), whatever a projector commits meanwhile. Slot use reads the releases, then the bookings: a commit
 * adding a release and four bookings lands between the two reads, and the answer must be the one from before the
 * commit or the one from after it, never releases from before with bookings from after.
 */

const TABLES: readonly ReadModelTable<any>[] = [institutionsTable, slotReleasesTable, slotBookingsTable];
const DATE = '2026-09-01';
const SEPTEMBER: Period = { from: DATE, to: '2026-10-01', key: '2026-09', unit: 'month' };

const booking = (i: number) =>
  slotBooking('HOSP-1', DATE, {
    bookingId: `k-${i}`,
    residentId: `res-${i}`,
    contractId: null,
    signedDoctorId: null,
    priority: false,
    groups: [],
    status: 'booked',
    bookedAt: '2026-08-01T09:00:00+08:00',
  });

/** 2 of 10 slots used. */
const BEFORE: readonly TableRows[] = [
  tableRows(institutionsTable, [
    { institutionId: 'HOSP-1', tier: 'tertiary', allianceId: 'A1', regionCode: 'R1' },
  ]),
  tableRows(slotReleasesTable, [slotRelease('HOSP-1', DATE, 'r-0', 10)]),
  tableRows(slotBookingsTable, [booking(0), booking(1)]),
];
/** One commit: 10 more slots and 4 more bookings, so 6 of 20 used (a mix would be 6 of 10, or 2 of 20). */
const CHANGE: readonly TableRows[] = [
  tableRows(slotReleasesTable, [slotRelease('HOSP-1', DATE, 'r-1', 10)]),
  tableRows(slotBookingsTable, [booking(2), booking(3), booking(4), booking(5)]),
];

interface StoreUnderTest {
  readonly reader: SqlReader;
  /** Commits `rows` in one transaction, as a projector commits a page. */
  commit(rows: readonly TableRows[]): Promise<void> | void;
  close(): Promise<void> | void;
}

/**
 * `reader` whose snapshots run their reads one after the other and commit `change`, once, between the first two:
 * the second read is asked for only once the commit is done.
 */
function straddled(reader: SqlReader, change: () => Promise<void> | void): SqlReader {
  let committed = false;
  return {
    dialect: reader.dialect,
    all: (sql, params) => reader.all(sql, params),
    snapshot: (read) =>
      inOneSnapshot(reader, (inner) => {
        let turn: Promise<unknown> = Promise.resolve();
        return read({
          dialect: inner.dialect,
          all(sql, params) {
            const rows = turn.then(() => inner.all(sql, params));
            turn = rows.then(async () => {
              if (committed) return;
              committed = true;
              await change();
            });
            return rows;
          },
        });
      }),
  };
}

const postgresPrefixes: string[] = [];

const STORES: readonly {
  readonly name: string;
  /** Which answer a group straddling a commit gives on this store. */
  readonly answers: 'before' | 'after';
  open(): Promise<StoreUnderTest> | StoreUnderTest;
}[] = [
  {
    // The in-process runner writes on the connection the queries read: the group is read again after the commit.
    name: 'SQLite, written on the connection the queries read',
    answers: 'after',
    open() {
      const db = filled(new Database(':memory:'));
      return {
        reader: sqliteReader(db),
        commit: (rows) => db.transaction(() => insertInto(db, rows))(),
        close: () => {
          db.close();
        },
      };
    },
  },
  {
    // A projector in another process writes the file: the API reads it on a connection of its own.
    name: 'SQLite, written by another connection to the file',
    answers: 'after',
    open() {
      const folder = mkdtempSync(join(tmpdir(), 'snapshots-'));
      const writer = new Database(join(folder, 'slot-pool.db'));
      writer.pragma('journal_mode = WAL');
      filled(writer);
      const db = new Database(join(folder, 'slot-pool.db'), { readonly: true, fileMustExist: true });
      return {
        reader: sqliteReader(db),
        commit: (rows) => writer.transaction(() => insertInto(writer, rows))(),
        close: () => {
          db.close();
          writer.close();
          rmSync(folder, { recursive: true, force: true });
        },
      };
    },
  },
  {
    // The reads are one REPEATABLE READ transaction: its snapshot is taken at its first read.
    name: 'PostgreSQL',
    answers: 'before',
    async open() {
      const models = new PgReadModels({ connectionString: TEST_DATABASE_URL, prefix: freshSchema('snap') });
      postgresPrefixes.push(models.prefix);
      await models.init();
      await models.open('slot-pool', 1, TABLES);
      await models.promote('slot-pool', 1, 1, TABLES);
      const schema = models.schemaOf('slot-pool', 1);
      // On the writers' pool: never a connection the readers hold.
      const commit = (rows: readonly TableRows[]) =>
        models.transaction(async (client) => {
          for (const { table, rows: values } of rows) {
            for (const row of values) {
              const encoded: RowValue[] = table.encode(row);
              await client.query(
                `INSERT INTO ${schema}.${table.name} (${table.columns.join(', ')})
                 VALUES (${encoded.map((_, i) => `$${i + 1}`).join(', ')})`,
                encoded,
              );
            }
          }
        });
      await commit(BEFORE);
      return { reader: models.reader('slot-pool'), commit, close: () => models.close() };
    },
  },
];

/** `db` with the tables and the rows from before the commit. */
function filled(db: Database.Database): Database.Database {
  for (const table of TABLES) db.exec(table.create);
  insertInto(db, BEFORE);
  return db;
}

function insertInto(db: Database.Database, contents: readonly TableRows[]): void {
  for (const { table, rows } of contents) {
    const insert = db.prepare(table.insert);
    for (const row of rows) insert.run(table.encode(row));
  }
}

afterAll(async () => {
  for (const prefix of postgresPrefixes) await dropSchemasOf(prefix);
});

describe.each(STORES)('an answer of several reads is one snapshot: $name', ({ answers, open }) => {
  let store: StoreUnderTest;

  beforeEach(async () => {
    store = await open();
  });

  afterEach(async () => {
    await store?.close();
  });

  const used = (rows: readonly SlotUseRow[]) =>
    rows.map((r) => `${r.utilisation.numerator} of ${r.utilisation.denominator}`);

  it(`given a commit between its two reads, then slot use is the answer from ${answers} the commit`, async () => {
    const before = await querySlotUse(store.reader, SEPTEMBER);
    const answer = await querySlotUse(
      straddled(store.reader, () => store.commit(CHANGE)),
      SEPTEMBER,
    );
    const after = await querySlotUse(store.reader, SEPTEMBER);

    // The commit landed, and changed both figures.
    expect(used(before)).toEqual(['2 of 10']);
    expect(used(after)).toEqual(['6 of 20']);
    expect(used(answer)).toEqual(used(answers === 'before' ? before : after));
    expect(answer).toEqual(answers === 'before' ? before : after);
  });

  it('given a read that fails, then the snapshot rejects with its error and the next one reads', async () => {
    await expect(
      inOneSnapshot(store.reader, async (reader) => {
        await reader.all('SELECT * FROM slot_releases');
        return reader.all('SELECT * FROM no_such_table');
      }),
      // Not toThrow: better-sqlite3 makes its errors in the realm of the first spec file that loaded it in this
      // jest worker, and toThrow does not take an error of another realm for one.
    ).rejects.toHaveProperty('message', expect.stringMatching(/no_such_table/));
    await expect(
      inOneSnapshot(store.reader, (reader) => reader.all('SELECT COUNT(*) AS n FROM slot_releases')),
    ).resolves.toEqual([{ n: 1 }]);
  });
});

describe('PostgreSQL snapshots give their connection back', () => {
  it('given more snapshots than connections, some failing, then every one ends and the pool serves again', async () => {
    const models = new PgReadModels({
      connectionString: TEST_DATABASE_URL,
      prefix: freshSchema('snap'),
      poolSize: 1,
    });
    postgresPrefixes.push(models.prefix);
    try {
      const reader = models.reader('slot-pool');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) =>
          inOneSnapshot(reader, (r) =>
            r.all(i % 2 === 0 ? 'SELECT 1 AS one' : 'SELECT * FROM no_such_table'),
          ),
        ),
      );
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
      // The missing table's code, which the API answers as "not built yet" (503), not a failure of its own.
      expect(outcomes[1]).toMatchObject({ reason: { code: '42P01' } });
      await expect(reader.all('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    } finally {
      await models.close();
    }
  });
});
