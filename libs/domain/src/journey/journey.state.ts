import { careTimeMs, parseCareTime } from '../shared/care-time';
import type { RecordedDomainEvent } from '../shared/event';
import { emptyIdRecord, entryOf, type IdRecord, withEntry } from '../shared/id-record';
import type {
  CancellationReason,
  DischargeDisposition,
  InstitutionSnapshot,
  JourneyEvent,
  ReferralPriority,
  ReferralSetting,
  RejectionReason,
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
  readonly deadline: string;
  /** Care time of the receiving side's accept or reject. */
  readonly decidedAt: string | null;
  /** Care time of the last status change. */
  readonly updatedAt: string;
  readonly rejectionReason: RejectionReason | null;
  readonly cancellationReason: CancellationReason | null;
  readonly redirectedFromReferralId: string | null;
  readonly redirectReferralId: string | null;
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
      const fact: FactEntry = {
        eventId: event.id,
        type: event.type,
        occurredAt: event.metadata.occurredAt,
        recordedBy: event.metadata.institutionId,
        data: event.data,
        status: parseCareTime(event.metadata.occurredAt) === null ? 'unreadable' : 'as-recorded',
      };
      if (fact.status === 'unreadable' && fact.type !== 'JourneyOpened') {
        return state.status === 'not-opened' ? state : { ...state, facts: [...state.facts, fact] };
      }
      const facts = state.status === 'not-opened' ? [fact] : [...state.facts, fact];
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
  VisitRecorded: 4,
  LeaveStarted: 5,
  PatientDischarged: 6,
  PatientAdmitted: 7,
  LeaveEnded: 8,
  PatientMovedWard: 9,
  SurgeryRecorded: 10,
  RehabSessionRecorded: 10,
  ReferralCompleted: 11,
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
      return startReferralCare({ ...state, facts, visits }, referralId, at);
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
        deadline: d.deadline,
        decidedAt: null,
        updatedAt: at,
        rejectionReason: null,
        cancellationReason: null,
        redirectedFromReferralId: d.redirectedFromReferralId,
        redirectReferralId: null,
      };
      return { ...state, facts, referrals: withEntry(state.referrals, d.referralId, referral) };
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
    case 'PatientDischarged':
      return updateAdmission(state, facts, event.data.admissionId, (a) => ({
        status: 'discharged',
        dischargedAt: at,
        disposition: event.data.disposition,
        destinationInstitutionId: event.data.destinationInstitutionId,
        // A discharge while on leave ends the leave: the held bed is released.
        leaves: a.leaves.map((leave) => (leave.endedAt === null ? { ...leave, endedAt: at } : leave)),
      }));
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
