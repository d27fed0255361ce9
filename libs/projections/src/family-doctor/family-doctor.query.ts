import { COVERAGE_KEY_GROUPS, type KeyGroup } from '@carepath/domain';
import { keyGroupsOf } from '../model/family-doctor.model';
import { ratio } from '../model/local-treatment.model';
import { inOneSnapshot, type SqlReader } from '../runtime/sql-reader';
import { contractSegmentsTable } from './family-doctor.projection';

export const COVERAGE_GROUPS = ['region', 'centre', 'alliance'] as const;
export type CoverageGroup = (typeof COVERAGE_GROUPS)[number];

export interface CoverageFilter {
  readonly region?: string;
  readonly centreId?: string;
  readonly allianceId?: string;
}

/** A coverage rate's terms: signed ÷ population; no population recorded leaves the rate out, not zero. */
export interface CoverageTerms {
  readonly signed: number;
  readonly population: number | null;
  /** Percent, 2 decimals; null without a population. */
  readonly rate: number | null;
}

export interface CoverageRow {
  /** The region code, centre or alliance the row counts. */
  readonly key: string;
  readonly on: string;
  readonly coverage: CoverageTerms;
  readonly keyGroupCoverage: CoverageTerms;
  /** Each coverage key group's own rate (by region only: the statistics give group populations per region). */
  readonly byKeyGroup: Readonly<Partial<Record<KeyGroup, CoverageTerms>>>;
}

const terms = (signed: number, population: number | null): CoverageTerms => ({
  signed,
  population,
  rate: population === null ? null : ratio(signed, population).rate,
});

const GROUP_COLUMN: Readonly<Record<CoverageGroup, string>> = {
  region: contractSegmentsTable.column('residenceRegion'),
  centre: contractSegmentsTable.column('centreId'),
  alliance: contractSegmentsTable.column('allianceId'),
};

interface Denominator {
  readonly residents: number;
  readonly keyGroupResidents: number;
  readonly byKeyGroup: Readonly<Partial<Record<KeyGroup, number>>>;
}

/** Each region's figures in force on `on`: the latest effective on or before it. */
const LATEST_FIGURES = `SELECT * FROM population_figures p WHERE effective_on = (
  SELECT MAX(effective_on) FROM population_figures q WHERE q.region_code = p.region_code AND q.effective_on <= @on)`;

async function denominators(
  reader: SqlReader,
  groupBy: CoverageGroup,
  on: string,
): Promise<Map<string, Denominator>> {
  const out = new Map<string, Denominator>();
  if (groupBy === 'region') {
    for (const row of (await reader.all(LATEST_FIGURES, { on })) as Record<string, unknown>[]) {
      out.set(String(row.region_code), {
        residents: Number(row.residents),
        keyGroupResidents: Number(row.key_group_residents),
        byKeyGroup: JSON.parse(String(row.by_key_group)) as Partial<Record<KeyGroup, number>>,
      });
    }
    return out;
  }
  // A centre's catchment as its region's figures in force list it; an alliance's is the sum of its centres'.
  const key = groupBy === 'centre' ? 'c.centre_id' : 'i.alliance_id';
  // PostgreSQL sums BIGINTs as NUMERIC: cast back, so that both give an integer.
  const rows = (await reader.all(
    `SELECT ${key} AS k, CAST(SUM(c.residents) AS BIGINT) AS residents, CAST(SUM(c.key_group_residents) AS BIGINT) AS kg
     FROM catchments c JOIN (${LATEST_FIGURES}) f ON f.region_code = c.region_code AND f.effective_on = c.effective_on
     LEFT JOIN institutions i ON i.institution_id = c.centre_id
     WHERE ${key} IS NOT NULL GROUP BY ${key}`,
    { on },
  )) as { k: string; residents: number; kg: number }[];
  for (const r of rows) out.set(r.k, { residents: r.residents, keyGroupResidents: r.kg, byKeyGroup: {} });
  return out;
}

/**
 * Family-doctor coverage on a date (docs/analytics.md, "Family-doctor coverage", after docs/family-doctors.md,
 * "Coverage"): residents signed that day ÷ the resident population in force, and key-group members signed ÷ the
 * key-group population, by the residence region, the centre holding the contract, or that centre's alliance.
 */
export async function queryCoverage(
  reader: SqlReader,
  on: string,
  groupBy: CoverageGroup,
  filter: CoverageFilter = {},
): Promise<CoverageRow[]> {
  const column = GROUP_COLUMN[groupBy];
  // key_groups is ' a b ' (codes of lower-case letters, digits and hyphens: nothing LIKE reads as a wildcard).
  const perGroup = COVERAGE_KEY_GROUPS.map(
    (g, i) => `COUNT(DISTINCT CASE WHEN key_groups LIKE '% ${g} %' THEN resident_id END) AS g${i}`,
  );
  const where = [
    'from_date <= @on AND to_date > @on',
    `${column} IS NOT NULL`,
    filter.region ? 'residence_region = @region' : null,
    filter.centreId ? 'centre_id = @centreId' : null,
    filter.allianceId ? 'alliance_id = @allianceId' : null,
  ].filter((w) => w !== null);
  const [signed, populations] = await inOneSnapshot(reader, (snapshot) =>
    Promise.all([
      snapshot.all(
        `SELECT ${column} AS k, COUNT(DISTINCT resident_id) AS signed,
         COUNT(DISTINCT CASE WHEN in_key_group = 1 THEN resident_id END) AS kg, ${perGroup.join(', ')}
       FROM contract_segments WHERE ${where.join(' AND ')} GROUP BY ${column}`,
        {
          on,
          region: filter.region ?? null,
          centreId: filter.centreId ?? null,
          allianceId: filter.allianceId ?? null,
        },
      ) as Promise<Record<string, number | string>[]>,
      denominators(snapshot, groupBy, on),
    ]),
  );
  const counted = new Map(signed.map((row) => [String(row.k), row]));
  const wanted =
    groupBy === 'region' ? filter.region : groupBy === 'centre' ? filter.centreId : filter.allianceId;
  // Filters by another dimension leave a population that no longer matches the numerator: rates only on its own.
  const sameDimension =
    (groupBy === 'region' || !filter.region) &&
    (groupBy === 'centre' || !filter.centreId) &&
    (groupBy === 'alliance' || !filter.allianceId);
  const keys = [...new Set([...counted.keys(), ...(sameDimension ? populations.keys() : [])])]
    .filter((k) => wanted === undefined || k === wanted)
    .sort();
  return keys.map((key) => {
    const row = counted.get(key);
    const population = sameDimension ? populations.get(key) : undefined;
    const byKeyGroup: Partial<Record<KeyGroup, CoverageTerms>> = {};
    if (groupBy === 'region') {
      COVERAGE_KEY_GROUPS.forEach((g, i) => {
        byKeyGroup[g] = terms(Number(row?.[`g${i}`] ?? 0), population?.byKeyGroup[g] ?? null);
      });
    }
    return {
      key,
      on,
      coverage: terms(Number(row?.signed ?? 0), population?.residents ?? null),
      keyGroupCoverage: terms(Number(row?.kg ?? 0), population?.keyGroupResidents ?? null),
      byKeyGroup,
    };
  });
}

/** A resident on a doctor's panel on a date: the contract in force, since when this doctor holds it, its groups. */
export interface PanelEntry {
  readonly residentId: string;
  readonly contractId: string;
  readonly centreId: string;
  readonly residenceRegion: string;
  readonly keyGroups: readonly KeyGroup[];
  readonly inKeyGroup: boolean;
  /** The segment in force: from its start to the next change, the end or the expiry (exclusive). */
  readonly from: string;
  readonly until: string;
}

/** Text in code-point order, as SQLite sorts it: PostgreSQL's ORDER BY follows the database's collation. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The residents signed with a doctor on `on` (docs/family-doctors.md, "Coverage": in force that day). */
export async function queryPanel(reader: SqlReader, doctorId: string, on: string): Promise<PanelEntry[]> {
  const rows = await reader.all(
    `SELECT * FROM contract_segments WHERE doctor_id = @doctorId AND from_date <= @on AND to_date > @on
     ORDER BY resident_id`,
    { doctorId, on },
  );
  return rows
    .map((raw) => {
      const s = contractSegmentsTable.read(raw);
      return {
        residentId: s.residentId,
        contractId: s.contractId,
        centreId: s.centreId,
        residenceRegion: s.residenceRegion,
        keyGroups: keyGroupsOf(s.keyGroups),
        inKeyGroup: s.inKeyGroup,
        from: s.from,
        until: s.to,
      };
    })
    .sort((a, b) => byText(a.residentId, b.residentId));
}
