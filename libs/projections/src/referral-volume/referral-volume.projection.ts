import { journeyReferrals } from '../model/journey-rows.model';
import { journeyProjection } from '../runtime/journey-projection';

/** One row per referral request, its outcome and decision time (docs/domain.md, referral volume). */
export const referralVolumeProjection = journeyProjection({
  name: 'referral-volume',
  version: 1,
  schema: `
    CREATE TABLE IF NOT EXISTS referrals (
      referral_id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, direction TEXT NOT NULL, setting TEXT NOT NULL, priority TEXT NOT NULL,
      from_institution_id TEXT NOT NULL, from_tier TEXT NOT NULL, from_alliance_id TEXT,
      to_institution_id TEXT NOT NULL, to_tier TEXT NOT NULL, to_alliance_id TEXT,
      requested_at INTEGER NOT NULL, deadline INTEGER NOT NULL, status TEXT NOT NULL, outcome TEXT NOT NULL,
      decided_at INTEGER, closed_at INTEGER, redirected_from_referral_id TEXT
    ) STRICT;
    CREATE INDEX IF NOT EXISTS referrals_by_journey ON referrals (journey_id);
    CREATE INDEX IF NOT EXISTS referrals_by_time ON referrals (requested_at);
  `,
  tables: ['referrals'],
  derive: (state, journeyId) => [
    journeyReferrals(state).map((r) => [
      r.referralId,
      journeyId,
      r.direction,
      r.setting,
      r.priority,
      r.fromInstitutionId,
      r.fromTier,
      r.fromAllianceId,
      r.toInstitutionId,
      r.toTier,
      r.toAllianceId,
      r.requestedAt,
      r.deadline,
      r.status,
      r.outcome,
      r.decidedAt,
      r.closedAt,
      r.redirectedFromReferralId,
    ]),
  ],
});
