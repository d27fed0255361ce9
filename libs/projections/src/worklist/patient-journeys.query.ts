import type { SqlReader } from '../runtime/sql-reader';
import { type PatientJourneyRow, patientJourneysTable } from './worklist.projection';

/**
 * A pseudonymous patient id's journeys, oldest first, as the worklist read model knows them: candidates only. The
 * caller decides which of them the reader may see (a care relationship, an audit, break-glass) on each journey as
 * it stands, exactly as a journey read does.
 */
export async function queryPatientJourneys(
  reader: SqlReader,
  patientId: string,
): Promise<PatientJourneyRow[]> {
  const rows = await reader.all(
    'SELECT * FROM patient_journeys WHERE patient_id = @patientId ORDER BY opened_at, journey_id',
    { patientId },
  );
  return rows
    .map((row) => patientJourneysTable.read(row))
    .sort((a, b) => Date.parse(a.openedAt) - Date.parse(b.openedAt) || (a.journeyId < b.journeyId ? -1 : 1));
}
