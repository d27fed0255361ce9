import { careTimeMs } from '../shared/care-time';
import { DomainError } from '../shared/domain-error';
import type { Decider } from '../shared/decider';
import type { CommandMetadata, DecidedEvent } from '../shared/event';
import { entryOf, type IdRecord, writableIdRecord } from '../shared/id-record';
import { isHigherTier } from '../shared/tier';
import {
  CORRECTABLE_FIELDS,
  type AcceptTransferProposal,
  type AcknowledgeReferral,
  type AdmitPatient,
  type CompleteFollowUp,
  type CorrectEvent,
  type DischargePatient,
  type JourneyCommand,
  type MarkEnteredInError,
  type OweFollowUp,
  type ProposeDownwardTransfer,
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
  FollowUpRecord,
  OpenedJourneyState,
  ProposalRecord,
  ReferralRecord,
  ReferralStatus,
  JourneyState,
} from './journey.state';
import { evolveJourney, initialJourneyState, unreadableFacts } from './journey.state';
import { AFTER_CLOSING, newConflict, stateBefore } from './journey.timeline';

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
  onceOnly(events, state);
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
  RemindReferral: 'ReferralDueSoon',
  AcknowledgeReferral: 'ReferralOutcomeAcknowledged',
  ProposeDownwardTransfer: 'DownwardTransferProposed',
  AcceptTransferProposal: 'DownwardTransferProposalAccepted',
  DeclineTransferProposal: 'DownwardTransferProposalDeclined',
  OweFollowUp: 'FollowUpOwed',
  CompleteFollowUp: 'FollowUpCompleted',
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
    const { referralId, admissionId, surgeryId } = error.details;
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
    if (error.code === 'PROPOSAL_NOT_FOUND' && entryOf(state.proposals, String(error.details.proposalId))) {
      throw new DomainError('OCCURRED_BEFORE_PROPOSAL', 'This happens before the proposal was made.', {
        proposalId: String(error.details.proposalId),
      });
    }
    if (error.code === 'FOLLOW_UP_NOT_FOUND' && entryOf(state.followUps, String(error.details.followUpId))) {
      throw new DomainError('OCCURRED_BEFORE_FOLLOW_UP', 'This happens before the follow-up was owed.', {
        followUpId: String(error.details.followUpId),
      });
    }
    if (error.code === 'SURGERY_NOT_FOUND' && entryOf(state.surgeries, String(surgeryId))) {
      throw new DomainError('OCCURRED_BEFORE_SURGERY', 'This happens before the surgery it follows.', {
        surgeryId: String(surgeryId),
        operatedAt: entryOf(state.surgeries, String(surgeryId))!.occurredAt,
      });
    }
    throw error;
  }
}

/**
 * What happens once happens once in the whole journey (a reminder, an acknowledgement, a proposal per surgery, a
 * follow-up per stay, a proposal's decision), not only up to the command's care time: one entered with an earlier
 * care time than the one recorded is the same act again.
 */
function onceOnly(events: readonly JourneyEvent[], state: OpenedJourneyState): void {
  for (const event of events) {
    switch (event.type) {
      case 'ReferralDueSoon': {
        const dueSoonAt = entryOf(state.referrals, event.data.referralId)?.dueSoonAt ?? null;
        if (dueSoonAt !== null) {
          throw new DomainError('REMINDER_ALREADY_SENT', 'This referral has had its reminder.', {
            referralId: event.data.referralId,
            dueSoonAt,
          });
        }
        break;
      }
      case 'ReferralOutcomeAcknowledged': {
        const acknowledgedAt = entryOf(state.referrals, event.data.referralId)?.acknowledgedAt ?? null;
        if (acknowledgedAt !== null) {
          throw new DomainError('ALREADY_ACKNOWLEDGED', 'This outcome is already acknowledged.', {
            referralId: event.data.referralId,
            acknowledgedAt,
          });
        }
        break;
      }
      case 'DownwardTransferProposed': {
        const { surgeryId } = event.data;
        const made = Object.values(state.proposals).find((p) => p.surgeryId === surgeryId);
        if (made) {
          throw new DomainError('PROPOSAL_ALREADY_EXISTS', 'This surgery already had its proposal.', {
            surgeryId,
            proposalId: made.proposalId,
          });
        }
        break;
      }
      case 'DownwardTransferProposalAccepted':
      case 'DownwardTransferProposalDeclined': {
        const proposal = entryOf(state.proposals, event.data.proposalId);
        // A lapse is only the absence of a decision: a decision entered late, from before it, replaces it.
        if (proposal && (proposal.status === 'accepted' || proposal.status === 'declined')) {
          throw notOpen(proposal);
        }
        break;
      }
      case 'FollowUpOwed': {
        const { admissionId } = event.data;
        const owed = Object.values(state.followUps).find((f) => f.admissionId === admissionId);
        if (owed) {
          throw new DomainError('FOLLOW_UP_ALREADY_OWED', 'This stay already has its follow-up.', {
            admissionId,
            followUpId: owed.followUpId,
          });
        }
        break;
      }
      case 'FollowUpCompleted': {
        const followUp = entryOf(state.followUps, event.data.followUpId);
        if (followUp?.status === 'done') throw alreadyDone(followUp);
        break;
      }
      default:
        break;
    }
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
        recordedAt: metadata.recordedAt,
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
      case 'DownwardTransferProposed':
        return [String(d.proposalId)];
      case 'FollowUpOwed':
        return [String(d.followUpId)];
      default:
        return [];
    }
  });
}

/** Every record id of the journey at any care time: an id is unique in the journey, not only up to a moment. */
function allRecords(state: OpenedJourneyState): IdRecord<unknown> {
  const all = writableIdRecord<unknown>();
  for (const records of [
    state.visits,
    state.referrals,
    state.admissions,
    state.surgeries,
    state.rehabSessions,
    state.proposals,
    state.followUps,
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
  if (state.status === 'closed' && !AFTER_CLOSING.includes(EVENT_OF[command.type])) {
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
      const referral = eitherSide(metadata, findReferral(state, command.data.referralId));
      requireStatus(referral, ['requested', 'received']);
      if (careTimeMs(metadata.occurredAt) < careTimeMs(referral.deadline)) {
        throw new DomainError('REFERRAL_NOT_OVERDUE', 'The referral is not past its decision deadline.', {
          referralId: referral.referralId,
          deadline: referral.deadline,
        });
      }
      const expired: JourneyEvent = {
        type: 'ReferralExpired',
        data: { referralId: referral.referralId, deadline: referral.deadline },
      };
      const allianceId = command.data.escalateToAllianceId ?? null;
      if (allianceId === null) return [expired];
      // Escalation goes to an alliance the referral belongs to, never to outsiders (docs/domain.md, "Escalation").
      if (allianceId !== referral.from.allianceId && allianceId !== referral.to.allianceId) {
        throw new DomainError('ESCALATION_OUTSIDE_ALLIANCE', 'Escalate to the alliance of either side.', {
          referralId: referral.referralId,
          allianceId,
        });
      }
      return [
        expired,
        {
          type: 'ReferralEscalated',
          data: { referralId: referral.referralId, allianceId, reason: 'expired' },
        },
      ];
    }
    case 'RemindReferral': {
      const referral = eitherSide(metadata, findReferral(state, command.data.referralId));
      // Once only: see onceOnly.
      requireStatus(referral, ['requested', 'received']);
      return [
        { type: 'ReferralDueSoon', data: { referralId: referral.referralId, deadline: referral.deadline } },
      ];
    }
    case 'AcknowledgeReferral':
      return acknowledgeReferral(command, state);
    case 'ProposeDownwardTransfer':
      return proposeDownwardTransfer(command, state);
    case 'AcceptTransferProposal':
      return acceptTransferProposal(command, state);
    case 'DeclineTransferProposal': {
      const proposal = openProposal(state, command.data.proposalId);
      actingFor(metadata, proposal.from.institutionId);
      return [
        {
          type: 'DownwardTransferProposalDeclined',
          data: { proposalId: proposal.proposalId, reason: command.data.reason },
        },
      ];
    }
    case 'OweFollowUp':
      return oweFollowUp(command, state);
    case 'CompleteFollowUp':
      return completeFollowUp(command, state);
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

/**
 * Who acts on a rejected or expired referral: the referring institution, or, once escalated, a coordinator of an
 * institution in the escalation's alliance (docs/domain.md, "Acknowledging an outcome").
 */
function acknowledgeReferral(command: AcknowledgeReferral, state: OpenedJourneyState): JourneyEvent[] {
  const { metadata } = command;
  const referral = findReferral(state, command.data.referralId);
  const referring = metadata.institutionId === referral.from.institutionId;
  const escalatedHere =
    referral.escalatedToAllianceId !== null &&
    command.data.actingAllianceId === referral.escalatedToAllianceId &&
    metadata.actorRole === 'coordinator';
  if (!referring && !escalatedHere) {
    throw new DomainError(
      'NOT_REFERRING_SIDE',
      'Only the referring institution, or a coordinator of the alliance it was escalated to, acknowledges it.',
      {
        referralId: referral.referralId,
        from: referral.from.institutionId,
        escalatedToAllianceId: referral.escalatedToAllianceId,
      },
    );
  }
  if (referral.status !== 'rejected' && referral.status !== 'expired') {
    throw new DomainError('REFERRAL_NOT_RESOLVED', 'Only a rejected or expired referral is acknowledged.', {
      referralId: referral.referralId,
      status: referral.status,
    });
  }
  return [{ type: 'ReferralOutcomeAcknowledged', data: { referralId: referral.referralId } }];
}

/**
 * The transfer process proposes, for the hospital holding a stay with a surgery, to send the patient down: while
 * the stay is open, with no downward referral open, one proposal per surgery and one open per stay.
 */
function proposeDownwardTransfer(
  command: ProposeDownwardTransfer,
  state: OpenedJourneyState,
): JourneyEvent[] {
  const d = command.data;
  const surgery = entryOf(state.surgeries, d.surgeryId);
  if (!surgery) {
    throw new DomainError('SURGERY_NOT_FOUND', 'No such surgery in this journey.', {
      surgeryId: d.surgeryId,
    });
  }
  const admission = findAdmission(state, surgery.admissionId);
  actingFor(command.metadata, admission.institutionId);
  if (admission.status === 'discharged') throw notAdmitted(admission);
  if (d.to.tier !== 'community') {
    throw new DomainError(
      'PROPOSAL_NOT_TO_COMMUNITY',
      'A downward transfer is proposed to a community centre.',
      {
        institutionId: d.to.institutionId,
        tier: d.to.tier,
      },
    );
  }
  checkRoute('down', admission.institution, d.to);
  if ((d.basis === 'signed-doctor') !== (d.signedDoctorId !== null)) {
    throw new DomainError(
      'PROPOSAL_BASIS_MISMATCH',
      'A proposal names a signed doctor exactly when it is to the signed doctor’s centre.',
      { basis: d.basis, signedDoctorId: d.signedDoctorId },
    );
  }
  const openForStay = Object.values(state.proposals).find(
    (p) => p.admissionId === admission.admissionId && p.status === 'open',
  );
  if (openForStay) {
    throw new DomainError('PROPOSAL_ALREADY_OPEN', 'A proposal for this stay is still open.', {
      admissionId: admission.admissionId,
      proposalId: openForStay.proposalId,
    });
  }
  const downward = Object.values(state.referrals).find(
    (r) => r.direction === 'down' && PENDING.includes(r.status),
  );
  if (downward) {
    throw new DomainError('DOWNWARD_REFERRAL_OPEN', 'A downward referral is already under way.', {
      referralId: downward.referralId,
      status: downward.status,
    });
  }
  return [
    {
      type: 'DownwardTransferProposed',
      data: {
        proposalId: d.proposalId,
        admissionId: admission.admissionId,
        surgeryId: surgery.surgeryId,
        from: admission.institution,
        to: d.to,
        basis: d.basis,
        signedDoctorId: d.signedDoctorId,
      },
    },
  ];
}

/**
 * Accepting makes the proposal the downward referral, in the same append, under the rules of any downward
 * referral (requested by the hospital holding the stay, to a lower tier, with its deadline and signed doctor).
 */
function acceptTransferProposal(command: AcceptTransferProposal, state: OpenedJourneyState): JourneyEvent[] {
  const d = command.data;
  const proposal = openProposal(state, d.proposalId);
  actingFor(command.metadata, proposal.from.institutionId);
  // The shell reads the contract on the day; a proposal made on the signed-doctor basis names them otherwise.
  const signedDoctor =
    d.signedDoctor ??
    (proposal.signedDoctorId !== null
      ? { doctorId: proposal.signedDoctorId, centreId: proposal.to.institutionId }
      : undefined);
  const referral = requestReferral(
    {
      type: 'RequestReferral',
      metadata: command.metadata,
      data: {
        referralId: d.referralId,
        direction: 'down',
        from: proposal.from,
        to: proposal.to,
        department: d.department,
        priority: d.priority,
        setting: d.setting,
        reasonCode: d.reasonCode,
        deadlinePolicy: d.deadlinePolicy,
        ...(signedDoctor ? { signedDoctor } : {}),
      },
    },
    state,
  );
  return [
    {
      type: 'DownwardTransferProposalAccepted',
      data: { proposalId: proposal.proposalId, referralId: d.referralId },
    },
    ...referral,
  ];
}

function openProposal(state: OpenedJourneyState, proposalId: string): ProposalRecord {
  const proposal = entryOf(state.proposals, proposalId);
  if (!proposal) {
    throw new DomainError('PROPOSAL_NOT_FOUND', 'No such transfer proposal in this journey.', { proposalId });
  }
  if (proposal.status !== 'open') throw notOpen(proposal);
  return proposal;
}

function notOpen(proposal: ProposalRecord): DomainError {
  return new DomainError('PROPOSAL_NOT_OPEN', `The proposal is ${proposal.status}.`, {
    proposalId: proposal.proposalId,
    status: proposal.status,
  });
}

/** Only a discharge home or to rehab is followed up, by a community centre, once per stay (docs/domain.md). */
function oweFollowUp(command: OweFollowUp, state: OpenedJourneyState): JourneyEvent[] {
  const d = command.data;
  const admission = findAdmission(state, d.admissionId);
  actingFor(command.metadata, admission.institutionId);
  if (
    admission.status !== 'discharged' ||
    admission.dischargedAt === null ||
    (admission.disposition !== 'home' && admission.disposition !== 'rehab')
  ) {
    throw new DomainError(
      'FOLLOW_UP_NEEDS_DISCHARGE',
      'A follow-up is owed after a discharge home or to rehab.',
      { admissionId: admission.admissionId, status: admission.status, disposition: admission.disposition },
    );
  }
  if (d.owedBy.tier !== 'community') {
    throw new DomainError('FOLLOW_UP_NOT_COMMUNITY', 'A follow-up is owed by a community centre.', {
      institutionId: d.owedBy.institutionId,
      tier: d.owedBy.tier,
    });
  }
  if (!(careTimeMs(d.dueBy) >= careTimeMs(admission.dischargedAt))) {
    throw new DomainError('FOLLOW_UP_DUE_BEFORE_DISCHARGE', 'A follow-up is due after the discharge.', {
      dueBy: d.dueBy,
      dischargedAt: admission.dischargedAt,
    });
  }
  return [
    {
      type: 'FollowUpOwed',
      data: {
        followUpId: d.followUpId,
        admissionId: admission.admissionId,
        dischargedAt: admission.dischargedAt,
        owedBy: d.owedBy,
        signedDoctorId: d.signedDoctorId,
        dueBy: d.dueBy,
        basis: d.basis,
      },
    },
  ];
}

/** The owing centre records the follow-up as done; a visit it names is its own, after the discharge. */
function completeFollowUp(command: CompleteFollowUp, state: OpenedJourneyState): JourneyEvent[] {
  const d = command.data;
  const followUp = findFollowUp(state, d.followUpId);
  actingFor(command.metadata, followUp.owedBy.institutionId);
  if (followUp.status === 'done') throw alreadyDone(followUp);
  if (d.visitId !== null) {
    const visit = entryOf(state.visits, d.visitId);
    if (!visit)
      throw new DomainError('VISIT_NOT_FOUND', 'No such visit in this journey.', { visitId: d.visitId });
    if (
      visit.institution.institutionId !== followUp.owedBy.institutionId ||
      careTimeMs(visit.occurredAt) < careTimeMs(followUp.dischargedAt)
    ) {
      throw new DomainError(
        'FOLLOW_UP_VISIT_MISMATCH',
        'The visit named is not at the owing centre after the discharge.',
        { visitId: visit.visitId, institutionId: visit.institution.institutionId },
      );
    }
  }
  return [{ type: 'FollowUpCompleted', data: { followUpId: followUp.followUpId, visitId: d.visitId } }];
}

function alreadyDone(followUp: FollowUpRecord): DomainError {
  return new DomainError('FOLLOW_UP_ALREADY_DONE', 'This follow-up is already done.', {
    followUpId: followUp.followUpId,
    completedBy: followUp.completedBy,
    visitId: followUp.visitId,
  });
}

function findFollowUp(state: OpenedJourneyState, followUpId: string): FollowUpRecord {
  const followUp = entryOf(state.followUps, followUpId);
  if (!followUp) {
    throw new DomainError('FOLLOW_UP_NOT_FOUND', 'No such follow-up in this journey.', { followUpId });
  }
  return followUp;
}

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

// Opening and closing frame the stream itself; a wrong journey is handled by voiding its facts. Every other fact,
// care or workflow (the care processes' events too), may be entered in error.
const FRAME_AND_REPAIR_TYPES: readonly string[] = [
  'JourneyOpened',
  'JourneyClosed',
  'EventEnteredInError',
  'EventCorrected',
];
const VOIDABLE_TYPES: readonly string[] = JOURNEY_EVENT_TYPES.filter(
  (type) => !FRAME_AND_REPAIR_TYPES.includes(type),
);

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

/** Expiry and its reminder concern both sides: either may record them, or a process acting for either. */
function eitherSide(metadata: CommandMetadata, referral: ReferralRecord): ReferralRecord {
  if (
    metadata.institutionId !== referral.from.institutionId &&
    metadata.institutionId !== referral.to.institutionId
  ) {
    throw wrongSide(referral, 'Only the requesting or receiving institution acts on this referral.');
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
