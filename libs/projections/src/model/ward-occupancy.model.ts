import { addDays, daysBetween, localDate, midnightAfter, startOfLocalDay } from './care-calendar';
import { effectiveFacts, type Fact } from './facts';

/*
 * Ward occupancy (病床使用率) from stays, by midnight census (docs/analytics.md, "Bed-use rate"):
 *   occupied bed-days = for each day, patients in a bed at 24:00 local; admitted and discharged the same day = 1;
 *   open bed-days     = beds open at 24:00, occupied or not; extra beds (加床) count as occupied, not open;
 *   rate = occupied ÷ open; average open beds = open bed-days ÷ days; bed work-days = occupied ÷ average open beds;
 *   turnover = discharges ÷ average open beds; average stay = discharged patients' bed-days ÷ discharges.
 */

export type SegmentKind = 'in-bed' | 'on-leave';

/** Where a stay's patient was, from when to when (null = still there). */
export interface StaySegment {
  readonly admissionId: string;
  readonly journeyId: string;
  readonly institutionId: string;
  readonly wardId: string;
  readonly kind: SegmentKind;
  /** True when the bed is kept for the patient during leave (sequential ward, 序贯病房). */
  readonly bedHeld: boolean;
  readonly from: number;
  readonly to: number | null;
}

export interface StaySummary {
  readonly admissionId: string;
  readonly journeyId: string;
  readonly institutionId: string;
  readonly admittedWardId: string;
  readonly currentWardId: string;
  readonly admittedAt: number;
  readonly dischargedAt: number | null;
  readonly extraBed: boolean;
  readonly status: 'in-bed' | 'on-leave' | 'discharged';
}

/** Where a stay's patient is from a care time on: its open segment. */
export type Placement = Omit<StaySegment, 'to'>;

/** A recorded event as the stay fold reads it: its type and payload. */
export interface StayFact {
  readonly type: string;
  readonly data: unknown;
}

/** Where an admission puts the patient: in a bed of the admitting ward. */
export function admittedPlacement(journeyId: string, admitted: StayFact, at: number): Placement {
  const d = admitted.data as { admissionId: string; institution: { institutionId: string }; wardId: string };
  return {
    admissionId: d.admissionId,
    journeyId,
    institutionId: d.institution.institutionId,
    wardId: d.wardId,
    kind: 'in-bed',
    bedHeld: false,
    from: at,
  };
}

/**
 * "Who is in a bed now", one step at a time: where the patient of a stay is after `fact` at care time `at`. The same
 * placement when the fact does not move them (a leave begun while away, or a fact about something else), `null` when
 * it ends the stay (docs/analytics.md, "Stays and where the patient is"). The stay's segments (deriveStay), the worklist,
 * the live census and the write path's extra-bed check all take their placements from this step, so they agree by
 * construction.
 */
export function nextPlacement(open: Placement, fact: StayFact, at: number): Placement | null {
  switch (fact.type) {
    case 'PatientMovedWard':
      return { ...open, wardId: (fact.data as { toWardId: string }).toWardId, from: at };
    case 'LeaveStarted':
      if (open.kind !== 'in-bed') return open;
      return { ...open, kind: 'on-leave', bedHeld: (fact.data as { bedHeld: boolean }).bedHeld, from: at };
    case 'LeaveEnded':
      return open.kind === 'on-leave' ? { ...open, kind: 'in-bed', bedHeld: false, from: at } : open;
    case 'PatientDischarged':
      return null;
    default:
      return open;
  }
}

/** Derives a stay's segments and summary from its facts; a voided admission yields nothing. */
export function deriveStay(
  journeyId: string,
  facts: readonly Fact[],
): { summary: StaySummary; segments: StaySegment[] } | null {
  const effective = effectiveFacts(facts);
  const admitted = effective.find((f) => f.type === 'PatientAdmitted');
  if (!admitted) return null;
  const d = admitted.data as { admissionId: string; wardId: string; extraBed: boolean };
  const segments: StaySegment[] = [];
  let open = admittedPlacement(journeyId, admitted, Date.parse(admitted.occurredAt));
  let dischargedAt: number | null = null;
  for (const fact of effective) {
    const at = Date.parse(fact.occurredAt);
    if (at < open.from) continue; // a fact dated before the admission cannot move it backwards
    const next = nextPlacement(open, fact, at);
    if (next === open) continue;
    segments.push({ ...open, to: at });
    if (next === null) {
      dischargedAt = at;
      break;
    }
    open = next;
  }
  if (dischargedAt === null) segments.push({ ...open, to: null });
  const last = segments[segments.length - 1]!;
  return {
    summary: {
      admissionId: d.admissionId,
      journeyId,
      institutionId: open.institutionId,
      admittedWardId: d.wardId,
      currentWardId: last.wardId,
      admittedAt: Date.parse(admitted.occurredAt),
      dischargedAt,
      extraBed: d.extraBed,
      status: dischargedAt !== null ? 'discharged' : last.kind,
    },
    segments,
  };
}

/** Which census counts a patient on leave from a held bed (docs/analytics.md, "Held-bed rule"). */
export type HeldBedRule = 'physical' | 'held-bed';

export interface BedCountChange {
  readonly from: number;
  readonly openBeds: number;
}

export interface OccupancyInput {
  readonly institutionId: string;
  readonly wardId: string;
  /** Bed-count changes of this ward in care time, any order. */
  readonly bedCounts: readonly BedCountChange[];
}

export interface OccupancyFigures {
  readonly days: number;
  readonly occupiedBedDays: number;
  readonly openBedDays: number;
  /** Percent, 2 decimals; null when there are no open bed-days. */
  readonly bedUseRate: number | null;
  readonly averageOpenBeds: number;
  readonly bedWorkDays: number | null;
  readonly discharges: number;
  readonly turnover: number | null;
  readonly dischargedBedDays: number;
  readonly averageLengthOfStay: number | null;
}

export interface CensusOptions {
  readonly timeZone: string;
  readonly heldBedRule: HeldBedRule;
}

/** Open beds at an instant: the last change at or before it (0 before the ward opened). */
export function openBedsAt(changes: readonly BedCountChange[], at: number): number {
  let beds = 0;
  let latest = -Infinity;
  for (const c of changes) {
    if (c.from <= at && c.from >= latest) {
      beds = c.openBeds;
      latest = c.from;
    }
  }
  return beds;
}

/*
 * Is the patient in this segment at the census instant `at` (24:00 of day D, which is also 00:00 of D + 1)? By local
 * date, as the census is kept: a segment that starts exactly at that instant started on D + 1, so it is not in D's
 * census; one that ends exactly then ended on D + 1, so it is. Adjacent segments of a stay still share no instant,
 * and a stay admitted at 00:00 and discharged later that day counts once (docs/analytics.md, "Same-day stays").
 */
const covers = (s: StaySegment, at: number) => s.from < at && (s.to === null || s.to >= at);

/**
 * Is a patient's placement counted in its ward's census? Under 'physical' only a patient in a bed; under 'held-bed' a
 * held leave counts at the home ward, and a bed elsewhere does not while the same patient's bed is held
 * (`awayFromHeldBed`, asked only then). The one rule for the midnight census, the live one and the write path's
 * extra-bed check (docs/analytics.md, "Held-bed rule").
 */
export function countsInCensus(
  placement: Pick<Placement, 'kind' | 'bedHeld'>,
  rule: HeldBedRule,
  awayFromHeldBed: () => boolean,
): boolean {
  if (rule === 'physical') return placement.kind === 'in-bed';
  if (placement.kind === 'on-leave') return placement.bedHeld;
  return !awayFromHeldBed();
}

/** Is this segment counted in its ward's census at `at`? */
function countedAt(
  segment: StaySegment,
  at: number,
  sameJourney: readonly StaySegment[],
  rule: HeldBedRule,
): boolean {
  if (!covers(segment, at)) return false;
  return countsInCensus(segment, rule, () =>
    sameJourney.some((o) => o !== segment && o.kind === 'on-leave' && o.bedHeld && covers(o, at)),
  );
}

/** Census figures of the given wards over local dates [from, to). Segments must include every ward's journeys' segments. */
export function occupancyFigures(
  wards: readonly OccupancyInput[],
  segments: readonly StaySegment[],
  stays: readonly StaySummary[],
  period: { readonly from: string; readonly to: string },
  options: CensusOptions,
): OccupancyFigures {
  const days = daysBetween(period.from, period.to);
  const wardKey = (i: string, w: string) => `${i}\u0000${w}`;
  const inScope = new Set(wards.map((w) => wardKey(w.institutionId, w.wardId)));
  const byJourney = groupBy(segments, (s) => s.journeyId);
  const scoped = segments.filter((s) => inScope.has(wardKey(s.institutionId, s.wardId)));

  let occupied = 0;
  let open = 0;
  for (let i = 0; i < days; i++) {
    const date = addDays(period.from, i);
    const midnight = midnightAfter(date, options.timeZone);
    for (const ward of wards) open += openBedsAt(ward.bedCounts, midnight);
    for (const s of scoped) {
      if (countedAt(s, midnight, byJourney.get(s.journeyId) ?? [], options.heldBedRule)) occupied++;
    }
  }
  // Same-day stays cross no midnight but count one bed-day on their day (docs/analytics.md, "Same-day stays").
  const dayStart = startOfLocalDay(period.from, options.timeZone);
  const dayEnd = startOfLocalDay(period.to, options.timeZone);
  const discharged = stays.filter(
    (s) =>
      s.dischargedAt !== null &&
      s.dischargedAt >= dayStart &&
      s.dischargedAt < dayEnd &&
      inScope.has(wardKey(s.institutionId, s.currentWardId)),
  );
  for (const stay of stays) {
    if (
      stay.dischargedAt !== null &&
      inScope.has(wardKey(stay.institutionId, stay.admittedWardId)) &&
      localDate(stay.admittedAt, options.timeZone) === localDate(stay.dischargedAt, options.timeZone) &&
      stay.admittedAt >= dayStart &&
      stay.admittedAt < dayEnd
    ) {
      occupied++;
    }
  }
  let dischargedBedDays = 0;
  for (const stay of discharged)
    dischargedBedDays += stayBedDays(stay, byJourney.get(stay.journeyId) ?? [], options);

  return occupancyFiguresOf({
    days,
    occupiedBedDays: occupied,
    openBedDays: open,
    discharges: discharged.length,
    dischargedBedDays,
  });
}

/** The counts the census figures are made of: sums over wards and days, so a database can make them. */
export type OccupancyCounts = Pick<
  OccupancyFigures,
  'days' | 'occupiedBedDays' | 'openBedDays' | 'discharges' | 'dischargedBedDays'
>;

/** The rates and averages of a census from its counts (docs/analytics.md, "Bed-use rate"). */
export function occupancyFiguresOf(counts: OccupancyCounts): OccupancyFigures {
  const { days, occupiedBedDays: occupied, openBedDays: open, discharges, dischargedBedDays } = counts;
  const averageOpenBeds = days > 0 ? open / days : 0;
  return {
    days,
    occupiedBedDays: occupied,
    openBedDays: open,
    bedUseRate: bedUseRate(occupied, open),
    averageOpenBeds: round(averageOpenBeds),
    bedWorkDays: averageOpenBeds > 0 ? round(occupied / averageOpenBeds) : null,
    discharges,
    turnover: averageOpenBeds > 0 ? round(discharges / averageOpenBeds) : null,
    dischargedBedDays,
    averageLengthOfStay: discharges > 0 ? round(dischargedBedDays / discharges) : null,
  };
}

/** 病床使用率 = occupied ÷ open bed-days × 100%, 2 decimals (docs/analytics.md, "Bed-use rate"); null without open beds. */
export function bedUseRate(occupiedBedDays: number, openBedDays: number): number | null {
  return openBedDays > 0 ? round((occupiedBedDays / openBedDays) * 100) : null;
}

/** A discharged stay's bed-days (出院者占用总床日数): midnights counted in its census, at least 1. */
export function stayBedDays(
  stay: StaySummary,
  journeySegments: readonly StaySegment[],
  options: CensusOptions,
): number {
  if (stay.dischargedAt === null) return 0;
  const own = journeySegments.filter((s) => s.admissionId === stay.admissionId);
  let nights = 0;
  const first = localDate(stay.admittedAt, options.timeZone);
  const last = localDate(stay.dischargedAt, options.timeZone);
  for (let date = first; date < last; date = addDays(date, 1)) {
    const midnight = midnightAfter(date, options.timeZone);
    if (own.some((s) => countedAt(s, midnight, journeySegments, options.heldBedRule))) nights++;
  }
  return Math.max(1, nights);
}

export interface LiveCensus {
  readonly occupied: number;
  readonly openBeds: number;
  readonly extraBeds: number;
  readonly onLeave: number;
  readonly rate: number | null;
}

/**
 * The census right now, from open segments (the placements now): the ward's own (`segments`), and every ward's
 * (`all`), which the held-bed rule needs to see a patient upstairs whose community bed is held. Under it, as at
 * midnight, that patient is counted at the held bed and not upstairs, so the live figure and the census agree
 * (docs/analytics.md, "Live census"); `onLeave` still lists who is away.
 */
export function liveCensus(
  openBeds: number,
  segments: readonly StaySegment[],
  heldBedRule: HeldBedRule = 'physical',
  all: readonly StaySegment[] = segments,
): LiveCensus {
  const open = segments.filter((s) => s.to === null);
  const occupied = occupiedNow(
    open,
    heldBedRule,
    all.filter((s) => s.to === null),
  );
  return {
    occupied,
    openBeds,
    extraBeds: Math.max(0, occupied - openBeds),
    onLeave: open.filter((s) => s.kind === 'on-leave').length,
    rate: openBeds > 0 ? round((occupied / openBeds) * 100) : null,
  };
}

/** How many of `placements` their ward counts now; `all`: every ward's placements, for the held-bed rule. */
export function occupiedNow(
  placements: readonly Placement[],
  heldBedRule: HeldBedRule,
  all: readonly Placement[] = placements,
): number {
  let heldAway: Set<string> | null = null;
  const awayFromHeldBed = (journeyId: string) => {
    heldAway ??= new Set(all.filter((s) => s.kind === 'on-leave' && s.bedHeld).map((s) => s.journeyId));
    return heldAway.has(journeyId);
  };
  return placements.filter((s) => countsInCensus(s, heldBedRule, () => awayFromHeldBed(s.journeyId))).length;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

const round = (n: number) => Math.round(n * 100) / 100;
