import type Database from 'better-sqlite3';
import { type PatientJourneyRow, patientJourneysTable } from './worklist.projection';

/**
 * A pseudonymous patient id's journeys, oldest first, as the worklist read model knows them: candidates only. The
 * caller decides which of them the reader may see (a care relationship, an audit, break-glass) on each journey as
 * it stands, exactly as a journey read does.
 */
export function queryPatientJourneys(db: Database.Database, patientId: string): PatientJourneyRow[] {
  return db
    .prepare('SELECT * FROM patient_journeys WHERE patient_id = ? ORDER BY opened_at, journey_id')
    .all(patientId)
    .map((row) => patientJourneysTable.read(row))
    .sort((a, b) => Date.parse(a.openedAt) - Date.parse(b.openedAt) || (a.journeyId < b.journeyId ? -1 : 1));
}
