import type { FactEntry, OpenedJourneyState } from '@carepath/domain';
import type { Fact } from './facts';
import type { VisitRow } from './local-treatment.model';
import { deriveReferral, type ReferralRow } from './referral-volume.model';
import {
  admittedPlacement,
  deriveStay,
  nextPlacement,
  type Placement,
  type StayFact,
  type StaySegment,
  type StaySummary,
} from './ward-occupancy.model';

/*
 * Rows each analytics read model keeps for one journey, derived from the journey's folded state (which already
 * applies corrections and voids, domain evolveJourney). A journey's rows are always replaced as a whole, so a
 * correction anywhere in the journey moves the figures exactly as a rebuild would. `journeyId` is the stream's: the
 * rows are replaced under it.
 */

const toFact = (entry: FactEntry): Fact => ({
  eventId: entry.eventId,
  type: entry.type,
  occurredAt: entry.occurredAt,
  data: entry.data,
  voided: entry.status === 'entered-in-error' || entry.status === 'unreadable',
});

function factsAbout(state: OpenedJourneyState, field: 'admissionId' | 'referralId', id: string): Fact[] {
  return state.facts.filter((f) => f.data[field] === id).map(toFact);
}

export function journeyStays(
  state: OpenedJourneyState,
  journeyId = state.journeyId,
): { stays: StaySummary[]; segments: StaySegment[] } {
  const stays: StaySummary[] = [];
  const segments: StaySegment[] = [];
  for (const admissionId of Object.keys(state.admissions)) {
    const stay = deriveStay(journeyId, factsAbout(state, 'admissionId', admissionId));
    if (!stay) continue;
    stays.push(stay.summary);
    segments.push(...stay.segments);
  }
  return { stays, segments };
}

/**
 * Who of this journey is in a bed now, or away from one: the placement of each stay not yet ended (its open segment).
 * The worklist's inpatients and the write path's live census read it; the ward-occupancy read model keeps the same
 * segments, so its live census agrees.
 */
export function currentStays(state: OpenedJourneyState, journeyId = state.journeyId): Placement[] {
  const placements: Placement[] = [];
  for (const { to, ...placement } of journeyStays(state, journeyId).segments) {
    if (to === null) placements.push(placement);
  }
  return placements;
}

/**
 * Takes one journey event into `placements` (stays not yet ended, by admission id), in log order, by the stay fold's
 * own step. 'refold': the event cannot be placed by a step (a fact dated before where the patient is now, or
 * unreadable; a correction; a void): the journey's placements are then currentStays of its folded state.
 */
export function placeEvent(
  placements: Map<string, Placement>,
  journeyId: string,
  event: StayFact,
  at: number,
): 'placed' | 'refold' {
  const admissionId = (event.data as { admissionId?: unknown }).admissionId;
  switch (event.type) {
    case 'PatientAdmitted':
      placements.set(String(admissionId), admittedPlacement(journeyId, event, at));
      return 'placed';
    case 'PatientMovedWard':
    case 'LeaveStarted':
    case 'LeaveEnded':
    case 'PatientDischarged': {
      const open = placements.get(String(admissionId));
      if (!open) return 'placed';
      if (!(at >= open.from)) return 'refold';
      const next = nextPlacement(open, event, at);
      if (next) placements.set(open.admissionId, next);
      else placements.delete(open.admissionId);
      return 'placed';
    }
    case 'EventEnteredInError':
    case 'EventCorrected':
      return 'refold';
    default:
      return 'placed';
  }
}

/** Replaces a journey's entries in `placements` by those of its folded state (after placeEvent said 'refold'). */
export function refoldPlacements(
  placements: Map<string, Placement>,
  journeyId: string,
  state: OpenedJourneyState | null,
): void {
  for (const [id, placement] of placements) if (placement.journeyId === journeyId) placements.delete(id);
  for (const placement of state ? currentStays(state, journeyId) : []) {
    placements.set(placement.admissionId, placement);
  }
}

export function journeyReferrals(state: OpenedJourneyState, journeyId = state.journeyId): ReferralRow[] {
  const rows: ReferralRow[] = [];
  for (const referralId of Object.keys(state.referrals)) {
    const row = deriveReferral(journeyId, factsAbout(state, 'referralId', referralId));
    if (row) rows.push(row);
  }
  return rows;
}

/** Visits are outpatient or emergency attendances (VisitRecorded), counted where they took place. */
export function journeyVisits(state: OpenedJourneyState, journeyId = state.journeyId): VisitRow[] {
  return Object.values(state.visits).map((v) => ({
    visitId: v.visitId,
    journeyId,
    residenceRegion: state.residenceRegion,
    institutionId: v.institution.institutionId,
    tier: v.institution.tier,
    institutionRegion: v.institution.regionCode,
    allianceId: v.institution.allianceId,
    visitType: v.visitType,
    occurredAt: Date.parse(v.occurredAt),
  }));
}
