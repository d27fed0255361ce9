import {
  type DownwardTransferKpi,
  type Ratio,
  type ReferralFigures,
  type ReferralOutcome,
} from '@carepath/projections';
import {
  DAY,
  localDay,
  monthOfDay,
  OUTSIDE_HOSPITAL,
  type Plan,
  type PlannedInstitution,
  type PlannedReferral,
  type PlannedStay,
  UTC8,
} from './simulation.plan';
import { type FamilyDoctorTruth, familyDoctorTruth } from './family-doctor.truth';
import {
  expiryTruth,
  type ExpiryTruth,
  followUpTruth,
  type FollowUpTruth,
  leftToExpire,
  plannedFollowUps,
  plannedProposals,
  type ProposalTruth,
  proposalTruth,
} from './care-process.truth';

/*
 * What the simulator knows to be true, computed from its plan alone with its own arithmetic (CarePath's read-model
 * types only give the figures their shape): the oracle the projections must match exactly. It counts what happened
 * in care, so mistakes that were corrected count with their corrected values and entries made in error do not
 * count at all. The formulas and choices are docs/analytics.md's, the rules as CarePath states them: a referral
 * counts in the month it was requested, a redirect is its first request's outcome plus a new request, a referral's
 * outcome is where it stands at the end of the period (the plan holds no care after it) once CarePath's care
 * processes have acted on it (an undecided one expired at its deadline, care-process.truth.ts), a patient away from a
 * held bed is counted where they physically are (held-bed rule `physical`, the default) or, under `held-bed`, at
 * the held bed and nowhere else, a month's figures are in Beijing time.
 */

export type Direction = 'up' | 'down';

/**
 * Where a patient away from a held bed (sequential ward, 序贯病房) is counted at midnight: `physical` in the bed they
 * lie in, if any; `held-bed` at the held bed's ward, and not in the bed they lie in elsewhere. Either way a
 * patient is in at most one census a night (docs/analytics.md, "Held-bed rule").
 */
export const HELD_BED_RULES = ['physical', 'held-bed'] as const;
export type HeldBedRule = (typeof HELD_BED_RULES)[number];

/** The census the ward figures are for: Beijing midnights (the truth's arithmetic is UTC+8) and a held-bed rule. */
export interface Census {
  readonly timeZone: string;
  readonly heldBedRule: HeldBedRule;
}

/** The time zone of the truth's calendar (its arithmetic is UTC+8, Beijing time). */
const TRUTH_TIME_ZONE = 'Asia/Shanghai';

/**
 * The outcome buckets of referral requests, each request in exactly one, as it stands at the end of the period:
 * - pending: requested (received or not), not yet decided, cancelled or expired;
 * - accepted: accepted, and the care it asked for not over: the patient not yet seen or admitted, or still in
 *   hospital (in progress);
 * - rejected, and redirected (a rejection for capacity naming another institution, which is a new request);
 * - cancelled (before or after acceptance) and expired (no decision by the deadline);
 * - completed: accepted and the care over (seen, or admitted and discharged).
 */
export const OUTCOMES = [
  'pending',
  'accepted',
  'rejected',
  'redirected',
  'cancelled',
  'expired',
  'completed',
] as const satisfies readonly ReferralOutcome[];

/** A group of referrals' figures, as the referral-volume read model reports them (docs/analytics.md, "Referral volume"). */
export type ReferralCell = ReferralFigures;

export interface MonthlyReferralCell extends ReferralCell {
  /** The same direction's total in the month before (0 when none) and the change over it, in percent. */
  readonly previousTotal: number;
  readonly growth: number | null;
}

export type ByDirection<Cell> = Readonly<Partial<Record<Direction, Cell>>>;

export interface RegionRates {
  /** Visits at the region's community centres ÷ all visits at the region's institutions. */
  readonly communityShare: Ratio;
  /** Outpatient visits of the region's residents at community centres ÷ all their outpatient visits. */
  readonly residentsCommunityShare: Ratio;
  /** Visits of the region's residents inside the region ÷ all their visits. */
  readonly inRegionRate: Ratio;
}

export interface WardMonth {
  /** Midnight census: patients in a bed at 24:00, plus 1 for a stay begun and ended on one day. */
  readonly occupiedBedDays: number;
  /** Open beds at each midnight (a bed-count change counts from the first midnight at or after it). */
  readonly openBedDays: number;
  readonly discharges: number;
  /** The bed-days of the patients discharged in the month (each at least 1). */
  readonly dischargedBedDays: number;
}

/** Group ("SIM-CHC-1", "cross-alliance", "urgent", ...) → month → direction. */
export type MonthlyByGroup = Readonly<
  Record<string, Readonly<Record<string, ByDirection<MonthlyReferralCell>>>>
>;

/** Downward transfers that happened (accepted or completed), per year and tertiary institution (下转患者人次数). */
export type DownwardKpi = Omit<DownwardTransferKpi, 'institutionId' | 'year'>;

export interface GroundTruth {
  readonly months: readonly string[];
  /** The census the ward figures are computed for. */
  readonly census: Census;
  readonly referrals: {
    /** Over all the months. */
    readonly byDirection: ByDirection<ReferralCell>;
    /** Month "YYYY-MM" → direction. */
    readonly byMonth: Readonly<Record<string, ByDirection<MonthlyReferralCell>>>;
    readonly byFromInstitution: MonthlyByGroup;
    readonly byToInstitution: MonthlyByGroup;
    /** The alliance both sides share, or `cross-alliance`. */
    readonly byAlliance: MonthlyByGroup;
    readonly bySetting: MonthlyByGroup;
    readonly byPriority: MonthlyByGroup;
    /** Year → tertiary institution. */
    readonly downwardKpi: Readonly<Record<string, Readonly<Record<string, DownwardKpi>>>>;
  };
  /** "institution/ward" → month → figures, for every ward and every month. */
  readonly wards: Readonly<Record<string, Readonly<Record<string, WardMonth>>>>;
  readonly localTreatment: {
    /** Month → region code → rates; a region appears in a month when one of its institutions or residents does. */
    readonly regions: Readonly<Record<string, Readonly<Record<string, RegionRates>>>>;
    /** Month → alliance → visits at its community centres ÷ all visits at its institutions. */
    readonly alliances: Readonly<Record<string, Readonly<Record<string, Ratio>>>>;
  };
  /** Family-doctor coverage and slot use (issue 19); empty for a preset without family doctors. */
  readonly familyDoctors: FamilyDoctorTruth;
  /** The referrals the deadline process expired, at their deadlines (issue 20). */
  readonly expiries: ExpiryTruth;
  /** The follow-ups owed at discharges home or to rehab, and how they were done (issue 20). */
  readonly followUps: FollowUpTruth;
  /** The downward transfer proposals the transfer process made, all left open (issue 20). */
  readonly proposals: ProposalTruth;
}

/** Percent with 2 decimals, rounding half up, from integers (no floating division before the rounding). */
export function percent(numerator: number, denominator: number): number | null {
  return denominator > 0 ? Math.round((numerator * 10_000) / denominator) / 100 : null;
}

export const ratio = (numerator: number, denominator: number): Ratio => ({
  numerator,
  denominator,
  rate: percent(numerator, denominator),
});

const monthOf = (ms: number) => monthOfDay(localDay(ms));

/** One referral request as it stands in care. */
interface Request {
  readonly direction: Direction;
  readonly from: PlannedInstitution;
  readonly to: PlannedInstitution;
  readonly priority: string;
  readonly setting: string;
  readonly month: string;
  readonly outcome: ReferralOutcome;
  readonly everAccepted: boolean;
  readonly decisionMinutes: number | null;
}

/** The bucket of a request (see OUTCOMES); the plan's referrals hold only what happened before the period's end. */
function outcomeOf(r: PlannedReferral): ReferralOutcome {
  if (r.end) return r.end.kind;
  if (!r.decision) return 'pending';
  return r.decision.kind;
}

/** Nearest rank on sorted values (the value at rank ⌈q·n⌉), so every reported value was observed. */
function nearestRank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

function cell(requests: readonly Request[]): ReferralCell {
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<ReferralOutcome, number>;
  for (const r of requests) outcomes[r.outcome]++;
  const accepted = requests.filter((r) => r.everAccepted).length;
  // Minutes → hours with 2 decimals: 100·m/60 is never exactly half-way for whole minutes.
  const hours = requests
    .flatMap((r) => (r.decisionMinutes === null ? [] : [r.decisionMinutes]))
    .sort((a, b) => a - b)
    .map((m) => Math.round((m * 100) / 60) / 100);
  return {
    total: requests.length,
    outcomes,
    accepted,
    acceptanceRate: percent(accepted, accepted + outcomes.rejected + outcomes.redirected),
    timeToDecisionHours: { median: nearestRank(hours, 0.5), p90: nearestRank(hours, 0.9) },
  };
}

function byDirection(requests: readonly Request[]): ByDirection<ReferralCell> {
  const up = requests.filter((r) => r.direction === 'up');
  const down = requests.filter((r) => r.direction === 'down');
  return { ...(up.length > 0 ? { up: cell(up) } : {}), ...(down.length > 0 ? { down: cell(down) } : {}) };
}

/** Month by month, each with the change over the month before (0 and no growth when it had none). */
function monthly(
  requests: readonly Request[],
  months: readonly string[],
): Record<string, ByDirection<MonthlyReferralCell>> {
  const result: Record<string, ByDirection<MonthlyReferralCell>> = {};
  months.forEach((month, k) => {
    const now = byDirection(requests.filter((r) => r.month === month));
    const before = k > 0 ? byDirection(requests.filter((r) => r.month === months[k - 1])) : {};
    const cells: Partial<Record<Direction, MonthlyReferralCell>> = {};
    for (const direction of ['up', 'down'] as const) {
      const current = now[direction];
      if (!current) continue;
      const previousTotal = before[direction]?.total ?? 0;
      cells[direction] = {
        ...current,
        previousTotal,
        growth: previousTotal > 0 ? percent(current.total - previousTotal, previousTotal) : null,
      };
    }
    if (Object.keys(cells).length > 0) result[month] = cells;
  });
  return result;
}

function groupedBy(
  requests: readonly Request[],
  months: readonly string[],
  key: (r: Request) => string,
): MonthlyByGroup {
  const groups = new Map<string, Request[]>();
  for (const r of requests) {
    const k = key(r);
    const group = groups.get(k);
    if (group) group.push(r);
    else groups.set(k, [r]);
  }
  return Object.fromEntries([...groups].map(([k, rs]) => [k, monthly(rs, months)]));
}

function downwardKpi(
  requests: readonly Request[],
  months: readonly string[],
): GroundTruth['referrals']['downwardKpi'] {
  const happened = (r: Request) => r.outcome === 'accepted' || r.outcome === 'completed';
  const years = [...new Set(months.map((m) => m.slice(0, 4)))];
  const inYear = (year: string) =>
    requests.filter((r) => r.direction === 'down' && r.from.tier === 'tertiary' && r.month.startsWith(year));
  return Object.fromEntries(
    years.map((year) => {
      const mine = inYear(year);
      const before = inYear(String(Number(year) - 1));
      const ids = [...new Set([...mine, ...before].map((r) => r.from.institutionId))];
      return [
        year,
        Object.fromEntries(
          ids.map((id) => {
            const requested = mine.filter((r) => r.from.institutionId === id);
            const done = requested.filter(happened);
            const previousYearTotal = before.filter((r) => r.from.institutionId === id && happened(r)).length;
            const growth =
              previousYearTotal > 0 ? percent(done.length - previousYearTotal, previousYearTotal) : null;
            return [
              id,
              {
                outpatient: done.filter((r) => r.setting === 'outpatient').length,
                inpatient: done.filter((r) => r.setting === 'inpatient').length,
                total: done.length,
                requested: requested.length,
                previousYearTotal,
                growth,
                meetsGrowthTarget: growth === null ? null : growth >= 10,
              },
            ];
          }),
        ),
      ];
    }),
  );
}

function referralTruth(
  plan: Plan,
  institution: (id: string) => PlannedInstitution,
): GroundTruth['referrals'] {
  const requests: Request[] = plan.journeys.flatMap((j) =>
    j.referrals.map((r): Request => ({
      direction: r.direction,
      from: institution(r.from),
      to: institution(r.to),
      priority: r.priority,
      setting: r.setting,
      month: monthOf(r.requestedAt),
      // Undecided once the period is recorded: expired by the deadline process, not pending.
      outcome: leftToExpire(j, r) ? 'expired' : outcomeOf(r),
      everAccepted: r.decision?.kind === 'accepted',
      decisionMinutes: r.decision ? (r.decision.at - r.requestedAt) / 60_000 : null,
    })),
  );
  const months = plan.months;
  return {
    byDirection: byDirection(requests),
    byMonth: monthly(requests, months),
    byFromInstitution: groupedBy(requests, months, (r) => r.from.institutionId),
    byToInstitution: groupedBy(requests, months, (r) => r.to.institutionId),
    byAlliance: groupedBy(requests, months, (r) =>
      r.from.allianceId === r.to.allianceId ? r.from.allianceId : 'cross-alliance',
    ),
    bySetting: groupedBy(requests, months, (r) => r.setting),
    byPriority: groupedBy(requests, months, (r) => r.priority),
    downwardKpi: downwardKpi(requests, months),
  };
}

/**
 * The census days whose midnight (24:00 Beijing) falls in (from, to]: the patient was in a bed then. A span is dated
 * as the census is kept, by local date: one that begins exactly at a midnight began on the next day, one that ends
 * exactly at a midnight was still there at the end of the day before.
 */
function censusDays(from: number, to: number): number[] {
  const days: number[] = [];
  // The midnight that ends day d is (d + 1)·DAY − 8 h.
  for (let d = localDay(from) - 1; (d + 1) * DAY - UTC8 <= to; d++) {
    if ((d + 1) * DAY - UTC8 > from) days.push(d);
  }
  return days;
}

/** Where a stay's patient was from `from` to `to`: in a bed of the ward, or away with a bed of the ward held. */
interface Presence {
  readonly wardId: string;
  readonly away: boolean;
  readonly from: number;
  readonly to: number;
}

/**
 * A stay, span by span, up to its discharge or (still there at the end of the period) to `horizon`. A move while
 * away moves the held bed: the patient is away from a bed of the ward they will return to.
 */
function presences(s: PlannedStay, horizon: number): Presence[] {
  type Change = { at: number; wardId?: string; away?: boolean };
  const changes: Change[] = [
    ...s.moves.map((m) => ({ at: m.at, wardId: m.wardId })),
    ...(s.leave ? [{ at: s.leave.from, away: true }] : []),
    ...(s.leave && s.leave.to !== null ? [{ at: s.leave.to, away: false }] : []),
  ].sort((a, b) => a.at - b.at);
  const spans: Presence[] = [];
  let current = { wardId: s.wardId, away: false, from: s.admittedAt };
  for (const change of changes) {
    spans.push({ ...current, to: change.at });
    current = {
      wardId: change.wardId ?? current.wardId,
      away: change.away ?? current.away,
      from: change.at,
    };
  }
  spans.push({ ...current, to: s.dischargedAt ?? horizon });
  return spans;
}

function wardTruth(plan: Plan, rule: HeldBedRule): GroundTruth['wards'] {
  const wards: Record<string, Record<string, WardMonth>> = {};
  const figures = (key: string, day: number) => {
    const month = monthOfDay(day);
    const months = wards[key]!;
    return (months[month] ??= { occupiedBedDays: 0, openBedDays: 0, discharges: 0, dischargedBedDays: 0 });
  };
  const add = (key: string, day: number, field: keyof WardMonth, n = 1) => {
    const f = figures(key, day) as Record<keyof WardMonth, number>;
    f[field] += n;
  };
  const firstDay = localDay(Date.parse(`${plan.months[0]}-01T00:00:00+08:00`));
  const lastMonth = plan.months[plan.months.length - 1]!;
  const endDay = localDay(Date.parse(`${nextMonthStart(lastMonth)}T00:00:00+08:00`));
  // The last census of the figures: 24:00 of the last day of the last month.
  const horizon = endDay * DAY - UTC8;
  for (const i of plan.institutions) {
    for (const w of i.wards) {
      const key = `${i.institutionId}/${w.wardId}`;
      wards[key] = {};
      for (let day = firstDay; day < endDay; day++) {
        const midnight = (day + 1) * DAY - UTC8;
        add(key, day, 'openBedDays', w.bedChange && w.bedChange.at <= midnight ? w.bedChange.beds : w.beds);
      }
    }
  }
  for (const j of plan.journeys) {
    const stays = j.stays.map((s) => ({ stay: s, spans: presences(s, horizon) }));
    // The nights the patient is away from a held bed: under `held-bed` they are counted there, and only there.
    const away = new Set<number>();
    for (const { spans } of stays) {
      for (const span of spans)
        if (span.away) for (const day of censusDays(span.from, span.to)) away.add(day);
    }
    for (const { stay: s, spans } of stays) {
      let nights = 0;
      for (const span of spans) {
        const counted = (day: number) => (rule === 'physical' ? !span.away : span.away || !away.has(day));
        for (const day of censusDays(span.from, span.to)) {
          if (!counted(day)) continue;
          add(`${s.institutionId}/${span.wardId}`, day, 'occupiedBedDays');
          nights++;
        }
      }
      // Still in hospital at the end of the period: not discharged, so no discharge figures.
      if (s.dischargedAt === null) continue;
      // A stay begun and ended on one day counts one bed-day, in its admitting ward (docs/analytics.md, "Same-day stays").
      if (localDay(s.admittedAt) === localDay(s.dischargedAt)) {
        add(`${s.institutionId}/${s.wardId}`, localDay(s.admittedAt), 'occupiedBedDays');
      }
      const dischargedFrom = `${s.institutionId}/${spans[spans.length - 1]!.wardId}`;
      add(dischargedFrom, localDay(s.dischargedAt), 'discharges');
      add(dischargedFrom, localDay(s.dischargedAt), 'dischargedBedDays', Math.max(1, nights));
    }
  }
  return wards;
}

function nextMonthStart(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

function localTreatmentTruth(
  plan: Plan,
  institution: (id: string) => PlannedInstitution,
): GroundTruth['localTreatment'] {
  const visits = plan.journeys.flatMap((j) =>
    j.visits.map((v) => ({
      residence: j.residenceRegion,
      at: institution(v.institutionId),
      outpatient: v.visitType === 'outpatient',
      month: monthOf(v.at),
    })),
  );
  const regions: Record<string, Record<string, RegionRates>> = {};
  const alliances: Record<string, Record<string, Ratio>> = {};
  for (const month of plan.months) {
    const mine = visits.filter((v) => v.month === month);
    const codes = [...new Set(mine.flatMap((v) => [v.residence, v.at.regionCode]))].sort();
    regions[month] = Object.fromEntries(
      codes.map((code) => {
        const located = mine.filter((v) => v.at.regionCode === code);
        const residents = mine.filter((v) => v.residence === code);
        const outpatient = residents.filter((v) => v.outpatient);
        return [
          code,
          {
            communityShare: ratio(located.filter((v) => v.at.tier === 'community').length, located.length),
            residentsCommunityShare: ratio(
              outpatient.filter((v) => v.at.tier === 'community').length,
              outpatient.length,
            ),
            inRegionRate: ratio(residents.filter((v) => v.at.regionCode === code).length, residents.length),
          },
        ];
      }),
    );
    const ids = [...new Set(mine.map((v) => v.at.allianceId))].sort();
    alliances[month] = Object.fromEntries(
      ids.map((id) => {
        const members = mine.filter((v) => v.at.allianceId === id);
        return [id, ratio(members.filter((v) => v.at.tier === 'community').length, members.length)];
      }),
    );
  }
  return { regions, alliances };
}

/** The truth of a plan, its ward figures under the held-bed rule given (the product's default: `physical`). */
export function groundTruth(plan: Plan, heldBedRule: HeldBedRule = 'physical'): GroundTruth {
  const byId = new Map(plan.institutions.map((i) => [i.institutionId, i]));
  const institution = (id: string) => byId.get(id)!;
  return {
    months: plan.months,
    census: { timeZone: TRUTH_TIME_ZONE, heldBedRule },
    referrals: referralTruth(plan, institution),
    wards: wardTruth(plan, heldBedRule),
    localTreatment: localTreatmentTruth(plan, institution),
    familyDoctors: familyDoctorTruth(plan, ratio),
    expiries: expiryTruth(plan),
    followUps: followUpTruth(plan),
    proposals: proposalTruth(plan),
  };
}

/** A few lines on what was generated and what the truth says, for the command lines. */
export function summary(plan: Plan, truth: GroundTruth): string[] {
  const shapes = new Map<string, number>();
  for (const j of plan.journeys) shapes.set(j.shape, (shapes.get(j.shape) ?? 0) + 1);
  const referrals = (direction: Direction) => {
    const c = truth.referrals.byDirection[direction];
    if (!c) return `${direction} 0`;
    const outcomes = OUTCOMES.filter((o) => c.outcomes[o] > 0).map((o) => `${o} ${c.outcomes[o]}`);
    return `${direction} ${c.total} (${outcomes.join(', ')})`;
  };
  const visits = plan.journeys.flatMap((j) => j.visits);
  const referralList = plan.journeys.flatMap((j) => j.referrals);
  const stays = plan.journeys.flatMap((j) => j.stays);
  let bedDays = 0;
  for (const months of Object.values(truth.wards)) {
    for (const f of Object.values(months)) bedDays += f.occupiedBedDays;
  }
  const residents = plan.journeys
    .filter((j) => j.residenceRegion === plan.preset.regionCode)
    .flatMap((j) => j.visits);
  const outside = residents.filter((v) => v.institutionId === OUTSIDE_HOSPITAL).length;
  const n = <T>(items: readonly T[], test: (item: T) => unknown) => items.filter(test).length;
  return [
    `journeys: ${[...shapes].map(([shape, count]) => `${shape} ${count}`).join(', ')}`,
    `referrals ${referrals('up')}; ${referrals('down')}`,
    `visits ${visits.length} (${residents.length - outside} by residents in the region, ${outside} outside it, ${visits.length - residents.length} by visitors); ` +
      `stays ${stays.length} (${n(stays, (s) => s.leave)} sequential-ward with a held bed; ${n(stays, (s) => s.dischargedAt === null)} still open at the end of the period, ${n(stays, (s) => s.leave && s.leave.to === null)} of them away from the held bed), ${bedDays} occupied bed-days (held-bed rule ${truth.census.heldBedRule})`,
    `recorded late: ${n(visits, (v) => v.lateBy > 0)} visits, ${n(stays, (s) => s.lateDischargeBy > 0)} discharges; ` +
      `entered after the discharge they precede (late share ${plan.options.lateShare}): ${n(stays, (s) => s.wholeEnteredAt !== null)} whole stays, ` +
      `${n(stays, (s) => s.surgeryEnteredAt !== null)} surgeries, ${n(stays, (s) => s.movesEnteredAt !== null)} stays' ward moves; ` +
      `corrected: ${n(visits, (v) => v.recordedAs)} visits, ${n(stays, (s) => s.recordedAdmittedAt !== null)} admissions, ` +
      `${n(stays, (s) => s.recordedLeave)} leaves, ${n(stays, (s) => s.recordedDischargedAt !== null)} discharges; ` +
      `entered in error: ${n(visits, (v) => v.duplicated)} duplicate visits, ${n(referralList, (r) => r.wrongTargetFirst)} requests, ` +
      `${n(referralList, (r) => r.decision?.kind === 'accepted' && r.decision.rejectedInErrorFirst)} rejections, ` +
      `${n(stays, (s) => s.wrongWardFirst)} admissions, ${n(stays, (s) => s.wrongDischargeAt !== null)} discharges`,
    ...careProcessSummary(plan),
    ...familyDoctorSummary(plan, truth),
  ];
}

/** What the care processes do once the plan is recorded: expiries and follow-ups (issue 20). */
function careProcessSummary(plan: Plan): string[] {
  const expired = plan.journeys.reduce((n, j) => n + j.referrals.filter((r) => leftToExpire(j, r)).length, 0);
  const followUps = plannedFollowUps(plan);
  const done = followUps.filter((f) => f.done).length;
  return [
    `care processes: ${expired} referrals expired at their deadlines; ${followUps.length} follow-ups owed, ${done} done in time by a visit (${percent(done, followUps.length) ?? '-'}%), ${followUps.length - done} overdue; ${plannedProposals(plan).length} downward transfers proposed`,
  ];
}

/** The family-doctor line, for a preset with family doctors only (the others print what they printed before). */
function familyDoctorSummary(plan: Plan, truth: GroundTruth): string[] {
  const fd = plan.familyDoctors;
  if (fd === null) return [];
  const bookings = fd.blocks.flatMap((b) => b.bookings);
  const used = bookings.filter((b) => b.end?.kind !== 'cancelled');
  const share = (test: (b: (typeof used)[number]) => boolean) =>
    ratio(used.filter(test).length, used.length).rate;
  const region = truth.familyDoctors.coverage.byRegion[fd.population.regionCode];
  return [
    `family doctors: ${fd.contracts.length} residents signed, coverage ${region?.coverage.rate}% (key groups ${region?.keyGroupCoverage.rate}%) on ${truth.familyDoctors.coverage.on}; ` +
      `${fd.blocks.length} slot blocks, ${used.length} slots used (${bookings.length - used.length} more cancelled), ` +
      `${share((b) => b.keyGroups.includes('hypertension') || b.keyGroups.includes('type-2-diabetes'))}% hypertension or diabetes, ` +
      `${share((b) => b.keyGroups.includes('age-60-plus'))}% aged 60 or over, ${share((b) => b.priority)}% on a slot held for priority`,
  ];
}
