import type Database from 'better-sqlite3';
import fc from 'fast-check';
import { KEY_GROUPS } from '@carepath/domain';
import {
  addDays,
  bedCountsTable,
  catchmentsTable,
  contractSegmentsTable,
  COVERAGE_GROUPS,
  institutionsTable,
  OCCUPANCY_GROUPS,
  type Period,
  populationFiguresTable,
  queryCoverage,
  querySlotUse,
  queryWardOccupancy,
  type ReadModelTable,
  segmentsTable,
  slotBookingsTable,
  slotReleasesTable,
  sqliteReader,
  staysTable,
  wardsTable,
} from '@carepath/projections';
import { scratchSchema } from '../support/postgres';
import {
  contractSegment,
  derivedStays,
  memoryDatabase,
  slotBooking,
  slotRelease,
  tableRows,
  type TableRows,
} from '../support/read-model-rows';

/*
 * The census, coverage and slot-use queries are one SQL for both stores (docs/scaling.md, "Read models in
 * PostgreSQL"); their unit property specs hold the embedded answers to the model functions. Here the same random rows
 * go into both databases, and PostgreSQL must answer exactly as SQLite: every group, filter and held-bed rule, in the
 * census zone and in Santiago (clocks skipping 00:00 on 2026-09-06).
 */

const TABLES: readonly ReadModelTable<any>[] = [
  institutionsTable,
  wardsTable,
  bedCountsTable,
  staysTable,
  segmentsTable,
  slotReleasesTable,
  slotBookingsTable,
  contractSegmentsTable,
  populationFiguresTable,
  catchmentsTable,
];

const INSTITUTIONS = [
  { institutionId: 'HOSP-1', tier: 'tertiary', allianceId: 'A1', regionCode: 'R1' },
  { institutionId: 'CHC-1', tier: 'community', allianceId: 'A1', regionCode: 'R1' },
  { institutionId: 'CHC-2', tier: 'community', allianceId: null, regionCode: 'R2' },
];
const WARDS: [string, string][] = [
  ['HOSP-1', 'cardio'],
  ['HOSP-1', 'ortho'],
  ['CHC-1', 'seq'],
  ['CHC-2', 'seq'],
];
const HALF_HOUR = 1_800_000;
const BASE = Date.parse('2026-08-20T00:00:00Z');

const step = fc.record({
  after: fc.oneof(fc.integer({ min: -4, max: 4 * 48 }), fc.constantFrom(0, 24, 48)),
  type: fc.constantFrom('PatientMovedWard', 'LeaveStarted', 'LeaveEnded', 'PatientDischarged'),
  ward: fc.nat({ max: 3 }),
  bedHeld: fc.boolean(),
});
const admission = fc.record({
  ward: fc.nat({ max: 3 }),
  at: fc.oneof(
    fc.nat({ max: 30 * 48 }),
    fc.tuple(fc.nat({ max: 30 }), fc.constantFrom(6, 8, 32)).map(([d, h]) => d * 48 + h),
  ),
  steps: fc.array(step, { maxLength: 5 }),
});
type ValueOf<A> = A extends fc.Arbitrary<infer V> ? V : never;

function staysOf(journeys: readonly (readonly ValueOf<typeof admission>[])[]) {
  return derivedStays(
    journeys.map((admissions) =>
      admissions.map((a) => {
        const [institutionId, wardId] = WARDS[a.ward]!;
        const own = WARDS.filter(([i]) => i === institutionId);
        return {
          institutionId,
          wardId,
          at: BASE + a.at * HALF_HOUR,
          admitted: { extraBed: false },
          then: a.steps.map((s) => ({
            after: s.after * HALF_HOUR,
            type: s.type,
            data: { toWardId: own[s.ward % own.length]![1], bedHeld: s.bedHeld },
          })),
        };
      }),
    ),
  );
}

const booking = fc.record({
  hospital: fc.constantFrom('HOSP-1', 'CHC-2', 'HOSP-X'),
  date: fc.constantFrom('2026-08-31', '2026-09-01', '2026-09-15'),
  resident: fc.nat({ max: 4 }),
  status: fc.constantFrom('booked' as const, 'cancelled' as const, 'attended' as const, 'no-show' as const),
  priority: fc.boolean(),
  contract: fc.option(fc.constant('c-1')),
  groups: fc.subarray([...KEY_GROUPS], { maxLength: 2 }),
});
const contract = fc.record({
  resident: fc.nat({ max: 5 }),
  from: fc.constantFrom('2026-08-01', '2026-09-01'),
  to: fc.constantFrom('2026-09-01', '2026-10-01'),
  centre: fc.constantFrom('CHC-1', 'CHC-2'),
  region: fc.constantFrom('R1', 'R2'),
  groups: fc.subarray([...KEY_GROUPS], { maxLength: 2 }),
});

const data = fc.record({
  journeys: fc.array(fc.array(admission, { minLength: 1, maxLength: 2 }), { maxLength: 6 }),
  beds: fc.array(
    fc.record({ ward: fc.nat({ max: 3 }), at: fc.nat({ max: 30 * 48 }), open: fc.nat({ max: 30 }) }),
    {
      maxLength: 5,
    },
  ),
  releases: fc.array(fc.record({ hospital: fc.constantFrom('HOSP-1', 'CHC-2'), count: fc.nat({ max: 9 }) }), {
    maxLength: 4,
  }),
  bookings: fc.array(booking, { maxLength: 12 }),
  contracts: fc.array(contract, { maxLength: 10 }),
  window: fc.record({ from: fc.nat({ max: 25 }), days: fc.integer({ min: 1, max: 15 }) }),
});

/** Every table's rows made of `d`. */
function rowsOf(d: ValueOf<typeof data>): TableRows[] {
  const { stays, segments } = staysOf(d.journeys);
  return [
    tableRows(institutionsTable, INSTITUTIONS),
    tableRows(
      wardsTable,
      WARDS.map(([institutionId, wardId]) => ({ institutionId, wardId, specialty: 'general' })),
    ),
    tableRows(
      bedCountsTable,
      d.beds.map((b, i) => ({
        eventId: `bc-${i}`,
        institutionId: WARDS[b.ward]![0],
        wardId: WARDS[b.ward]![1],
        from: BASE + b.at * HALF_HOUR + i, // distinct instants: the order of equal ones is the store's
        openBeds: b.open,
      })),
    ),
    tableRows(staysTable, stays),
    tableRows(segmentsTable, segments),
    tableRows(
      slotReleasesTable,
      d.releases.flatMap((r, i) =>
        ['2026-08-31', '2026-09-01', '2026-09-15'].map((date) =>
          slotRelease(r.hospital, date, `r-${i}`, r.count),
        ),
      ),
    ),
    tableRows(
      slotBookingsTable,
      d.bookings.map((b, i) =>
        slotBooking(b.hospital, b.date, {
          bookingId: `k-${i}`,
          residentId: `res-${b.resident}`,
          contractId: b.contract,
          signedDoctorId: null,
          priority: b.priority,
          groups: b.groups,
          status: b.status,
          bookedAt: '2026-08-01T09:00:00+08:00',
        }),
      ),
    ),
    tableRows(
      contractSegmentsTable,
      d.contracts.map((c, i) =>
        contractSegment({
          residentId: `res-${c.resident}`,
          contractId: `c-${i}`,
          from: c.from,
          to: c.to,
          centreId: c.centre,
          allianceId: INSTITUTIONS.find((x) => x.institutionId === c.centre)!.allianceId,
          residenceRegion: c.region,
          groups: c.groups,
        }),
      ),
    ),
    tableRows(populationFiguresTable, [
      {
        regionCode: 'R1',
        effectiveOn: '2026-08-01',
        residents: 900,
        keyGroupResidents: 300,
        byKeyGroup: '{"hypertension":120}',
        source: 'census',
      },
    ]),
    tableRows(catchmentsTable, [
      {
        regionCode: 'R1',
        effectiveOn: '2026-08-01',
        centreId: 'CHC-1',
        residents: 500,
        keyGroupResidents: 90,
      },
    ]),
  ];
}

describe('census, coverage and slot-use queries read PostgreSQL as they read SQLite', () => {
  let postgres: Awaited<ReturnType<typeof scratchSchema>>;
  beforeAll(async () => {
    postgres = await scratchSchema('census', TABLES);
  });
  afterAll(() => postgres?.close());

  /** The rows into PostgreSQL (in place of the last case's) and into a new SQLite database. */
  async function load(contents: readonly TableRows[]): Promise<Database.Database> {
    await postgres.load(contents);
    return memoryDatabase(contents);
  }

  it.each(['Asia/Shanghai', 'America/Santiago'])(
    'given any rows in both, then every answer from PostgreSQL is the embedded one (%s)',
    async (timeZone) => {
      await fc.assert(
        fc.asyncProperty(data, async (d) => {
          const db = await load(rowsOf(d));
          try {
            const embedded = sqliteReader(db);
            const from = addDays('2026-08-20', d.window.from);
            const period: Period = { from, to: addDays(from, d.window.days), key: null, unit: null };
            for (const heldBedRule of ['physical', 'held-bed'] as const) {
              for (const groupBy of OCCUPANCY_GROUPS) {
                for (const filter of [{}, { allianceId: 'A1' }, { wardId: 'seq' }]) {
                  const options = { timeZone, heldBedRule };
                  expect(await queryWardOccupancy(postgres.reader, period, filter, groupBy, options)).toEqual(
                    await queryWardOccupancy(embedded, period, filter, groupBy, options),
                  );
                }
              }
            }
            const slots: Period = { from: '2026-09-01', to: '2026-10-01', key: '2026-09', unit: 'month' };
            for (const filter of [{}, { allianceId: 'A1' }]) {
              expect(await querySlotUse(postgres.reader, slots, filter)).toEqual(
                await querySlotUse(embedded, slots, filter),
              );
            }
            for (const groupBy of COVERAGE_GROUPS) {
              for (const on of ['2026-08-15', '2026-09-01']) {
                expect(await queryCoverage(postgres.reader, on, groupBy)).toEqual(
                  await queryCoverage(embedded, on, groupBy),
                );
              }
            }
          } finally {
            db.close();
          }
        }),
        { numRuns: 25 },
      );
    },
    300_000,
  );
});
