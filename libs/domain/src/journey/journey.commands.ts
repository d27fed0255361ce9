import type { WorkingCalendar } from '../calendar/working-calendar';
import type { CommandMetadata } from '../shared/event';
import type {
  CancellationReason,
  CorrectableEventType,
  DischargeDisposition,
  EnteredInErrorReason,
  FollowUpBasis,
  InstitutionSnapshot,
  ReferralPriority,
  ReferralSetting,
  RejectionReason,
  TransferBasis,
  TransferDeclineReason,
  VisitType,
} from './journey.events';

/*
 * Journey commands. New ids (visit, referral, admission, ...) and reference data the decider needs
 * (institution snapshots, ward membership and occupancy) are resolved by the application shell and passed in,
 * so the decider stays pure and total.
 */

type Command<Type extends string, Data extends object> = Readonly<{
  type: Type;
  data: Readonly<Data>;
  metadata: CommandMetadata;
}>;

/** A ward as the shell resolved it for an admission or move. */
export interface WardSnapshot {
  readonly institutionId: string;
  readonly wardId: string;
  readonly openBeds: number;
  /** Patients physically in the ward now, from the live census; decides the extra-bed flag (加床). */
  readonly occupiedBeds: number;
}

/** Decision deadlines by priority (docs/domain.md: green channel 2 h, urgent 24 h, routine 2 working days). */
export interface DeadlineRules {
  readonly greenChannelMinutes: number;
  readonly urgentMinutes: number;
  readonly routineWorkingDays: number;
  /** Working days are counted in this fixed offset from UTC (minutes; Asia/Shanghai = 480). */
  readonly utcOffsetMinutes: number;
}

/**
 * The rules with the working days they count (docs/holidays.md): the shell passes the holiday calendar as recorded
 * in the event store, so configuration alone (DeadlineRules) cannot make a deadline.
 */
export interface DeadlinePolicy extends DeadlineRules {
  readonly calendar: WorkingCalendar;
}

export type OpenJourney = Command<
  'OpenJourney',
  {
    journeyId: string;
    patientId: string;
    residenceRegion: string;
    visitId: string;
    institution: InstitutionSnapshot;
    visitType: VisitType;
    diagnosisCode: string;
  }
>;

export type RecordVisit = Command<
  'RecordVisit',
  {
    visitId: string;
    institution: InstitutionSnapshot;
    visitType: VisitType;
    diagnosisCode: string;
    referralId: string | null;
  }
>;

export type RequestReferral = Command<
  'RequestReferral',
  {
    referralId: string;
    direction: 'up' | 'down';
    from: InstitutionSnapshot;
    to: InstitutionSnapshot;
    department: string;
    priority: ReferralPriority;
    setting: ReferralSetting;
    reasonCode: string;
    deadlinePolicy: DeadlinePolicy;
    /** The slot booked for an upward referral, which the shell found in its block for this patient. */
    slotBlockId?: string;
    slotBookingId?: string;
    /**
     * For a downward referral, the family doctor the patient is signed with on the day, which the shell found in
     * the resident's contract (docs/family-doctors.md, "Contracts"): the patient comes back down to them.
     */
    signedDoctor?: { readonly doctorId: string; readonly centreId: string };
  }
>;

export type ReceiveReferral = Command<'ReceiveReferral', { referralId: string }>;
export type AcceptReferral = Command<'AcceptReferral', { referralId: string }>;

export type RejectReferral = Command<
  'RejectReferral',
  {
    referralId: string;
    reason: RejectionReason;
    /** Redirect target (same alliance, capacity-full only); the shell resolves it and mints the new referral id. */
    redirectTo: InstitutionSnapshot | null;
    redirectReferralId: string | null;
    deadlinePolicy: DeadlinePolicy;
  }
>;

export type CompleteReferral = Command<'CompleteReferral', { referralId: string }>;
export type CancelReferral = Command<'CancelReferral', { referralId: string; reason: CancellationReason }>;
/**
 * Expiry at or after the deadline, by either side or by the deadline process acting for one of them. With
 * `escalateToAllianceId` (the alliance of either side) the referral is also put before that alliance's coordinators.
 */
export type ExpireReferral = Command<
  'ExpireReferral',
  { referralId: string; escalateToAllianceId?: string | null }
>;

/** The deadline process's reminder, acting for either side; once per referral, while undecided. */
export type RemindReferral = Command<'RemindReferral', { referralId: string }>;

/**
 * The referring side has seen a rejected or expired referral and acted. `actingAllianceId` is the alliance of the
 * acting institution, which the shell resolves: a coordinator there may acknowledge a referral escalated to it.
 */
export type AcknowledgeReferral = Command<
  'AcknowledgeReferral',
  { referralId: string; actingAllianceId: string | null }
>;

/**
 * The transfer process, acting for the hospital holding the stay of `surgeryId`: propose sending the patient down
 * to `to` (a community centre). The stay, its hospital and the admission come from the journey.
 */
export type ProposeDownwardTransfer = Command<
  'ProposeDownwardTransfer',
  {
    proposalId: string;
    surgeryId: string;
    to: InstitutionSnapshot;
    basis: TransferBasis;
    /** Set exactly when basis is `signed-doctor`. */
    signedDoctorId: string | null;
  }
>;

/** The holding hospital accepts: the proposal becomes a downward referral with these terms. */
export type AcceptTransferProposal = Command<
  'AcceptTransferProposal',
  {
    proposalId: string;
    referralId: string;
    department: string;
    priority: ReferralPriority;
    setting: ReferralSetting;
    reasonCode: string;
    deadlinePolicy: DeadlinePolicy;
    /** The family doctor the patient is signed with on the day, as for any downward referral (RequestReferral). */
    signedDoctor?: { readonly doctorId: string; readonly centreId: string };
  }
>;

export type DeclineTransferProposal = Command<
  'DeclineTransferProposal',
  { proposalId: string; reason: TransferDeclineReason }
>;

/**
 * The follow-up process, acting for the discharging institution, at a discharge home or to rehab. `dueBy` is
 * computed by the shell from the configured days (ISO with offset).
 */
export type OweFollowUp = Command<
  'OweFollowUp',
  {
    followUpId: string;
    admissionId: string;
    owedBy: InstitutionSnapshot;
    signedDoctorId: string | null;
    dueBy: string;
    basis: FollowUpBasis;
  }
>;

/** The owing centre records the follow-up as done, naming the visit when there was one. */
export type CompleteFollowUp = Command<'CompleteFollowUp', { followUpId: string; visitId: string | null }>;

export type AdmitPatient = Command<
  'AdmitPatient',
  {
    admissionId: string;
    institution: InstitutionSnapshot;
    ward: WardSnapshot;
    bedId: string | null;
    referralId: string | null;
    /** A whole past stay recorded at once: it then overlaps no other stay (docs/care-time.md). */
    discharge?: {
      occurredAt: string;
      disposition: DischargeDisposition;
      destinationInstitutionId: string | null;
    } | null;
  }
>;

export type StartLeave = Command<'StartLeave', { admissionId: string; holdBed: boolean }>;
export type EndLeave = Command<'EndLeave', { admissionId: string }>;
export type MoveWard = Command<
  'MoveWard',
  { admissionId: string; toWard: WardSnapshot; bedId: string | null }
>;

export type RecordSurgery = Command<
  'RecordSurgery',
  { surgeryId: string; institutionId: string; procedureCode: string }
>;

export type RecordRehabSession = Command<
  'RecordRehabSession',
  { sessionId: string; institutionId: string; therapyCode: string }
>;

export type DischargePatient = Command<
  'DischargePatient',
  { admissionId: string; disposition: DischargeDisposition; destinationInstitutionId: string | null }
>;

export type CloseJourney = Command<'CloseJourney', Record<string, never>>;

export type MarkEnteredInError = Command<
  'MarkEnteredInError',
  { targetEventId: string; reason: EnteredInErrorReason }
>;

/** `patch` replaces the named fields of the target's payload; see CORRECTABLE_FIELDS. */
export type CorrectEvent = Command<
  'CorrectEvent',
  {
    targetEventId: string;
    targetType: CorrectableEventType;
    occurredAt: string;
    patch: Readonly<Record<string, string | null>>;
  }
>;

export type JourneyCommand =
  | OpenJourney
  | RecordVisit
  | RequestReferral
  | ReceiveReferral
  | AcceptReferral
  | RejectReferral
  | CompleteReferral
  | CancelReferral
  | ExpireReferral
  | RemindReferral
  | AcknowledgeReferral
  | ProposeDownwardTransfer
  | AcceptTransferProposal
  | DeclineTransferProposal
  | OweFollowUp
  | CompleteFollowUp
  | AdmitPatient
  | StartLeave
  | EndLeave
  | MoveWard
  | RecordSurgery
  | RecordRehabSession
  | DischargePatient
  | CloseJourney
  | MarkEnteredInError
  | CorrectEvent;

/**
 * Payload fields a correction may replace, per event type. Identity and institution fields are not
 * correctable: a wrong patient or institution is entered-in-error and recorded again.
 */
export const CORRECTABLE_FIELDS: Readonly<Record<CorrectableEventType, readonly string[]>> = {
  JourneyOpened: [],
  VisitRecorded: ['visitType', 'diagnosisCode'],
  PatientAdmitted: ['bedId'],
  LeaveStarted: [],
  LeaveEnded: [],
  PatientMovedWard: ['bedId'],
  SurgeryRecorded: ['procedureCode'],
  RehabSessionRecorded: ['therapyCode'],
  PatientDischarged: ['disposition', 'destinationInstitutionId'],
};
