import { careTimeMs } from '../shared/care-time';
import { DomainError } from '../shared/domain-error';
import type { Decider } from '../shared/decider';
import type { CommandMetadata, DecidedEvent } from '../shared/event';
import { emptyIdRecord, entryOf, type IdRecord } from '../shared/id-record';
import { isHigherTier } from '../shared/tier';
import {
  CORRECTABLE_FIELDS,
  type AdmitPatient,
  type CorrectEvent,
  type DischargePatient,
  type JourneyCommand,
  type MarkEnteredInError,
  type RejectReferral,
  type RequestReferral,
} from './journey.commands';
import {
  CORRECTABLE_EVENT_TYPES,
  type DischargeDisposition,
  type InstitutionSnapshot,
  JOURNEY_EVENT_TYPES,
  type JourneyEvent,
} from './journey.events';
import type {
  AdmissionRecord,
  FactEntry,
  OpenedJourneyState,
  ReferralRecord,
  ReferralStatus,
  JourneyState,
} from './journey.state';
import { evolveJourney, initialJourneyState, unreadableFacts } from './journey.state';
import { newConflict, stateBefore } from './journey.timeline';

type FactType = FactEntry['type'];
import { computeDeadline } from './referral-deadline';

/**
 * The journey decider: every rule a coordinator expects, as a pure function of the command and the folded state.
 * Refusals are DomainErrors with stable codes (HTTP 422, or 404 for *_NOT_FOUND).
 */
export function decideJourney(command: JourneyCommand, state: JourneyState): DecidedEvent<JourneyEvent>[] {
  if (command.type === 'OpenJourney') {
    if (state.status !== 'not-opened') {
      throw new DomainError('JOURNEY_ALREADY_OPENED', 'This journey is already open.', {
        journeyId: state.journeyId,
      });
    }
    const d = command.data;
    actingFor(command.metadata, d.institution.institutionId);
    return [
      {
        type: 'JourneyOpened',
        data: { journeyId: d.journeyId, patientId: d.patientId, residenceRegion: d.residenceRegion },
      },
      {
        type: 'VisitRecorded',
        data: {
          visitId: d.visitId,
          institution: d.institution,
          visitType: d.visitType,
          diagnosisCode: d.diagnosisCode,
          referralId: null,
        },
      },
    ];
  }
  if (state.status === 'not-opened') {
    throw new DomainError('JOURNEY_NOT_OPENED', 'Open the journey with a first visit first.');
  }
  // Corrections stay possible after closing: records are kept for decades and mistakes surface late (domain.md).
  // They obey the timeline's rules like any fact (docs/care-time.md).
  if (command.type === 'MarkEnteredInError' || command.type === 'CorrectEvent') {
    const events =
      command.type === 'MarkEnteredInError'
        ? markEnteredInError(command, state)
        : correctEvent(command, state);
    requirePossible(state.facts, withChanges(state.facts, events));
    return events;
  }
  // A fact an older version stored with an unreadable care time cannot be judged against: repair it first
  // (docs/robustness.md, "Nothing in the log can stop the engine"). Only this journey is held up.
  const unreadable = unreadableFacts(state)[0];
  if (unreadable) {
    throw new DomainError(
      'JOURNEY_NEEDS_REPAIR',
      'An event of this journey has a care time that cannot be read: enter it in error or correct it first.',
      { eventId: unreadable.eventId, eventType: unreadable.type },
    );
  }
  // Judged at its care time (docs/care-time.md): against the journey as the facts before it in care time left it,
  // then the whole timeline with it must still be possible (a late entry must fit what was recorded after it).
  const type = EVENT_OF[command.type];
  const at = { type, occurredAt: command.metadata.occurredAt };
  if (careTimeMs(at.occurredAt) < careTimeMs(state.openedAt)) {
    throw new DomainError('BEFORE_JOURNEY_OPENED', 'This happens before the journey was opened.', {
      occurredAt: at.occurredAt,
      openedAt: state.openedAt,
    });
  }
  const before = stateBefore(state.facts, at);
  if (before.status === 'not-opened') throw new DomainError('JOURNEY_NOT_OPENED', 'Open the journey first.');
  const events = laterIdsFirst(state, () => decideAt(command, before));
  for (const id of mintedIds(events)) unusedId(allRecords(state), id);
  requirePossible(state.facts, withChanges(state.facts, events, command.metadata));
  return events;
}

/** The event type a command records: its place among facts at the same instant (CARE_RANK). */
const EVENT_OF: Readonly<
  Record<Exclude<JourneyCommand['type'], 'OpenJourney' | 'MarkEnteredInError' | 'CorrectEvent'>, FactType>
> = {
  RecordVisit: 'VisitRecorded',
  RequestReferral: 'UpwardReferralRequested',
  ReceiveReferral: 'ReferralReceived',
  AcceptReferral: 'ReferralAccepted',
  RejectReferral: 'ReferralRejected',
  CompleteReferral: 'ReferralCompleted',
  CancelReferral: 'ReferralCancelled',
  ExpireReferral: 'ReferralExpired',
  AdmitPatient: 'PatientAdmitted',
  StartLeave: 'LeaveStarted',
  EndLeave: 'LeaveEnded',
  MoveWard: 'PatientMovedWard',
  RecordSurgery: 'SurgeryRecorded',
  RecordRehabSession: 'RehabSessionRecorded',
  DischargePatient: 'PatientDischarged',
  CloseJourney: 'JourneyClosed',
};

/**
 * A referral or stay the command names that exists, but only later in care time, is not "not found": the command
 * happens before it, and says so.
 */
function laterIdsFirst(
  state: OpenedJourneyState,
  decide: () => DecidedEvent<JourneyEvent>[],
): DecidedEvent<JourneyEvent>[] {
  try {
    return decide();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const { referralId, admissionId } = error.details;
    if (error.code === 'REFERRAL_NOT_FOUND' && entryOf(state.referrals, String(referralId))) {
      throw new DomainError('DECISION_BEFORE_REQUEST', 'This happens before the referral was requested.', {
        referralId: String(referralId),
        requestedAt: entryOf(state.referrals, String(referralId))!.requestedAt,
      });
    }
    if (error.code === 'ADMISSION_NOT_FOUND' && entryOf(state.admissions, String(admissionId))) {
      throw new DomainError('OCCURRED_BEFORE_ADMISSION', 'This happens before the admission it belongs to.', {
        admissionId: String(admissionId),
        admittedAt: entryOf(state.admissions, String(admissionId))!.admittedAt,
      });
    }
    throw error;
  }
}

/** Refuses a change that adds an impossibility to the timeline, naming the conflict. */
function requirePossible(before: readonly FactEntry[], after: readonly FactEntry[]): void {
  const conflict = newConflict(before, after);
  if (conflict) throw conflict;
}

/** The facts as they would stand with `events` recorded: new facts added, voids and corrections applied. */
function withChanges(
  facts: readonly FactEntry[],
  events: readonly DecidedEvent<JourneyEvent>[],
  metadata?: CommandMetadata,
): FactEntry[] {
  let next = [...facts];
  events.forEach((event, i) => {
    if (event.type === 'EventEnteredInError') {
      next = next.map((f) =>
        f.eventId === event.data.targetEventId ? { ...f, status: 'entered-in-error' } : f,
      );
    } else if (event.type === 'EventCorrected') {
      next = next.map((f) =>
        f.eventId === event.data.targetEventId
          ? {
              ...f,
              occurredAt: event.data.occurredAt,
              data: { ...f.data, ...event.data.data },
              status: 'corrected',
            }
          : f,
      );
    } else if (metadata) {
      next.push({
        eventId: `(this command, event ${i})`,
        type: event.type,
        occurredAt: event.occurredAt ?? metadata.occurredAt,
        recordedBy: metadata.institutionId,
        data: event.data,
        status: 'as-recorded',
      });
    }
  });
  return next;
}

/** Ids a command's new facts introduce (a referral's own id on its request, a stay's on its admission, ...). */
function mintedIds(events: readonly JourneyEvent[]): string[] {
  return events.flatMap((event) => {
    const d = event.data as Record<string, unknown>;
    switch (event.type) {
      case 'VisitRecorded':
        return [String(d.visitId)];
      case 'UpwardReferralRequested':
      case 'DownwardReferralRequested':
        return [String(d.referralId)];
      case 'PatientAdmitted':
        return [String(d.admissionId)];
      case 'SurgeryRecorded':
        return [String(d.surgeryId)];
      case 'RehabSessionRecorded':
        return [String(d.sessionId)];
      default:
        return [];
    }
  });
}

/** Every record id of the journey at any care time: an id is unique in the journey, not only up to a moment. */
function allRecords(state: OpenedJourneyState): IdRecord<unknown> {
  const all = emptyIdRecord<unknown>() as Record<string, unknown>;
  for (const records of [
    state.visits,
    state.referrals,
    state.admissions,
    state.surgeries,
    state.rehabSessions,
  ]) {
    for (const id of Object.keys(records)) all[id] = true;
  }
  return all;
}

/** The per-command rules, on the journey as it stood just before the command's care time. */
function decideAt(
  command: Exclude<JourneyCommand, { type: 'OpenJourney' | 'MarkEnteredInError' | 'CorrectEvent' }>,
  state: OpenedJourneyState,
): DecidedEvent<JourneyEvent>[] {
  if (state.status === 'closed') {
    throw new DomainError('JOURNEY_CLOSED', 'This journey is closed.', { journeyId: state.journeyId });
  }

  const { metadata } = command;
  switch (command.type) {
    case 'RecordVisit': {
      const d = command.data;
      actingFor(metadata, d.institution.institutionId);
      unusedId(state.visits, d.visitId);
      if (d.referralId !== null) {
        const referral = findReferral(state, d.referralId);
        if (referral.to.institutionId !== d.institution.institutionId) {
          throw new DomainError('REFERRAL_WRONG_SIDE', 'The referral was sent to another institution.', {
            referralId: referral.referralId,
          });
        }
        requireStatus(referral, ['accepted', 'in-progress'], 'REFERRAL_NOT_ACCEPTED');
      }
      return [{ type: 'VisitRecorded', data: { ...d } }];
    }
    case 'RequestReferral':
      return requestReferral(command, state);
    case 'ReceiveReferral': {
      const referral = receivingSide(metadata, findReferral(state, command.data.referralId));
      requireStatus(referral, ['requested']);
      return [{ type: 'ReferralReceived', data: { referralId: referral.referralId } }];
    }
    case 'AcceptReferral': {
      const referral = receivingSide(metadata, findReferral(state, command.data.referralId));
      requireStatus(referral, ['requested', 'received']);
      return [{ type: 'ReferralAccepted', data: { referralId: referral.referralId } }];
    }
    case 'RejectReferral':
      return rejectReferral(command, state);
    case 'CompleteReferral': {
      const referral = receivingSide(metadata, findReferral(state, command.data.referralId));
      requireStatus(referral, ['accepted', 'in-progress']);
      return [{ type: 'ReferralCompleted', data: { referralId: referral.referralId } }];
    }
    case 'CancelReferral': {
      const referral = findReferral(state, command.data.referralId);
      if (metadata.institutionId !== referral.from.institutionId) {
        throw wrongSide(referral, 'Only the requesting institution cancels a referral.');
      }
      // Once care has started on it the referral is completed, not cancelled.
      requireStatus(referral, ['requested', 'received', 'accepted']);
      return [
        { type: 'ReferralCancelled', data: { referralId: referral.referralId, reason: command.data.reason } },
      ];
    }
    case 'ExpireReferral': {
      const referral = findReferral(state, command.data.referralId);
      if (
        metadata.institutionId !== referral.from.institutionId &&
        metadata.institutionId !== referral.to.institutionId
      ) {
        throw wrongSide(referral, 'Only the requesting or receiving institution expires a referral.');
      }
      requireStatus(referral, ['requested', 'received']);
      if (careTimeMs(metadata.occurredAt) < careTimeMs(referral.deadline)) {
        throw new DomainError('REFERRAL_NOT_OVERDUE', 'The referral is not past its decision deadline.', {
          referralId: referral.referralId,
          deadline: referral.deadline,
        });
      }
      return [
        { type: 'ReferralExpired', data: { referralId: referral.referralId, deadline: referral.deadline } },
      ];
    }
    case 'AdmitPatient':
      return admitPatient(command, state);
    case 'StartLeave': {
      const admission = findAdmission(state, command.data.admissionId);
      actingFor(metadata, admission.institutionId);
      notBeforeAdmission(metadata, admission);
      if (admission.status === 'discharged') throw notAdmitted(admission);
      if (admission.status === 'on-leave') {
        throw new DomainError('ALREADY_ON_LEAVE', 'The patient is already on leave from this admission.', {
          admissionId: admission.admissionId,
        });
      }
      return [
        { type: 'LeaveStarted', data: { admissionId: admission.admissionId, bedHeld: command.data.holdBed } },
      ];
    }
    case 'EndLeave': {
      const admission = findAdmission(state, command.data.admissionId);
      actingFor(metadata, admission.institutionId);
      notBeforeAdmission(metadata, admission);
      if (admission.status === 'discharged') throw notAdmitted(admission);
      if (admission.status !== 'on-leave') {
        throw new DomainError('NOT_ON_LEAVE', 'The patient is not on leave from this admission.', {
          admissionId: admission.admissionId,
        });
      }
      // Sequential ward: the patient comes back only once the upstream stay has ended (never two beds at once).
      const elsewhere = Object.values(state.admissions).find((a) => a.status === 'in-bed');
      if (elsewhere) throw alreadyAdmitted(elsewhere);
      return [{ type: 'LeaveEnded', data: { admissionId: admission.admissionId } }];
    }
    case 'MoveWard': {
      const d = command.data;
      const admission = findAdmission(state, d.admissionId);
      actingFor(metadata, admission.institutionId);
      notBeforeAdmission(metadata, admission);
      if (admission.status !== 'in-bed') throw notAdmitted(admission);
      if (d.toWard.institutionId !== admission.institutionId) {
        throw new DomainError('WARD_NOT_IN_INSTITUTION', 'The ward belongs to another institution.', {
          wardId: d.toWard.wardId,
        });
      }
      if (d.toWard.wardId === admission.wardId) {
        throw new DomainError('SAME_WARD', 'The patient is already in this ward.', {
          wardId: d.toWard.wardId,
        });
      }
      return [
        {
          type: 'PatientMovedWard',
          data: {
            admissionId: admission.admissionId,
            fromWardId: admission.wardId,
            toWardId: d.toWard.wardId,
            bedId: d.bedId,
            extraBed: isExtraBed(d.toWard),
          },
        },
      ];
    }
    case 'RecordSurgery': {
      const d = command.data;
      actingFor(metadata, d.institutionId);
      const admission = Object.values(state.admissions).find(
        (a) => a.status === 'in-bed' && a.institutionId === d.institutionId,
      );
      if (!admission) {
        throw new DomainError(
          'SURGERY_WITHOUT_ADMISSION',
          'Surgery needs a current admission at this institution.',
          {
            institutionId: d.institutionId,
          },
        );
      }
      notBeforeAdmission(metadata, admission);
      unusedId(state.surgeries, d.surgeryId);
      return [
        {
          type: 'SurgeryRecorded',
          data: {
            surgeryId: d.surgeryId,
            admissionId: admission.admissionId,
            institutionId: d.institutionId,
            procedureCode: d.procedureCode,
          },
        },
      ];
    }
    case 'RecordRehabSession': {
      const d = command.data;
      actingFor(metadata, d.institutionId);
      unusedId(state.rehabSessions, d.sessionId);
      // Inpatient rehab belongs to the current stay there; otherwise it is an outpatient or home session.
      const admission = Object.values(state.admissions).find(
        (a) => a.status === 'in-bed' && a.institutionId === d.institutionId,
      );
      return [
        {
          type: 'RehabSessionRecorded',
          data: {
            sessionId: d.sessionId,
            institutionId: d.institutionId,
            admissionId: admission?.admissionId ?? null,
            therapyCode: d.therapyCode,
          },
        },
      ];
    }
    case 'DischargePatient':
      return dischargePatient(command, state);
    case 'CloseJourney': {
      const active = Object.values(state.admissions).find((a) => a.status !== 'discharged');
      if (active) {
        throw new DomainError(
          'JOURNEY_HAS_ACTIVE_ADMISSION',
          'Discharge the patient before closing the journey.',
          {
            admissionId: active.admissionId,
          },
        );
      }
      const pending = Object.values(state.referrals).find((r) => PENDING.includes(r.status));
      if (pending) {
        throw new DomainError(
          'JOURNEY_HAS_PENDING_REFERRALS',
          'Complete, cancel or expire open referrals first.',
          {
            referralId: pending.referralId,
            status: pending.status,
          },
        );
      }
      return [{ type: 'JourneyClosed', data: { journeyId: state.journeyId } }];
    }
  }
}

const PENDING: readonly ReferralStatus[] = ['requested', 'received', 'accepted', 'in-progress'];

function requestReferral(command: RequestReferral, state: OpenedJourneyState): JourneyEvent[] {
  const d = command.data;
  if (command.metadata.institutionId !== d.from.institutionId) {
    throw new DomainError(
      'ACTING_INSTITUTION_MISMATCH',
      'A referral is requested by the referring institution.',
      {
        institutionId: d.from.institutionId,
      },
    );
  }
  if (entryOf(state.referrals, d.referralId)) {
    throw new DomainError('REFERRAL_ALREADY_EXISTS', 'A referral with this id exists.', {
      referralId: d.referralId,
    });
  }
  checkRoute(d.direction, d.from, d.to);
  const data = {
    referralId: d.referralId,
    from: d.from,
    to: d.to,
    department: d.department,
    priority: d.priority,
    setting: d.setting,
    reasonCode: d.reasonCode,
    deadline: computeDeadline(command.metadata.occurredAt, d.priority, d.deadlinePolicy),
    redirectedFromReferralId: null,
  };
  // Only its presence is the decider's concern: the route checked the booking in its slot block.
  const booking =
    d.slotBlockId !== undefined && d.slotBookingId !== undefined
      ? { slotBlockId: d.slotBlockId, slotBookingId: d.slotBookingId }
      : {};
  const signed = d.signedDoctor
    ? { signedDoctorId: d.signedDoctor.doctorId, signedCentreId: d.signedDoctor.centreId }
    : {};
  return [
    d.direction === 'up'
      ? { type: 'UpwardReferralRequested', data: { ...data, ...booking } }
      : { type: 'DownwardReferralRequested', data: { ...data, ...signed } },
  ];
}

/** 上转 goes to a higher tier, 下转 to a lower one (docs/domain.md, "The setting"). */
function checkRoute(direction: 'up' | 'down', from: InstitutionSnapshot, to: InstitutionSnapshot): void {
  if (from.institutionId === to.institutionId) {
    throw new DomainError('REFERRAL_SAME_INSTITUTION', 'A referral goes to another institution.', {
      institutionId: to.institutionId,
    });
  }
  const ok = direction === 'up' ? isHigherTier(to.tier, from.tier) : isHigherTier(from.tier, to.tier);
  if (!ok) {
    throw new DomainError(
      'REFERRAL_TIER_MISMATCH',
      direction === 'up'
        ? 'An upward referral must go to a higher tier.'
        : 'A downward referral must go to a lower tier.',
      { direction, fromTier: from.tier, toTier: to.tier },
    );
  }
}

function rejectReferral(command: RejectReferral, state: OpenedJourneyState): JourneyEvent[] {
  const d = command.data;
  const referral = receivingSide(command.metadata, findReferral(state, d.referralId));
  requireStatus(referral, ['requested', 'received']);
  if (d.redirectTo === null) {
    return [
      {
        type: 'ReferralRejected',
        data: {
          referralId: referral.referralId,
          reason: d.reason,
          redirectedToInstitutionId: null,
          redirectReferralId: null,
        },
      },
    ];
  }
  // "Redirected within the alliance" is a rejection with reason capacity and a new target (docs/domain.md).
  if (d.reason !== 'capacity-full') {
    throw new DomainError(
      'REDIRECT_REQUIRES_CAPACITY_REASON',
      'Only a capacity-full rejection may redirect.',
      {
        reason: d.reason,
      },
    );
  }
  const alliance = referral.to.allianceId;
  if (alliance === null || d.redirectTo.allianceId !== alliance) {
    throw new DomainError(
      'REDIRECT_OUTSIDE_ALLIANCE',
      'A redirect stays inside the receiving institution’s alliance.',
      {
        allianceId: alliance,
        redirectToInstitutionId: d.redirectTo.institutionId,
      },
    );
  }
  if (d.redirectTo.institutionId === referral.to.institutionId) {
    throw new DomainError('REFERRAL_SAME_INSTITUTION', 'A redirect names another institution.', {
      institutionId: d.redirectTo.institutionId,
    });
  }
  checkRoute(referral.direction, referral.from, d.redirectTo);
  const redirectReferralId = d.redirectReferralId ?? `${referral.referralId}-redirect`;
  if (entryOf(state.referrals, redirectReferralId)) {
    throw new DomainError('REFERRAL_ALREADY_EXISTS', 'A referral with this id exists.', {
      referralId: redirectReferralId,
    });
  }
  const redirected = {
    referralId: redirectReferralId,
    from: referral.from,
    to: d.redirectTo,
    department: referral.department,
    priority: referral.priority,
    setting: referral.setting,
    reasonCode: referral.reasonCode,
    // The new target gets the full decision window from the moment of the redirect.
    deadline: computeDeadline(command.metadata.occurredAt, referral.priority, d.deadlinePolicy),
    redirectedFromReferralId: referral.referralId,
  };
  return [
    {
      type: 'ReferralRejected',
      data: {
        referralId: referral.referralId,
        reason: d.reason,
        redirectedToInstitutionId: d.redirectTo.institutionId,
        redirectReferralId,
      },
    },
    referral.direction === 'up'
      ? { type: 'UpwardReferralRequested', data: redirected }
      : { type: 'DownwardReferralRequested', data: redirected },
  ];
}

function admitPatient(command: AdmitPatient, state: OpenedJourneyState): DecidedEvent<JourneyEvent>[] {
  const d = command.data;
  actingFor(command.metadata, d.institution.institutionId);
  if (entryOf(state.admissions, d.admissionId)) {
    throw new DomainError('ADMISSION_ALREADY_EXISTS', 'An admission with this id exists.', {
      admissionId: d.admissionId,
    });
  }
  if (d.ward.institutionId !== d.institution.institutionId) {
    throw new DomainError('WARD_NOT_IN_INSTITUTION', 'The ward belongs to another institution.', {
      wardId: d.ward.wardId,
    });
  }
  // One bed at a time; a held bed on leave (sequential ward) does not block the upstream admission.
  const current = Object.values(state.admissions).find((a) => a.status === 'in-bed');
  if (current) throw alreadyAdmitted(current);
  if (d.referralId !== null) {
    const referral = findReferral(state, d.referralId);
    if (referral.to.institutionId !== d.institution.institutionId) {
      throw wrongSide(referral, 'The referral was sent to another institution.');
    }
    // In progress: the patient was already seen on this referral (e.g. a specialist visit before admission).
    requireStatus(referral, ['accepted', 'in-progress'], 'REFERRAL_NOT_ACCEPTED');
  }
  const admitted: JourneyEvent = {
    type: 'PatientAdmitted',
    data: {
      admissionId: d.admissionId,
      institution: d.institution,
      wardId: d.ward.wardId,
      bedId: d.bedId,
      extraBed: isExtraBed(d.ward),
      referralId: d.referralId,
    },
  };
  if (!d.discharge) return [admitted];
  const { occurredAt, disposition, destinationInstitutionId } = d.discharge;
  checkDestination(disposition, destinationInstitutionId, d.institution.institutionId);
  return [
    admitted,
    {
      type: 'PatientDischarged',
      occurredAt,
      data: {
        admissionId: d.admissionId,
        institutionId: d.institution.institutionId,
        disposition,
        destinationInstitutionId,
      },
    },
  ];
}

function dischargePatient(command: DischargePatient, state: OpenedJourneyState): JourneyEvent[] {
  const d = command.data;
  const admission = findAdmission(state, d.admissionId);
  actingFor(command.metadata, admission.institutionId);
  // A patient on leave may be discharged from the held bed without coming back (e.g. stays upstream).
  if (admission.status === 'discharged') throw notAdmitted(admission);
  notBeforeAdmission(command.metadata, admission);
  checkDestination(d.disposition, d.destinationInstitutionId, admission.institutionId);
  return [
    {
      type: 'PatientDischarged',
      data: {
        admissionId: admission.admissionId,
        institutionId: admission.institutionId,
        disposition: d.disposition,
        destinationInstitutionId: d.destinationInstitutionId,
      },
    },
  ];
}

/** Transfers name where to; rehab may; other discharges name none, and never the institution left. */
function checkDestination(
  disposition: DischargeDisposition,
  destinationInstitutionId: string | null,
  institutionId: string,
): void {
  const needsDestination = disposition === 'other-institution';
  const mayHaveDestination = needsDestination || disposition === 'rehab';
  if (needsDestination && destinationInstitutionId === null) {
    throw new DomainError('DESTINATION_REQUIRED', 'A discharge to another institution names it.', {
      disposition,
    });
  }
  if (!mayHaveDestination && destinationInstitutionId !== null) {
    throw new DomainError(
      'DESTINATION_NOT_ALLOWED',
      'Only transfers and rehab discharges name a destination.',
      {
        disposition,
      },
    );
  }
  if (destinationInstitutionId === institutionId) {
    throw new DomainError('DESTINATION_NOT_ALLOWED', 'The destination must be another institution.', {
      destinationInstitutionId,
    });
  }
}

// Opening and closing frame the stream itself; a wrong journey is handled by voiding its facts.
const VOIDABLE_TYPES: readonly string[] = [
  ...CORRECTABLE_EVENT_TYPES.filter((type) => type !== 'JourneyOpened'),
  'UpwardReferralRequested',
  'DownwardReferralRequested',
  'ReferralReceived',
  'ReferralAccepted',
  'ReferralRejected',
  'ReferralCompleted',
  'ReferralCancelled',
  'ReferralExpired',
];

function markEnteredInError(command: MarkEnteredInError, state: OpenedJourneyState): JourneyEvent[] {
  const target = findFact(state, command.data.targetEventId, command.metadata);
  // Opening and closing frame the stream itself; a wrong journey is handled by voiding its facts.
  if (!VOIDABLE_TYPES.includes(target.type)) {
    throw new DomainError('EVENT_NOT_CORRECTABLE', `${target.type} cannot be entered in error.`, {
      targetType: target.type,
    });
  }
  return [
    {
      type: 'EventEnteredInError',
      data: { targetEventId: target.eventId, targetType: target.type, reason: command.data.reason },
    },
  ];
}

function correctEvent(command: CorrectEvent, state: OpenedJourneyState): JourneyEvent[] {
  const d = command.data;
  const target = findFact(state, d.targetEventId, command.metadata);
  if (!(CORRECTABLE_EVENT_TYPES as readonly string[]).includes(target.type)) {
    throw new DomainError(
      'EVENT_NOT_CORRECTABLE',
      `${target.type} is not correctable; enter it in error instead.`,
      {
        targetType: target.type,
      },
    );
  }
  if (target.type !== d.targetType) {
    throw new DomainError('CORRECTION_TYPE_MISMATCH', 'The target event has another type.', {
      expected: d.targetType,
      actual: target.type,
    });
  }
  const allowed = CORRECTABLE_FIELDS[d.targetType];
  const bad = Object.keys(d.patch).find((field) => !allowed.includes(field));
  if (bad !== undefined) {
    throw new DomainError('EVENT_NOT_CORRECTABLE', `${bad} is not correctable on ${d.targetType}.`, {
      field: bad,
    });
  }
  return [
    {
      type: 'EventCorrected',
      data: {
        targetEventId: target.eventId,
        targetType: d.targetType,
        occurredAt: d.occurredAt,
        data: { ...d.patch },
      },
    },
  ];
}

function findFact(state: OpenedJourneyState, eventId: string, metadata: CommandMetadata) {
  const target = state.facts.find((f) => f.eventId === eventId);
  if (!target) throw new DomainError('EVENT_NOT_FOUND', 'No such event in this journey.', { eventId });
  if (target.status === 'entered-in-error') {
    throw new DomainError('EVENT_ALREADY_ENTERED_IN_ERROR', 'This event is already entered in error.', {
      eventId,
    });
  }
  // The recording institution owns its record (and answers for it in an audit).
  if (target.recordedBy !== metadata.institutionId) {
    throw new DomainError(
      'CORRECTION_BY_OTHER_INSTITUTION',
      'Only the institution that recorded an event corrects it.',
      {
        recordedBy: target.recordedBy,
      },
    );
  }
  return target;
}

function isExtraBed(ward: { readonly openBeds: number; readonly occupiedBeds: number }): boolean {
  // 加床: every open bed is taken, so this patient is on a temporary bed (docs/domain.md, bed occupancy).
  return ward.occupiedBeds >= ward.openBeds;
}

function actingFor(metadata: CommandMetadata, institutionId: string): void {
  if (metadata.institutionId !== institutionId) {
    throw new DomainError(
      'ACTING_INSTITUTION_MISMATCH',
      'Staff record care for their own institution only.',
      {
        institutionId,
        actingInstitutionId: metadata.institutionId,
      },
    );
  }
}

function findReferral(state: OpenedJourneyState, referralId: string): ReferralRecord {
  const referral = entryOf(state.referrals, referralId);
  if (!referral)
    throw new DomainError('REFERRAL_NOT_FOUND', 'No such referral in this journey.', { referralId });
  return referral;
}

/** The receiving institution sets received, accepted, rejected and completed (docs/domain.md). */
function receivingSide(metadata: CommandMetadata, referral: ReferralRecord): ReferralRecord {
  if (metadata.institutionId !== referral.to.institutionId) {
    throw wrongSide(referral, 'Only the receiving institution acts on this referral.');
  }
  return referral;
}

function wrongSide(referral: ReferralRecord, message: string): DomainError {
  return new DomainError('REFERRAL_WRONG_SIDE', message, {
    referralId: referral.referralId,
    from: referral.from.institutionId,
    to: referral.to.institutionId,
  });
}

function requireStatus(
  referral: ReferralRecord,
  allowed: readonly ReferralStatus[],
  code: 'REFERRAL_INVALID_TRANSITION' | 'REFERRAL_NOT_ACCEPTED' = 'REFERRAL_INVALID_TRANSITION',
): void {
  if (!allowed.includes(referral.status)) {
    throw new DomainError(code, `The referral is ${referral.status}; this needs ${allowed.join(' or ')}.`, {
      referralId: referral.referralId,
      status: referral.status,
    });
  }
}

function findAdmission(state: OpenedJourneyState, admissionId: string): AdmissionRecord {
  const admission = entryOf(state.admissions, admissionId);
  if (!admission)
    throw new DomainError('ADMISSION_NOT_FOUND', 'No such admission in this journey.', { admissionId });
  return admission;
}

function notAdmitted(admission: AdmissionRecord): DomainError {
  return new DomainError(
    'NOT_ADMITTED',
    `The patient is not in a bed on this admission (${admission.status}).`,
    {
      admissionId: admission.admissionId,
      status: admission.status,
    },
  );
}

function alreadyAdmitted(current: AdmissionRecord): DomainError {
  return new DomainError('ALREADY_ADMITTED', 'The patient is already in a bed.', {
    admissionId: current.admissionId,
    institutionId: current.institutionId,
  });
}

function notBeforeAdmission(metadata: CommandMetadata, admission: AdmissionRecord): void {
  if (careTimeMs(metadata.occurredAt) < careTimeMs(admission.admittedAt)) {
    throw new DomainError('OCCURRED_BEFORE_ADMISSION', 'This happens before the admission it belongs to.', {
      admissionId: admission.admissionId,
      admittedAt: admission.admittedAt,
    });
  }
}

function unusedId(records: IdRecord<unknown>, id: string): void {
  if (entryOf(records, id))
    throw new DomainError('DUPLICATE_ID', 'This id is already used in the journey.', { id });
}

/** The journey stream's behaviour, as the write path and every reader fold it. */
export const journeyDecider: Decider<JourneyCommand, JourneyEvent, JourneyState> = {
  initialState: initialJourneyState,
  decide: decideJourney,
  evolve: evolveJourney,
  eventTypes: JOURNEY_EVENT_TYPES,
};
