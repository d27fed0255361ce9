import { type OpenedJourneyState, TRANSFER_DECLINE_REASONS } from '@carepath/domain';
import { effectiveFacts, type Fact } from './facts';

/*
 * Referral volume (转诊人次) by direction, setting, institutions, alliance and period, with outcomes,
 * acceptance rate and time to decision (docs/analytics.md, "Referral volume"). One row per referral request; a redirect
 * within the alliance is a rejection of the first request (outcome `redirected`) plus a new request.
 */

export const REFERRAL_OUTCOMES = [
  'pending',
  'accepted',
  'rejected',
  'redirected',
  'cancelled',
  'expired',
  'completed',
] as const;
export type ReferralOutcome = (typeof REFERRAL_OUTCOMES)[number];

export interface ReferralRow {
  readonly referralId: string;
  readonly journeyId: string;
  readonly direction: 'up' | 'down';
  readonly setting: 'outpatient' | 'inpatient';
  readonly priority: string;
  readonly fromInstitutionId: string;
  readonly fromTier: string;
  readonly fromAllianceId: string | null;
  readonly toInstitutionId: string;
  readonly toTier: string;
  readonly toAllianceId: string | null;
  readonly requestedAt: number;
  readonly deadline: number;
  /** Workflow status now (FHIR Task-like). */
  readonly status: string;
  /** Final outcome for counting; `accepted` covers accepted and in-progress. */
  readonly outcome: ReferralOutcome;
  /** First accept or reject: the receiving side's decision. */
  readonly decidedAt: number | null;
  readonly closedAt: number | null;
  readonly redirectedFromReferralId: string | null;
}

interface RequestData {
  referralId: string;
  from: { institutionId: string; tier: string; allianceId: string | null };
  to: { institutionId: string; tier: string; allianceId: string | null };
  priority: string;
  setting: 'outpatient' | 'inpatient';
  deadline: string;
  redirectedFromReferralId: string | null;
}

/** A referral's row from its facts (request, workflow events, admissions/visits answering it). */
export function deriveReferral(journeyId: string, facts: readonly Fact[]): ReferralRow | null {
  const effective = effectiveFacts(facts);
  const request = effective.find(
    (f) => f.type === 'UpwardReferralRequested' || f.type === 'DownwardReferralRequested',
  );
  if (!request) return null;
  const r = request.data as unknown as RequestData;
  let status = 'requested';
  let outcome: ReferralOutcome = 'pending';
  let decidedAt: number | null = null;
  let closedAt: number | null = null;
  for (const fact of effective) {
    const at = Date.parse(fact.occurredAt);
    switch (fact.type) {
      case 'ReferralReceived':
        if (status === 'requested') status = 'received';
        break;
      case 'ReferralAccepted':
        status = 'accepted';
        outcome = 'accepted';
        decidedAt ??= at;
        break;
      case 'ReferralRejected': {
        const redirected = (fact.data as { redirectReferralId: string | null }).redirectReferralId !== null;
        status = 'rejected';
        outcome = redirected ? 'redirected' : 'rejected';
        decidedAt ??= at;
        closedAt = at;
        break;
      }
      case 'PatientAdmitted':
      case 'VisitRecorded':
        if (status === 'accepted') status = 'in-progress';
        break;
      case 'ReferralCompleted':
        status = 'completed';
        outcome = 'completed';
        closedAt = at;
        break;
      case 'ReferralCancelled':
        status = 'cancelled';
        outcome = 'cancelled';
        closedAt = at;
        break;
      case 'ReferralExpired':
        status = 'expired';
        outcome = 'expired';
        closedAt = at;
        break;
      default:
        break;
    }
  }
  return {
    referralId: r.referralId,
    journeyId,
    direction: request.type === 'UpwardReferralRequested' ? 'up' : 'down',
    setting: r.setting,
    priority: r.priority,
    fromInstitutionId: r.from.institutionId,
    fromTier: r.from.tier,
    fromAllianceId: r.from.allianceId,
    toInstitutionId: r.to.institutionId,
    toTier: r.to.tier,
    toAllianceId: r.to.allianceId,
    requestedAt: Date.parse(request.occurredAt),
    deadline: Date.parse(r.deadline),
    status,
    outcome,
    decidedAt,
    closedAt,
    redirectedFromReferralId: r.redirectedFromReferralId,
  };
}

export interface ReferralFigures {
  readonly total: number;
  readonly outcomes: Readonly<Record<ReferralOutcome, number>>;
  /** Ever accepted (accepted, in progress or completed), for the acceptance rate. */
  readonly accepted: number;
  /** Percent of decided referrals (accepted + rejected + redirected) that were accepted. */
  readonly acceptanceRate: number | null;
  /** Hours from request to the receiving side's decision. */
  readonly timeToDecisionHours: { readonly median: number | null; readonly p90: number | null };
}

export function referralFigures(rows: readonly ReferralRow[]): ReferralFigures {
  const outcomes = Object.fromEntries(REFERRAL_OUTCOMES.map((o) => [o, 0])) as Record<
    ReferralOutcome,
    number
  >;
  let accepted = 0;
  const decisionHours: number[] = [];
  for (const row of rows) {
    outcomes[row.outcome]++;
    // Completed referrals were accepted first; a referral cancelled after acceptance was accepted too.
    if (
      row.outcome === 'accepted' ||
      row.outcome === 'completed' ||
      (row.outcome === 'cancelled' && row.decidedAt !== null)
    ) {
      accepted++;
    }
    if (row.decidedAt !== null) decisionHours.push((row.decidedAt - row.requestedAt) / 3_600_000);
  }
  const decided = accepted + outcomes.rejected + outcomes.redirected;
  decisionHours.sort((a, b) => a - b);
  return {
    total: rows.length,
    outcomes,
    accepted,
    acceptanceRate: decided > 0 ? round((accepted / decided) * 100) : null,
    timeToDecisionHours: { median: quantile(decisionHours, 0.5), p90: quantile(decisionHours, 0.9) },
  };
}

/**
 * What a group's figures are made from when a database counts them (the analytics queries): the same counts
 * `referralFigures` makes, and the decision times (ms) found at the nearest ranks of the median and the 90th
 * percentile, ceil(n / 2) and ceil(9n / 10) of the n decided referrals sorted.
 */
export interface ReferralCounts {
  readonly total: number;
  readonly outcomes: Readonly<Record<ReferralOutcome, number>>;
  readonly accepted: number;
  readonly decisionMs: { readonly median: number | null; readonly p90: number | null };
}

/** The figures of counted referrals, by the rules of `referralFigures`. */
export function referralFiguresOf(counts: ReferralCounts): ReferralFigures {
  const decided = counts.accepted + counts.outcomes.rejected + counts.outcomes.redirected;
  const hours = (ms: number | null) => (ms === null ? null : round(ms / 3_600_000));
  return {
    total: counts.total,
    outcomes: counts.outcomes,
    accepted: counts.accepted,
    acceptanceRate: decided > 0 ? round((counts.accepted / decided) * 100) : null,
    timeToDecisionHours: { median: hours(counts.decisionMs.median), p90: hours(counts.decisionMs.p90) },
  };
}

/** Nearest-rank quantile on sorted values (no interpolation, so every reported value was observed). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return round(sorted[rank - 1]!);
}

const round = (n: number) => Math.round(n * 100) / 100;

/*
 * Downward transfer proposals and discharge follow-ups, the care processes' outcomes counted beside the referrals
 * (docs/analytics.md, "Transfer proposals" and "Follow-up completion"). One row each, from the journey's state (which
 * already applies corrections and voids), so a void moves the figures exactly as a rebuild would.
 */

export const PROPOSAL_STATUSES = ['open', 'accepted', 'declined', 'lapsed'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export interface ProposalOutcomeRow {
  readonly proposalId: string;
  readonly journeyId: string;
  readonly admissionId: string;
  /** The hospital holding the stay, which answers the proposal. */
  readonly fromInstitutionId: string;
  readonly fromAllianceId: string | null;
  /** The community centre the patient would go down to. */
  readonly toInstitutionId: string;
  readonly toAllianceId: string | null;
  readonly basis: string;
  readonly proposedAt: number;
  readonly status: ProposalStatus;
  readonly decidedAt: number | null;
  readonly declineReason: string | null;
  /** The downward referral an accepted proposal became. */
  readonly referralId: string | null;
}

export function journeyTransferProposals(
  state: OpenedJourneyState,
  journeyId = state.journeyId,
): ProposalOutcomeRow[] {
  return Object.values(state.proposals ?? {}).map((p) => ({
    proposalId: p.proposalId,
    journeyId,
    admissionId: p.admissionId,
    fromInstitutionId: p.from.institutionId,
    fromAllianceId: p.from.allianceId,
    toInstitutionId: p.to.institutionId,
    toAllianceId: p.to.allianceId,
    basis: p.basis,
    proposedAt: Date.parse(p.proposedAt),
    status: p.status,
    decidedAt: p.decidedAt === null ? null : Date.parse(p.decidedAt),
    declineReason: p.declineReason,
    referralId: p.referralId,
  }));
}

export interface TransferProposalFigures {
  readonly made: number;
  readonly accepted: number;
  readonly declined: number;
  /** Declined proposals by TRANSFER_DECLINE_REASONS code. */
  readonly declinedByReason: Readonly<Record<string, number>>;
  /** Closed without an answer: the stay ended, or a downward referral was asked for otherwise. */
  readonly lapsed: number;
  /** Still awaiting the hospital's answer. */
  readonly open: number;
  /** accepted ÷ (accepted + declined) × 100: of the proposals answered, the share taken up. */
  readonly acceptanceRate: number | null;
}

export function transferProposalFigures(rows: readonly ProposalOutcomeRow[]): TransferProposalFigures {
  const declinedByReason: Record<string, number> = Object.fromEntries(
    TRANSFER_DECLINE_REASONS.map((reason) => [reason, 0]),
  );
  const count: Record<ProposalStatus, number> = { open: 0, accepted: 0, declined: 0, lapsed: 0 };
  for (const row of rows) {
    count[row.status]++;
    if (row.status === 'declined') {
      const reason = row.declineReason ?? 'other';
      declinedByReason[reason] = (declinedByReason[reason] ?? 0) + 1;
    }
  }
  const answered = count.accepted + count.declined;
  return {
    made: rows.length,
    accepted: count.accepted,
    declined: count.declined,
    declinedByReason,
    lapsed: count.lapsed,
    open: count.open,
    acceptanceRate: answered > 0 ? round((count.accepted / answered) * 100) : null,
  };
}

export interface FollowUpOutcomeRow {
  readonly followUpId: string;
  readonly journeyId: string;
  readonly admissionId: string;
  /** The community centre that owes it. */
  readonly owedByInstitutionId: string;
  readonly owedByAllianceId: string | null;
  readonly basis: string;
  readonly dischargedAt: number;
  readonly dueBy: number;
  readonly status: 'owed' | 'done';
  readonly completedAt: number | null;
  readonly completedBy: 'visit' | 'recorded' | null;
}

export function journeyFollowUps(
  state: OpenedJourneyState,
  journeyId = state.journeyId,
): FollowUpOutcomeRow[] {
  return Object.values(state.followUps ?? {}).map((f) => ({
    followUpId: f.followUpId,
    journeyId,
    admissionId: f.admissionId,
    owedByInstitutionId: f.owedBy.institutionId,
    owedByAllianceId: f.owedBy.allianceId,
    basis: f.basis,
    dischargedAt: Date.parse(f.dischargedAt),
    dueBy: Date.parse(f.dueBy),
    status: f.status,
    completedAt: f.completedAt === null ? null : Date.parse(f.completedAt),
    completedBy: f.completedBy,
  }));
}

export interface FollowUpFigures {
  /** Follow-ups owed for discharges in the period. */
  readonly owed: number;
  /** Done by the due date: a visit at the owing centre in the window, or recorded as done by then. */
  readonly doneInTime: number;
  /** Recorded as done after the due date. */
  readonly doneLate: number;
  /** Of those done (in time or late), how many were recorded by the centre rather than shown by a visit. */
  readonly doneRecorded: number;
  /** Not done, and past the due date at the time of the answer. */
  readonly overdue: number;
  /** Not done, and not yet due: left out of the rate. */
  readonly notYetDue: number;
  /** doneInTime ÷ (owed − notYetDue) × 100; null when none has fallen due. */
  readonly completionRate: number | null;
}

/** The figures of a set of follow-ups at the instant `at` (epoch ms), which decides overdue and not yet due. */
export function followUpFigures(rows: readonly FollowUpOutcomeRow[], at: number): FollowUpFigures {
  let doneInTime = 0;
  let doneLate = 0;
  let doneRecorded = 0;
  let overdue = 0;
  let notYetDue = 0;
  for (const row of rows) {
    // A follow-up done after `at` (a late entry replayed as of an earlier time) was not done then.
    const done = row.status === 'done' && row.completedAt !== null && row.completedAt <= at;
    if (done) {
      if (row.completedAt <= row.dueBy) doneInTime++;
      else doneLate++;
      if (row.completedBy === 'recorded') doneRecorded++;
    } else if (row.dueBy < at) overdue++;
    else notYetDue++;
  }
  const fallenDue = rows.length - notYetDue;
  return {
    owed: rows.length,
    doneInTime,
    doneLate,
    doneRecorded,
    overdue,
    notYetDue,
    completionRate: fallenDue > 0 ? round((doneInTime / fallenDue) * 100) : null,
  };
}
