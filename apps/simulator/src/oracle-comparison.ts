import Database from 'better-sqlite3';
import {
  parsePeriod,
  queryFollowUps,
  queryTransferProposals,
  type TransferProposalFigures,
  referralsTable,
  type FollowUpGroup,
  queryLocalTreatmentByAlliance,
  queryDownwardTransferKpi,
  queryLocalTreatmentByRegion,
  queryCoverage,
  queryReferralVolume,
  querySlotUse,
  type CoverageGroup,
  queryWardOccupancy,
  type Ratio,
  type ReferralFigures,
  type ReferralGroup,
  type ReadModelFiles,
  type ReferralVolumeRow,
  type SqlReader,
  sqliteReader,
} from '@carepath/projections';
import type { AppConfig } from '@carepath/runtime';
import type {
  Census,
  Direction,
  GroundTruth,
  MonthlyReferralCell,
  ReferralCell,
  RegionRates,
  WardMonth,
} from './ground-truth';
import type { ExpiryTruth, FollowUpCell, FollowUpTruth, ProposalTruth } from './care-process.truth';
import { nextMonth } from './simulation.plan';
import { iso } from './simulation.script';
import { type CoverageFigures, coverageDay, type FamilyDoctorTruth } from './family-doctor.truth';

/*
 * The other side of the oracle: the same figures as the ground truth, read through the projections' own query
 * functions (what the analytics routes serve), and the differences between the two, figure by figure.
 */

/**
 * The census the analytics routes of an API with this configuration report (CENSUS_TIME_ZONE and HELD_BED_RULE):
 * the comparison reads the figures with it, so a truth computed for another census differs from them.
 */
export const configuredCensus = (config: AppConfig): Census => ({
  timeZone: config.censusTimeZone,
  heldBedRule: config.heldBedRule,
});

/** The read models whose figures the ground truth holds. */
export const ORACLE_READ_MODELS = [
  'referral-volume',
  'ward-occupancy',
  'local-treatment',
  'family-doctor',
  'slot-pool',
] as const;
export type ReadModelName = (typeof ORACLE_READ_MODELS)[number];

/** What a query of a read model reads: its generation in service. */
export type ReadModels = (name: ReadModelName) => SqlReader;

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
export async function observe(
  read: ReadModels,
  months: readonly string[],
  census: Census,
): Promise<GroundTruth> {
  const window = parsePeriod({ from: `${months[0]}-01`, to: `${nextMonth(months[months.length - 1]!)}-01` });
  const volume = (...groupBy: ReferralGroup[]) =>
    queryReferralVolume(read('referral-volume'), window, {}, ['direction', ...groupBy], {
      timeZone: census.timeZone,
      unit: 'month',
    });
  const byDirection: Partial<Record<Direction, ReferralCell>> = {};
  for (const row of await volume()) byDirection[row.group.direction as Direction] = cell(row.figures);
  const byMonth: Monthly = {};
  for (const row of await volume('period')) {
    (byMonth[row.group.period!] ??= {})[row.group.direction as Direction] = monthlyCell(row);
  }
  const byGroup = async (group: ReferralGroup, field: string) => {
    const groups: Record<string, Monthly> = {};
    for (const row of await volume(group, 'period')) {
      const months = (groups[row.group[field] ?? 'null'] ??= {});
      (months[row.group.period!] ??= {})[row.group.direction as Direction] = monthlyCell(row);
    }
    return groups;
  };
  const years = [...new Set(months.map((m) => m.slice(0, 4)))];
  const downwardKpi: Record<string, GroundTruth['referrals']['downwardKpi'][string]> = {};
  for (const year of years) {
    const kpis = await queryDownwardTransferKpi(read('referral-volume'), year, undefined, census.timeZone);
    downwardKpi[year] = Object.fromEntries(
      kpis.map(({ institutionId, year: _, ...kpi }) => [institutionId, kpi]),
    );
  }
  const wards: Record<string, Record<string, WardMonth>> = {};
  const regions: Record<string, Record<string, RegionRates>> = {};
  const alliances: Record<string, Record<string, Ratio>> = {};
  for (const month of months) {
    const period = parsePeriod({ period: month });
    for (const row of await queryWardOccupancy(read('ward-occupancy'), period, {}, 'ward', census)) {
      const f = row.figures;
      (wards[`${row.institutionId}/${row.wardId}`] ??= {})[month] = {
        occupiedBedDays: f.occupiedBedDays,
        openBedDays: f.openBedDays,
        discharges: f.discharges,
        dischargedBedDays: f.dischargedBedDays,
      };
    }
    regions[month] = Object.fromEntries(
      (await queryLocalTreatmentByRegion(read('local-treatment'), period, undefined, census.timeZone)).map(
        (row) => [
          row.regionCode,
          {
            communityShare: { ...row.communityShare },
            residentsCommunityShare: { ...row.residentsCommunityShare },
            inRegionRate: { ...row.inRegionRate },
          },
        ],
      ),
    );
    alliances[month] = Object.fromEntries(
      (await queryLocalTreatmentByAlliance(read('local-treatment'), period, undefined, census.timeZone)).map(
        (row) => [row.allianceId, { ...row.communityShare }],
      ),
    );
  }
  return {
    months,
    census: { timeZone: census.timeZone, heldBedRule: census.heldBedRule },
    referrals: {
      byDirection,
      byMonth,
      byFromInstitution: await byGroup('fromInstitution', 'fromInstitutionId'),
      byToInstitution: await byGroup('toInstitution', 'toInstitutionId'),
      byAlliance: await byGroup('alliance', 'allianceId'),
      bySetting: await byGroup('setting', 'setting'),
      byPriority: await byGroup('priority', 'priority'),
      downwardKpi,
    },
    wards,
    localTreatment: { regions, alliances },
    familyDoctors: await observeFamilyDoctors(read, window, coverageDay(months)),
    expiries: await observeExpiries(read('referral-volume')),
    followUps: await observeFollowUps(read('referral-volume'), window, census.timeZone),
    proposals: await observeProposals(read('referral-volume'), window, census.timeZone),
  };
}

/**
 * The expired referrals of the referral-volume read model by direction and the care time they ended at (its
 * referrals table: no analytics route lists single referrals), to meet the truth's expiries at their deadlines.
 */
async function observeExpiries(reader: SqlReader): Promise<ExpiryTruth> {
  const expiries: Partial<Record<'up' | 'down', Record<string, number>>> = {};
  const rows = await reader.all(`SELECT * FROM referrals WHERE outcome = 'expired'`);
  for (const row of rows.map((r) => referralsTable.read(r))) {
    const at = row.closedAt === null ? 'never' : iso(row.closedAt);
    const times = (expiries[row.direction] ??= {});
    times[at] = (times[at] ?? 0) + 1;
  }
  return expiries;
}

/** Follow-up completion as GET /analytics/referrals/follow-ups serves it, now (every due date of a plan is past). */
async function observeFollowUps(
  reader: SqlReader,
  window: ReturnType<typeof parsePeriod>,
  timeZone: string,
): Promise<FollowUpTruth> {
  const at = Date.now();
  const query = (...groupBy: FollowUpGroup[]) =>
    queryFollowUps(reader, window, {}, groupBy, { timeZone, unit: 'month', at });
  const figures = (f: FollowUpCell): FollowUpCell => ({
    owed: f.owed,
    doneInTime: f.doneInTime,
    doneLate: f.doneLate,
    doneRecorded: f.doneRecorded,
    overdue: f.overdue,
    notYetDue: f.notYetDue,
    completionRate: f.completionRate,
  });
  const byInstitution: Record<string, Record<string, FollowUpCell>> = {};
  for (const { group, figures: f } of await query('institution', 'period'))
    (byInstitution[group.owedByInstitutionId ?? 'null'] ??= {})[group.period ?? 'null'] = figures(f);
  return {
    byInstitution,
    byBasis: Object.fromEntries(
      (await query('basis')).map(({ group, figures: f }): [string, FollowUpCell] => [
        group.basis ?? 'null',
        figures(f),
      ]),
    ),
  };
}

/** Transfer proposals as GET /analytics/referrals/transfer-proposals serves them, made in the months. */
async function observeProposals(
  reader: SqlReader,
  window: ReturnType<typeof parsePeriod>,
  timeZone: string,
): Promise<ProposalTruth> {
  const query = (...groupBy: ('fromInstitution' | 'toInstitution' | 'period')[]) =>
    queryTransferProposals(reader, window, {}, groupBy, { timeZone, unit: 'month' });
  const figures = (f: TransferProposalFigures): TransferProposalFigures => ({
    ...f,
    declinedByReason: { ...f.declinedByReason },
  });
  const byFromInstitution: Record<string, Record<string, TransferProposalFigures>> = {};
  for (const { group, figures: f } of await query('fromInstitution', 'period'))
    (byFromInstitution[group.fromInstitutionId ?? 'null'] ??= {})[group.period ?? 'null'] = figures(f);
  return {
    byFromInstitution,
    byToInstitution: Object.fromEntries(
      (await query('toInstitution')).map(({ group, figures: f }): [string, TransferProposalFigures] => [
        group.toInstitutionId ?? 'null',
        figures(f),
      ]),
    ),
  };
}

/** Coverage on `on` by region, centre and alliance, and slot use by hospital over `window`. */
async function observeFamilyDoctors(
  read: ReadModels,
  window: ReturnType<typeof parsePeriod>,
  on: string,
): Promise<FamilyDoctorTruth> {
  const coverage = async (groupBy: CoverageGroup): Promise<Record<string, CoverageFigures>> =>
    Object.fromEntries(
      (await queryCoverage(read('family-doctor'), on, groupBy)).map(({ key, on: _, ...figures }) => [
        key,
        figures,
      ]),
    );
  return {
    coverage: {
      on,
      byRegion: await coverage('region'),
      byCentre: await coverage('centre'),
      byAlliance: await coverage('alliance'),
    },
    slotUse: Object.fromEntries(
      (await querySlotUse(read('slot-pool'), window)).map(({ hospitalId, ...figures }) => [
        hospitalId,
        figures,
      ]),
    ),
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

/**
 * The differences between the ground truth and what the read models report, for the census they are read with
 * (a truth computed under another held-bed rule or time zone differs at `census`, and in figures).
 */
export async function compareWithTruth(
  read: ReadModels,
  truth: GroundTruth,
  census: Census,
): Promise<string[]> {
  return differences(truth, await observe(read, truth.months, census));
}

/**
 * The read models in `files` as the catalog serves them, each generation in service opened read-only (as an API
 * reads them when apps/projector runs the projections), for the differences with the truth. Throws when one has
 * not applied its streams up to `head`: its figures would be of an earlier log than the truth's.
 */
export async function compareServedWithTruth(
  files: ReadModelFiles,
  head: bigint,
  /** Each read model's last event on the streams it follows, at or below `head`. */
  lastOnStreams: (name: ReadModelName) => bigint,
  truth: GroundTruth,
  census: Census,
): Promise<string[]> {
  const open = new Map<string, Database.Database>();
  try {
    for (const name of ORACLE_READ_MODELS) {
      const current = files.current(name);
      if (!current) throw new Error(`projection ${name} was never built`);
      const db = new Database(files.fileOf(name, current.generation), {
        readonly: true,
        fileMustExist: true,
      });
      open.set(name, db);
      const { position } = db.prepare('SELECT position FROM checkpoint').safeIntegers(true).get() as {
        position: bigint;
      };
      // A projection follows its own streams only: its checkpoint is anywhere from their last event to the head.
      if (position < lastOnStreams(name) || position > head)
        throw new Error(
          `projection ${name} applied the log up to ${position}, not its streams' last event ${lastOnStreams(name)} (head ${head})`,
        );
    }
    return await compareWithTruth((name) => sqliteReader(open.get(name)!), truth, census);
  } finally {
    for (const db of open.values()) db.close();
  }
}
