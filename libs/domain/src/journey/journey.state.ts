import { careTimeMs, parseCareTime } from '../shared/care-time';
import type { RecordedDomainEvent } from '../shared/event';
import { emptyIdRecord, entryOf, type IdRecord, withEntry } from '../shared/id-record';
import type {
  CancellationReason,
  DischargeDisposition,
  FollowUpBasis,
  InstitutionSnapshot,
  JourneyEvent,
  ReferralPriority,
  ReferralSetting,
  RejectionReason,
  TransferBasis,
  TransferDeclineReason,
  VisitType,
} from './journey.events';

/*
 * A journey's state is plain JSON (it is served as-is by GET /journeys/:id). Corrections never rewrite the log,
 * so the state keeps the effective list of facts (each with its current payload and care time) and refolds the
 * derived records from it whenever a fact is corrected or entered in error.
 */

/** Mirrors FHIR Task.status for the referral workflow (docs/domain.md, "Referral workflow states"). */
export type ReferralStatus =
  'requested' | 'received' | 'accepted' | 'rejected' | 'in-progress' | 'completed' | 'cancelled' | 'expired';

export interface ReferralRecord {
  readonly referralId: string;
  readonly direction: 'up' | 'down';
  readonly from: InstitutionSnapshot;
  readonly to: InstitutionSnapshot;
  readonly department: string;
  readonly priority: ReferralPriority;
  readonly setting: ReferralSetting;
  readonly reasonCode: string;
  readonly status: ReferralStatus;
  readonly requestedAt: string;
  /**
   * When the request was recorded: a referral entered after its deadline had passed is given time for its decision
   * to be entered too before a process expires it (docs/operations.md, "Processes").
   */
  readonly requestRecordedAt: string;
  readonly deadline: string;
  /** Care time of the receiving side's accept or reject. */
  readonly decidedAt: string | null;
  /** Care time of the last status change. */
  readonly updatedAt: string;
  readonly rejectionReason: RejectionReason | null;
  readonly cancellationReason: CancellationReason | null;
  readonly redirectedFromReferralId: string | null;
  readonly redirectReferralId: string | null;
  /** Care time of the deadline reminder (ReferralDueSoon). */
  readonly dueSoonAt: string | null;
  /** The alliance whose coordinators an expired referral was escalated to. */
  readonly escalatedToAllianceId: string | null;
  /** Care time the referring side (or the escalation's alliance) acknowledged a rejection or expiry. */
  readonly acknowledgedAt: string | null;
}

/**
 * A proposed downward transfer. `lapsed`: the stay ended, or a downward referral was requested by other means,
 * while it was open; no event says so, the fold does.
 */
export interface ProposalRecord {
  readonly proposalId: string;
  readonly admissionId: string;
  readonly surgeryId: string;
  readonly from: InstitutionSnapshot;
  readonly to: InstitutionSnapshot;
  readonly basis: TransferBasis;
  readonly signedDoctorId: string | null;
  readonly proposedAt: string;
  readonly status: 'open' | 'accepted' | 'declined' | 'lapsed';
  readonly decidedAt: string | null;
  readonly declineReason: TransferDeclineReason | null;
  /** The downward referral an accepted proposal became. */
  readonly referralId: string | null;
}

/**
 * A follow-up owed after a discharge. It is done when recorded so, or when a visit at the owing centre falls in
 * [dischargedAt, dueBy] (derived: voiding or moving that visit makes it owed again). Owed past dueBy is overdue,
 * which the reader judges with its own clock.
 */
export interface FollowUpRecord {
  readonly followUpId: string;
  readonly admissionId: string;
  readonly dischargedAt: string;
  readonly owedBy: InstitutionSnapshot;
  readonly signedDoctorId: string | null;
  readonly dueBy: string;
  readonly basis: FollowUpBasis;
  readonly status: 'owed' | 'done';
  readonly completedAt: string | null;
  readonly completedBy: 'visit' | 'recorded' | null;
  readonly visitId: string | null;
}

export type AdmissionStatus = 'in-bed' | 'on-leave' | 'discharged';

export interface LeaveRecord {
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly bedHeld: boolean;
}

export interface AdmissionRecord {
  readonly admissionId: string;
  readonly institutionId: string;
  readonly institution: InstitutionSnapshot;
  readonly wardId: string;
  readonly bedId: string | null;
  readonly extraBed: boolean;
  readonly referralId: string | null;
  readonly status: AdmissionStatus;
  readonly admittedAt: string;
  readonly leaves: readonly LeaveRecord[];
  readonly dischargedAt: string | null;
  readonly disposition: DischargeDisposition | null;
  readonly destinationInstitutionId: string | null;
}

export interface VisitRecord {
  readonly visitId: string;
  readonly institution: InstitutionSnapshot;
  readonly visitType: VisitType;
  readonly diagnosisCode: string;
  readonly referralId: string | null;
  readonly occurredAt: string;
}

export interface SurgeryRecord {
  readonly surgeryId: string;
  readonly admissionId: string;
  readonly institutionId: string;
  readonly procedureCode: string;
  readonly occurredAt: string;
}

export interface RehabSessionRecord {
  readonly sessionId: string;
  readonly institutionId: string;
  readonly admissionId: string | null;
  readonly therapyCode: string;
  readonly occurredAt: string;
}

/**
 * One recorded event as it now stands: corrected payload and care time, or voided (entered in error). `unreadable`:
 * its care time does not parse (an older version wrote it, docs/robustness.md): it is kept so it can be voided or
 * corrected, but it shapes nothing, and the journey needs repair until then.
 */
export interface FactEntry {
  readonly eventId: string;
  readonly type: Exclude<JourneyEvent['type'], 'EventEnteredInError' | 'EventCorrected'>;
  readonly occurredAt: string;
  /** The institution that recorded it: only it may correct or void it. */
  readonly recordedBy: string;
  /** When it was recorded (a late entry is recorded long after it happened in care). */
  readonly recordedAt: string;
  readonly data: IdRecord<unknown>;
  readonly status: 'as-recorded' | 'corrected' | 'entered-in-error' | 'unreadable';
}

export interface OpenedJourneyState {
  readonly status: 'open' | 'closed';
  readonly journeyId: string;
  readonly patientId: string;
  readonly residenceRegion: string;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly visits: IdRecord<VisitRecord>;
  readonly referrals: IdRecord<ReferralRecord>;
  readonly admissions: IdRecord<AdmissionRecord>;
  readonly surgeries: IdRecord<SurgeryRecord>;
  readonly rehabSessions: IdRecord<RehabSessionRecord>;
  readonly proposals: IdRecord<ProposalRecord>;
  readonly followUps: IdRecord<FollowUpRecord>;
  readonly facts: readonly FactEntry[];
}

export type JourneyState = { readonly status: 'not-opened' } | OpenedJourneyState;

export const initialJourneyState = (): JourneyState => ({ status: 'not-opened' });

type FactEvent = Exclude<JourneyEvent, { type: 'EventEnteredInError' | 'EventCorrected' }>;

export function evolveJourney(state: JourneyState, event: RecordedDomainEvent<JourneyEvent>): JourneyState {
  switch (event.type) {
    case 'EventEnteredInError':
    case 'EventCorrected': {
      if (state.status === 'not-opened') return state;
      const facts = state.facts.map((fact): FactEntry => {
        if (fact.eventId !== event.data.targetEventId) return fact;
        if (event.type === 'EventEnteredInError') return { ...fact, status: 'entered-in-error' };
        return {
          ...fact,
          occurredAt: event.data.occurredAt,
          data: { ...fact.data, ...event.data.data },
          status: parseCareTime(event.data.occurredAt) === null ? 'unreadable' : 'corrected',
        };
      });
      return refold(state, facts);
    }
    default: {
      const latest = state.status === 'not-opened' ? undefined : state.facts.at(-1);
      // Strings equal to the latest fact's are taken from it: the events of one command share their metadata, and
      // decoded from the log each brings its own copy (docs/benchmarks.md, "Fold caches").
      const fact: FactEntry = {
        eventId: event.id,
        type: event.type,
        occurredAt: sharedWith(latest?.occurredAt, event.metadata.occurredAt),
        recordedBy: sharedWith(latest?.recordedBy, event.metadata.institutionId),
        recordedAt: sharedWith(latest?.recordedAt, event.metadata.recordedAt),
        data: latest ? withSnapshotsOf(latest, event.data) : event.data,
        status: parseCareTime(event.metadata.occurredAt) === null ? 'unreadable' : 'as-recorded',
      };
      if (fact.status === 'unreadable' && fact.type !== 'JourneyOpened') {
        return state.status === 'not-opened' ? state : { ...state, facts: state.facts.concat([fact]) };
      }
      // concat, not a spread: a spread builds the list by appending and leaves it room to grow, held for as long as
      // the fold is cached.
      const facts = state.status === 'not-opened' ? [fact] : state.facts.concat([fact]);
      const previous = state.status === 'not-opened' ? null : lastInCare(state.facts);
      const key = careKey(fact);
      lastKeys.set(facts, previous && compareCare(previous, key) > 0 ? previous : key);
      // A late entry lands in its place in care time: the records are folded again in care order.
      if (state.status !== 'not-opened' && previous && compareCare(key, previous) < 0)
        return refold(state, facts);
      const next = applyFact(state, fact, facts);
      return next.status === 'not-opened' || next.facts === facts ? next : { ...next, facts };
    }
  }
}

/** `value`, as the string `kept` when the two are equal: one copy held instead of two. */
const sharedWith = (kept: string | undefined, value: string): string => (kept === value ? kept : value);

/** The fields in which journey events carry an institution as it stood (InstitutionSnapshot). */
const SNAPSHOT_FIELDS = ['institution', 'from', 'to', 'owedBy'] as const;

const snapshotIn = (data: IdRecord<unknown>, field: string): InstitutionSnapshot | undefined => {
  const value = entryOf(data, field);
  return typeof value === 'object' && value !== null && 'institutionId' in value
    ? (value as InstitutionSnapshot)
    : undefined;
};

const sameSnapshot = (a: InstitutionSnapshot, b: InstitutionSnapshot): boolean =>
  a.institutionId === b.institutionId &&
  a.tier === b.tier &&
  a.allianceId === b.allianceId &&
  a.regionCode === b.regionCode;

/**
 * `data`, with each institution snapshot equal to one the latest fact holds replaced by that one. Every event decoded
 * from the log brings its own copy of the same few institutions (a journey's visits are mostly at one centre), and a
 * folded journey keeps every fact's data: shared, a journey of visits at one centre holds about a sixth less in the
 * fold caches (docs/benchmarks.md, "HTTP commands"). The values are equal, so nothing that reads or serves the state can tell.
 */
function withSnapshotsOf(latest: FactEntry, data: IdRecord<unknown>): IdRecord<unknown> {
  let shared: Record<string, unknown> | null = null;
  for (const field of SNAPSHOT_FIELDS) {
    const snapshot = snapshotIn(data, field);
    if (!snapshot) continue;
    for (const known of SNAPSHOT_FIELDS) {
      const candidate = snapshotIn(latest.data, known);
      if (candidate && candidate !== snapshot && sameSnapshot(candidate, snapshot)) {
        shared ??= { ...data };
        shared[field] = candidate;
        break;
      }
    }
  }
  return shared ?? data;
}

/** Rebuilds the derived records from the facts in care order, skipping voided ones. */
function refold(state: OpenedJourneyState, facts: readonly FactEntry[]): JourneyState {
  const derived = foldFacts(facts, () => true);
  if (derived.status === 'not-opened') return { ...state, facts };
  return derived.facts === facts ? derived : { ...derived, facts };
}

/** The records folded from the facts `keep` selects, in care order (docs/care-time.md). */
export function foldFacts(facts: readonly FactEntry[], keep: (fact: FactEntry) => boolean): JourneyState {
  let derived: JourneyState = initialJourneyState();
  for (const fact of inCareOrder(facts)) {
    if (keep(fact)) derived = applyFact(derived, fact, facts);
  }
  return derived;
}

/**
 * Care order (docs/care-time.md, "Care order"): by care time; facts at the same instant by a fixed rank, so that a
 * late entry and the same fact recorded on time fold alike: what ends a presence in a bed comes before what starts
 * one, and a decision before the care given on it; then by log order.
 */
export const CARE_RANK: Readonly<Record<FactEntry['type'], number>> = {
  JourneyOpened: 0,
  UpwardReferralRequested: 1,
  DownwardReferralRequested: 1,
  ReferralReceived: 2,
  ReferralAccepted: 3,
  ReferralRejected: 3,
  ReferralCancelled: 3,
  ReferralExpired: 3,
  // After the expiry they follow (log order breaks the tie) and with the decisions they are about.
  ReferralDueSoon: 3,
  ReferralEscalated: 3,
  ReferralOutcomeAcknowledged: 3,
  // With the requests: an accepted proposal comes before the downward referral it became (same append).
  DownwardTransferProposed: 1,
  DownwardTransferProposalAccepted: 1,
  DownwardTransferProposalDeclined: 1,
  VisitRecorded: 4,
  LeaveStarted: 5,
  PatientDischarged: 6,
  // Owed at the discharge it follows (log order breaks the tie); completed after the care it records.
  FollowUpOwed: 6,
  PatientAdmitted: 7,
  LeaveEnded: 8,
  PatientMovedWard: 9,
  SurgeryRecorded: 10,
  RehabSessionRecorded: 10,
  ReferralCompleted: 11,
  FollowUpCompleted: 11,
  JourneyClosed: 12,
};

export interface CareKey {
  readonly at: number;
  readonly rank: number;
}

/**
 * The opening frames the stream, so it folds first whatever its care time (a fact the decider would refuse as
 * before the opening, but an older log may hold, still lands in the journey).
 */
export const careKey = (fact: Pick<FactEntry, 'occurredAt' | 'type'>): CareKey =>
  fact.type === 'JourneyOpened'
    ? { at: Number.NEGATIVE_INFINITY, rank: 0 }
    : { at: careTimeMs(fact.occurredAt), rank: CARE_RANK[fact.type] };

export const compareCare = (a: CareKey, b: CareKey): number => a.at - b.at || a.rank - b.rank;

/** The facts that shape the records, in care order; a stable sort keeps log order among equals. */
export function inCareOrder(facts: readonly FactEntry[]): FactEntry[] {
  const kept = facts.filter(shapesState);
  const keys = kept.map(careKey);
  if (keys.every((k, i) => i === 0 || compareCare(keys[i - 1]!, k) <= 0)) return kept;
  return kept
    .map((fact, i) => ({ fact, key: keys[i]! }))
    .sort((a, b) => compareCare(a.key, b.key))
    .map(({ fact }) => fact);
}

/** The latest care key of a facts list, remembered per list: the fold's fast path asks it for every event. */
const lastKeys = new WeakMap<readonly FactEntry[], CareKey>();

function lastInCare(facts: readonly FactEntry[]): CareKey | null {
  const known = lastKeys.get(facts);
  if (known) return known;
  let last: CareKey | null = null;
  for (const fact of facts) {
    if (!shapesState(fact)) continue;
    const key = careKey(fact);
    if (!last || compareCare(key, last) >= 0) last = key;
  }
  if (last) lastKeys.set(facts, last);
  return last;
}

/**
 * Whether a fact shapes the derived records. An unreadable opening still opens the journey (who and where need no
 * care time), so the journey can be found and repaired.
 */
const shapesState = (fact: FactEntry): boolean =>
  fact.status === 'as-recorded' ||
  fact.status === 'corrected' ||
  (fact.status === 'unreadable' && fact.type === 'JourneyOpened');

/** Facts whose care time does not parse: until they are voided or corrected, the journey needs repair. */
export function unreadableFacts(state: JourneyState): readonly FactEntry[] {
  return state.status === 'not-opened' ? [] : state.facts.filter((f) => f.status === 'unreadable');
}

/**
 * The journey as it was in care at `validAt`, with every correction known now applied (issue 5, time travel):
 * the facts whose (corrected) care time is not after `validAt`, folded in log order.
 */
export function journeyValidAt(state: JourneyState, validAt: string): JourneyState {
  if (state.status === 'not-opened') return state;
  const at = careTimeMs(validAt);
  // An unreadable care time (NaN) is never at or before anything: such a fact is left out.
  const facts = state.facts.filter((f) => careTimeMs(f.occurredAt) <= at);
  const folded = refold(state, facts);
  // A journey not yet opened at that time has no care state; its facts list says so.
  return folded.status !== 'not-opened' && facts.some((f) => f.type === 'JourneyOpened')
    ? folded
    : { status: 'not-opened' };
}

const asEvent = (fact: FactEntry): FactEvent => ({ type: fact.type, data: fact.data }) as FactEvent;

/**
 * Applies one fact to the derived records. Total: a fact whose subject is missing (voided) changes nothing. A state
 * it builds carries `facts`, the caller's list for the result, so the fold copies each state once per event, not
 * twice; one it returns unchanged still has the old list, and the caller adds the new one.
 */
function applyFact(state: JourneyState, fact: FactEntry, facts: readonly FactEntry[]): JourneyState {
  const event = asEvent(fact);
  const at = fact.occurredAt;
  if (event.type === 'JourneyOpened') {
    if (state.status !== 'not-opened') return state;
    return {
      status: 'open',
      journeyId: event.data.journeyId,
      patientId: event.data.patientId,
      residenceRegion: event.data.residenceRegion,
      openedAt: at,
      closedAt: null,
      visits: emptyIdRecord(),
      referrals: emptyIdRecord(),
      admissions: emptyIdRecord(),
      surgeries: emptyIdRecord(),
      rehabSessions: emptyIdRecord(),
      proposals: emptyIdRecord(),
      followUps: emptyIdRecord(),
      facts,
    };
  }
  if (state.status === 'not-opened') return state;

  switch (event.type) {
    case 'VisitRecorded': {
      const { visitId, institution, visitType, diagnosisCode, referralId } = event.data;
      const visits = withEntry(state.visits, visitId, {
        visitId,
        institution,
        visitType,
        diagnosisCode,
        referralId,
        occurredAt: at,
      });
      const seen = startReferralCare({ ...state, facts, visits }, referralId, at);
      return followUpSeen(seen, entryOf(visits, visitId)!);
    }
    case 'UpwardReferralRequested':
    case 'DownwardReferralRequested': {
      const d = event.data;
      const referral: ReferralRecord = {
        referralId: d.referralId,
        direction: event.type === 'UpwardReferralRequested' ? 'up' : 'down',
        from: d.from,
        to: d.to,
        department: d.department,
        priority: d.priority,
        setting: d.setting,
        reasonCode: d.reasonCode,
        status: 'requested',
        requestedAt: at,
        requestRecordedAt: fact.recordedAt,
        deadline: d.deadline,
        decidedAt: null,
        updatedAt: at,
        rejectionReason: null,
        cancellationReason: null,
        redirectedFromReferralId: d.redirectedFromReferralId,
        redirectReferralId: null,
        dueSoonAt: null,
        escalatedToAllianceId: null,
        acknowledgedAt: null,
      };
      const requested = { ...state, facts, referrals: withEntry(state.referrals, d.referralId, referral) };
      // A downward referral requested by other means answers any open proposal: it lapses.
      return event.type === 'DownwardReferralRequested'
        ? lapseProposals(requested, () => true, at)
        : requested;
    }
    case 'ReferralReceived':
      return updateReferral(state, facts, event.data.referralId, { status: 'received', updatedAt: at });
    case 'ReferralAccepted':
      return updateReferral(state, facts, event.data.referralId, {
        status: 'accepted',
        decidedAt: at,
        updatedAt: at,
      });
    case 'ReferralRejected':
      return updateReferral(state, facts, event.data.referralId, {
        status: 'rejected',
        decidedAt: at,
        updatedAt: at,
        rejectionReason: event.data.reason,
        redirectReferralId: event.data.redirectReferralId,
      });
    case 'ReferralCompleted':
      return updateReferral(state, facts, event.data.referralId, { status: 'completed', updatedAt: at });
    case 'ReferralCancelled':
      return updateReferral(state, facts, event.data.referralId, {
        status: 'cancelled',
        updatedAt: at,
        cancellationReason: event.data.reason,
      });
    case 'ReferralExpired':
      return updateReferral(state, facts, event.data.referralId, { status: 'expired', updatedAt: at });
    case 'ReferralDueSoon':
      return updateReferral(state, facts, event.data.referralId, { dueSoonAt: at });
    case 'ReferralEscalated':
      return updateReferral(state, facts, event.data.referralId, {
        escalatedToAllianceId: event.data.allianceId,
      });
    case 'ReferralOutcomeAcknowledged':
      return updateReferral(state, facts, event.data.referralId, { acknowledgedAt: at });
    case 'DownwardTransferProposed': {
      const d = event.data;
      if (!entryOf(state.admissions, d.admissionId)) return state;
      const proposal: ProposalRecord = {
        proposalId: d.proposalId,
        admissionId: d.admissionId,
        surgeryId: d.surgeryId,
        from: d.from,
        to: d.to,
        basis: d.basis,
        signedDoctorId: d.signedDoctorId,
        proposedAt: at,
        status: 'open',
        decidedAt: null,
        declineReason: null,
        referralId: null,
      };
      return { ...state, facts, proposals: withEntry(state.proposals, d.proposalId, proposal) };
    }
    case 'DownwardTransferProposalAccepted':
      return updateProposal(state, facts, event.data.proposalId, {
        status: 'accepted',
        decidedAt: at,
        referralId: event.data.referralId,
      });
    case 'DownwardTransferProposalDeclined':
      return updateProposal(state, facts, event.data.proposalId, {
        status: 'declined',
        decidedAt: at,
        declineReason: event.data.reason,
      });
    case 'FollowUpOwed': {
      const d = event.data;
      if (!entryOf(state.admissions, d.admissionId)) return state;
      const owed: FollowUpRecord = {
        followUpId: d.followUpId,
        admissionId: d.admissionId,
        dischargedAt: d.dischargedAt,
        owedBy: d.owedBy,
        signedDoctorId: d.signedDoctorId,
        dueBy: d.dueBy,
        basis: d.basis,
        status: 'owed',
        completedAt: null,
        completedBy: null,
        visitId: null,
      };
      // A visit recorded before the follow-up was owed, but inside its window, already did it.
      const visit = Object.values(state.visits)
        .filter((v) => followedUpBy(owed, v))
        .sort((a, b) => careTimeMs(a.occurredAt) - careTimeMs(b.occurredAt))[0];
      const followUp = visit ? doneByVisit(owed, visit) : owed;
      return { ...state, facts, followUps: withEntry(state.followUps, d.followUpId, followUp) };
    }
    case 'FollowUpCompleted': {
      const followUp = entryOf(state.followUps, event.data.followUpId);
      if (!followUp || followUp.status === 'done') return state;
      const done: FollowUpRecord = {
        ...followUp,
        status: 'done',
        completedAt: at,
        completedBy: 'recorded',
        visitId: event.data.visitId,
      };
      return { ...state, facts, followUps: withEntry(state.followUps, followUp.followUpId, done) };
    }
    case 'PatientAdmitted': {
      const d = event.data;
      const admission: AdmissionRecord = {
        admissionId: d.admissionId,
        institutionId: d.institution.institutionId,
        institution: d.institution,
        wardId: d.wardId,
        bedId: d.bedId,
        extraBed: d.extraBed,
        referralId: d.referralId,
        status: 'in-bed',
        admittedAt: at,
        leaves: [],
        dischargedAt: null,
        disposition: null,
        destinationInstitutionId: null,
      };
      return startReferralCare(
        { ...state, facts, admissions: withEntry(state.admissions, d.admissionId, admission) },
        d.referralId,
        at,
      );
    }
    case 'LeaveStarted':
      return updateAdmission(state, facts, event.data.admissionId, (a) => ({
        status: 'on-leave',
        leaves: [...a.leaves, { startedAt: at, endedAt: null, bedHeld: event.data.bedHeld }],
      }));
    case 'LeaveEnded':
      return updateAdmission(state, facts, event.data.admissionId, (a) => ({
        status: 'in-bed',
        leaves: a.leaves.map((leave, i) => (i === a.leaves.length - 1 ? { ...leave, endedAt: at } : leave)),
      }));
    case 'PatientMovedWard':
      return updateAdmission(state, facts, event.data.admissionId, () => ({
        wardId: event.data.toWardId,
        bedId: event.data.bedId,
        extraBed: event.data.extraBed,
      }));
    case 'SurgeryRecorded': {
      const { surgeryId, admissionId, institutionId, procedureCode } = event.data;
      if (!entryOf(state.admissions, admissionId)) return state;
      const surgery: SurgeryRecord = { surgeryId, admissionId, institutionId, procedureCode, occurredAt: at };
      return { ...state, facts, surgeries: withEntry(state.surgeries, surgeryId, surgery) };
    }
    case 'RehabSessionRecorded': {
      const { sessionId, institutionId, admissionId, therapyCode } = event.data;
      const session: RehabSessionRecord = {
        sessionId,
        institutionId,
        admissionId,
        therapyCode,
        occurredAt: at,
      };
      return { ...state, facts, rehabSessions: withEntry(state.rehabSessions, sessionId, session) };
    }
    case 'PatientDischarged': {
      const discharged = updateAdmission(state, facts, event.data.admissionId, (a) => ({
        status: 'discharged',
        dischargedAt: at,
        disposition: event.data.disposition,
        destinationInstitutionId: event.data.destinationInstitutionId,
        // A discharge while on leave ends the leave: the held bed is released.
        leaves: a.leaves.map((leave) => (leave.endedAt === null ? { ...leave, endedAt: at } : leave)),
      }));
      // The stay has ended: a transfer proposed from it can no longer be taken up.
      return lapseProposals(discharged, (p) => p.admissionId === event.data.admissionId, at);
    }
    case 'JourneyClosed':
      return { ...state, facts, status: 'closed', closedAt: at };
  }
}

function updateReferral(
  state: OpenedJourneyState,
  facts: readonly FactEntry[],
  referralId: string,
  patch: Partial<ReferralRecord>,
): OpenedJourneyState {
  const referral = entryOf(state.referrals, referralId);
  if (!referral) return state;
  return { ...state, facts, referrals: withEntry(state.referrals, referralId, { ...referral, ...patch }) };
}

function updateProposal(
  state: OpenedJourneyState,
  facts: readonly FactEntry[],
  proposalId: string,
  patch: Partial<ProposalRecord>,
): OpenedJourneyState {
  const proposal = entryOf(state.proposals, proposalId);
  if (!proposal || proposal.status !== 'open') return state;
  return { ...state, facts, proposals: withEntry(state.proposals, proposalId, { ...proposal, ...patch }) };
}

function lapseProposals(
  state: OpenedJourneyState,
  which: (proposal: ProposalRecord) => boolean,
  at: string,
): OpenedJourneyState {
  let proposals = state.proposals;
  for (const proposal of Object.values(state.proposals)) {
    if (proposal.status !== 'open' || !which(proposal)) continue;
    proposals = withEntry(proposals, proposal.proposalId, { ...proposal, status: 'lapsed', decidedAt: at });
  }
  return proposals === state.proposals ? state : { ...state, proposals };
}

/** A visit at the owing centre inside [dischargedAt, dueBy] is the follow-up (docs/domain.md). */
function followedUpBy(followUp: FollowUpRecord, visit: VisitRecord): boolean {
  const at = careTimeMs(visit.occurredAt);
  return (
    visit.institution.institutionId === followUp.owedBy.institutionId &&
    careTimeMs(followUp.dischargedAt) <= at &&
    at <= careTimeMs(followUp.dueBy)
  );
}

function doneByVisit(followUp: FollowUpRecord, visit: VisitRecord): FollowUpRecord {
  return {
    ...followUp,
    status: 'done',
    completedAt: visit.occurredAt,
    completedBy: 'visit',
    visitId: visit.visitId,
  };
}

function followUpSeen(state: OpenedJourneyState, visit: VisitRecord): OpenedJourneyState {
  let followUps = state.followUps;
  for (const followUp of Object.values(state.followUps)) {
    if (followUp.status === 'owed' && followedUpBy(followUp, visit)) {
      followUps = withEntry(followUps, followUp.followUpId, doneByVisit(followUp, visit));
    }
  }
  return followUps === state.followUps ? state : { ...state, followUps };
}

/** Care has started on an accepted referral when the patient is seen or admitted on it (FHIR Task in-progress). */
function startReferralCare(
  state: OpenedJourneyState,
  referralId: string | null,
  at: string,
): OpenedJourneyState {
  if (referralId === null || entryOf(state.referrals, referralId)?.status !== 'accepted') return state;
  return updateReferral(state, state.facts, referralId, { status: 'in-progress', updatedAt: at });
}

function updateAdmission(
  state: OpenedJourneyState,
  facts: readonly FactEntry[],
  admissionId: string,
  patch: (admission: AdmissionRecord) => Partial<AdmissionRecord>,
): OpenedJourneyState {
  const admission = entryOf(state.admissions, admissionId);
  if (!admission) return state;
  return {
    ...state,
    facts,
    admissions: withEntry(state.admissions, admissionId, { ...admission, ...patch(admission) }),
  };
}

/** One fact applied to the records, for the timeline's rules, which fold the facts themselves. */
export const applyFactInCare = applyFact;
