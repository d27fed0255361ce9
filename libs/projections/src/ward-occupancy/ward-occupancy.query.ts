import { startOfLocalDay } from '../model/care-calendar';
import type { Period } from '../model/period.model';
import {
  type BedCountChange,
  type HeldBedRule,
  liveCensus,
  type LiveCensus,
  occupancyFigures,
  type OccupancyFigures,
  openBedsAt,
} from '../model/ward-occupancy.model';
import type { SqlReader } from '../runtime/sql-reader';
import { bedCountsTable, segmentsTable, staysTable } from './ward-occupancy.projection';

export const OCCUPANCY_GROUPS = ['ward', 'institution', 'alliance', 'all'] as const;
export type OccupancyGroup = (typeof OCCUPANCY_GROUPS)[number];

export interface OccupancyFilter {
  readonly institutionId?: string;
  readonly wardId?: string;
  readonly allianceId?: string;
}

export interface OccupancyRow {
  readonly institutionId: string | null;
  readonly wardId: string | null;
  readonly allianceId: string | null;
  readonly figures: OccupancyFigures;
}

interface WardRow {
  institution_id: string;
  ward_id: string;
  alliance_id: string | null;
}

/** Text in code-point order, as SQLite sorts it: PostgreSQL's ORDER BY follows the database's collation. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function wardsInScope(reader: SqlReader, filter: OccupancyFilter): Promise<WardRow[]> {
  // CAST: PostgreSQL types a parameter at its first use, and `@name IS NULL` alone says nothing of the type.
  const rows = (await reader.all(
    `SELECT w.institution_id, w.ward_id, i.alliance_id FROM wards w LEFT JOIN institutions i USING (institution_id)
     WHERE (CAST(@institutionId AS TEXT) IS NULL OR w.institution_id = @institutionId)
       AND (CAST(@wardId AS TEXT) IS NULL OR w.ward_id = @wardId)
       AND (CAST(@allianceId AS TEXT) IS NULL OR i.alliance_id = @allianceId)
     ORDER BY w.institution_id, w.ward_id`,
    {
      institutionId: filter.institutionId ?? null,
      wardId: filter.wardId ?? null,
      allianceId: filter.allianceId ?? null,
    },
  )) as WardRow[];
  return rows.sort((a, b) => byText(a.institution_id, b.institution_id) || byText(a.ward_id, b.ward_id));
}

async function bedCounts(reader: SqlReader): Promise<Map<string, BedCountChange[]>> {
  const map = new Map<string, BedCountChange[]>();
  for (const stored of await reader.all(`SELECT * FROM ${bedCountsTable.name}`)) {
    const r = bedCountsTable.read(stored);
    const key = `${r.institutionId}\u0000${r.wardId}`;
    const list = map.get(key) ?? [];
    list.push({ from: r.from, openBeds: r.openBeds });
    map.set(key, list);
  }
  return map;
}

const toSegment = (row: unknown) => segmentsTable.read(row);
const toStay = (row: unknown) => staysTable.read(row);

/** Bed-use figures by midnight census over a period, grouped by ward, institution, alliance or all in scope. */
export async function queryWardOccupancy(
  reader: SqlReader,
  period: Period,
  filter: OccupancyFilter,
  groupBy: OccupancyGroup,
  options: { timeZone: string; heldBedRule: HeldBedRule },
): Promise<OccupancyRow[]> {
  const window = {
    start: startOfLocalDay(period.from, options.timeZone),
    end: startOfLocalDay(period.to, options.timeZone),
  };
  // Asked for together: on SQLite they run in one turn of the event loop, with no commit of the runner between them.
  const [wards, counts, segmentRows, stayRows] = await Promise.all([
    wardsInScope(reader, filter),
    bedCounts(reader),
    // Every segment of every journey present in the window: the held-bed rule looks across a journey's stays.
    reader.all(
      `SELECT * FROM segments WHERE journey_id IN (
         SELECT journey_id FROM segments WHERE from_ms <= @end AND (to_ms IS NULL OR to_ms >= @start))`,
      window,
    ),
    reader.all(
      'SELECT * FROM stays WHERE admitted_at < @end AND (discharged_at IS NULL OR discharged_at >= @start)',
      window,
    ),
  ]);
  const segments = segmentRows.map(toSegment);
  const stays = stayRows.map(toStay);

  const groups = new Map<string, { row: Omit<OccupancyRow, 'figures'>; wards: WardRow[] }>();
  for (const ward of wards) {
    const row = {
      institutionId: groupBy === 'ward' || groupBy === 'institution' ? ward.institution_id : null,
      wardId: groupBy === 'ward' ? ward.ward_id : null,
      // A ward or an institution belongs to one alliance (or none): its rows say which.
      allianceId: groupBy === 'all' ? null : ward.alliance_id,
    };
    const key = JSON.stringify(row);
    const group = groups.get(key) ?? { row, wards: [] };
    group.wards.push(ward);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ row, wards: members }) => ({
    ...row,
    figures: occupancyFigures(
      members.map((w) => ({
        institutionId: w.institution_id,
        wardId: w.ward_id,
        bedCounts: counts.get(`${w.institution_id}\u0000${w.ward_id}`) ?? [],
      })),
      segments,
      stays,
      period,
      options,
    ),
  }));
}

export interface LiveWardCensus extends LiveCensus {
  readonly institutionId: string;
  readonly wardId: string;
}

/** The census now: who is in each ward's beds, on leave, on extra beds. */
export async function queryLiveCensus(
  reader: SqlReader,
  filter: OccupancyFilter,
  now: number,
  heldBedRule: HeldBedRule = 'physical',
): Promise<LiveWardCensus[]> {
  const [wards, counts, openRows] = await Promise.all([
    wardsInScope(reader, filter),
    bedCounts(reader),
    reader.all('SELECT * FROM segments WHERE to_ms IS NULL'),
  ]);
  const open = openRows.map(toSegment);
  return wards.map((w) => ({
    institutionId: w.institution_id,
    wardId: w.ward_id,
    ...liveCensus(
      openBedsAt(counts.get(`${w.institution_id}\u0000${w.ward_id}`) ?? [], now),
      open.filter((s) => s.institutionId === w.institution_id && s.wardId === w.ward_id),
      heldBedRule,
      open,
    ),
  }));
}
