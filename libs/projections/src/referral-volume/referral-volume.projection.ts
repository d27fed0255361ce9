import { journeyReferrals } from '../model/journey-rows.model';
import type { ReferralOutcome, ReferralRow } from '../model/referral-volume.model';
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

/** One row per referral request, its outcome and decision time (docs/analytics.md, "Referral volume"). */
export const referralVolumeProjection = journeyProjection({
  name: 'referral-volume',
  version: 1,
  tables: [referralsTable],
  derive: (state, journeyId) => [journeyReferrals(state, journeyId)],
});
