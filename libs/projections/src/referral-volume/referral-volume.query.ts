import {
  addDays,
  firstInstantOfLocalDay,
  periodKey,
  startOfLocalDay,
  type PeriodUnit,
} from '../model/care-calendar';
import { growth, type Period, previousWindow } from '../model/period.model';
import {
  REFERRAL_OUTCOMES,
  type ReferralCounts,
  type ReferralFigures,
  referralFiguresOf,
  type ReferralOutcome,
  type ReferralRow,
} from '../model/referral-volume.model';
import { inOneSnapshot, type SqlParams, type SqlReader } from '../runtime/sql-reader';
import { referralsTable } from './referral-volume.projection';

export const REFERRAL_GROUPS = [
  'direction',
  'setting',
  'priority',
  'fromInstitution',
  'toInstitution',
  'alliance',
  'period',
] as const;
export type ReferralGroup = (typeof REFERRAL_GROUPS)[number];

export interface ReferralFilter {
  readonly direction?: 'up' | 'down';
  readonly setting?: 'outpatient' | 'inpatient';
  /** Referrals from or to this institution. */
  readonly institutionId?: string;
  /** Referrals with either side in this alliance. */
  readonly allianceId?: string;
}

export interface ReferralVolumeRow {
  readonly group: Readonly<Record<string, string | null>>;
  readonly figures: ReferralFigures;
  /** Person-times in the window just before (same unit, or the same number of days). */
  readonly previousTotal: number;
  readonly growth: number | null;
}

/** Which alliance a referral counts for: the shared one, or `cross-alliance` when its two sides differ. */
const ALLIANCE_OF = `CASE WHEN from_alliance_id IS NOT NULL AND from_alliance_id = to_alliance_id THEN from_alliance_id ELSE 'cross-alliance' END`;

/** The referrals a query counts: requested in the window, and the filter's. */
const IN_SCOPE = `requested_at >= @start AND requested_at < @end
  AND (CAST(@direction AS TEXT) IS NULL OR direction = @direction)
  AND (CAST(@setting AS TEXT) IS NULL OR setting = @setting)
  AND (CAST(@institutionId AS TEXT) IS NULL OR from_institution_id = @institutionId OR to_institution_id = @institutionId)
  AND (CAST(@allianceId AS TEXT) IS NULL OR from_alliance_id = @allianceId OR to_alliance_id = @allianceId)`;

const scope = (period: Period, filter: ReferralFilter, timeZone: string): SqlParams => ({
  start: startOfLocalDay(period.from, timeZone),
  end: startOfLocalDay(period.to, timeZone),
  direction: filter.direction ?? null,
  setting: filter.setting ?? null,
  institutionId: filter.institutionId ?? null,
  allianceId: filter.allianceId ?? null,
});

async function load(
  reader: SqlReader,
  period: Period,
  filter: ReferralFilter,
  timeZone: string,
): Promise<ReferralRow[]> {
  // CAST (IN_SCOPE): PostgreSQL types a parameter at its first use, and `@name IS NULL` alone says nothing of it.
  const rows = await reader.all(`SELECT * FROM referrals WHERE ${IN_SCOPE}`, scope(period, filter, timeZone));
  return rows.map((row) => referralsTable.read(row));
}

/** The name a group takes in a row's `group`, and the SQL that gives its value. */
const GROUP_COLUMNS: Readonly<Record<Exclude<ReferralGroup, 'period'>, readonly [string, string]>> = {
  direction: ['direction', 'direction'],
  setting: ['setting', 'setting'],
  priority: ['priority', 'priority'],
  fromInstitution: ['fromInstitutionId', 'from_institution_id'],
  toInstitution: ['toInstitutionId', 'to_institution_id'],
  alliance: ['allianceId', ALLIANCE_OF],
};

/**
 * The period buckets of a window as SQL: a referral's bucket is the `unit` holding the local date of its request, so
 * the window's local days are walked once and each change of bucket becomes a boundary instant (`@p<n>`).
 */
function periodBuckets(
  period: Period,
  unit: PeriodUnit,
  timeZone: string,
): { sql: string; params: SqlParams } {
  const keys: { key: string; from: string }[] = [];
  for (let day = period.from; day < period.to; day = addDays(day, 1)) {
    const key = periodKey(day, unit);
    if (keys.at(-1)?.key !== key) keys.push({ key, from: day });
  }
  const params: Record<string, string | number> = {};
  const cases = keys.map(({ key }, i) => {
    params[`k${i}`] = key;
    const next = keys[i + 1];
    if (!next) return `ELSE @k${i}`;
    params[`p${i}`] = firstInstantOfLocalDay(next.from, timeZone);
    return `WHEN requested_at < @p${i} THEN @k${i}`;
  });
  return { sql: keys.length === 1 ? 'CAST(@k0 AS TEXT)' : `CASE ${cases.join(' ')} END`, params };
}

interface Grouping {
  /** Each group's name in a row's `group`, and the SQL of its value, as `g<i>`. */
  readonly columns: readonly { readonly name: string; readonly sql: string }[];
  readonly params: SqlParams;
}

function grouping(
  period: Period,
  groupBy: readonly ReferralGroup[],
  unit: PeriodUnit,
  timeZone: string,
): Grouping {
  let params: SqlParams = {};
  const columns = groupBy.map((g) => {
    if (g !== 'period') return { name: GROUP_COLUMNS[g][0], sql: GROUP_COLUMNS[g][1] };
    const buckets = periodBuckets(period, unit, timeZone);
    params = buckets.params;
    return { name: 'period', sql: buckets.sql };
  });
  return { columns, params };
}

const selected = (g: Grouping) => g.columns.map((c, i) => `${c.sql} AS g${i}, `).join('');
const groupedBy = (g: Grouping) =>
  g.columns.length === 0 ? '' : `GROUP BY ${g.columns.map((_, i) => i + 1).join(', ')}`;
const partition = (g: Grouping) =>
  g.columns.length === 0 ? '' : `PARTITION BY ${g.columns.map((c) => c.sql).join(', ')}`;

/** A row's group as the API names it, from its `g<i>` columns. */
function groupOf(g: Grouping, row: Readonly<Record<string, unknown>>): Record<string, string | null> {
  const group: Record<string, string | null> = {};
  g.columns.forEach((c, i) => {
    // Every group value is text in the table (or made text by the SQL), or NULL.
    const value = row[`g${i}`] as string | null | undefined;
    group[c.name] = value ?? null;
  });
  return group;
}

const count = (value: unknown): number => Number(value ?? 0);

/*
 * The counts of each group, made by the database: one row per group comes back, and two per group for the decision
 * times at the ranks of the median and the 90th percentile (ReferralCounts), so the API's memory does not grow with
 * the period. The accepted rule is referralFigures' (referral-volume.query.spec.ts holds the two together).
 */
async function countedGroups(
  reader: SqlReader,
  period: Period,
  filter: ReferralFilter,
  g: Grouping,
  timeZone: string,
): Promise<Map<string, { group: Record<string, string | null>; counts: ReferralCounts }>> {
  const params = { ...scope(period, filter, timeZone), ...g.params };
  const outcomeSums = REFERRAL_OUTCOMES.map(
    (o) => `CAST(SUM(CASE WHEN outcome = '${o}' THEN 1 ELSE 0 END) AS BIGINT) AS outcome_${o}`,
  ).join(', ');
  const [totals, ranks] = await Promise.all([
    reader.all(
      `SELECT ${selected(g)}COUNT(*) AS total, ${outcomeSums},
         CAST(SUM(CASE WHEN outcome IN ('accepted', 'completed') OR (outcome = 'cancelled' AND decided_at IS NOT NULL)
           THEN 1 ELSE 0 END) AS BIGINT) AS accepted
       FROM referrals WHERE ${IN_SCOPE} ${groupedBy(g)}`,
      params,
    ),
    reader.all(
      `SELECT * FROM (
         SELECT ${selected(g)}decided_at - requested_at AS ms,
           ROW_NUMBER() OVER (${partition(g)} ORDER BY decided_at - requested_at) AS rn,
           COUNT(*) OVER (${partition(g)}) AS n
         FROM referrals WHERE ${IN_SCOPE} AND decided_at IS NOT NULL) decided
       WHERE rn = (n + 1) / 2 OR rn = (9 * n + 9) / 10`,
      params,
    ),
  ]);
  const groups = new Map<string, { group: Record<string, string | null>; counts: ReferralCounts }>();
  for (const raw of totals as Record<string, unknown>[]) {
    if (count(raw.total) === 0) continue; // no GROUP BY: one row even over no referral
    const group = groupOf(g, raw);
    const outcomes = Object.fromEntries(
      REFERRAL_OUTCOMES.map((o) => [o, count(raw[`outcome_${o}`])]),
    ) as Record<ReferralOutcome, number>;
    groups.set(JSON.stringify(group), {
      group,
      counts: {
        total: count(raw.total),
        outcomes,
        accepted: count(raw.accepted),
        decisionMs: { median: null, p90: null },
      },
    });
  }
  for (const raw of ranks as Record<string, unknown>[]) {
    const entry = groups.get(JSON.stringify(groupOf(g, raw)));
    if (!entry) continue;
    const n = count(raw.n);
    const rn = count(raw.rn);
    const ms = count(raw.ms);
    const { median, p90 } = entry.counts.decisionMs;
    entry.counts = {
      ...entry.counts,
      decisionMs: {
        median: rn === Math.floor((n + 1) / 2) ? ms : median,
        p90: rn === Math.floor((9 * n + 9) / 10) ? ms : p90,
      },
    };
  }
  return groups;
}

/** Person-times of each group in a window, counted by the database. */
async function totalsOf(
  reader: SqlReader,
  period: Period,
  filter: ReferralFilter,
  g: Grouping,
  timeZone: string,
): Promise<Map<string, { group: Record<string, string | null>; total: number }>> {
  const rows = (await reader.all(
    `SELECT ${selected(g)}COUNT(*) AS total FROM referrals WHERE ${IN_SCOPE} ${groupedBy(g)}`,
    { ...scope(period, filter, timeZone), ...g.params },
  )) as Record<string, unknown>[];
  const totals = new Map<string, { group: Record<string, string | null>; total: number }>();
  for (const raw of rows) {
    if (count(raw.total) === 0) continue;
    const group = groupOf(g, raw);
    totals.set(JSON.stringify(group), { group, total: count(raw.total) });
  }
  return totals;
}

const NO_REFERRALS: ReferralCounts = {
  total: 0,
  outcomes: Object.fromEntries(REFERRAL_OUTCOMES.map((o) => [o, 0])) as Record<ReferralOutcome, number>,
  accepted: 0,
  decisionMs: { median: null, p90: null },
};

/**
 * Person-times (人次) by the requested groups, with outcomes, acceptance rate, time to decision and growth over the
 * previous window (docs/analytics.md, "Referral growth"). `period` groups by `unit` inside the window.
 */
export async function queryReferralVolume(
  reader: SqlReader,
  period: Period,
  filter: ReferralFilter,
  groupBy: readonly ReferralGroup[],
  options: { timeZone: string; unit: PeriodUnit },
): Promise<ReferralVolumeRow[]> {
  const g = grouping(period, groupBy, options.unit, options.timeZone);
  const [current, previous] = await inOneSnapshot(reader, (snapshot) =>
    Promise.all([
      countedGroups(snapshot, period, filter, g, options.timeZone),
      // The previous window has no buckets of its own: with `period`, each bucket is compared with the one before it.
      groupBy.includes('period')
        ? new Map<string, { group: Record<string, string | null>; total: number }>()
        : totalsOf(snapshot, previousWindow(period), filter, g, options.timeZone),
    ]),
  );
  // A group seen only in the previous window is a row too: its figures are those of no referral.
  const keys = [...new Set([...current.keys(), ...previous.keys()])];
  const rows = keys.map((key) => {
    const counts = current.get(key)?.counts ?? NO_REFERRALS;
    const previousTotal = previous.get(key)?.total ?? 0;
    return {
      group: current.get(key)?.group ?? previous.get(key)!.group,
      figures: referralFiguresOf(counts),
      previousTotal,
      growth: growth(counts.total, previousTotal),
    };
  });
  // With period buckets, growth compares each bucket with the one before it.
  if (groupBy.includes('period')) {
    const byKey = new Map(
      rows.map((r) => [JSON.stringify({ ...r.group, period: null }) + r.group.period, r]),
    );
    return rows
      .map((r) => {
        const prevKey = previousBucket(r.group.period ?? '', options.unit);
        const prev = byKey.get(JSON.stringify({ ...r.group, period: null }) + prevKey);
        const previousTotal = prev?.figures.total ?? 0;
        return { ...r, previousTotal, growth: prev ? growth(r.figures.total, previousTotal) : null };
      })
      .sort(compareGroups);
  }
  return rows.sort(compareGroups);
}

function previousBucket(key: string, unit: PeriodUnit): string {
  // Reuse calendar arithmetic through the period window helper.
  return previousWindow({ from: '', to: '', key, unit }).key ?? '';
}

const compareGroups = (a: ReferralVolumeRow, b: ReferralVolumeRow) =>
  JSON.stringify(a.group).localeCompare(JSON.stringify(b.group));

export interface DownwardTransferKpi {
  readonly institutionId: string;
  readonly year: string;
  /** Downward transfers that happened: accepted, in progress or completed (下转患者人次数). */
  readonly outpatient: number;
  readonly inpatient: number;
  readonly total: number;
  readonly requested: number;
  readonly previousYearTotal: number;
  readonly growth: number | null;
  /** Policy wants downward transfers to grow at least 10% a year (docs/domain.md). */
  readonly meetsGrowthTarget: boolean | null;
}

const HAPPENED = new Set(['accepted', 'completed']);

/** The tertiary-hospital KPI: downward transfers per year to secondary or primary institutions. */
export async function queryDownwardTransferKpi(
  reader: SqlReader,
  year: string,
  institutionId: string | undefined,
  timeZone: string,
): Promise<DownwardTransferKpi[]> {
  const window = (y: string): Period => ({
    from: `${y}-01-01`,
    to: `${Number(y) + 1}-01-01`,
    key: y,
    unit: 'year',
  });
  const sent = (r: ReferralRow) => institutionId === undefined || r.fromInstitutionId === institutionId;
  const [thisYear, lastYear] = await inOneSnapshot(reader, (snapshot) =>
    Promise.all([
      load(snapshot, window(year), { direction: 'down', institutionId }, timeZone),
      load(snapshot, window(String(Number(year) - 1)), { direction: 'down', institutionId }, timeZone),
    ]),
  );
  const rows = thisYear.filter(sent);
  const before = lastYear.filter(sent);
  const institutions = [
    ...new Set([...rows, ...before].filter((r) => r.fromTier === 'tertiary').map((r) => r.fromInstitutionId)),
  ].sort();
  return institutions.map((id) => {
    const mine = rows.filter((r) => r.fromInstitutionId === id);
    const happened = mine.filter((r) => HAPPENED.has(r.outcome));
    const previousYearTotal = before.filter(
      (r) => r.fromInstitutionId === id && HAPPENED.has(r.outcome),
    ).length;
    const g = growth(happened.length, previousYearTotal);
    return {
      institutionId: id,
      year,
      outpatient: happened.filter((r) => r.setting === 'outpatient').length,
      inpatient: happened.filter((r) => r.setting === 'inpatient').length,
      total: happened.length,
      requested: mine.length,
      previousYearTotal,
      growth: g,
      meetsGrowthTarget: g === null ? null : g >= 10,
    };
  });
}
