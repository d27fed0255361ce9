import { careTimeMs } from '../shared/care-time';
import { DomainError } from '../shared/domain-error';
import { entryOf } from '../shared/id-record';
import type { ReferralStatus, FactEntry, JourneyState, OpenedJourneyState } from './journey.state';
import { applyFactInCare, careKey, compareCare, inCareOrder, initialJourneyState } from './journey.state';

/*
 * The care timeline's rules (docs/care-time.md): a journey's facts, folded in care order, must each be possible in
 * the state the facts before it in care time leave. A command, a correction or a void is accepted only if it adds
 * no impossibility to the timeline; one already there (an older version recorded it) is reported, not re-raised.
 */

export interface TimelineConflict {
  readonly eventId: string;
  readonly error: DomainError;
}

const PENDING: readonly ReferralStatus[] = ['requested', 'received', 'accepted', 'in-progress'];

/**
 * What may still be recorded once the journey is closed: the follow-up owed after its last discharge (a journey is
 * often closed at that discharge) and the acknowledgement of how one of its referrals ended (docs/domain.md, "Care
 * processes"). Neither changes the care the journey holds.
 */
export const AFTER_CLOSING: readonly FactEntry['type'][] = [
  'ReferralOutcomeAcknowledged',
  'FollowUpCompleted',
];

/** Every impossibility in the timeline, one per fact at most, in care order. */
export function timelineConflicts(facts: readonly FactEntry[]): TimelineConflict[] {
  const conflicts: TimelineConflict[] = [];
  let state: JourneyState = initialJourneyState();
  for (const fact of inCareOrder(facts)) {
    const error = factConflict(state, fact);
    if (error) conflicts.push({ eventId: fact.eventId, error });
    state = applyFactInCare(state, fact, facts);
  }
  return conflicts;
}

/** The first conflict of `after` that `before` did not have: the change made the timeline impossible there. */
export function newConflict(before: readonly FactEntry[], after: readonly FactEntry[]): DomainError | null {
  const known = new Set(timelineConflicts(before).map((c) => `${c.eventId} ${c.error.code}`));
  return timelineConflicts(after).find((c) => !known.has(`${c.eventId} ${c.error.code}`))?.error ?? null;
}

/** The state of the journey just before `at` in care order (facts at the same instant that rank before included). */
export function stateBefore(facts: readonly FactEntry[], probe: Pick<FactEntry, 'occurredAt' | 'type'>) {
  const key = careKey(probe);
  let state: JourneyState = initialJourneyState();
  for (const fact of inCareOrder(facts)) {
    if (compareCare(careKey(fact), key) > 0) break;
    state = applyFactInCare(state, fact, facts);
  }
  return state;
}

function factConflict(state: JourneyState, fact: FactEntry): DomainError | null {
  if (fact.type === 'JourneyOpened') return null;
  if (state.status === 'not-opened') {
    return new DomainError('BEFORE_JOURNEY_OPENED', 'This happens before the journey was opened.', {
      eventId: fact.eventId,
      occurredAt: fact.occurredAt,
    });
  }
  if (careKey(fact).at < careTimeMs(state.openedAt)) {
    return new DomainError('BEFORE_JOURNEY_OPENED', 'This happens before the journey was opened.', {
      eventId: fact.eventId,
      occurredAt: fact.occurredAt,
      openedAt: state.openedAt,
    });
  }
  if (state.status === 'closed' && !AFTER_CLOSING.includes(fact.type)) {
    return new DomainError('JOURNEY_CLOSED', 'This happens after the journey was closed.', {
      eventId: fact.eventId,
      closedAt: state.closedAt,
    });
  }
  const d = fact.data as Record<string, unknown>;
  switch (fact.type) {
    case 'UpwardReferralRequested':
    case 'DownwardReferralRequested':
      return null;
    case 'ReferralReceived':
      return referralIn(state, fact, ['requested']);
    case 'ReferralAccepted':
    case 'ReferralRejected':
      return referralIn(state, fact, ['requested', 'received']);
    case 'ReferralCancelled':
      return referralIn(state, fact, ['requested', 'received', 'accepted']);
    case 'ReferralExpired': {
      const wrong = referralIn(state, fact, ['requested', 'received']);
      if (wrong) return wrong;
      const referral = entryOf(state.referrals, idOf(fact, 'referralId'))!;
      return careKey(fact).at < careTimeMs(referral.deadline)
        ? new DomainError('REFERRAL_NOT_OVERDUE', 'The referral is not past its decision deadline then.', {
            eventId: fact.eventId,
            deadline: referral.deadline,
          })
        : null;
    }
    case 'ReferralCompleted':
      return referralIn(state, fact, ['accepted', 'in-progress']);
    case 'VisitRecorded':
      return d.referralId
        ? referralIn(state, fact, ['accepted', 'in-progress'], 'REFERRAL_NOT_ACCEPTED')
        : null;
    case 'PatientAdmitted': {
      const inBed = Object.values(state.admissions).find((a) => a.status === 'in-bed');
      if (inBed) return overlap(fact, inBed.admissionId);
      return d.referralId
        ? referralIn(state, fact, ['accepted', 'in-progress'], 'REFERRAL_NOT_ACCEPTED')
        : null;
    }
    case 'LeaveStarted':
    case 'PatientMovedWard':
    case 'SurgeryRecorded':
      return admissionIn(state, fact, idOf(fact, 'admissionId'), ['in-bed']);
    case 'RehabSessionRecorded':
      return d.admissionId ? admissionIn(state, fact, idOf(fact, 'admissionId'), ['in-bed']) : null;
    case 'LeaveEnded': {
      const wrong = admissionIn(state, fact, idOf(fact, 'admissionId'), ['on-leave']);
      if (wrong) return wrong;
      const inBed = Object.values(state.admissions).find((a) => a.status === 'in-bed');
      return inBed ? overlap(fact, inBed.admissionId) : null;
    }
    case 'PatientDischarged':
      return admissionIn(state, fact, idOf(fact, 'admissionId'), ['in-bed', 'on-leave']);
    // The care processes' workflow: the decider judged them when written; a late entry or a void that changes what
    // they were about is not refused for them (a reminder must not stop a decision recorded late), and the state
    // folds them totally (a proposal whose stay ended lapses, a follow-up whose visit is voided is owed again).
    case 'ReferralDueSoon':
    case 'ReferralEscalated':
    case 'ReferralOutcomeAcknowledged':
    case 'DownwardTransferProposed':
    case 'DownwardTransferProposalAccepted':
    case 'DownwardTransferProposalDeclined':
    case 'FollowUpOwed':
    case 'FollowUpCompleted':
      return null;
    case 'JourneyClosed': {
      const active = Object.values(state.admissions).find((a) => a.status !== 'discharged');
      if (active) {
        return new DomainError('JOURNEY_HAS_ACTIVE_ADMISSION', 'The patient is still in a bed then.', {
          eventId: fact.eventId,
          admissionId: active.admissionId,
        });
      }
      const pending = Object.values(state.referrals).find((r) => PENDING.includes(r.status));
      return pending
        ? new DomainError('JOURNEY_HAS_PENDING_REFERRALS', 'A referral is still open then.', {
            eventId: fact.eventId,
            referralId: pending.referralId,
          })
        : null;
    }
  }
}

/** A fact's id field, as stored: ids are strings (one missing reads as no id). */
function idOf(fact: FactEntry, field: 'admissionId' | 'referralId'): string {
  const value = (fact.data as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : '';
}

function referralIn(
  state: OpenedJourneyState,
  fact: FactEntry,
  allowed: readonly ReferralStatus[],
  code: 'REFERRAL_INVALID_TRANSITION' | 'REFERRAL_NOT_ACCEPTED' = 'REFERRAL_INVALID_TRANSITION',
): DomainError | null {
  const referralId = idOf(fact, 'referralId');
  const referral = entryOf(state.referrals, referralId);
  if (!referral) {
    return new DomainError('DECISION_BEFORE_REQUEST', 'This happens before the referral was requested.', {
      eventId: fact.eventId,
      referralId,
    });
  }
  if (allowed.includes(referral.status)) return null;
  return new DomainError(
    code,
    `The referral is ${referral.status} then; this needs ${allowed.join(' or ')}.`,
    {
      eventId: fact.eventId,
      referralId,
      status: referral.status,
    },
  );
}

function admissionIn(
  state: OpenedJourneyState,
  fact: FactEntry,
  admissionId: string,
  allowed: readonly string[],
): DomainError | null {
  const admission = entryOf(state.admissions, admissionId);
  if (!admission) {
    return new DomainError('OCCURRED_BEFORE_ADMISSION', 'This happens before the admission it belongs to.', {
      eventId: fact.eventId,
      admissionId,
    });
  }
  if (allowed.includes(admission.status)) return null;
  if (fact.type === 'SurgeryRecorded') {
    return new DomainError('SURGERY_WITHOUT_ADMISSION', 'The patient is not in a bed on this stay then.', {
      eventId: fact.eventId,
      admissionId,
      status: admission.status,
    });
  }
  if (fact.type === 'LeaveEnded') {
    return new DomainError('NOT_ON_LEAVE', 'The patient is not on leave from this stay then.', {
      eventId: fact.eventId,
      admissionId,
    });
  }
  return new DomainError(
    'NOT_ADMITTED',
    `The patient is not in a bed on this stay then (${admission.status}).`,
    {
      eventId: fact.eventId,
      admissionId,
      status: admission.status,
    },
  );
}

function overlap(fact: FactEntry, admissionId: string): DomainError {
  return new DomainError(
    'ALREADY_ADMITTED',
    'The patient is in a bed on another stay then: stays cannot overlap.',
    {
      eventId: fact.eventId,
      admissionId,
    },
  );
}
