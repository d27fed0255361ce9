import { TRANSFER_DECLINE_REASONS } from '@carepath/domain';
import type { FollowUpFigures, TransferProposalFigures } from '@carepath/projections';
import {
  allianceCentre,
  contractOn,
  DEFAULT_FOLLOW_UP_DAYS,
  type FollowUpBasis,
  type FollowUpDays,
  followUpOwed,
  referralDeadline,
} from './care-rules';
import {
  DAY,
  localDay,
  monthOfDay,
  type Plan,
  type PlannedJourney,
  type PlannedReferral,
  UTC8,
} from './simulation.plan';
import { iso } from './simulation.script';

/*
 * What CarePath's care processes do with the plan once it is recorded (issue 20), computed from the plan alone: the
 * simulator records the whole plan with the processes off, then lets them act (docs/operations.md, "The
 * simulator"). By then the clock is past every care time of the presets, so every timer has run out:
 * - every referral still undecided in a journey left open is expired once, at its deadline (care-rules.ts), whether
 *   the plan meant it to expire or the period ended before its decision: no reminder, since the deadline has passed;
 * - every discharge home or to rehab in a journey left open owes one follow-up, done when the plan has a visit at
 *   the owing centre from the discharge to the due date (both included), overdue otherwise. A journey the plan
 *   closed owes none: it was closed before the processes acted, and a closed journey takes no more acts (and no
 *   visit that could answer one);
 * - every stay still open at a hospital after surgery, in an open journey with no downward referral under way (an
 *   undecided one is expired first), gets one downward transfer proposal, TRANSFER_STABLE_DAYS (3) after the
 *   surgery (or a second after the last downward referral that ended after the surgery, if later), to the signed
 *   family doctor's centre or the hospital's alliance centre (care-rules.ts); nobody answers it, so it stays open,
 *   unless a downward referral of the journey was requested after it in care time (lapsed).
 */

/** Expiries by direction, then by care time (ISO, +08:00) → how many referrals were expired at that instant. */
export type ExpiryTruth = Readonly<Partial<Record<'up' | 'down', Readonly<Record<string, number>>>>>;

/**
 * A set of follow-ups as the analytics count them (docs/analytics.md, "Follow-up completion"; CarePath's type gives
 * the shape only). All have fallen due (none `notYetDue`), and the simulator records none as done, so none is done
 * late or recorded: done in time is a visit at the owing centre in the window.
 */
export type FollowUpCell = FollowUpFigures;

export interface FollowUpTruth {
  /** Owing centre → month of the discharge ("YYYY-MM", Beijing) → figures. */
  readonly byInstitution: Readonly<Record<string, Readonly<Record<string, FollowUpCell>>>>;
  /** Basis (after-surgery, key-group, standard) → figures over every month. */
  readonly byBasis: Readonly<Partial<Record<FollowUpBasis, FollowUpCell>>>;
}

/** Has the deadline process a referral to expire: nobody decided, cancelled or completed it, and the journey is open. */
export function leftToExpire(j: PlannedJourney, r: PlannedReferral): boolean {
  return j.closedAt === null && r.decision === null && (r.end === null || r.end.kind === 'expired');
}

export function expiryTruth(plan: Plan): ExpiryTruth {
  const truth: Partial<Record<'up' | 'down', Record<string, number>>> = {};
  for (const j of plan.journeys) {
    for (const r of j.referrals) {
      if (!leftToExpire(j, r)) continue;
      const at = iso(referralDeadline(r.requestedAt, r.priority));
      const times = (truth[r.direction] ??= {});
      times[at] = (times[at] ?? 0) + 1;
    }
  }
  return truth;
}

/** One follow-up the processes owe, and whether the plan has the visit that does it. */
export interface PlannedFollowUp {
  readonly patientId: string;
  readonly owedBy: string;
  readonly basis: FollowUpBasis;
  readonly dischargedAt: number;
  readonly dueBy: number;
  readonly done: boolean;
}

export function plannedFollowUps(plan: Plan, days: FollowUpDays = DEFAULT_FOLLOW_UP_DAYS): PlannedFollowUp[] {
  const contracts = plan.familyDoctors?.contracts ?? [];
  return plan.journeys.flatMap((j) => {
    if (j.closedAt !== null) return [];
    return j.stays.flatMap((s) => {
      const dischargedAt = s.dischargedAt;
      if (dischargedAt === null) return [];
      const date = new Date(dischargedAt + UTC8).toISOString().slice(0, 10);
      const contract = contractOn(contracts, j.patientId, date);
      const owed = followUpOwed(j, s, dischargedAt, plan.institutions, contract, days);
      if (owed === null) return [];
      const owedBy = owed.owedBy.institutionId;
      return [
        {
          patientId: j.patientId,
          owedBy,
          basis: owed.basis,
          dischargedAt,
          dueBy: owed.dueBy,
          done: j.visits.some(
            (v) => v.institutionId === owedBy && v.at >= dischargedAt && v.at <= owed.dueBy,
          ),
        },
      ];
    });
  });
}

function cell(followUps: readonly PlannedFollowUp[]): FollowUpCell {
  const done = followUps.filter((f) => f.done).length;
  const owed = followUps.length;
  return {
    owed,
    doneInTime: done,
    doneLate: 0,
    doneRecorded: 0,
    overdue: owed - done,
    notYetDue: 0,
    // Integers only before the rounding, half up (as ground-truth.ts's percent).
    completionRate: owed > 0 ? Math.round((done * 10_000) / owed) / 100 : null,
  };
}

export function followUpTruth(plan: Plan, days: FollowUpDays = DEFAULT_FOLLOW_UP_DAYS): FollowUpTruth {
  const all = plannedFollowUps(plan, days);
  const byInstitution: Record<string, Record<string, PlannedFollowUp[]>> = {};
  const byBasis: Partial<Record<FollowUpBasis, PlannedFollowUp[]>> = {};
  for (const f of all) {
    ((byInstitution[f.owedBy] ??= {})[monthOfDay(localDay(f.dischargedAt))] ??= []).push(f);
    (byBasis[f.basis] ??= []).push(f);
  }
  return {
    byInstitution: Object.fromEntries(
      Object.entries(byInstitution).map(([id, months]) => [
        id,
        Object.fromEntries(Object.entries(months).map(([month, fs]) => [month, cell(fs)])),
      ]),
    ),
    byBasis: Object.fromEntries(Object.entries(byBasis).map(([basis, fs]) => [basis, cell(fs)])),
  };
}

/** TRANSFER_STABLE_DAYS as the API has it by default (the oracle runs it so). */
export const TRANSFER_STABLE_DAYS = 3;

/** A proposal the transfer process makes, from the plan. */
export interface PlannedProposal {
  readonly patientId: string;
  readonly from: string;
  readonly to: string;
  readonly basis: 'signed-doctor' | 'alliance-centre';
  readonly proposedAt: number;
  /**
   * Lapsed: a downward referral of the journey was requested (by other means) after it, in care time; the
   * process proposed on the record as it stood, that referral expired. Open otherwise: nobody answers it.
   */
  readonly lapsed: boolean;
}

export function plannedProposals(plan: Plan): PlannedProposal[] {
  const contracts = plan.familyDoctors?.contracts ?? [];
  const tier = new Map(plan.institutions.map((i) => [i.institutionId, i.tier]));
  return plan.journeys.flatMap((j) => {
    if (j.closedAt !== null) return [];
    // Accepted and not over: under way. Undecided ones are expired by then, the others ended.
    if (j.referrals.some((r) => r.direction === 'down' && r.end === null && r.decision?.kind === 'accepted'))
      return [];
    return j.stays.flatMap((s) => {
      if (s.dischargedAt !== null || s.surgeryAt === null || tier.get(s.institutionId) === 'community')
        return [];
      // Not before a downward referral that ended after the surgery has ended: the decider judges the proposal at
      // its care time, when that referral was still open (docs/architecture.md, "Processes"), so the process waits
      // for the next second after the last such end (care times are kept to the second).
      const ends = j.referrals
        .filter((r) => r.direction === 'down')
        .map((r) => referralEnd(j, r))
        .filter((end): end is number => end !== null && end > s.surgeryAt!);
      const proposedAt = Math.max(s.surgeryAt + TRANSFER_STABLE_DAYS * DAY, ...ends.map((end) => end + 1000));
      const date = new Date(proposedAt + UTC8).toISOString().slice(0, 10);
      const contract = contractOn(contracts, j.patientId, date);
      const signed = contract
        ? plan.institutions.find((i) => i.institutionId === contract.centreId && i.tier === 'community')
        : undefined;
      const to = signed ?? allianceCentre(j, s.institutionId, plan.institutions);
      if (!to) return [];
      return [
        {
          patientId: j.patientId,
          from: s.institutionId,
          to: to.institutionId,
          basis: signed ? ('signed-doctor' as const) : ('alliance-centre' as const),
          proposedAt,
          lapsed: j.referrals.some(
            (r) => r.direction === 'down' && r.redirectedFrom === null && r.requestedAt > proposedAt,
          ),
        },
      ];
    });
  });
}

/**
 * When a referral stops being under way, in care time: its end, its decision when that was a refusal or a redirect,
 * or its deadline when the deadline process expires it; null while it is accepted and not over.
 */
function referralEnd(j: PlannedJourney, r: PlannedReferral): number | null {
  if (r.end) return r.end.at;
  if (leftToExpire(j, r)) return referralDeadline(r.requestedAt, r.priority);
  return r.decision && r.decision.kind !== 'accepted' ? r.decision.at : null;
}

/** Proposals made in the plan's months (the figures' window), as the analytics count them; none answered. */
export interface ProposalTruth {
  /** Holding hospital → month proposed ("YYYY-MM", Beijing) → figures. */
  readonly byFromInstitution: Readonly<Record<string, Readonly<Record<string, TransferProposalFigures>>>>;
  /** Proposed centre → figures over the months. */
  readonly byToInstitution: Readonly<Record<string, TransferProposalFigures>>;
}

function proposalCell(proposals: readonly PlannedProposal[]): TransferProposalFigures {
  const lapsed = proposals.filter((p) => p.lapsed).length;
  return {
    made: proposals.length,
    accepted: 0,
    declined: 0,
    // The decline codes give the figures their shape (each at 0: nobody declines).
    declinedByReason: Object.fromEntries(TRANSFER_DECLINE_REASONS.map((reason) => [reason, 0])),
    lapsed,
    open: proposals.length - lapsed,
    acceptanceRate: null,
  };
}

export function proposalTruth(plan: Plan): ProposalTruth {
  const months = new Set(plan.months);
  const byFrom: Record<string, Record<string, PlannedProposal[]>> = {};
  const byTo: Record<string, PlannedProposal[]> = {};
  for (const p of plannedProposals(plan)) {
    const month = monthOfDay(localDay(p.proposedAt));
    if (!months.has(month)) continue;
    ((byFrom[p.from] ??= {})[month] ??= []).push(p);
    (byTo[p.to] ??= []).push(p);
  }
  return {
    byFromInstitution: Object.fromEntries(
      Object.entries(byFrom).map(([id, ms]) => [
        id,
        Object.fromEntries(Object.entries(ms).map(([m, ps]) => [m, proposalCell(ps)])),
      ]),
    ),
    byToInstitution: Object.fromEntries(Object.entries(byTo).map(([id, ps]) => [id, proposalCell(ps)])),
  };
}
