import { localDate, periodKey, startOfLocalDay, type PeriodUnit } from '../model/care-calendar';
import { growth, type Period, previousWindow } from '../model/period.model';
import { type ReferralFigures, referralFigures, type ReferralRow } from '../model/referral-volume.model';
import type { SqlReader } from '../runtime/sql-reader';
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

async function load(
  reader: SqlReader,
  period: Period,
  filter: ReferralFilter,
  timeZone: string,
): Promise<ReferralRow[]> {
  // CAST: PostgreSQL types a parameter at its first use, and `@name IS NULL` alone says nothing of the type.
  const rows = await reader.all(
    `SELECT * FROM referrals WHERE requested_at >= @start AND requested_at < @end
         AND (CAST(@direction AS TEXT) IS NULL OR direction = @direction)
         AND (CAST(@setting AS TEXT) IS NULL OR setting = @setting)
         AND (CAST(@institutionId AS TEXT) IS NULL OR from_institution_id = @institutionId OR to_institution_id = @institutionId)
         AND (CAST(@allianceId AS TEXT) IS NULL OR from_alliance_id = @allianceId OR to_alliance_id = @allianceId)`,
    {
      start: startOfLocalDay(period.from, timeZone),
      end: startOfLocalDay(period.to, timeZone),
      direction: filter.direction ?? null,
      setting: filter.setting ?? null,
      institutionId: filter.institutionId ?? null,
      allianceId: filter.allianceId ?? null,
    },
  );
  return rows.map((row) => referralsTable.read(row));
}

/** Which alliance a referral counts for: the shared one, or `cross-alliance` when its two sides differ. */
const allianceOf = (r: ReferralRow) =>
  r.fromAllianceId !== null && r.fromAllianceId === r.toAllianceId ? r.fromAllianceId : 'cross-alliance';

function groupKey(
  r: ReferralRow,
  groupBy: readonly ReferralGroup[],
  unit: PeriodUnit,
  timeZone: string,
): Record<string, string | null> {
  const key: Record<string, string | null> = {};
  for (const g of groupBy) {
    switch (g) {
      case 'direction':
        key.direction = r.direction;
        break;
      case 'setting':
        key.setting = r.setting;
        break;
      case 'priority':
        key.priority = r.priority;
        break;
      case 'fromInstitution':
        key.fromInstitutionId = r.fromInstitutionId;
        break;
      case 'toInstitution':
        key.toInstitutionId = r.toInstitutionId;
        break;
      case 'alliance':
        key.allianceId = allianceOf(r);
        break;
      case 'period':
        key.period = periodKey(localDate(r.requestedAt, timeZone), unit);
        break;
    }
  }
  return key;
}

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
  const [current, previous] = await Promise.all([
    load(reader, period, filter, options.timeZone),
    groupBy.includes('period') ? [] : load(reader, previousWindow(period), filter, options.timeZone),
  ]);
  const buckets = new Map<
    string,
    { group: Record<string, string | null>; rows: ReferralRow[]; previous: number }
  >();
  const bucket = (r: ReferralRow) => {
    const group = groupKey(r, groupBy, options.unit, options.timeZone);
    const key = JSON.stringify(group);
    let b = buckets.get(key);
    if (!b) {
      b = { group, rows: [], previous: 0 };
      buckets.set(key, b);
    }
    return b;
  };
  for (const r of current) bucket(r).rows.push(r);
  for (const r of previous) bucket(r).previous++;
  const rows = [...buckets.values()].map((b) => ({
    group: b.group,
    figures: referralFigures(b.rows),
    previousTotal: b.previous,
    growth: growth(b.rows.length, b.previous),
  }));
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
  const [thisYear, lastYear] = await Promise.all([
    load(reader, window(year), { direction: 'down', institutionId }, timeZone),
    load(reader, window(String(Number(year) - 1)), { direction: 'down', institutionId }, timeZone),
  ]);
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
