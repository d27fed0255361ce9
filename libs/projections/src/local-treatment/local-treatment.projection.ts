import { journeyVisits } from '../model/journey-rows.model';
import type { VisitRow } from '../model/local-treatment.model';
import { journeyProjection } from '../runtime/journey-projection';
import { integer, nullable, readModelTable, text } from '../runtime/read-model-table';

export const visitsTable = readModelTable<VisitRow>(
  'visits',
  {
    visitId: text,
    journeyId: text,
    residenceRegion: text,
    institutionId: text,
    tier: text,
    institutionRegion: text,
    allianceId: nullable(text),
    visitType: text,
    occurredAt: integer,
  },
  { primaryKey: ['visitId'], indexes: { visits_by_journey: ['journeyId'], visits_by_time: ['occurredAt'] } },
);

/** Every visit with where it happened and where the patient lives (docs/analytics.md, "Visits"). */
export const localTreatmentProjection = journeyProjection({
  name: 'local-treatment',
  version: 1,
  tables: [visitsTable],
  derive: (state, journeyId) => [journeyVisits(state, journeyId)],
});
