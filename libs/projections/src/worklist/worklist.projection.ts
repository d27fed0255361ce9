import { journeyProjection } from '../runtime/journey-projection';

const OPEN_REFERRAL = new Set(['requested', 'received', 'accepted', 'in-progress']);

/** What coordinators act on: open referrals and current stays, per institution. */
export const worklistProjection = journeyProjection({
  name: 'worklist',
  version: 1,
  schema: `
    CREATE TABLE IF NOT EXISTS open_referrals (
      referral_id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, direction TEXT NOT NULL, priority TEXT NOT NULL, setting TEXT NOT NULL,
      department TEXT NOT NULL, from_institution_id TEXT NOT NULL, to_institution_id TEXT NOT NULL, status TEXT NOT NULL,
      requested_at TEXT NOT NULL, deadline TEXT NOT NULL, updated_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS open_referrals_by_journey ON open_referrals (journey_id);
    CREATE INDEX IF NOT EXISTS open_referrals_to ON open_referrals (to_institution_id, status);
    CREATE INDEX IF NOT EXISTS open_referrals_from ON open_referrals (from_institution_id, status);
    CREATE TABLE IF NOT EXISTS current_stays (
      admission_id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, patient_id TEXT NOT NULL, institution_id TEXT NOT NULL, ward_id TEXT NOT NULL,
      bed_id TEXT, extra_bed INTEGER NOT NULL, status TEXT NOT NULL, admitted_at TEXT NOT NULL, leave_started_at TEXT, bed_held INTEGER
    ) STRICT;
    CREATE INDEX IF NOT EXISTS current_stays_by_journey ON current_stays (journey_id);
    CREATE INDEX IF NOT EXISTS current_stays_by_institution ON current_stays (institution_id, status);
  `,
  tables: ['open_referrals', 'current_stays'],
  derive: (state, journeyId) => [
    Object.values(state.referrals)
      .filter((r) => OPEN_REFERRAL.has(r.status))
      .map((r) => [
        r.referralId,
        journeyId,
        r.direction,
        r.priority,
        r.setting,
        r.department,
        r.from.institutionId,
        r.to.institutionId,
        r.status,
        r.requestedAt,
        r.deadline,
        r.updatedAt,
      ]),
    Object.values(state.admissions)
      .filter((a) => a.status !== 'discharged')
      .map((a) => {
        const leave = a.status === 'on-leave' ? a.leaves.at(-1) : undefined;
        return [
          a.admissionId,
          journeyId,
          state.patientId,
          a.institutionId,
          a.wardId,
          a.bedId,
          a.extraBed ? 1 : 0,
          a.status,
          a.admittedAt,
          leave?.startedAt ?? null,
          leave ? (leave.bedHeld ? 1 : 0) : null,
        ];
      }),
  ],
});
