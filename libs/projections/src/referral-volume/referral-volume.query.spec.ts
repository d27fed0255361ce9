import Database from 'better-sqlite3';
import fc from 'fast-check';
import { localDate, periodKey, type PeriodUnit } from '../model/care-calendar';
import { growth, parsePeriod, type Period, previousWindow } from '../model/period.model';
import { REFERRAL_OUTCOMES, referralFigures, type ReferralRow } from '../model/referral-volume.model';
import { sqliteReader } from '../runtime/sql-reader';
import { referralsTable } from './referral-volume.projection';
import { queryReferralVolume, type ReferralGroup, type ReferralVolumeRow } from './referral-volume.query';

/*
 * The oracle: the figures as the rule states them (referralFigures) over the rows of each group, grouped in code by
 * each referral's local date, as the query did before the database counted for it.
 */
function expected(
  rows: readonly ReferralRow[],
  period: Period,
  groupBy: readonly ReferralGroup[],
  unit: PeriodUnit,
  timeZone: string,
): ReferralVolumeRow[] {
  const inWindow = (p: Period) => {
    const dates = (r: ReferralRow) => localDate(r.requestedAt, timeZone);
    return rows.filter((r) => dates(r) >= p.from && dates(r) < p.to);
  };
  const keyOf = (r: ReferralRow) => {
    const key: Record<string, string | null> = {};
    for (const g of groupBy) {
      if (g === 'direction') key.direction = r.direction;
      if (g === 'setting') key.setting = r.setting;
      if (g === 'priority') key.priority = r.priority;
      if (g === 'fromInstitution') key.fromInstitutionId = r.fromInstitutionId;
      if (g === 'toInstitution') key.toInstitutionId = r.toInstitutionId;
      if (g === 'alliance')
        key.allianceId =
          r.fromAllianceId !== null && r.fromAllianceId === r.toAllianceId
            ? r.fromAllianceId
            : 'cross-alliance';
      if (g === 'period') key.period = periodKey(localDate(r.requestedAt, timeZone), unit);
    }
    return key;
  };
  const buckets = new Map<
    string,
    { group: Record<string, string | null>; rows: ReferralRow[]; previous: number }
  >();
  const bucket = (r: ReferralRow) => {
    const group = keyOf(r);
    const key = JSON.stringify(group);
    if (!buckets.has(key)) buckets.set(key, { group, rows: [], previous: 0 });
    return buckets.get(key)!;
  };
  for (const r of inWindow(period)) bucket(r).rows.push(r);
  if (!groupBy.includes('period')) for (const r of inWindow(previousWindow(period))) bucket(r).previous++;
  return [...buckets.values()].map((b) => ({
    group: b.group,
    figures: referralFigures(b.rows),
    previousTotal: b.previous,
    growth: growth(b.rows.length, b.previous),
  }));
}

const strip = (rows: readonly ReferralVolumeRow[], groupBy: readonly ReferralGroup[]) =>
  // Growth between period buckets is worked out after the counting, the same way for both.
  groupBy.includes('period') ? rows.map((r) => ({ group: r.group, figures: r.figures })) : rows;

const byGroup = <R extends { group: Readonly<Record<string, string | null>> }>(rows: readonly R[]) =>
  [...rows].sort((a, b) => JSON.stringify(a.group).localeCompare(JSON.stringify(b.group)));

const START = Date.parse('2026-08-20T00:00:00Z');
/** 23:30 on 2026-09-05 in Santiago, half an hour before its clocks skip to 01:00 on the 6th. */
const SKIPPED = Date.parse('2026-09-06T03:30:00Z');

const referral = fc
  .record({
    referralId: fc.uuid(),
    direction: fc.constantFrom<'up' | 'down'>('up', 'down'),
    setting: fc.constantFrom<'outpatient' | 'inpatient'>('outpatient', 'inpatient'),
    priority: fc.constantFrom('routine', 'urgent'),
    from: fc.constantFrom(['CHC-1', 'A1'], ['CHC-2', null], ['HOSP-1', 'A1'], ['HOSP-2', 'A2']),
    to: fc.constantFrom(['CHC-1', 'A1'], ['HOSP-1', 'A1'], ['HOSP-2', 'A2'], ['HOSP-3', null]),
    // Many near the hour Santiago's skipped midnight moves between two days.
    requestedAt: fc.oneof(
      fc.integer({ min: START, max: START + 40 * 86_400_000 }),
      fc.integer({ min: SKIPPED - 2 * 3_600_000, max: SKIPPED + 2 * 3_600_000 }),
    ),
    outcome: fc.constantFrom(...REFERRAL_OUTCOMES),
    decidedAfter: fc.option(fc.integer({ min: 0, max: 5 * 86_400_000 }), { nil: null }),
  })
  .map((r): ReferralRow => ({
    referralId: r.referralId,
    journeyId: 'j',
    direction: r.direction,
    setting: r.setting,
    priority: r.priority,
    fromInstitutionId: r.from[0]!,
    fromTier: 'community',
    fromAllianceId: r.from[1] ?? null,
    toInstitutionId: r.to[0]!,
    toTier: 'tertiary',
    toAllianceId: r.to[1] ?? null,
    requestedAt: r.requestedAt,
    deadline: r.requestedAt,
    status: 'x',
    outcome: r.outcome,
    decidedAt: r.decidedAfter === null ? null : r.requestedAt + r.decidedAfter,
    closedAt: null,
    redirectedFromReferralId: null,
  }));

const GROUPINGS: readonly (readonly ReferralGroup[])[] = [
  [],
  ['direction'],
  ['alliance', 'priority'],
  ['fromInstitution', 'toInstitution', 'setting'],
  ['period'],
  ['direction', 'period'],
];

describe('referral volume: the counts the database makes are those of referralFigures over each group', () => {
  // Santiago's clocks skip 00:00 on 2026-09-06, inside the window: a day bucket then starts at 01:00.
  it.each([['Asia/Shanghai'], ['America/Santiago']])(
    'given any referrals in %s, then every grouping gives the rule’s figures',
    async (timeZone) => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(referral, { selector: (r) => r.referralId, maxLength: 50 }),
          fc.constantFrom(...GROUPINGS),
          fc.constantFrom<PeriodUnit>('day', 'week', 'month'),
          async (rows, groupBy, unit) => {
            const db = new Database(':memory:');
            db.exec(referralsTable.create);
            const insert = db.prepare(referralsTable.insert);
            for (const r of rows) insert.run(referralsTable.encode(r));
            try {
              const period = parsePeriod({ from: '2026-09-01', to: '2026-09-21' });
              const got = await queryReferralVolume(sqliteReader(db), period, {}, groupBy, {
                timeZone,
                unit,
              });
              expect(byGroup(strip(got, groupBy))).toEqual(
                byGroup(strip(expected(rows, period, groupBy, unit, timeZone), groupBy)),
              );
            } finally {
              db.close();
            }
          },
        ),
        { numRuns: 80 },
      );
    },
  );

  it('given n decided referrals, then the median and p90 are the decision times at ranks ceil(n/2) and ceil(9n/10)', async () => {
    for (const n of [1, 2, 9, 10, 11, 19, 20, 21]) {
      const db = new Database(':memory:');
      db.exec(referralsTable.create);
      const insert = db.prepare(referralsTable.insert);
      const rows = Array.from({ length: n }, (_, i) => ({
        referralId: `r${i}`,
        journeyId: 'j',
        direction: 'up' as const,
        setting: 'outpatient' as const,
        priority: 'routine',
        fromInstitutionId: 'CHC-1',
        fromTier: 'community',
        fromAllianceId: null,
        toInstitutionId: 'HOSP-1',
        toTier: 'tertiary',
        toAllianceId: null,
        requestedAt: START + 86_400_000,
        deadline: START,
        status: 'x',
        outcome: 'accepted' as const,
        // Decided after 1, 2, ... n hours, in a shuffled order of insertion.
        decidedAt: START + 86_400_000 + (((i * 13) % n) + 1) * 3_600_000,
        closedAt: null,
        redirectedFromReferralId: null,
      }));
      for (const r of rows) insert.run(referralsTable.encode(r));
      const [row] = await queryReferralVolume(
        sqliteReader(db),
        parsePeriod({ from: '2026-08-01', to: '2026-09-01' }),
        {},
        [],
        { timeZone: 'Asia/Shanghai', unit: 'month' },
      );
      db.close();
      expect({ n, ...row!.figures.timeToDecisionHours }).toEqual({
        n,
        median: Math.ceil(n / 2),
        p90: Math.ceil((9 * n) / 10),
      });
    }
  });
});
