import { careTimeMs, entryOf, type OpenedJourneyState, type ReferralRecord } from '@carepath/domain';
import { currentStays } from '../model/journey-rows.model';
import type { Placement } from '../model/ward-occupancy.model';

/**
 * Continuity (issue 20, docs/worklists.md "With us upstairs"): the institution that referred its patient up keeps
 * them on its worklist once the referral is accepted, until they come back down or the journey closes.
 *
 * Back down, after the acceptance (care time): a downward referral to a community centre or to the referrer itself
 * accepted, in progress or completed; a discharge home, to rehab, or deceased; or the patient seen or admitted at
 * the referrer again. A discharge to another institution keeps them upstairs (they moved, they did not come back).
 * While the referrer holds a bed for them (sequential ward, on leave) its on-leave section already shows them.
 */
export interface UpstairsRow {
  readonly journeyId: string;
  /** The referrer, whose worklist shows the row. */
  readonly institutionId: string;
  readonly patientId: string;
  /** The last accepted upward referral from the referrer. */
  readonly referralId: string;
  readonly department: string;
  readonly priority: string;
  readonly referredToInstitutionId: string;
  readonly acceptedAt: string;
  /** Where the patient is now: the institution of their open stay, or of the last care recorded since. */
  readonly whereInstitutionId: string;
  readonly admitted: boolean;
  readonly stayStatus: 'in-bed' | 'on-leave' | null;
  readonly wardId: string | null;
  /** Care time since when they are there (admission, visit, or the referral's acceptance). */
  readonly since: string;
  /** A downward referral on its way back (requested or received), when there is one. */
  readonly returnReferralId: string | null;
}

const TAKEN = new Set(['accepted', 'in-progress', 'completed']);
const BACK_HOME = new Set(['home', 'rehab', 'deceased']);

const ms = (at: string | null): number => (at === null ? Number.NaN : careTimeMs(at));

export function withUsUpstairs(state: OpenedJourneyState, journeyId: string): UpstairsRow[] {
  if (state.status === 'closed') return [];
  const latest = new Map<string, ReferralRecord>();
  for (const r of Object.values(state.referrals)) {
    if (r.direction !== 'up' || !TAKEN.has(r.status) || r.decidedAt === null) continue;
    const before = latest.get(r.from.institutionId);
    if (!before || ms(r.decidedAt) >= ms(before.decidedAt)) latest.set(r.from.institutionId, r);
  }
  if (latest.size === 0) return [];
  // Derived once: the stay fold is the costly part of a journey's rows.
  const stays = currentStays(state, journeyId);
  const rows: UpstairsRow[] = [];
  for (const [referrer, up] of latest) {
    const accepted = ms(up.decidedAt);
    if (cameBackDown(state, referrer, accepted)) continue;
    if (stays.some((s) => s.institutionId === referrer)) continue;
    rows.push({
      journeyId,
      institutionId: referrer,
      patientId: state.patientId,
      referralId: up.referralId,
      department: up.department,
      priority: up.priority,
      referredToInstitutionId: up.to.institutionId,
      acceptedAt: up.decidedAt!,
      ...whereNow(state, stays, up, accepted),
      returnReferralId: returning(state, referrer, accepted),
    });
  }
  return rows;
}

/** Whether the patient is down again, at or after `since` (care ms). */
function cameBackDown(state: OpenedJourneyState, referrer: string, since: number): boolean {
  const backTo = (r: ReferralRecord) => r.to.institutionId === referrer || r.to.tier === 'community';
  for (const r of Object.values(state.referrals)) {
    if (r.direction === 'down' && TAKEN.has(r.status) && backTo(r) && ms(r.decidedAt) >= since) return true;
  }
  for (const a of Object.values(state.admissions)) {
    if (a.institutionId === referrer && ms(a.admittedAt) >= since) return true;
    if (a.disposition !== null && BACK_HOME.has(a.disposition) && ms(a.dischargedAt) >= since) return true;
  }
  return Object.values(state.visits).some(
    (v) => v.institution.institutionId === referrer && ms(v.occurredAt) > since,
  );
}

function whereNow(
  state: OpenedJourneyState,
  stays: readonly Placement[],
  up: ReferralRecord,
  since: number,
): Pick<UpstairsRow, 'whereInstitutionId' | 'admitted' | 'stayStatus' | 'wardId' | 'since'> {
  const open = [...stays].sort((a, b) => b.from - a.from)[0];
  if (open) {
    const admission = entryOf(state.admissions, open.admissionId);
    return {
      whereInstitutionId: open.institutionId,
      admitted: true,
      stayStatus: open.kind,
      wardId: open.wardId,
      since: admission?.admittedAt ?? up.decidedAt!,
    };
  }
  // No open stay: the last place care was recorded since the acceptance (a visit, a stay, a transfer out).
  let where = { institutionId: up.to.institutionId, at: up.decidedAt!, atMs: since };
  const consider = (institutionId: string | null, at: string | null) => {
    const t = ms(at);
    if (institutionId !== null && at !== null && t >= where.atMs) where = { institutionId, at, atMs: t };
  };
  for (const v of Object.values(state.visits)) consider(v.institution.institutionId, v.occurredAt);
  for (const a of Object.values(state.admissions)) {
    consider(a.institutionId, a.admittedAt);
    if (a.disposition === 'other-institution') consider(a.destinationInstitutionId, a.dischargedAt);
  }
  return {
    whereInstitutionId: where.institutionId,
    admitted: false,
    stayStatus: null,
    wardId: null,
    since: where.at,
  };
}

function returning(state: OpenedJourneyState, referrer: string, since: number): string | null {
  const pending = Object.values(state.referrals)
    .filter(
      (r) =>
        r.direction === 'down' &&
        (r.status === 'requested' || r.status === 'received') &&
        (r.to.institutionId === referrer || r.to.tier === 'community') &&
        ms(r.requestedAt) >= since,
    )
    .sort((a, b) => ms(b.requestedAt) - ms(a.requestedAt));
  return pending[0]?.referralId ?? null;
}
