import { startOfLocalDay } from '../model/care-calendar';
import { type LocalTreatmentFigures, ratio, type Ratio } from '../model/local-treatment.model';
import type { Period } from '../model/period.model';
import type { SqlReader } from '../runtime/sql-reader';

/** A count as a number: SQLite gives one; PostgreSQL's SUM of a BIGINT is NUMERIC, cast back in the SQL. */
const count = (value: unknown): number => Number(value ?? 0);

const window = (period: Period, timeZone: string) => ({
  start: startOfLocalDay(period.from, timeZone),
  end: startOfLocalDay(period.to, timeZone),
});

export interface RegionTreatmentRow extends LocalTreatmentFigures {
  readonly regionCode: string;
}

interface RegionCounts {
  region_code: string;
  in_region: unknown;
  community_in_region: unknown;
  residents: unknown;
  residents_in_region: unknown;
  residents_outpatient: unknown;
  residents_community_outpatient: unknown;
}

/*
 * The sums of localTreatmentFigures (docs/analytics.md, "Local-treatment rates"), counted by the database: a visit
 * counts for the region it happened in (`at`) and for the region its patient lives in (`of`), the same visit for
 * both when they are one region. Only one row per region comes back, so the API's memory does not grow with the
 * period (local-treatment.query.spec.ts holds these sums to localTreatmentFigures).
 */
const REGION_COUNTS = `
  SELECT region_code,
    CAST(SUM(CASE WHEN side = 'at' THEN 1 ELSE 0 END) AS BIGINT) AS in_region,
    CAST(SUM(CASE WHEN side = 'at' AND tier = 'community' THEN 1 ELSE 0 END) AS BIGINT) AS community_in_region,
    CAST(SUM(CASE WHEN side = 'of' THEN 1 ELSE 0 END) AS BIGINT) AS residents,
    CAST(SUM(CASE WHEN side = 'of' AND institution_region = region_code THEN 1 ELSE 0 END) AS BIGINT) AS residents_in_region,
    CAST(SUM(CASE WHEN side = 'of' AND visit_type = 'outpatient' THEN 1 ELSE 0 END) AS BIGINT) AS residents_outpatient,
    CAST(SUM(CASE WHEN side = 'of' AND visit_type = 'outpatient' AND tier = 'community' THEN 1 ELSE 0 END) AS BIGINT)
      AS residents_community_outpatient
  FROM (
    SELECT institution_region AS region_code, 'at' AS side, tier, visit_type, institution_region FROM visits
      WHERE occurred_at >= @start AND occurred_at < @end
    UNION ALL
    SELECT residence_region AS region_code, 'of' AS side, tier, visit_type, institution_region FROM visits
      WHERE occurred_at >= @start AND occurred_at < @end
  ) sides
  WHERE CAST(@region AS TEXT) IS NULL OR region_code = @region
  GROUP BY region_code`;

/** The three rates of each region (all regions seen in the window when none is given). */
export async function queryLocalTreatmentByRegion(
  reader: SqlReader,
  period: Period,
  region: string | undefined,
  timeZone: string,
): Promise<RegionTreatmentRow[]> {
  const counted = (await reader.all(REGION_COUNTS, {
    ...window(period, timeZone),
    region: region ?? null,
  })) as RegionCounts[];
  const byRegion = new Map(counted.map((row) => [row.region_code, row]));
  // Code-point order, as the embedded store sorts (PostgreSQL's collation may not).
  const regions = region ? [region] : [...byRegion.keys()].sort();
  return regions.map((code) => {
    const row = byRegion.get(code);
    return {
      regionCode: code,
      communityShare: ratio(count(row?.community_in_region), count(row?.in_region)),
      residentsCommunityShare: ratio(
        count(row?.residents_community_outpatient),
        count(row?.residents_outpatient),
      ),
      inRegionRate: ratio(count(row?.residents_in_region), count(row?.residents)),
    };
  });
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
  const counted = (await reader.all(
    `SELECT alliance_id, COUNT(*) AS visits,
       CAST(SUM(CASE WHEN tier = 'community' THEN 1 ELSE 0 END) AS BIGINT) AS community
     FROM visits
     WHERE occurred_at >= @start AND occurred_at < @end AND alliance_id IS NOT NULL
       AND (CAST(@allianceId AS TEXT) IS NULL OR alliance_id = @allianceId)
     GROUP BY alliance_id`,
    { ...window(period, timeZone), allianceId: allianceId ?? null },
  )) as { alliance_id: string; visits: unknown; community: unknown }[];
  const byAlliance = new Map(counted.map((row) => [row.alliance_id, row]));
  const alliances = [...byAlliance.keys()].sort();
  if (allianceId && !byAlliance.has(allianceId)) alliances.push(allianceId);
  return alliances.map((id) => {
    const row = byAlliance.get(id);
    return { allianceId: id, communityShare: ratio(count(row?.community), count(row?.visits)) };
  });
}
