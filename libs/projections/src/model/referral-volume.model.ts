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

/** Nearest-rank quantile on sorted values (no interpolation, so every reported value was observed). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return round(sorted[rank - 1]!);
}

const round = (n: number) => Math.round(n * 100) / 100;
