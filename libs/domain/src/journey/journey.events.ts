import type { DomainEvent } from '../shared/event';
import type { Tier } from '../shared/tier';

/*
 * Journey events: one stream per journey (`journey-<uuid>`). Payloads hold the pseudonymous patient id only
 * and codes (ICD-10, procedure, reason codes), never names, phone or ID numbers, never free text (docs/domain.md,
 * "Privacy"). Institution tier, alliance and region are copied in as they were at the time, so projections
 * report history as it was even after reference data changes.
 */

export const VISIT_TYPES = ['outpatient', 'emergency'] as const;
export type VisitType = (typeof VISIT_TYPES)[number];

export const REFERRAL_PRIORITIES = ['routine', 'urgent', 'green-channel'] as const;
export type ReferralPriority = (typeof REFERRAL_PRIORITIES)[number];

export const REFERRAL_SETTINGS = ['outpatient', 'inpatient'] as const;
export type ReferralSetting = (typeof REFERRAL_SETTINGS)[number];

export const REJECTION_REASONS = [
  'capacity-full',
  'not-indicated',
  'incomplete-information',
  'service-unavailable',
  'patient-declined',
  'other',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export const CANCELLATION_REASONS = [
  'patient-recovered',
  'patient-declined',
  'requested-in-error',
  'other',
] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

export const DISCHARGE_DISPOSITIONS = ['home', 'other-institution', 'rehab', 'deceased'] as const;
export type DischargeDisposition = (typeof DISCHARGE_DISPOSITIONS)[number];

/** Why a holding hospital declines a proposed downward transfer (codes only: no free text in events). */
export const TRANSFER_DECLINE_REASONS = [
  'not-stable',
  'needs-specialist-care',
  'patient-declined',
  'community-capacity',
  'other',
] as const;
export type TransferDeclineReason = (typeof TRANSFER_DECLINE_REASONS)[number];

/** Whom a transfer goes down to: the signed family doctor's centre, or else the alliance's community centre. */
export const TRANSFER_BASES = ['signed-doctor', 'alliance-centre'] as const;
export type TransferBasis = (typeof TRANSFER_BASES)[number];

/** Why a follow-up has the window it has (docs/domain.md, "Follow-up after discharge"). */
export const FOLLOW_UP_BASES = ['after-surgery', 'key-group', 'standard'] as const;
export type FollowUpBasis = (typeof FOLLOW_UP_BASES)[number];

export const ERROR_REASONS = ['wrong-patient', 'duplicate-entry', 'never-happened', 'other'] as const;
export type EnteredInErrorReason = (typeof ERROR_REASONS)[number];

/** A snapshot of an institution as the event saw it. */
export interface InstitutionSnapshot {
  readonly institutionId: string;
  readonly tier: Tier;
  readonly allianceId: string | null;
  readonly regionCode: string;
}

export type JourneyOpened = DomainEvent<
  'JourneyOpened',
  { journeyId: string; patientId: string; residenceRegion: string }
>;

export type VisitRecorded = DomainEvent<
  'VisitRecorded',
  {
    visitId: string;
    institution: InstitutionSnapshot;
    visitType: VisitType;
    /** ICD-10 code, e.g. I21.4 */
    diagnosisCode: string;
    /** The referral this visit answers, when it does (specialist visit after an outpatient referral). */
    referralId: string | null;
  }
>;

interface ReferralRequestData {
  referralId: string;
  from: InstitutionSnapshot;
  to: InstitutionSnapshot;
  department: string;
  priority: ReferralPriority;
  setting: ReferralSetting;
  reasonCode: string;
  /** Deadline for the receiving side's decision, from the priority policy in force (docs/domain.md defaults). */
  deadline: string;
  /** Set when this request is the redirect of a referral rejected for capacity within the alliance. */
  redirectedFromReferralId: string | null;
}

/**
 * 上转: to a higher tier. An outpatient one may carry the specialist slot its family doctor booked for it
 * (docs/family-doctors.md, "Specialist slots"); events written before slots existed have neither field.
 */
export type UpwardReferralRequested = DomainEvent<
  'UpwardReferralRequested',
  ReferralRequestData & { slotBlockId?: string; slotBookingId?: string }
>;
/**
 * 下转: to a lower tier, naming the family doctor the patient is signed with when there is one (an added optional
 * field: events written before contracts existed have none).
 */
export type DownwardReferralRequested = DomainEvent<
  'DownwardReferralRequested',
  ReferralRequestData & { signedDoctorId?: string; signedCentreId?: string }
>;

export type ReferralReceived = DomainEvent<'ReferralReceived', { referralId: string }>;
export type ReferralAccepted = DomainEvent<'ReferralAccepted', { referralId: string }>;
export type ReferralRejected = DomainEvent<
  'ReferralRejected',
  {
    referralId: string;
    reason: RejectionReason;
    /** Redirect within the alliance: a capacity rejection naming another member (docs/domain.md). */
    redirectedToInstitutionId: string | null;
    redirectReferralId: string | null;
  }
>;
export type ReferralCompleted = DomainEvent<'ReferralCompleted', { referralId: string }>;
export type ReferralCancelled = DomainEvent<
  'ReferralCancelled',
  { referralId: string; reason: CancellationReason }
>;
export type ReferralExpired = DomainEvent<'ReferralExpired', { referralId: string; deadline: string }>;

/** The reminder: most of the time to decision has passed and the receiving side has not decided. */
export type ReferralDueSoon = DomainEvent<'ReferralDueSoon', { referralId: string; deadline: string }>;
/** An expired referral put before the coordinators of an alliance (its action-required list). */
export type ReferralEscalated = DomainEvent<
  'ReferralEscalated',
  { referralId: string; allianceId: string; reason: 'expired' }
>;
/** The referring side (or the alliance it was escalated to) has seen a rejection or expiry and acted on it. */
export type ReferralOutcomeAcknowledged = DomainEvent<'ReferralOutcomeAcknowledged', { referralId: string }>;

/** After surgery and a stable period, the stay's hospital is asked to send the patient down (docs/domain.md). */
export type DownwardTransferProposed = DomainEvent<
  'DownwardTransferProposed',
  {
    proposalId: string;
    admissionId: string;
    surgeryId: string;
    /** The hospital holding the stay. */
    from: InstitutionSnapshot;
    /** The community centre the patient would go down to. */
    to: InstitutionSnapshot;
    basis: TransferBasis;
    signedDoctorId: string | null;
  }
>;
/** Always followed, in the same append, by the DownwardReferralRequested it became. */
export type DownwardTransferProposalAccepted = DomainEvent<
  'DownwardTransferProposalAccepted',
  { proposalId: string; referralId: string }
>;
export type DownwardTransferProposalDeclined = DomainEvent<
  'DownwardTransferProposalDeclined',
  { proposalId: string; reason: TransferDeclineReason }
>;

/** At a discharge home or to rehab, a community centre owes the patient a follow-up by `dueBy`. */
export type FollowUpOwed = DomainEvent<
  'FollowUpOwed',
  {
    followUpId: string;
    admissionId: string;
    dischargedAt: string;
    owedBy: InstitutionSnapshot;
    signedDoctorId: string | null;
    dueBy: string;
    basis: FollowUpBasis;
  }
>;
/** Recorded as done by the owing centre, naming the visit when there was one. */
export type FollowUpCompleted = DomainEvent<
  'FollowUpCompleted',
  { followUpId: string; visitId: string | null }
>;

export type PatientAdmitted = DomainEvent<
  'PatientAdmitted',
  {
    admissionId: string;
    institution: InstitutionSnapshot;
    wardId: string;
    bedId: string | null;
    /** 加床: admitted with every open bed taken; occupied, not open (docs/analytics.md, "Open bed-days"). */
    extraBed: boolean;
    referralId: string | null;
  }
>;

/** Sequential ward (序贯病房): the patient leaves, the bed is held for their return. */
export type LeaveStarted = DomainEvent<'LeaveStarted', { admissionId: string; bedHeld: boolean }>;
export type LeaveEnded = DomainEvent<'LeaveEnded', { admissionId: string }>;

export type PatientMovedWard = DomainEvent<
  'PatientMovedWard',
  { admissionId: string; fromWardId: string; toWardId: string; bedId: string | null; extraBed: boolean }
>;

export type SurgeryRecorded = DomainEvent<
  'SurgeryRecorded',
  { surgeryId: string; admissionId: string; institutionId: string; procedureCode: string }
>;

export type RehabSessionRecorded = DomainEvent<
  'RehabSessionRecorded',
  { sessionId: string; institutionId: string; admissionId: string | null; therapyCode: string }
>;

export type PatientDischarged = DomainEvent<
  'PatientDischarged',
  {
    admissionId: string;
    institutionId: string;
    disposition: DischargeDisposition;
    destinationInstitutionId: string | null;
  }
>;

export type JourneyClosed = DomainEvent<'JourneyClosed', { journeyId: string }>;

/** Nothing is deleted: a mistaken event is marked entered-in-error and stays in the log. */
export type EventEnteredInError = DomainEvent<
  'EventEnteredInError',
  { targetEventId: string; targetType: string; reason: EnteredInErrorReason }
>;

/**
 * A correction replaces the target's payload and care time for every reader (state, projections), while the
 * original stays in the log. Only fact events are correctable (CORRECTABLE_EVENT_TYPES).
 */
export type EventCorrected = DomainEvent<
  'EventCorrected',
  {
    targetEventId: string;
    targetType: CorrectableEventType;
    occurredAt: string;
    data: Readonly<Record<string, unknown>>;
  }
>;

export type JourneyEvent =
  | JourneyOpened
  | VisitRecorded
  | UpwardReferralRequested
  | DownwardReferralRequested
  | ReferralReceived
  | ReferralAccepted
  | ReferralRejected
  | ReferralCompleted
  | ReferralCancelled
  | ReferralExpired
  | ReferralDueSoon
  | ReferralEscalated
  | ReferralOutcomeAcknowledged
  | DownwardTransferProposed
  | DownwardTransferProposalAccepted
  | DownwardTransferProposalDeclined
  | FollowUpOwed
  | FollowUpCompleted
  | PatientAdmitted
  | LeaveStarted
  | LeaveEnded
  | PatientMovedWard
  | SurgeryRecorded
  | RehabSessionRecorded
  | PatientDischarged
  | JourneyClosed
  | EventEnteredInError
  | EventCorrected;

export type JourneyEventType = JourneyEvent['type'];

export const JOURNEY_EVENT_TYPES: readonly JourneyEventType[] = [
  'JourneyOpened',
  'VisitRecorded',
  'UpwardReferralRequested',
  'DownwardReferralRequested',
  'ReferralReceived',
  'ReferralAccepted',
  'ReferralRejected',
  'ReferralCompleted',
  'ReferralCancelled',
  'ReferralExpired',
  'ReferralDueSoon',
  'ReferralEscalated',
  'ReferralOutcomeAcknowledged',
  'DownwardTransferProposed',
  'DownwardTransferProposalAccepted',
  'DownwardTransferProposalDeclined',
  'FollowUpOwed',
  'FollowUpCompleted',
  'PatientAdmitted',
  'LeaveStarted',
  'LeaveEnded',
  'PatientMovedWard',
  'SurgeryRecorded',
  'RehabSessionRecorded',
  'PatientDischarged',
  'JourneyClosed',
  'EventEnteredInError',
  'EventCorrected',
];

/** Facts recorded about care (dates, codes) that a clinician may need to correct; workflow events are voided instead. */
export const CORRECTABLE_EVENT_TYPES = [
  // Its care time only: the repair for an opening whose time an older version stored unreadable.
  'JourneyOpened',
  'VisitRecorded',
  'PatientAdmitted',
  'LeaveStarted',
  'LeaveEnded',
  'PatientMovedWard',
  'SurgeryRecorded',
  'RehabSessionRecorded',
  'PatientDischarged',
] as const;
export type CorrectableEventType = (typeof CORRECTABLE_EVENT_TYPES)[number];

export const journeyStreamId = (journeyId: string): string => `journey-${journeyId}`;
