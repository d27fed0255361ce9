import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlannedContract } from './family-doctor.plan';
import type { PlannedInstitution, PlannedReferral, PlannedStay, Priority } from './simulation.plan';

/*
 * The rules of CarePath's care processes the simulator needs to know what they will do (issue 20), written again
 * here from the docs with the simulator's own arithmetic, never with CarePath's code: the decision deadline a
 * process expires an undecided referral at (docs/domain.md, "Referral workflow states"; docs/holidays.md), and the
 * centre that owes the follow-up of a discharge home or to rehab, with its due date (docs/domain.md, "Care
 * processes"; apps/api/src/processes/process-plans.ts states the same rule). The plan uses them to place what
 * happens in care (an expiry at its deadline, a follow-up visit at the owing centre), the ground truth to count.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Beijing time, the care offset of every simulated institution (CARE_UTC_OFFSET_MINUTES, 480). */
const UTC8 = 8 * HOUR;

/** The API's defaults: green channel 2 hours, urgent 24 hours, routine 2 working days. */
const GREEN_CHANNEL_MS = 2 * HOUR;
const URGENT_MS = 24 * HOUR;
const ROUTINE_WORKING_DAYS = 2;

/** FOLLOW_UP_DAYS and FOLLOW_UP_PRIORITY_DAYS as the API has them by default (the oracle runs it so). */
export interface FollowUpDays {
  readonly standard: number;
  readonly priority: number;
}
export const DEFAULT_FOLLOW_UP_DAYS: FollowUpDays = { standard: 14, priority: 7 };

interface CalendarYear {
  readonly holidays: readonly string[];
  readonly workingWeekendDays: readonly string[];
}

/** The holiday calendar the API records at start-up: the same reference file (HOLIDAY_CALENDAR_FILE, or CN.json). */
let calendar: ReadonlyMap<number, { off: Set<string>; worked: Set<string> }> | null = null;

function years() {
  if (calendar) return calendar;
  const file = process.env.HOLIDAY_CALENDAR_FILE || join('reference-data', 'holiday-calendars', 'CN.json');
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
    years: readonly (CalendarYear & { year: number })[];
  };
  calendar = new Map(
    parsed.years.map((y) => [y.year, { off: new Set(y.holidays), worked: new Set(y.workingWeekendDays) }]),
  );
  return calendar;
}

/** A Beijing calendar day (days since 1970-01-01) is worked: a make-up day; else not a holiday nor a weekend. */
export function isWorkingDay(day: number): boolean {
  const date = new Date(day * DAY).toISOString().slice(0, 10);
  const year = years().get(Number(date.slice(0, 4)));
  // As the API does (CALENDAR_YEAR_NOT_COVERED), no guess for a year the reference data lacks.
  if (!year) throw new Error(`the holiday calendar does not cover ${date.slice(0, 4)}`);
  if (year.worked.has(date)) return true;
  if (year.off.has(date)) return false;
  const weekday = new Date(day * DAY).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * The decision deadline of a referral requested at `requestedAt` (epoch ms): hours for the green channel and
 * urgent ones; for a routine one, the same Beijing wall-clock time on the second working day after the request's.
 */
export function referralDeadline(requestedAt: number, priority: Priority): number {
  if (priority === 'green-channel') return requestedAt + GREEN_CHANNEL_MS;
  if (priority === 'urgent') return requestedAt + URGENT_MS;
  let local = requestedAt + UTC8;
  for (let counted = 0; counted < ROUTINE_WORKING_DAYS;) {
    local += DAY;
    if (isWorkingDay(Math.floor(local / DAY))) counted++;
  }
  return local - UTC8;
}

/** What a journey tells the follow-up rule: its referrals, the patient and where they live. */
export interface FollowUpJourney {
  readonly patientId: string;
  readonly residenceRegion: string;
  readonly referrals: readonly PlannedReferral[];
}

export type FollowUpBasis = 'after-surgery' | 'key-group' | 'standard';

export interface OwedFollowUp {
  readonly owedBy: PlannedInstitution;
  readonly basis: FollowUpBasis;
  /** Epoch ms: the discharge plus the basis's days. */
  readonly dueBy: number;
}

/** The community centre whose upward referral came first in the journey (where the patient came up from). */
function referringCentre(j: FollowUpJourney, community: (id: string) => PlannedInstitution | undefined) {
  const up = j.referrals
    .filter((r) => r.direction === 'up' && community(r.from) !== undefined)
    .sort((a, b) => a.requestedAt - b.requestedAt);
  return up[0]?.from ?? null;
}

/**
 * A community centre of the alliance of `institutionId`, the same on every run: the centre that referred the
 * journey up when it is one of them, then one in the patient's region, then the first by id.
 */
export function allianceCentre(
  j: FollowUpJourney,
  institutionId: string,
  institutions: readonly PlannedInstitution[],
): PlannedInstitution | null {
  const allianceId = institutions.find((i) => i.institutionId === institutionId)?.allianceId;
  const centres = institutions
    .filter((i) => i.tier === 'community' && i.allianceId === allianceId)
    .sort((a, b) => (a.institutionId < b.institutionId ? -1 : a.institutionId > b.institutionId ? 1 : 0));
  const referring = referringCentre(j, (id) =>
    institutions.find((i) => i.institutionId === id && i.tier === 'community'),
  );
  return (
    centres.find((c) => c.institutionId === referring) ??
    centres.find((c) => c.regionCode === j.residenceRegion) ??
    centres[0] ??
    null
  );
}

/** The contract the resident has on `date` (YYYY-MM-DD, Beijing), for its one-year term. */
export function contractOn(
  contracts: readonly PlannedContract[],
  residentId: string,
  date: string,
): PlannedContract | null {
  return (
    contracts.find((c) => {
      if (c.residentId !== residentId || c.startDate > date) return false;
      const end = `${Number(c.startDate.slice(0, 4)) + 1}${c.startDate.slice(4)}`;
      return date < end;
    }) ?? null
  );
}

/**
 * The follow-up a discharge home or to rehab owes, or null when no community centre can owe it. Owed by the
 * signed family doctor's centre; else the rehab destination when it is a community centre, the discharging
 * institution when it is one, the centre that referred the journey up; else the discharging institution's
 * alliance centre (allianceCentre). Due `priority` days after a stay with surgery or for a signed key-group resident, else `standard`.
 */
export function followUpOwed(
  j: FollowUpJourney,
  s: PlannedStay,
  dischargedAt: number,
  institutions: readonly PlannedInstitution[],
  contract: PlannedContract | null,
  days: FollowUpDays = DEFAULT_FOLLOW_UP_DAYS,
): OwedFollowUp | null {
  const community = (id: string | null) =>
    id === null ? undefined : institutions.find((i) => i.institutionId === id && i.tier === 'community');
  const owedBy =
    (contract ? community(contract.centreId) : undefined) ??
    community(s.disposition === 'rehab' ? s.destination : null) ??
    community(s.institutionId) ??
    community(referringCentre(j, community)) ??
    allianceCentre(j, s.institutionId, institutions);
  if (!owedBy) return null;
  const basis: FollowUpBasis =
    s.surgeryAt !== null
      ? 'after-surgery'
      : contract !== null && contract.keyGroups.length > 0
        ? 'key-group'
        : 'standard';
  return {
    owedBy,
    basis,
    dueBy: dischargedAt + (basis === 'standard' ? days.standard : days.priority) * DAY,
  };
}
