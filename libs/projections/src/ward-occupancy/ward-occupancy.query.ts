import {
  addDays,
  daysBetween,
  firstInstantOfLocalDay,
  localDate,
  midnightAfter,
  startOfLocalDay,
} from '../model/care-calendar';
import type { Period } from '../model/period.model';
import {
  type BedCountChange,
  type HeldBedRule,
  liveCensus,
  type LiveCensus,
  type OccupancyCounts,
  type OccupancyFigures,
  occupancyFiguresOf,
  openBedsAt,
} from '../model/ward-occupancy.model';
import { inOneSnapshot, type SqlReader } from '../runtime/sql-reader';
import { bedCountsTable, segmentsTable } from './ward-occupancy.projection';

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

/** A local date of the census calendar: its census instant `m` (24:00), the next date's first instant `g`. */
interface CensusDay {
  readonly m: number;
  readonly g: number;
  /** 1 when the date is one of the window's (its census counts), 0 when it only dates a stay's nights. */
  readonly c: 0 | 1;
}

const DAY_MS = 86_400_000;

/**
 * The census calendar of the local dates [from, to) as runs of days 24 hours apart (a run breaks at a clock change),
 * so a year is a few parameters: the SQL counts days by arithmetic over them (`index`), and unrolls them (`days` in
 * censusSql) only where the held-bed rule must look day by day. The instants are the model's own (midnightAfter,
 * firstInstantOfLocalDay), so the database compares care times with exactly the model's census.
 */
function censusRuns(from: string, to: string, window: Period, timeZone: string) {
  const runs: { first: CensusDay; n: number }[] = [];
  let previous: CensusDay | null = null;
  for (let date = from; date < to; date = addDays(date, 1)) {
    const day: CensusDay = {
      m: midnightAfter(date, timeZone),
      g: firstInstantOfLocalDay(addDays(date, 1), timeZone),
      c: date >= window.from && date < window.to ? 1 : 0,
    };
    const run = runs.at(-1);
    if (
      run &&
      previous &&
      day.m - previous.m === DAY_MS &&
      day.g - previous.g === DAY_MS &&
      day.c === previous.c
    ) {
      run.n++;
    } else {
      runs.push({ first: day, n: 1 });
    }
    previous = day;
  }
  const params: Record<string, number> = {
    days: runs.reduce((n, r) => n + r.n, 0),
    firstOfWindow: Math.max(0, daysBetween(from, window.from)),
  };
  const values = runs.map(({ first, n }, i) => {
    Object.assign(params, { [`m${i}`]: first.m, [`g${i}`]: first.g, [`c${i}`]: first.c, [`n${i}`]: n });
    return `(CAST(@m${i} AS BIGINT), CAST(@g${i} AS BIGINT), CAST(@c${i} AS BIGINT), CAST(@n${i} AS BIGINT))`;
  });
  /*
   * How many of the calendar's instants (`m`, or `g`) are at or before `x`: the calendar's days are numbered from 0,
   * and the day numbered i has i instants before it, so a segment covers the census days numbered [index of its
   * start, index of its end). Each run adds its days up to `x`, by arithmetic ((x − first) ÷ 24 h, x past the first:
   * integer division is then the floor on both databases), so no day is looked up.
   */
  const index = (x: string, of: 'm' | 'g') =>
    `(${runs
      .map(
        (_, i) => `CASE WHEN ${x} < CAST(@${of}${i} AS BIGINT) THEN 0
        WHEN ${x} >= CAST(@${of}${i} AS BIGINT) + (CAST(@n${i} AS BIGINT) - 1) * ${DAY_MS} THEN CAST(@n${i} AS BIGINT)
        ELSE (${x} - CAST(@${of}${i} AS BIGINT)) / ${DAY_MS} + 1 END`,
      )
      .join(' + ')})`;
  return { values: values.join(', '), params, index };
}

type CalendarIndex = (x: string, of: 'm' | 'g') => string;

/** The larger of two integer expressions, in SQL both databases read (SQLite's MAX(a, b) is PostgreSQL's GREATEST). */
const larger = (a: string, b: string) => `(CASE WHEN ${a} > ${b} THEN ${a} ELSE ${b} END)`;
const smaller = (a: string, b: string) => `(CASE WHEN ${a} < ${b} THEN ${a} ELSE ${b} END)`;
/** How many integers [a1, a2) and [b1, b2) share. */
const shared = (a1: string, a2: string, b1: string, b2: string) =>
  `(CASE WHEN ${smaller(a2, b2)} > ${larger(a1, b1)} THEN ${smaller(a2, b2)} - ${larger(a1, b1)} ELSE 0 END)`;

/** Wards the filter keeps, by the institution and ward columns of a table. */
const inScope = (institution: string, ward: string) =>
  `(CAST(@institutionId AS TEXT) IS NULL OR ${institution} = @institutionId)
   AND (CAST(@wardId AS TEXT) IS NULL OR ${ward} = @wardId)
   AND (CAST(@allianceId AS TEXT) IS NULL
     OR ${institution} IN (SELECT institution_id FROM institutions WHERE alliance_id = @allianceId))`;

/** Does segment `s` cover census instant `d.m` (the model's `covers`)? */
const COVERS = 's.from_ms < d.m AND (s.to_ms IS NULL OR s.to_ms >= d.m)';

/** Segments a census may count under the rule (the model's `countsInCensus`, before looking across the journey). */
const COUNTABLE: Readonly<Record<HeldBedRule, string>> = {
  physical: "s.kind = 'in-bed'",
  'held-bed': "(s.kind = 'in-bed' OR (s.kind = 'on-leave' AND s.bed_held = 1))",
};

/** A held leave `o` of the journey of segment `s` overlapping it: only then does the held-bed rule look at days. */
const NEAR_HELD_LEAVE = `EXISTS (SELECT 1 FROM segments o
  WHERE o.journey_id = s.journey_id AND o.kind = 'on-leave' AND o.bed_held = 1
    AND (s.to_ms IS NULL OR o.from_ms < s.to_ms) AND (o.to_ms IS NULL OR o.to_ms > s.from_ms))`;

/** ...and one of them covering census instant `d.m`. */
const HELD_AT_DAY = `EXISTS (SELECT 1 FROM segments o
  WHERE o.journey_id = s.journey_id AND o.kind = 'on-leave' AND o.bed_held = 1
    AND o.from_ms < d.m AND (o.to_ms IS NULL OR o.to_ms >= d.m))`;

/*
 * The counts of occupancyFigures per ward, made by the database (ward-occupancy.query.spec.ts holds them to the
 * model): the midnight census of the window's days, same-day stays by their admitting ward, and discharges with
 * their stays' bed-days by the ward they left. Each segment's census days are a range of the calendar's day numbers
 * (`index`), so its count is arithmetic; only under the held-bed rule, and only for a bed of a journey that also has
 * a held leave at the time, are days looked at one by one (a bed elsewhere does not count on a day its bed is held).
 * A date D lies in a stay's [local date of admission, of discharge) exactly when the first instant of D + 1 lies in
 * (admitted, discharged], which is how `g` dates the nights, and a same-day stay has no `g` in between. The row
 * without a ward carries the earliest admission of a stay discharged in the window: the calendar must reach back to
 * it (queryWardOccupancy widens it and asks again when it does not).
 */
function censusSql(runs: string, index: CalendarIndex, rule: HeldBedRule): string {
  const heldBed = rule === 'held-bed';
  const lo = index('s.from_ms', 'm');
  const hi = `CASE WHEN s.to_ms IS NULL THEN CAST(@days AS BIGINT) ELSE ${index('s.to_ms', 'm')} END`;
  const firstDay = 'CAST(@firstOfWindow AS BIGINT)';
  const allDays = 'CAST(@days AS BIGINT)';
  const inWindow = `s.from_ms < @lastCensus AND (s.to_ms IS NULL OR s.to_ms >= @firstCensus)
      AND ${inScope('s.institution_id', 's.ward_id')}`;
  const ownSegments = 's.journey_id = x.journey_id AND s.admission_id = x.admission_id';
  const nightsOfStay = 'd.g > x.admitted_at AND d.g <= x.discharged_at';
  return `
  WITH RECURSIVE runs (m, g, c, n) AS (VALUES ${runs}),
  days (m, g, c, k, n) AS (
    SELECT m, g, c, CAST(1 AS BIGINT), n FROM runs
    UNION ALL SELECT m + ${DAY_MS}, g + ${DAY_MS}, c, k + 1, n FROM days WHERE k < n),
  discharged AS (
    SELECT admission_id, journey_id, institution_id, current_ward_id, admitted_at, discharged_at FROM stays
    WHERE discharged_at >= @start AND discharged_at < @end AND ${inScope('institution_id', 'current_ward_id')}),
  nights AS (
    SELECT admission_id, SUM(n) AS nights FROM (
      SELECT admission_id, ${shared('lo', 'hi', 'ga', 'gb')} AS n FROM (
        SELECT x.admission_id, ${lo} AS lo, ${hi} AS hi,
          ${index('x.admitted_at', 'g')} AS ga, ${index('x.discharged_at', 'g')} AS gb
        FROM discharged x CROSS JOIN segments s WHERE ${ownSegments} AND ${COUNTABLE[rule]}) own${
          heldBed
            ? `
      UNION ALL
      SELECT x.admission_id, -COUNT(*) FROM discharged x CROSS JOIN segments s CROSS JOIN days d
      WHERE ${ownSegments} AND s.kind = 'in-bed' AND ${NEAR_HELD_LEAVE}
        AND ${COVERS} AND ${nightsOfStay} AND ${HELD_AT_DAY}
      GROUP BY x.admission_id`
            : ''
        }) counted
    GROUP BY admission_id)
  SELECT institution_id, ward_id, CAST(SUM(census) AS BIGINT) AS census, CAST(SUM(same_day) AS BIGINT) AS same_day,
    CAST(SUM(discharges) AS BIGINT) AS discharges, CAST(SUM(bed_days) AS BIGINT) AS bed_days, MIN(earliest) AS earliest
  FROM (
    SELECT institution_id, ward_id, SUM(${shared('lo', 'hi', firstDay, allDays)}) AS census, 0 AS same_day,
      0 AS discharges, 0 AS bed_days, CAST(NULL AS BIGINT) AS earliest
    FROM (
      SELECT s.institution_id, s.ward_id, ${lo} AS lo, ${hi} AS hi FROM segments s
      WHERE ${inWindow} AND ${COUNTABLE[rule]}) spans
    GROUP BY institution_id, ward_id${
      heldBed
        ? `
    UNION ALL
    SELECT s.institution_id, s.ward_id, -COUNT(*), 0, 0, 0, CAST(NULL AS BIGINT)
    FROM segments s CROSS JOIN days d
    WHERE ${inWindow} AND s.kind = 'in-bed' AND ${NEAR_HELD_LEAVE} AND d.c = 1 AND ${COVERS} AND ${HELD_AT_DAY}
    GROUP BY s.institution_id, s.ward_id`
        : ''
    }
    UNION ALL
    SELECT st.institution_id, st.admitted_ward_id, 0, COUNT(*), 0, 0, CAST(NULL AS BIGINT)
    FROM stays st
    WHERE st.discharged_at IS NOT NULL AND st.admitted_at >= @start AND st.admitted_at < @end
      AND ${inScope('st.institution_id', 'st.admitted_ward_id')}
      AND ${index('st.admitted_at', 'g')} = ${index('st.discharged_at', 'g')}
    GROUP BY st.institution_id, st.admitted_ward_id
    UNION ALL
    SELECT x.institution_id, x.current_ward_id, 0, 0, COUNT(*),
      SUM(CASE WHEN n.nights > 0 THEN n.nights ELSE 1 END), CAST(NULL AS BIGINT)
    FROM discharged x LEFT JOIN nights n ON n.admission_id = x.admission_id
    GROUP BY x.institution_id, x.current_ward_id
    UNION ALL
    SELECT CAST(NULL AS TEXT), CAST(NULL AS TEXT), 0, 0, 0, 0, MIN(admitted_at) FROM discharged
  ) parts
  GROUP BY institution_id, ward_id`;
}

interface WardCounts {
  readonly census: number;
  readonly sameDay: number;
  readonly discharges: number;
  readonly bedDays: number;
}

const count = (value: unknown): number => Number(value ?? 0);
const wardKey = (institutionId: string, wardId: string) => `${institutionId}\u0000${wardId}`;

/** Each ward's census counts over the window, by the database; only a row per ward comes back. */
async function wardCounts(
  reader: SqlReader,
  period: Period,
  filter: OccupancyFilter,
  options: { timeZone: string; heldBedRule: HeldBedRule },
): Promise<Map<string, WardCounts>> {
  const { timeZone } = options;
  const base = {
    start: startOfLocalDay(period.from, timeZone),
    end: startOfLocalDay(period.to, timeZone),
    firstCensus: midnightAfter(period.from, timeZone),
    lastCensus: midnightAfter(addDays(period.to, -1), timeZone),
    institutionId: filter.institutionId ?? null,
    wardId: filter.wardId ?? null,
    allianceId: filter.allianceId ?? null,
  };
  // The day before the window dates an admission at its start in a zone whose midnight a clock change skips.
  let from = addDays(period.from, -1);
  for (;;) {
    const runs = censusRuns(from, period.to, period, timeZone);
    const rows = (await reader.all(censusSql(runs.values, runs.index, options.heldBedRule), {
      ...base,
      ...runs.params,
    })) as {
      institution_id: string | null;
      ward_id: string;
      census: unknown;
      same_day: unknown;
      discharges: unknown;
      bed_days: unknown;
      earliest: unknown;
    }[];
    const earliest = rows.find((r) => r.institution_id === null)?.earliest;
    // A stay discharged in the window and admitted before the calendar: its nights need the days back to then.
    if (earliest !== null && earliest !== undefined && localDate(count(earliest), timeZone) < from) {
      from = localDate(count(earliest), timeZone);
      continue;
    }
    const counts = new Map<string, WardCounts>();
    for (const r of rows) {
      if (r.institution_id === null) continue;
      counts.set(wardKey(r.institution_id, r.ward_id), {
        census: count(r.census),
        sameDay: count(r.same_day),
        discharges: count(r.discharges),
        bedDays: count(r.bed_days),
      });
    }
    return counts;
  }
}

/**
 * Bed-use figures by midnight census over a period, grouped by ward, institution, alliance or all in scope: the
 * counts of occupancyFigures (docs/analytics.md, "Bed-use rate") made per ward by the database, so the API's memory
 * does not grow with the period or the patients; open bed-days come from the wards' bed counts, a small table.
 */
export async function queryWardOccupancy(
  reader: SqlReader,
  period: Period,
  filter: OccupancyFilter,
  groupBy: OccupancyGroup,
  options: { timeZone: string; heldBedRule: HeldBedRule },
): Promise<OccupancyRow[]> {
  const [wards, counts, perWard] = await inOneSnapshot(reader, (snapshot) =>
    Promise.all([
      wardsInScope(snapshot, filter),
      bedCounts(snapshot),
      wardCounts(snapshot, period, filter, options),
    ]),
  );
  const days = daysBetween(period.from, period.to);
  const midnights = Array.from({ length: days }, (_, i) =>
    midnightAfter(addDays(period.from, i), options.timeZone),
  );

  const groups = new Map<string, { row: Omit<OccupancyRow, 'figures'>; counts: OccupancyCounts }>();
  for (const ward of wards) {
    const row = {
      institutionId: groupBy === 'ward' || groupBy === 'institution' ? ward.institution_id : null,
      wardId: groupBy === 'ward' ? ward.ward_id : null,
      // A ward or an institution belongs to one alliance (or none): its rows say which.
      allianceId: groupBy === 'all' ? null : ward.alliance_id,
    };
    const key = JSON.stringify(row);
    const group = groups.get(key) ?? {
      row,
      counts: { days, occupiedBedDays: 0, openBedDays: 0, discharges: 0, dischargedBedDays: 0 },
    };
    const changes = counts.get(wardKey(ward.institution_id, ward.ward_id)) ?? [];
    let open = 0;
    for (const midnight of midnights) open += openBedsAt(changes, midnight);
    const mine = perWard.get(wardKey(ward.institution_id, ward.ward_id));
    group.counts = {
      days,
      occupiedBedDays: group.counts.occupiedBedDays + (mine ? mine.census + mine.sameDay : 0),
      openBedDays: group.counts.openBedDays + open,
      discharges: group.counts.discharges + (mine?.discharges ?? 0),
      dischargedBedDays: group.counts.dischargedBedDays + (mine?.bedDays ?? 0),
    };
    groups.set(key, group);
  }
  return [...groups.values()].map(({ row, counts: c }) => ({ ...row, figures: occupancyFiguresOf(c) }));
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
  const [wards, counts, openRows] = await inOneSnapshot(reader, (snapshot) =>
    Promise.all([
      wardsInScope(snapshot, filter),
      bedCounts(snapshot),
      snapshot.all('SELECT * FROM segments WHERE to_ms IS NULL'),
    ]),
  );
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
