import { journeyReferrals } from '../model/journey-rows.model';
import {
  type FollowUpOutcomeRow,
  journeyFollowUps,
  journeyTransferProposals,
  type ProposalOutcomeRow,
  type ProposalStatus,
  type ReferralOutcome,
  type ReferralRow,
} from '../model/referral-volume.model';
import { journeyProjection } from '../runtime/journey-projection';
import { integer, nullable, readModelTable, text, textOf } from '../runtime/read-model-table';

export const referralsTable = readModelTable<ReferralRow>(
  'referrals',
  {
    referralId: text,
    journeyId: text,
    direction: textOf<ReferralRow['direction']>(),
    setting: textOf<ReferralRow['setting']>(),
    priority: text,
    fromInstitutionId: text,
    fromTier: text,
    fromAllianceId: nullable(text),
    toInstitutionId: text,
    toTier: text,
    toAllianceId: nullable(text),
    requestedAt: integer,
    deadline: integer,
    status: text,
    outcome: textOf<ReferralOutcome>(),
    decidedAt: nullable(integer),
    closedAt: nullable(integer),
    redirectedFromReferralId: nullable(text),
  },
  {
    primaryKey: ['referralId'],
    indexes: { referrals_by_journey: ['journeyId'], referrals_by_time: ['requestedAt'] },
  },
);

export const proposalOutcomesTable = readModelTable<ProposalOutcomeRow>(
  'proposal_outcomes',
  {
    proposalId: text,
    journeyId: text,
    admissionId: text,
    fromInstitutionId: text,
    fromAllianceId: nullable(text),
    toInstitutionId: text,
    toAllianceId: nullable(text),
    basis: text,
    proposedAt: integer,
    status: textOf<ProposalStatus>(),
    decidedAt: nullable(integer),
    declineReason: nullable(text),
    referralId: nullable(text),
  },
  {
    primaryKey: ['proposalId'],
    indexes: { proposal_outcomes_by_journey: ['journeyId'], proposal_outcomes_by_time: ['proposedAt'] },
  },
);

export const followUpOutcomesTable = readModelTable<FollowUpOutcomeRow>(
  'follow_up_outcomes',
  {
    followUpId: text,
    journeyId: text,
    admissionId: text,
    owedByInstitutionId: text,
    owedByAllianceId: nullable(text),
    basis: text,
    dischargedAt: integer,
    dueBy: integer,
    status: textOf<FollowUpOutcomeRow['status']>(),
    completedAt: nullable(integer),
    completedBy: nullable(textOf<'visit' | 'recorded'>()),
  },
  {
    primaryKey: ['followUpId'],
    indexes: {
      follow_up_outcomes_by_journey: ['journeyId'],
      follow_up_outcomes_by_time: ['dischargedAt'],
    },
  },
);

/**
 * One row per referral request, its outcome and decision time (docs/analytics.md, "Referral volume"); one per
 * downward transfer proposal and per discharge follow-up with how it ended ("Transfer proposals", "Follow-up
 * completion"). Version 2 added the last two.
 */
export const referralVolumeProjection = journeyProjection({
  name: 'referral-volume',
  version: 2,
  tables: [referralsTable, proposalOutcomesTable, followUpOutcomesTable],
  derive: (state, journeyId) => [
    journeyReferrals(state, journeyId),
    journeyTransferProposals(state, journeyId),
    journeyFollowUps(state, journeyId),
  ],
});
