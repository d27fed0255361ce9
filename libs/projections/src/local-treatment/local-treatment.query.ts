import { startOfLocalDay } from '../model/care-calendar';
import {
  localTreatmentFigures,
  type LocalTreatmentFigures,
  ratio,
  type Ratio,
  type VisitRow,
} from '../model/local-treatment.model';
import type { Period } from '../model/period.model';
import type { SqlReader } from '../runtime/sql-reader';
import { visitsTable } from './local-treatment.projection';

async function visitsIn(
  reader: SqlReader,
  period: Period,
  timeZone: string,
  where: string,
  params: Record<string, string>,
): Promise<VisitRow[]> {
  const rows = await reader.all(
    `SELECT * FROM visits WHERE occurred_at >= @start AND occurred_at < @end AND (${where})`,
    {
      start: startOfLocalDay(period.from, timeZone),
      end: startOfLocalDay(period.to, timeZone),
      ...params,
    },
  );
  return rows.map((row) => visitsTable.read(row));
}

export interface RegionTreatmentRow extends LocalTreatmentFigures {
  readonly regionCode: string;
}

/** The three rates of each region (all regions seen in the window when none is given). */
export async function queryLocalTreatmentByRegion(
  reader: SqlReader,
  period: Period,
  region: string | undefined,
  timeZone: string,
): Promise<RegionTreatmentRow[]> {
  const visits = await (region
    ? visitsIn(reader, period, timeZone, 'institution_region = @region OR residence_region = @region', {
        region,
      })
    : visitsIn(reader, period, timeZone, '1 = 1', {}));
  const regions = region
    ? [region]
    : [...new Set(visits.flatMap((v) => [v.institutionRegion, v.residenceRegion]))].sort();
  return regions.map((code) => ({
    regionCode: code,
    ...localTreatmentFigures(
      code,
      visits.filter((v) => v.institutionRegion === code || v.residenceRegion === code),
    ),
  }));
}

export interface AllianceTreatmentRow {
  readonly allianceId: string;
  /** Community visits at the alliance's institutions ÷ all visits at them (same population of visits). */
  readonly communityShare: Ratio;
}

export async function queryLocalTreatmentByAlliance(
  reader: SqlReader,
  period: Period,
  allianceId: string | undefined,
  timeZone: string,
): Promise<AllianceTreatmentRow[]> {
  const visits = await (allianceId
    ? visitsIn(reader, period, timeZone, 'alliance_id = @allianceId', { allianceId })
    : visitsIn(reader, period, timeZone, 'alliance_id IS NOT NULL', {}));
  const alliances = [...new Set(visits.map((v) => v.allianceId!))].sort();
  if (allianceId && !alliances.includes(allianceId)) alliances.push(allianceId);
  return alliances.map((id) => {
    const mine = visits.filter((v) => v.allianceId === id);
    return {
      allianceId: id,
      communityShare: ratio(mine.filter((v) => v.tier === 'community').length, mine.length),
    };
  });
}
