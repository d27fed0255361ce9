import fc from 'fast-check';
import { COVERAGE_KEY_GROUPS, KEY_GROUPS, type KeyGroup } from '@carepath/domain';
import { contractSegment, tableRows, withMemoryDatabase } from '../../../../test/support/read-model-rows';
import {
  type CatchmentRow,
  type ContractSegment,
  type PopulationFigureRow,
} from '../model/family-doctor.model';
import { ratio } from '../model/local-treatment.model';
import { sqliteReader } from '../runtime/sql-reader';
import { institutionsTable, type InstitutionRow } from '../ward-occupancy/ward-occupancy.projection';
import { catchmentsTable, contractSegmentsTable, populationFiguresTable } from './family-doctor.projection';
import {
  COVERAGE_GROUPS,
  type CoverageFilter,
  type CoverageGroup,
  queryCoverage,
} from './family-doctor.query';

/*
 * The counts the database makes for coverage on a day (docs/analytics.md, "Family-doctor coverage") are a plain count
 * over the segments in force and the figures in force: random segments (a resident may hold several, so each is
 * counted once), random population figures and catchments over a few dates, every grouping and filter.
 */

const CENTRES: InstitutionRow[] = [
  { institutionId: 'CHC-1', tier: 'community', allianceId: 'A1', regionCode: 'R1' },
  { institutionId: 'CHC-2', tier: 'community', allianceId: 'A2', regionCode: 'R1' },
  { institutionId: 'CHC-3', tier: 'community', allianceId: null, regionCode: 'R2' },
];
const REGIONS = ['R1', 'R2'];
const DATES = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01'];
const ON = ['2025-12-31', '2026-02-01', '2026-03-15', '2026-05-01'];

const segment = fc.record({
  resident: fc.nat({ max: 7 }),
  from: fc.nat({ max: DATES.length - 2 }),
  length: fc.integer({ min: 1, max: 3 }),
  centre: fc.nat({ max: CENTRES.length - 1 }),
  // The contract records the centre's alliance at signing: sometimes another than its registration's now.
  alliance: fc.constantFrom('registered', 'A2', null),
  region: fc.constantFrom(...REGIONS),
  groups: fc.subarray([...KEY_GROUPS], { maxLength: 3 }),
});

const figure = fc.record({
  region: fc.constantFrom(...REGIONS),
  effectiveOn: fc.constantFrom(...DATES),
  residents: fc.integer({ min: 1, max: 500 }),
  keyGroupResidents: fc.nat({ max: 200 }),
  byKeyGroup: fc
    .subarray([...COVERAGE_KEY_GROUPS])
    .chain((groups) => fc.tuple(...groups.map((g) => fc.tuple(fc.constant(g), fc.nat({ max: 90 }))))),
  centres: fc
    .subarray([0, 1, 2])
    .chain((centres) =>
      fc.tuple(...centres.map((c) => fc.tuple(fc.constant(c), fc.nat({ max: 300 }), fc.nat({ max: 100 })))),
    ),
});

type ValueOf<A> = A extends fc.Arbitrary<infer V> ? V : never;

function rowsOf(segments: readonly ValueOf<typeof segment>[], figures: readonly ValueOf<typeof figure>[]) {
  const contractSegments: ContractSegment[] = segments.map((s, i) =>
    contractSegment({
      residentId: `res-${s.resident}`,
      contractId: `c-${i}`,
      from: DATES[s.from]!,
      to: DATES[Math.min(DATES.length - 1, s.from + s.length)]!,
      centreId: CENTRES[s.centre]!.institutionId,
      allianceId: s.alliance === 'registered' ? CENTRES[s.centre]!.allianceId : s.alliance,
      residenceRegion: s.region,
      groups: s.groups,
    }),
  );
  const seen = new Set<string>();
  const populations: PopulationFigureRow[] = [];
  const catchments: CatchmentRow[] = [];
  for (const f of figures) {
    if (seen.has(`${f.region}/${f.effectiveOn}`)) continue; // a figure recorded again revises it: one row a date
    seen.add(`${f.region}/${f.effectiveOn}`);
    populations.push({
      regionCode: f.region,
      effectiveOn: f.effectiveOn,
      residents: f.residents,
      keyGroupResidents: f.keyGroupResidents,
      byKeyGroup: JSON.stringify(Object.fromEntries(f.byKeyGroup)),
      source: 'census',
    });
    for (const [c, residents, keyGroupResidents] of f.centres) {
      catchments.push({
        regionCode: f.region,
        effectiveOn: f.effectiveOn,
        centreId: CENTRES[c]!.institutionId,
        residents,
        keyGroupResidents,
      });
    }
  }
  return { contractSegments, populations, catchments };
}

const coverageTables = (rows: ReturnType<typeof rowsOf>) => [
  tableRows(institutionsTable, CENTRES),
  tableRows(contractSegmentsTable, rows.contractSegments),
  tableRows(populationFiguresTable, rows.populations),
  tableRows(catchmentsTable, rows.catchments),
];

/** Coverage on `on` counted by hand: residents in force, once each, against the figures in force. */
function expected(
  rows: ReturnType<typeof rowsOf>,
  on: string,
  groupBy: CoverageGroup,
  filter: CoverageFilter,
) {
  const keyOf = (s: ContractSegment) =>
    groupBy === 'region' ? s.residenceRegion : groupBy === 'centre' ? s.centreId : s.allianceId;
  const inForce = rows.contractSegments.filter(
    (s) =>
      s.from <= on &&
      s.to > on &&
      keyOf(s) !== null &&
      (filter.region === undefined || s.residenceRegion === filter.region) &&
      (filter.centreId === undefined || s.centreId === filter.centreId) &&
      (filter.allianceId === undefined || s.allianceId === filter.allianceId),
  );
  const people = (key: string, kept: (s: ContractSegment) => boolean) =>
    new Set(inForce.filter((s) => keyOf(s) === key && kept(s)).map((s) => s.residentId)).size;
  const latest = new Map<string, PopulationFigureRow>();
  for (const p of rows.populations) {
    const known = latest.get(p.regionCode);
    if (p.effectiveOn <= on && (!known || p.effectiveOn > known.effectiveOn)) latest.set(p.regionCode, p);
  }
  const populations = new Map<
    string,
    { residents: number; kg: number; byKeyGroup: Record<string, number> }
  >();
  if (groupBy === 'region') {
    for (const p of latest.values()) {
      populations.set(p.regionCode, {
        residents: p.residents,
        kg: p.keyGroupResidents,
        byKeyGroup: JSON.parse(p.byKeyGroup) as Record<string, number>,
      });
    }
  } else {
    for (const c of rows.catchments) {
      if (latest.get(c.regionCode)?.effectiveOn !== c.effectiveOn) continue;
      const key =
        groupBy === 'centre'
          ? c.centreId
          : (CENTRES.find((i) => i.institutionId === c.centreId)?.allianceId ?? null);
      if (key === null) continue;
      const sum = populations.get(key) ?? { residents: 0, kg: 0, byKeyGroup: {} };
      populations.set(key, {
        ...sum,
        residents: sum.residents + c.residents,
        kg: sum.kg + c.keyGroupResidents,
      });
    }
  }
  const sameDimension =
    (groupBy === 'region' || !filter.region) &&
    (groupBy === 'centre' || !filter.centreId) &&
    (groupBy === 'alliance' || !filter.allianceId);
  const wanted =
    groupBy === 'region' ? filter.region : groupBy === 'centre' ? filter.centreId : filter.allianceId;
  const keys = [...new Set([...inForce.map((s) => keyOf(s)!), ...(sameDimension ? populations.keys() : [])])]
    .filter((k) => wanted === undefined || k === wanted)
    .sort();
  const terms = (signed: number, population: number | null) => ({
    signed,
    population,
    rate: population === null ? null : ratio(signed, population).rate,
  });
  return keys.map((key) => {
    const population = sameDimension ? populations.get(key) : undefined;
    const has = (g: KeyGroup) => (s: ContractSegment) => s.keyGroups.includes(` ${g} `);
    return {
      key,
      on,
      coverage: terms(
        people(key, () => true),
        population?.residents ?? null,
      ),
      keyGroupCoverage: terms(
        people(key, (s) => s.inKeyGroup),
        population?.kg ?? null,
      ),
      byKeyGroup:
        groupBy === 'region'
          ? Object.fromEntries(
              COVERAGE_KEY_GROUPS.map((g) => [
                g,
                terms(people(key, has(g)), population?.byKeyGroup[g] ?? null),
              ]),
            )
          : {},
    };
  });
}

const FILTERS: readonly CoverageFilter[] = [
  {},
  { region: 'R1' },
  { centreId: 'CHC-2' },
  { allianceId: 'A2' },
];

describe('queryCoverage: the counts the database makes are the residents and figures in force that day', () => {
  it('given any segments and population figures, then every day, grouping and filter is counted by hand', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { maxLength: 24 }),
        fc.array(figure, { maxLength: 6 }),
        async (segments, figures) => {
          const rows = rowsOf(segments, figures);
          await withMemoryDatabase(coverageTables(rows), async (db) => {
            for (const on of ON) {
              for (const groupBy of COVERAGE_GROUPS) {
                for (const filter of FILTERS) {
                  expect(await queryCoverage(sqliteReader(db), on, groupBy, filter)).toEqual(
                    expected(rows, on, groupBy, filter),
                  );
                }
              }
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
