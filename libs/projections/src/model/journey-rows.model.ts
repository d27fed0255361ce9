import type { FactEntry, OpenedJourneyState } from '@carepath/domain';
import type { Fact } from './facts';
import type { VisitRow } from './local-treatment.model';
import { deriveReferral, type ReferralRow } from './referral-volume.model';
import { deriveStay, type StaySegment, type StaySummary } from './ward-occupancy.model';

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
