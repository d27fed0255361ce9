import type { FollowUpFigures } from '@carepath/projections';
import {
  contractOn,
  DEFAULT_FOLLOW_UP_DAYS,
  type FollowUpBasis,
  type FollowUpDays,
  followUpOwed,
  referralDeadline,
} from './care-rules';
import {
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
 *   visit that could answer one).
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
