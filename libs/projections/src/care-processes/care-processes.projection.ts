import {
  entryOf,
  type InstitutionSnapshot,
  type OpenedJourneyState,
  parseCareTime,
  type ReferralRecord,
} from '@carepath/domain';
import { journeyProjection } from '../runtime/journey-projection';
import { flag, integer, nullable, readModelTable, text, textOf } from '../runtime/read-model-table';

/**
 * What the process manager still owes a journey (docs/architecture.md, "Processes"). Each row is a timer derived
 * from the log: it exists while the journey's state says the act is still to do, and disappears once the act (or
 * a person) has changed that state. Nothing is held in memory: a restart, a rebuild or a correction gives the same
 * rows. Rows carry the care times the timer counts from, not the moment it fires: the fraction and periods are
 * configuration, applied by the query (care-processes.query.ts), so changing them needs no rebuild.
 */
export const PROCESS_KINDS = [
  'referral-reminder',
  'referral-expiry',
  'transfer-proposal',
  'follow-up',
] as const;
export type ProcessKind = (typeof PROCESS_KINDS)[number];

export interface ProcessActionRow {
  /** `<kind>:<subjectId>`: one pending act per subject and kind. */
  readonly actionId: string;
  readonly kind: ProcessKind;
  readonly journeyId: string;
  /** The referral (reminder, expiry), surgery (proposal) or admission (follow-up) the act is about. */
  readonly subjectId: string;
  readonly patientId: string;
  readonly residenceRegion: string;
  /** The institution the process acts for: the referring side of a referral, the hospital holding or ending the stay. */
  readonly institutionId: string;
  readonly institutionTier: string;
  readonly institutionAllianceId: string | null;
  /** The other side: the receiving institution of a referral; a rehab discharge's destination; else null. */
  readonly counterpartId: string | null;
  readonly counterpartAllianceId: string | null;
  readonly priority: string | null;
  /** Care time the timer counts from: the referral's request, the surgery, the discharge. */
  readonly startAt: string;
  readonly startMs: number;
  /** The referral's decision deadline; null for the other kinds. */
  readonly deadline: string | null;
  readonly deadlineMs: number | null;
  /**
   * When a referral's request was recorded (epoch ms), null for the other kinds: an expiry waits a grace period
   * after it, so that a referral entered after its deadline can have its decision entered too (care-processes.query.ts).
   */
  readonly recordedMs: number | null;
  /** The stay (proposal, follow-up) or null. */
  readonly admissionId: string | null;
  /**
   * A proposal's earliest care time (epoch ms) when something that would refuse it there ended after its surgery: a
   * downward referral under way, an earlier proposal of the stay still open. Null otherwise and for the other kinds.
   */
  readonly notBeforeMs: number | null;
  /** A surgery was recorded in the stay (a follow-up's priority window). */
  readonly afterSurgery: boolean;
  /** The community centre that first referred the journey up, if one did (where the patient comes back down to). */
  readonly referringCentreId: string | null;
  readonly referringCentreAllianceId: string | null;
}

export const processActionsTable = readModelTable<ProcessActionRow>(
  'process_actions',
  {
    actionId: text,
    kind: textOf<ProcessKind>(),
    journeyId: text,
    subjectId: text,
    patientId: text,
    residenceRegion: text,
    institutionId: text,
    institutionTier: text,
    institutionAllianceId: nullable(text),
    counterpartId: nullable(text),
    counterpartAllianceId: nullable(text),
    priority: nullable(text),
    startAt: text,
    startMs: integer,
    deadline: nullable(text),
    deadlineMs: nullable(integer),
    recordedMs: nullable(integer),
    admissionId: nullable(text),
    notBeforeMs: nullable(integer),
    afterSurgery: flag,
    referringCentreId: nullable(text),
    referringCentreAllianceId: nullable(text),
  },
  {
    primaryKey: ['actionId'],
    indexes: {
      process_actions_by_journey: ['journeyId'],
      process_actions_by_kind: ['kind', 'startMs'],
    },
  },
);

const UNDECIDED = new Set(['requested', 'received']);
const PENDING = new Set(['requested', 'received', 'accepted', 'in-progress']);

/** The pending process acts of one journey, from its folded state. Pure: a rebuild derives the same rows. */
export function deriveProcessActions(state: OpenedJourneyState, journeyId: string): ProcessActionRow[] {
  if (state.status !== 'open') return [];
  const referring = referringCentre(state);
  const base = {
    journeyId,
    patientId: state.patientId,
    residenceRegion: state.residenceRegion,
    referringCentreId: referring?.institutionId ?? null,
    referringCentreAllianceId: referring?.allianceId ?? null,
  };
  const rows: ProcessActionRow[] = [];
  for (const referral of Object.values(state.referrals)) {
    if (!UNDECIDED.has(referral.status)) continue;
    const timed = timedReferral(referral);
    if (!timed) continue;
    const row = { ...base, ...timed };
    if (referral.dueSoonAt === null)
      rows.push({ ...row, kind: 'referral-reminder', actionId: `referral-reminder:${referral.referralId}` });
    rows.push({ ...row, kind: 'referral-expiry', actionId: `referral-expiry:${referral.referralId}` });
  }
  const proposal = transferDue(state);
  if (proposal) rows.push({ ...base, ...proposal });
  const surgeryStays = new Set(Object.values(state.surgeries).map((s) => s.admissionId));
  const owed = new Set(Object.values(state.followUps).map((f) => f.admissionId));
  for (const admission of Object.values(state.admissions)) {
    if (admission.status !== 'discharged' || admission.dischargedAt === null) continue;
    if (admission.disposition !== 'home' && admission.disposition !== 'rehab') continue;
    if (owed.has(admission.admissionId)) continue;
    const startMs = safeMs(admission.dischargedAt);
    if (startMs === null) continue;
    rows.push({
      ...base,
      actionId: `follow-up:${admission.admissionId}`,
      kind: 'follow-up',
      subjectId: admission.admissionId,
      ...acting(admission.institution),
      counterpartId: admission.disposition === 'rehab' ? admission.destinationInstitutionId : null,
      counterpartAllianceId: null,
      priority: null,
      startAt: admission.dischargedAt,
      startMs,
      deadline: null,
      deadlineMs: null,
      recordedMs: null,
      admissionId: admission.admissionId,
      notBeforeMs: null,
      afterSurgery: surgeryStays.has(admission.admissionId),
    });
  }
  return rows;
}

function timedReferral(referral: ReferralRecord) {
  const startMs = safeMs(referral.requestedAt);
  const deadlineMs = safeMs(referral.deadline);
  if (startMs === null || deadlineMs === null) return null;
  return {
    subjectId: referral.referralId,
    ...acting(referral.from),
    counterpartId: referral.to.institutionId,
    counterpartAllianceId: referral.to.allianceId,
    priority: referral.priority,
    startAt: referral.requestedAt,
    startMs,
    deadline: referral.deadline,
    deadlineMs,
    recordedMs: safeMs(referral.requestRecordedAt),
    admissionId: null,
    notBeforeMs: null,
    afterSurgery: false,
  };
}

/**
 * The stay's latest surgery, while the stay is open at a hospital (not a community centre), it has had no
 * proposal for that surgery, none is open for the stay, and no downward referral is under way.
 *
 * "None open" and "none under way" are true now; the decider judges the act at its care time (docs/care-time.md,
 * docs/domain.md "Downward transfer proposals"), when a downward referral since expired, or a proposal since
 * declined, may still have been open. So the row is not due before the last of them ended (`notBeforeMs`): acted
 * earlier, it would be refused as settled and stay due for ever.
 */
function transferDue(state: OpenedJourneyState) {
  const downward = Object.values(state.referrals).some(
    (r) => r.direction === 'down' && PENDING.has(r.status),
  );
  if (downward) return null;
  const latest = new Map<string, { surgeryId: string; occurredAt: string; ms: number }>();
  for (const surgery of Object.values(state.surgeries)) {
    const ms = safeMs(surgery.occurredAt);
    if (ms === null) continue;
    const known = latest.get(surgery.admissionId);
    if (!known || ms > known.ms || (ms === known.ms && surgery.surgeryId > known.surgeryId))
      latest.set(surgery.admissionId, { surgeryId: surgery.surgeryId, occurredAt: surgery.occurredAt, ms });
  }
  const proposals = Object.values(state.proposals);
  for (const [admissionId, surgery] of [...latest].sort(([a], [b]) => a.localeCompare(b))) {
    const admission = entryOf(state.admissions, admissionId);
    if (!admission || admission.status === 'discharged' || admission.institution.tier === 'community')
      continue;
    const proposed = proposals.some(
      (p) => p.surgeryId === surgery.surgeryId || (p.admissionId === admissionId && p.status === 'open'),
    );
    if (proposed) continue;
    const ends = [
      ...Object.values(state.referrals)
        .filter((r) => r.direction === 'down')
        .map((r) => safeMs(r.updatedAt)),
      ...proposals
        .filter((p) => p.admissionId === admissionId)
        .map((p) => (p.decidedAt === null ? null : safeMs(p.decidedAt))),
    ].filter((end): end is number => end !== null && end > surgery.ms);
    return {
      actionId: `transfer-proposal:${surgery.surgeryId}`,
      kind: 'transfer-proposal' as const,
      subjectId: surgery.surgeryId,
      ...acting(admission.institution),
      counterpartId: null,
      counterpartAllianceId: null,
      priority: null,
      startAt: surgery.occurredAt,
      startMs: surgery.ms,
      deadline: null,
      deadlineMs: null,
      recordedMs: null,
      admissionId,
      notBeforeMs: ends.length > 0 ? Math.max(...ends) + NEXT_CARE_SECOND_MS : null,
      afterSurgery: true,
    };
  }
  return null;
}

/**
 * Care times are recorded to the second (formatInOffset), and a proposal ranks before a referral's end at the same
 * instant (CARE_RANK in journey.state.ts): the first care time it can follow that end at is the next second.
 */
const NEXT_CARE_SECOND_MS = 1000;

const acting = (institution: InstitutionSnapshot) => ({
  institutionId: institution.institutionId,
  institutionTier: institution.tier,
  institutionAllianceId: institution.allianceId,
});

/** The community centre whose upward referral began the journey's first climb. */
function referringCentre(state: OpenedJourneyState): InstitutionSnapshot | null {
  let first: { at: number; from: InstitutionSnapshot } | null = null;
  for (const r of Object.values(state.referrals)) {
    if (r.direction !== 'up' || r.from.tier !== 'community') continue;
    const at = safeMs(r.requestedAt);
    if (at !== null && (first === null || at < first.at)) first = { at, from: r.from };
  }
  return first?.from ?? null;
}

/** A care time a projection can count from; an unreadable one makes no timer (the journey needs repair first). */
const safeMs = (value: string): number | null => parseCareTime(value);

/** The process manager's timers, one table of pending acts (docs/architecture.md, "Processes"). */
export const careProcessesProjection = journeyProjection({
  name: 'care-processes',
  // 2: rows carry when a referral's request was recorded (recordedMs), for the late-entry grace of its expiry.
  // 3: proposal rows carry the care time they wait for (notBeforeMs), so the decider never refuses them as settled.
  version: 3,
  tables: [processActionsTable],
  derive: (state, journeyId) => [deriveProcessActions(state, journeyId)],
});
