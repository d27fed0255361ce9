import {
  evolveJourney,
  type FollowUpBasis,
  initialJourneyState,
  type InstitutionSnapshot,
  type JourneyEvent,
  type OpenedJourneyState,
  type RecordedDomainEvent,
} from '@carepath/domain';

/*
 * Journeys for the projections' specs, folded from events given with their care time. Test-only; not exported from
 * the lib's index.
 */
export const snapshot = (
  institutionId: string,
  tier: InstitutionSnapshot['tier'],
  allianceId: string | null = 'CY-G1',
): InstitutionSnapshot => ({ institutionId, tier, allianceId, regionCode: '110105' });
export const CHC = snapshot('CHC-CY-01', 'community');
export const HOSP = snapshot('HOSP-CY-01', 'tertiary');

/** Care time on a day of March 2026, at an hour. */
export const at = (day: number, hour = 10) => `2026-03-0${day}T${String(hour).padStart(2, '0')}:00:00+08:00`;

/** An event and its care time. */
export type Given = readonly [JourneyEvent, string];

let seq = 0;
/** Events recorded as they happen, unless `recordedAt` says when they were entered (a late entry). */
export function foldJourney(events: readonly Given[], recordedAt?: string): OpenedJourneyState {
  let state = initialJourneyState();
  for (const [event, occurredAt] of events) {
    const recorded = {
      ...event,
      id: `evt-${++seq}`,
      metadata: {
        occurredAt,
        recordedAt: recordedAt ?? new Date(occurredAt).toISOString(),
        actorId: 'spec',
        actorRole: 'doctor',
        institutionId: CHC.institutionId,
        correlationId: 'c',
        causationId: 'c',
      },
    } as RecordedDomainEvent<JourneyEvent>;
    state = evolveJourney(state, recorded);
  }
  return state as OpenedJourneyState;
}

export const journeyOpened: Given = [
  { type: 'JourneyOpened', data: { journeyId: 'j-1', patientId: 'pt-7f3a9c21', residenceRegion: '110105' } },
  at(1, 9),
];
export const referralRequested = (
  referralId: string,
  from: InstitutionSnapshot,
  to: InstitutionSnapshot,
  direction: 'up' | 'down' = 'up',
  day = 1,
): Given => [
  {
    type: direction === 'up' ? 'UpwardReferralRequested' : 'DownwardReferralRequested',
    data: {
      referralId,
      from,
      to,
      department: 'cardiology',
      priority: 'urgent',
      setting: 'inpatient',
      reasonCode: 'I21.4',
      deadline: at(day + 1),
      redirectedFromReferralId: null,
    },
  },
  at(day),
];
export const accepted = (referralId: string, day = 1, hour = 11): Given => [
  { type: 'ReferralAccepted', data: { referralId } },
  at(day, hour),
];
export const admitted = (
  admissionId: string,
  institution: InstitutionSnapshot,
  day = 1,
  wardId = 'icu',
): Given => [
  {
    type: 'PatientAdmitted',
    data: { admissionId, institution, wardId, bedId: '3', extraBed: false, referralId: null },
  },
  at(day, 13),
];
export const surgery = (
  surgeryId: string,
  admissionId: string,
  day = 2,
  hour = 10,
  procedureCode = '36.06',
): Given => [
  {
    type: 'SurgeryRecorded',
    data: { surgeryId, admissionId, institutionId: HOSP.institutionId, procedureCode },
  },
  at(day, hour),
];
export const discharged = (
  admissionId: string,
  institution: InstitutionSnapshot,
  disposition: 'home' | 'rehab' | 'other-institution' | 'deceased',
  destination: string | null,
  day: number,
): Given => [
  {
    type: 'PatientDischarged',
    data: {
      admissionId,
      institutionId: institution.institutionId,
      disposition,
      destinationInstitutionId: destination,
    },
  },
  at(day),
];
/** Proposed on day 5 for surgery s-1 of stay a-1, from HOSP to CHC. */
export const transferProposed: Given = [
  {
    type: 'DownwardTransferProposed',
    data: {
      proposalId: 'p-1',
      admissionId: 'a-1',
      surgeryId: 's-1',
      from: HOSP,
      to: CHC,
      basis: 'alliance-centre',
      signedDoctorId: null,
    },
  },
  at(5),
];
/** Follow-up f-1 owed by CHC after the discharge of stay a-1 on day 6. */
export const followUpOwed = (dueBy: string, basis: FollowUpBasis): Given => [
  {
    type: 'FollowUpOwed',
    data: {
      followUpId: 'f-1',
      admissionId: 'a-1',
      dischargedAt: at(6),
      owedBy: CHC,
      signedDoctorId: null,
      dueBy,
      basis,
    },
  },
  at(6),
];
