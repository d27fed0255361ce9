import type Database from 'better-sqlite3';
import fc from 'fast-check';
import {
  derivedStays,
  memoryDatabase,
  type PlannedFact,
  tableRows,
} from '../../../../test/support/read-model-rows';
import { addDays } from '../model/care-calendar';
import type { Fact } from '../model/facts';
import type { Period } from '../model/period.model';
import {
  deriveStay,
  type HeldBedRule,
  occupancyFigures,
  type StaySegment,
  type StaySummary,
} from '../model/ward-occupancy.model';
import { sqliteReader } from '../runtime/sql-reader';
import {
  bedCountsTable,
  type BedCountRow,
  institutionsTable,
  type InstitutionRow,
  segmentsTable,
  staysTable,
  wardsTable,
  type WardRow,
} from './ward-occupancy.projection';
import { OCCUPANCY_GROUPS, type OccupancyFilter, queryWardOccupancy } from './ward-occupancy.query';

/*
 * The counts the database makes are those of occupancyFigures (docs/analytics.md, "Bed-use rate"): random stays
 * (moves, leaves with and without a held bed, overlapping stays of one journey, discharges, facts dated before the
 * admission), random bed counts and windows, in the census zone and in Santiago, whose clocks skip 00:00 on
 * 2026-09-06 and go back from 24:00 to 23:00 on 2026-04-04. Care times fall on half hours, so stays start and end
 * exactly at census instants too.
 */

const INSTITUTIONS: InstitutionRow[] = [
  { institutionId: 'HOSP-1', tier: 'tertiary', allianceId: 'A1', regionCode: '110105' },
  { institutionId: 'CHC-1', tier: 'community', allianceId: 'A1', regionCode: '110105' },
  { institutionId: 'CHC-2', tier: 'community', allianceId: null, regionCode: '310112' },
];
const WARDS: WardRow[] = [
  { institutionId: 'HOSP-1', wardId: 'cardio', specialty: 'cardiology' },
  { institutionId: 'HOSP-1', wardId: 'ortho', specialty: 'orthopaedics' },
  { institutionId: 'CHC-1', wardId: 'seq', specialty: 'general' },
  { institutionId: 'CHC-2', wardId: 'seq', specialty: 'general' },
];
/** Wards a stay may be in: those above, and one no WardOpened named (its stays count nowhere). */
const STAY_WARDS: readonly (readonly [string, string])[] = [
  ...WARDS.map((w) => [w.institutionId, w.wardId] as const),
  ['CHC-2', 'unknown'],
];

const HALF_HOUR = 1_800_000;

type Step =
  | { readonly type: 'PatientMovedWard'; readonly ward: number }
  | { readonly type: 'LeaveStarted'; readonly bedHeld: boolean }
  | { readonly type: 'LeaveEnded' }
  | { readonly type: 'PatientDischarged' };

const step: fc.Arbitrary<{ readonly after: number; readonly step: Step }> = fc.record({
  // Half hours after the previous fact: often whole days (from a midnight to the next), sometimes none, sometimes
  // before it (a late entry dated back).
  after: fc.oneof(fc.integer({ min: -6, max: 5 * 48 }), fc.constantFrom(0, 1, 24, 48, 96)),
  step: fc.oneof(
    fc.record({ type: fc.constant('PatientMovedWard' as const), ward: fc.nat({ max: 3 }) }),
    fc.record({ type: fc.constant('LeaveStarted' as const), bedHeld: fc.boolean() }),
    fc.record({ type: fc.constant('LeaveStarted' as const), bedHeld: fc.constant(true) }),
    fc.constant({ type: 'LeaveEnded' as const }),
    fc.constant({ type: 'PatientDischarged' as const }),
  ),
});

const admission = fc.record({
  ward: fc.nat({ max: STAY_WARDS.length - 1 }),
  /** Half hours from the base: admissions run over some 40 days, often from a local midnight of either zone. */
  at: fc.oneof(
    fc.nat({ max: 40 * 48 }),
    fc.tuple(fc.nat({ max: 40 }), fc.constantFrom(6, 8, 32)).map(([day, half]) => day * 48 + half),
  ),
  extraBed: fc.boolean(),
  steps: fc.array(step, { maxLength: 6 }),
});

type Admission = typeof admission extends fc.Arbitrary<infer A> ? A : never;

/** A journey's stays: often a second one begun while the first is away from its (held) bed, as upstairs. */
const journey = fc
  .tuple(admission, fc.option(fc.record({ stay: admission, after: fc.nat({ max: 6 * 48 }) })))
  .map(([first, second]) => (second ? [first, { ...second.stay, at: first.at + second.after }] : [first]));

const bedCount = fc.record({ ward: fc.nat({ max: WARDS.length - 1 }), at: fc.nat({ max: 40 * 48 }) });

function staysOf(base: number, journeys: readonly (readonly Admission[])[]) {
  return derivedStays(
    journeys.map((admissions) =>
      admissions.map((a) => {
        const [institutionId, wardId] = STAY_WARDS[a.ward]!;
        const sameInstitution = STAY_WARDS.filter(([i]) => i === institutionId);
        const fact = ({ after, step: s }: Admission['steps'][number]): PlannedFact => {
          const data =
            s.type === 'PatientMovedWard'
              ? { toWardId: sameInstitution[s.ward % sameInstitution.length]![1] }
              : s.type === 'LeaveStarted'
                ? { bedHeld: s.bedHeld }
                : {};
          return { after: after * HALF_HOUR, type: s.type, data };
        };
        return {
          institutionId,
          wardId,
          at: base + a.at * HALF_HOUR,
          admitted: { bedId: null, extraBed: a.extraBed, referralId: null },
          then: a.steps.map(fact),
        };
      }),
    ),
  );
}

function censusDb(
  stays: readonly StaySummary[],
  segments: readonly StaySegment[],
  counts: readonly BedCountRow[],
): Database.Database {
  return memoryDatabase([
    tableRows(institutionsTable, INSTITUTIONS),
    tableRows(wardsTable, WARDS),
    tableRows(bedCountsTable, counts),
    tableRows(staysTable, stays),
    tableRows(segmentsTable, segments),
  ]);
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What the API answered before the database counted: occupancyFigures over every stay, per group of wards. */
function modelRows(
  stays: readonly StaySummary[],
  segments: readonly StaySegment[],
  counts: readonly BedCountRow[],
  period: Period,
  filter: OccupancyFilter,
  groupBy: (typeof OCCUPANCY_GROUPS)[number],
  options: { timeZone: string; heldBedRule: HeldBedRule },
) {
  const alliance = (id: string) => INSTITUTIONS.find((i) => i.institutionId === id)?.allianceId ?? null;
  const wards = WARDS.filter(
    (w) =>
      (filter.institutionId === undefined || w.institutionId === filter.institutionId) &&
      (filter.wardId === undefined || w.wardId === filter.wardId) &&
      (filter.allianceId === undefined || alliance(w.institutionId) === filter.allianceId),
  ).sort((a, b) => byText(a.institutionId, b.institutionId) || byText(a.wardId, b.wardId));
  const groups = new Map<string, { row: object; members: WardRow[] }>();
  for (const w of wards) {
    const row = {
      institutionId: groupBy === 'ward' || groupBy === 'institution' ? w.institutionId : null,
      wardId: groupBy === 'ward' ? w.wardId : null,
      allianceId: groupBy === 'all' ? null : alliance(w.institutionId),
    };
    const key = JSON.stringify(row);
    const group = groups.get(key) ?? { row, members: [] };
    group.members.push(w);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ row, members }) => ({
    ...row,
    figures: occupancyFigures(
      members.map((w) => ({
        ...w,
        bedCounts: counts.filter((c) => c.institutionId === w.institutionId && c.wardId === w.wardId),
      })),
      segments,
      stays,
      period,
      options,
    ),
  }));
}

const FILTERS: readonly OccupancyFilter[] = [
  {},
  { institutionId: 'HOSP-1' },
  { allianceId: 'A1' },
  { wardId: 'seq' },
];

describe.each([
  ['Asia/Shanghai', '2026-08-20'],
  ['America/Santiago', '2026-08-20'],
  ['America/Santiago', '2026-03-15'],
])(
  'queryWardOccupancy (%s, from %s): the counts the database makes are those of occupancyFigures',
  (timeZone, first) => {
    const base = Date.parse(`${first}T00:00:00Z`);

    it('given any stays, bed counts and window, then every group, filter and held-bed rule answers as the model', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(journey, { maxLength: 8 }),
          fc.uniqueArray(bedCount, { selector: (c) => `${c.ward}/${c.at}`, maxLength: 8 }),
          fc.record({
            from: fc.nat({ max: 35 }),
            days: fc.integer({ min: 1, max: 20 }),
            beds: fc.array(fc.nat({ max: 40 }), { minLength: 8, maxLength: 8 }),
          }),
          async (journeys, bedCounts, w) => {
            const { stays, segments } = staysOf(base, journeys);
            const counts = bedCounts.map((c, i) => ({
              eventId: `bc-${i}`,
              institutionId: WARDS[c.ward]!.institutionId,
              wardId: WARDS[c.ward]!.wardId,
              from: base + c.at * HALF_HOUR,
              openBeds: w.beds[i]!,
            }));
            const from = addDays(first, w.from);
            const period: Period = { from, to: addDays(from, w.days), key: null, unit: null };
            const db = censusDb(stays, segments, counts);
            try {
              for (const heldBedRule of ['physical', 'held-bed'] as const) {
                const options = { timeZone, heldBedRule };
                for (const filter of FILTERS) {
                  for (const groupBy of OCCUPANCY_GROUPS) {
                    expect(
                      await queryWardOccupancy(sqliteReader(db), period, filter, groupBy, options),
                    ).toEqual(modelRows(stays, segments, counts, period, filter, groupBy, options));
                  }
                }
              }
            } finally {
              db.close();
            }
          },
        ),
        { numRuns: 40 },
      );
    }, 120_000);
  },
);

describe('queryWardOccupancy where the clocks skip local midnight (Santiago, 2026-09-06 00:00 → 01:00)', () => {
  // 24:00 of 09-05 is 03:00Z on 09-06 (23:00 on the clocks, startOfLocalDay), while 09-06 begins at 04:00Z.
  const options = { timeZone: 'America/Santiago', heldBedRule: 'physical' as const };
  const counts: BedCountRow[] = [
    {
      eventId: 'bc',
      institutionId: 'HOSP-1',
      wardId: 'cardio',
      from: Date.parse('2026-09-01T00:00:00Z'),
      openBeds: 10,
    },
  ];
  const stayOf = (journeyId: string, admittedAt: string, dischargedAt: string) => {
    const at = (iso: string) => iso;
    const facts: Fact[] = [
      {
        eventId: `${journeyId}-a`,
        type: 'PatientAdmitted',
        occurredAt: at(admittedAt),
        data: {
          admissionId: journeyId,
          institution: { institutionId: 'HOSP-1' },
          wardId: 'cardio',
          extraBed: false,
        },
        voided: false,
      },
      {
        eventId: `${journeyId}-d`,
        type: 'PatientDischarged',
        occurredAt: dischargedAt,
        data: { admissionId: journeyId },
        voided: false,
      },
    ];
    return deriveStay(journeyId, facts)!;
  };
  const answer = async (period: Period, ...stays: ReturnType<typeof stayOf>[]) => {
    const summaries = stays.map((s) => s.summary);
    const segments = stays.flatMap((s) => s.segments);
    const db = censusDb(summaries, segments, counts);
    try {
      const rows = await queryWardOccupancy(sqliteReader(db), period, { wardId: 'cardio' }, 'ward', options);
      expect(rows).toEqual(
        modelRows(summaries, segments, counts, period, { wardId: 'cardio' }, 'ward', options),
      );
      return rows[0]!.figures;
    } finally {
      db.close();
    }
  };

  it('given a stay discharged at 23:30 on 09-05, then its nights are those of 09-03 and 09-04 only', async () => {
    // Given: admitted 09-03 08:00, discharged 09-05 23:30 on the clocks (03:30Z, after 24:00 of 09-05 at 03:00Z).
    const stay = stayOf('j-1', '2026-09-03T12:00:00Z', '2026-09-06T03:30:00Z');
    // When: the census of 09-05 and 09-06.
    const figures = await answer({ from: '2026-09-05', to: '2026-09-07', key: null, unit: null }, stay);
    // Then: two nights by local date (the model's), not the three census instants its stay spans.
    expect(figures).toMatchObject({ discharges: 1, dischargedBedDays: 2, occupiedBedDays: 1 });
  });

  it('given a stay admitted at 23:30 on 09-05 and discharged at 02:00 on 09-06, then it is no same-day stay', async () => {
    // Given: admitted after 24:00 of 09-05 (03:00Z), so within a window from 09-06, but on the local date 09-05.
    const stay = stayOf('j-2', '2026-09-06T03:30:00Z', '2026-09-06T05:00:00Z');
    // When: the window starts on 09-06.
    const figures = await answer({ from: '2026-09-06', to: '2026-09-08', key: null, unit: null }, stay);
    // Then: admitted and discharged on different local dates, crossing no census: no bed-day, one discharge of 1.
    expect(figures).toMatchObject({ occupiedBedDays: 0, discharges: 1, dischargedBedDays: 1 });
  });
});
