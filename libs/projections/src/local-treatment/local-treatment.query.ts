import type Database from 'better-sqlite3';
import { startOfLocalDay } from '../model/care-calendar';
import {
  localTreatmentFigures,
  type LocalTreatmentFigures,
  ratio,
  type Ratio,
  type VisitRow,
} from '../model/local-treatment.model';
import type { Period } from '../model/period.model';
import { visitsTable } from './local-treatment.projection';

function visitsIn(
  db: Database.Database,
  period: Period,
  timeZone: string,
  where: string,
  params: Record<string, string>,
): VisitRow[] {
  return db
    .prepare(`SELECT * FROM visits WHERE occurred_at >= @start AND occurred_at < @end AND (${where})`)
    .all({
      start: startOfLocalDay(period.from, timeZone),
      end: startOfLocalDay(period.to, timeZone),
      ...params,
    })
    .map((row) => visitsTable.read(row));
}

export interface RegionTreatmentRow extends LocalTreatmentFigures {
  readonly regionCode: string;
}

/** The three rates of each region (all regions seen in the window when none is given). */
export function queryLocalTreatmentByRegion(
  db: Database.Database,
  period: Period,
  region: string | undefined,
  timeZone: string,
): RegionTreatmentRow[] {
  const visits = region
    ? visitsIn(db, period, timeZone, 'institution_region = @region OR residence_region = @region', { region })
    : visitsIn(db, period, timeZone, '1 = 1', {});
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

export function queryLocalTreatmentByAlliance(
  db: Database.Database,
  period: Period,
  allianceId: string | undefined,
  timeZone: string,
): AllianceTreatmentRow[] {
  const visits = allianceId
    ? visitsIn(db, period, timeZone, 'alliance_id = @allianceId', { allianceId })
    : visitsIn(db, period, timeZone, 'alliance_id IS NOT NULL', {});
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
