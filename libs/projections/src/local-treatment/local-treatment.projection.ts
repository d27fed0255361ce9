import { journeyVisits } from '../model/journey-rows.model';
import { journeyProjection } from '../runtime/journey-projection';

/** Every visit with where it happened and where the patient lives (docs/domain.md, local-treatment rates). */
export const localTreatmentProjection = journeyProjection({
  name: 'local-treatment',
  version: 1,
  schema: `
    CREATE TABLE IF NOT EXISTS visits (
      visit_id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, residence_region TEXT NOT NULL, institution_id TEXT NOT NULL,
      tier TEXT NOT NULL, institution_region TEXT NOT NULL, alliance_id TEXT, visit_type TEXT NOT NULL, occurred_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS visits_by_journey ON visits (journey_id);
    CREATE INDEX IF NOT EXISTS visits_by_time ON visits (occurred_at);
  `,
  tables: ['visits'],
  derive: (state, journeyId) => [
    journeyVisits(state).map((v) => [
      v.visitId,
      journeyId,
      v.residenceRegion,
      v.institutionId,
      v.tier,
      v.institutionRegion,
      v.allianceId,
      v.visitType,
      v.occurredAt,
    ]),
  ],
});
