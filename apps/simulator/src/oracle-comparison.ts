import type { INestApplication } from '@nestjs/common';
import type { EventStore } from '@carepath/event-store';
import {
  parsePeriod,
  queryLocalTreatmentByAlliance,
  queryDownwardTransferKpi,
  queryLocalTreatmentByRegion,
  queryReferralVolume,
  queryWardOccupancy,
  type Ratio,
  type ReferralFigures,
  type ReferralGroup,
  type ReferralVolumeRow,
} from '@carepath/projections';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../../api/src/config/app-config.token';
import { ProjectionsService } from '../../api/src/projections/projections.service';
import { EVENT_STORE } from '../../api/src/store/tokens';
import type {
  Census,
  Direction,
  GroundTruth,
  MonthlyReferralCell,
  ReferralCell,
  RegionRates,
  WardMonth,
} from './ground-truth';
import { nextMonth } from './simulation.plan';

/*
 * The other side of the oracle: the same figures as the ground truth, read through the projections' own query
 * functions (what the analytics routes serve), and the differences between the two, figure by figure.
 */

/**
 * The census an app's analytics routes report (CENSUS_TIME_ZONE and HELD_BED_RULE of its configuration): the
 * comparison reads the figures with it, so a truth computed for another census differs from them.
 */
export function appCensus(app: INestApplication): Census {
  const config = app.get<AppConfig>(APP_CONFIG);
  return { timeZone: config.censusTimeZone, heldBedRule: config.heldBedRule };
}

const cell = (f: ReferralFigures): ReferralCell => ({
  total: f.total,
  outcomes: { ...f.outcomes },
  accepted: f.accepted,
  acceptanceRate: f.acceptanceRate,
  timeToDecisionHours: { ...f.timeToDecisionHours },
});

type Monthly = Record<string, Partial<Record<Direction, MonthlyReferralCell>>>;

const monthlyCell = (row: ReferralVolumeRow): MonthlyReferralCell => ({
  ...cell(row.figures),
  previousTotal: row.previousTotal,
  growth: row.growth,
});

/** What the projections report for `census`, in the ground truth's shape, over the plan's months. */
export function observe(
  projections: ProjectionsService,
  months: readonly string[],
  census: Census,
): GroundTruth {
  const window = parsePeriod({ from: `${months[0]}-01`, to: `${nextMonth(months[months.length - 1]!)}-01` });
  const volume = (...groupBy: ReferralGroup[]) =>
    queryReferralVolume(projections.reader('referral-volume'), window, {}, ['direction', ...groupBy], {
      timeZone: census.timeZone,
      unit: 'month',
    });
  const byDirection: Partial<Record<Direction, ReferralCell>> = {};
  for (const row of volume()) byDirection[row.group.direction as Direction] = cell(row.figures);
  const byMonth: Monthly = {};
  for (const row of volume('period')) {
    (byMonth[row.group.period!] ??= {})[row.group.direction as Direction] = monthlyCell(row);
  }
  const byGroup = (group: ReferralGroup, field: string) => {
    const groups: Record<string, Monthly> = {};
    for (const row of volume(group, 'period')) {
      const months = (groups[row.group[field] ?? 'null'] ??= {});
      (months[row.group.period!] ??= {})[row.group.direction as Direction] = monthlyCell(row);
    }
    return groups;
  };
  const years = [...new Set(months.map((m) => m.slice(0, 4)))];
  const downwardKpi = Object.fromEntries(
    years.map((year) => [
      year,
      Object.fromEntries(
        queryDownwardTransferKpi(projections.reader('referral-volume'), year, undefined, census.timeZone).map(
          ({ institutionId, year: _, ...kpi }) => [institutionId, kpi],
        ),
      ),
    ]),
  );
  const wards: Record<string, Record<string, WardMonth>> = {};
  const regions: Record<string, Record<string, RegionRates>> = {};
  const alliances: Record<string, Record<string, Ratio>> = {};
  for (const month of months) {
    const period = parsePeriod({ period: month });
    for (const row of queryWardOccupancy(projections.reader('ward-occupancy'), period, {}, 'ward', census)) {
      const f = row.figures;
      (wards[`${row.institutionId}/${row.wardId}`] ??= {})[month] = {
        occupiedBedDays: f.occupiedBedDays,
        openBedDays: f.openBedDays,
        discharges: f.discharges,
        dischargedBedDays: f.dischargedBedDays,
      };
    }
    regions[month] = Object.fromEntries(
      queryLocalTreatmentByRegion(
        projections.reader('local-treatment'),
        period,
        undefined,
        census.timeZone,
      ).map((row) => [
        row.regionCode,
        {
          communityShare: { ...row.communityShare },
          residentsCommunityShare: { ...row.residentsCommunityShare },
          inRegionRate: { ...row.inRegionRate },
        },
      ]),
    );
    alliances[month] = Object.fromEntries(
      queryLocalTreatmentByAlliance(
        projections.reader('local-treatment'),
        period,
        undefined,
        census.timeZone,
      ).map((row) => [row.allianceId, { ...row.communityShare }]),
    );
  }
  return {
    months,
    census: { timeZone: census.timeZone, heldBedRule: census.heldBedRule },
    referrals: {
      byDirection,
      byMonth,
      byFromInstitution: byGroup('fromInstitution', 'fromInstitutionId'),
      byToInstitution: byGroup('toInstitution', 'toInstitutionId'),
      byAlliance: byGroup('alliance', 'allianceId'),
      bySetting: byGroup('setting', 'setting'),
      byPriority: byGroup('priority', 'priority'),
      downwardKpi,
    },
    wards,
    localTreatment: { regions, alliances },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Every figure where the two differ, as `path: truth X, projections Y` (nothing when they are equal). */
export function differences(truth: unknown, observed: unknown, path = ''): string[] {
  // A group one side lacks is listed figure by figure, as missing on that side.
  if (isRecord(truth) && observed === undefined) return differences(truth, {}, path);
  if (truth === undefined && isRecord(observed)) return differences({}, observed, path);
  if (isRecord(truth) && isRecord(observed)) {
    const keys = [...new Set([...Object.keys(truth), ...Object.keys(observed)])].sort();
    return keys.flatMap((key) => differences(truth[key], observed[key], path ? `${path}.${key}` : key));
  }
  if (Object.is(truth, observed)) return [];
  const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
  return [`${path}: truth ${show(truth)}, projections ${show(observed)}`];
}

/** How many figures the truth holds (its numbers and nulls), for the summary. */
export function figureCount(truth: unknown): number {
  if (Array.isArray(truth)) return 0;
  if (isRecord(truth)) return Object.values(truth).reduce<number>((n, v) => n + figureCount(v), 0);
  return typeof truth === 'number' || truth === null ? 1 : 0;
}

/** Waits until every projection has applied the whole log. */
export async function projectionsCaughtUp(app: INestApplication): Promise<void> {
  const head = await app.get<EventStore>(EVENT_STORE).headPosition();
  await app.get(ProjectionsService).waitFor(head);
}

/** Rebuilds every projection from the log into a fresh generation and waits until each is in service. */
export async function rebuildProjections(app: INestApplication): Promise<void> {
  const projections = app.get(ProjectionsService);
  // Side by side, as the rebuild commands do: the runners share each page read and each page's journey fold.
  await Promise.all(projections.names().map((name) => projections.runner(name).rebuild()));
}

/**
 * The differences between the ground truth and what the app's projections report now, for the census the app is
 * configured with (a truth computed under another held-bed rule or time zone differs at `census`, and in figures).
 */
export function compareWithTruth(app: INestApplication, truth: GroundTruth): string[] {
  return differences(truth, observe(app.get(ProjectionsService), truth.months, appCensus(app)));
}
