import type { PoolClient } from 'pg';
import { COVERAGE_KEY_GROUPS, KEY_GROUPS, type KeyGroup } from '@carepath/domain';
import { REFERRAL_OUTCOMES } from '../../model/referral-volume.model';
import type { HeldBedRule } from '../../model/ward-occupancy.model';
import { PgReadModels } from './postgres-read-models';

/**
 * Analysts' schema (docs/analytics.md, "For analysts"): `<prefix>_analytics` holds views that aggregate the read
 * models in service into daily counts a BI tool sums over any window, so that a sum over a period gives the API's
 * figures for it. Views only: no patient-level row and no journey, patient, resident, booking or admission id, only
 * institutions, wards, alliances, regions, local days and counts. Each view reads the schemas of views the read
 * models are served through (`<prefix>_<projection>`), which a promotion drops and recreates: the views are made
 * again, in the promotion's transaction, by `analyticsViews` given as `afterPromote`.
 */

export interface AnalyticsViewsOptions {
  /** The census time zone (CENSUS_TIME_ZONE): local days and midnights are its. */
  readonly timeZone: string;
  /** A role (NOLOGIN, see `ensureAnalystRole`) given SELECT on the views and nothing else, when it exists. */
  readonly analystRole?: string;
}

/** The analysts' schema of a read-model prefix. */
export const analyticsSchema = (models: Pick<PgReadModels, 'prefix'>): string => `${models.prefix}_analytics`;

interface AnalyticsView {
  readonly name: string;
  /** Read models it reads, each with the tables (views of the serving schema) it needs. */
  readonly reads: Readonly<Record<string, readonly string[]>>;
  readonly comment: string;
  /** Its columns in order, each with what it holds. */
  readonly columns: Readonly<Record<string, string>>;
  readonly sql: (schema: (projection: string) => string, zone: string) => string;
}

/**
 * The local date of an epoch-millisecond column: exact to the millisecond (an interval, not a float division), so a
 * request at 23:59:59.999 local stays on its day as `localDate` (care-calendar.ts) puts it.
 */
const localDay = (ms: string, zone: string) =>
  `((TIMESTAMPTZ 'epoch' + (${ms}) * INTERVAL '1 millisecond') AT TIME ZONE ${zone})::date`;

/** Local days from `from` to `to`, both included (DATE values; none when `to` is before `from`). */
const days = (from: string, to: string) =>
  `generate_series(${from}::timestamp, ${to}::timestamp, INTERVAL '1 day')`;

const referralVolumeDaily: AnalyticsView = {
  name: 'referral_volume_daily',
  reads: { 'referral-volume': ['referrals'] },
  comment:
    'Referral requests (person-times) per local day of the request and per direction, setting, priority, sender, receiver and alliance, with their outcomes now (docs/analytics.md, "Referral volume"). Summed over a window, these are the figures of GET /analytics/referrals for it; acceptance rate = sum(accepted) / sum(decided) * 100.',
  columns: {
    day: 'Local date of the request in the census time zone.',
    direction: 'up or down.',
    setting: 'outpatient or inpatient.',
    priority: 'The priority the request gave.',
    from_institution_id: 'The referring institution.',
    from_alliance_id: "The referring institution's alliance as the request recorded it (null: none).",
    to_institution_id: 'The institution referred to.',
    to_alliance_id: "The receiving institution's alliance as the request recorded it (null: none).",
    alliance_id:
      "The alliance both sides share, or 'cross-alliance' when they differ or one has none (groupBy=alliance).",
    person_times: 'Referral requests (人次); a redirect is the first request plus a new one.',
    ...Object.fromEntries(
      REFERRAL_OUTCOMES.map((o) => [`outcome_${o}`, `Requests whose outcome is ${o} now (outcomes.${o}).`]),
    ),
    accepted:
      'Accepted as the acceptance rate counts it: outcome accepted or completed, or cancelled after a decision.',
    decided: 'The acceptance rate’s denominator: accepted + rejected + redirected.',
  },
  sql: (schema, zone) => {
    const outcomes = REFERRAL_OUTCOMES.map(
      (o) => `COUNT(*) FILTER (WHERE outcome = '${o}') AS outcome_${o}`,
    ).join(',\n    ');
    const accepted = `outcome IN ('accepted', 'completed') OR (outcome = 'cancelled' AND decided_at IS NOT NULL)`;
    return `SELECT ${localDay('requested_at', zone)} AS day, direction, setting, priority,
    from_institution_id, from_alliance_id, to_institution_id, to_alliance_id,
    CASE WHEN from_alliance_id IS NOT NULL AND from_alliance_id = to_alliance_id THEN from_alliance_id
         ELSE 'cross-alliance' END AS alliance_id,
    COUNT(*) AS person_times,
    ${outcomes},
    COUNT(*) FILTER (WHERE ${accepted}) AS accepted,
    COUNT(*) FILTER (WHERE ${accepted} OR outcome IN ('rejected', 'redirected')) AS decided
  FROM ${schema('referral-volume')}.referrals
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9`;
  },
};

const localTreatmentDaily: AnalyticsView = {
  name: 'local_treatment_daily',
  reads: { 'local-treatment': ['visits'] },
  comment:
    'Visits (outpatient and emergency attendances) per local day and region: the numerators and denominators of the three local-treatment rates (docs/analytics.md, "Local-treatment rates"). A region has a row on a day when a visit happened at an institution located in it or was made by one of its residents. Summed over a window, each pair divided gives the rate of GET /analytics/local-treatment.',
  columns: {
    day: 'Local date of the visit in the census time zone.',
    region_code: 'The region: where the institution is, or where the patient lives.',
    visits_in_region: 'Visits at institutions located in the region (community share: denominator).',
    community_visits_in_region:
      'Of those, visits at community-tier institutions (community share: numerator).',
    inhabitant_clinic_visits:
      "Outpatient (clinic, 门诊) visits by the region's residents, wherever; emergency visits are not counted (residents' community share: denominator).",
    inhabitant_community_clinic_visits:
      "Of those, at community-tier institutions (residents' community share: numerator).",
    inhabitant_visits: "All visits by the region's residents, wherever (in-region rate: denominator).",
    inhabitant_visits_in_region:
      'Of those, at institutions located in the region (in-region rate: numerator).',
  },
  sql: (schema, zone) => `WITH v AS (
    SELECT ${localDay('occurred_at', zone)} AS day, institution_region, residence_region, tier, visit_type
    FROM ${schema('local-treatment')}.visits
  ), counted AS (
    SELECT day, institution_region AS region_code, 1 AS located, CASE WHEN tier = 'community' THEN 1 ELSE 0 END AS community_located,
      0 AS outpatient, 0 AS community_outpatient, 0 AS inhabitant, 0 AS inhabitant_in_region
    FROM v
    UNION ALL
    SELECT day, residence_region, 0, 0,
      CASE WHEN visit_type = 'outpatient' THEN 1 ELSE 0 END,
      CASE WHEN visit_type = 'outpatient' AND tier = 'community' THEN 1 ELSE 0 END,
      1, CASE WHEN institution_region = residence_region THEN 1 ELSE 0 END
    FROM v
  )
  SELECT day, region_code,
    SUM(located)::bigint AS visits_in_region,
    SUM(community_located)::bigint AS community_visits_in_region,
    SUM(outpatient)::bigint AS inhabitant_clinic_visits,
    SUM(community_outpatient)::bigint AS inhabitant_community_clinic_visits,
    SUM(inhabitant)::bigint AS inhabitant_visits,
    SUM(inhabitant_in_region)::bigint AS inhabitant_visits_in_region
  FROM counted GROUP BY day, region_code`,
};

const localTreatmentAllianceDaily: AnalyticsView = {
  name: 'local_treatment_alliance_daily',
  reads: { 'local-treatment': ['visits'] },
  comment:
    'Visits per local day at the institutions of each alliance (their alliance when the visit was recorded): the community share by alliance of GET /analytics/local-treatment?groupBy=alliance, sum(community_visits) / sum(visits) * 100.',
  columns: {
    day: 'Local date of the visit in the census time zone.',
    alliance_id: "The institution's alliance when the visit was recorded.",
    visits: "Visits at the alliance's institutions (denominator).",
    community_visits: 'Of those, at its community-tier institutions (numerator).',
  },
  sql: (schema, zone) => `SELECT ${localDay('occurred_at', zone)} AS day, alliance_id,
    COUNT(*) AS visits, COUNT(*) FILTER (WHERE tier = 'community') AS community_visits
  FROM ${schema('local-treatment')}.visits WHERE alliance_id IS NOT NULL
  GROUP BY 1, 2`,
};

/*
 * The midnight census (docs/analytics.md, "Midnight census"): a segment is in D's census when it started before 24:00
 * of D and had not ended before it, that is for the local dates D from its start's up to the day before its end's (an
 * end exactly at 00:00 of D + 1 is D + 1's and counts on D). Which of them count is the held-bed rule's ("Held-bed
 * rule"): under `physical` those in a bed; under `held-bed` a leave from a held bed too, and a bed elsewhere not on a
 * day its journey's bed is held (the journey is read inside the view, never shown). A bed count holds at every census
 * from the first midnight at or after it (the local date of the instant 1 ms before it) up to the day before the next
 * change's. Open segments and the last bed count run to the horizon: today in the zone, or the latest care time
 * recorded when later.
 */
function wardCensus(rule: HeldBedRule): AnalyticsView {
  const physical = rule === 'physical';
  return {
    name: physical ? 'ward_census_daily' : 'ward_census_held_bed_daily',
    reads: { 'ward-occupancy': ['wards', 'institutions', 'segments', 'stays', 'bed_counts'] },
    comment: physical
      ? 'Per local day and ward: the midnight census (24:00) under the physical held-bed rule (HELD_BED_RULE=physical, the default), same-day stays, open beds, discharges and their bed-days (docs/analytics.md, "Bed-use rate"). Summed over a window: bed-use rate = sum(occupied_bed_days) / sum(open_beds) * 100, as GET /analytics/ward-occupancy answers it; rows run up to today or the latest care time recorded.'
      : 'Per local day and ward: the midnight census (24:00) under the held-bed rule (HELD_BED_RULE=held-bed: a patient on leave from a held bed counts at that bed, and not in a bed elsewhere the same night), same-day stays, open beds, discharges and their bed-days (docs/analytics.md, "Bed-use rate"). Summed over a window: bed-use rate = sum(occupied_bed_days) / sum(open_beds) * 100, as GET /analytics/ward-occupancy answers it under that rule; rows run up to today or the latest care time recorded.',
    columns: {
      day: 'Local date D of the census, taken at 24:00 of D in the census time zone.',
      institution_id: 'The institution of the ward.',
      ward_id: 'The ward.',
      alliance_id: "The institution's alliance as registered (null: none).",
      census: physical
        ? 'Patients in a bed of the ward at 24:00 of D (patients on leave count nowhere under this rule).'
        : 'Patients counted in the ward at 24:00 of D under the held-bed rule: in a bed of it (unless their bed elsewhere is held for them that night), or on leave from a bed of it held for them.',
      same_day_stays: 'Stays admitted to the ward and discharged on D: one bed-day each.',
      occupied_bed_days: 'census + same_day_stays: the occupied bed-days of D (extra beds included).',
      open_beds: 'Beds open at 24:00 of D (the open bed-days of D).',
      discharges: 'Patients discharged from the ward on D.',
      discharged_bed_days: physical
        ? 'Their bed-days: the midnights of each whole stay counted in a census, at least 1 (average stay = this / discharges).'
        : 'Their bed-days: the midnights of each whole stay counted in a census under the held-bed rule (held leave nights included), at least 1 (average stay = this / discharges).',
    },
    sql: (schema, zone) => {
      const wo = schema('ward-occupancy');
      const segmentDays = `SELECT s.journey_id, s.institution_id, s.ward_id, s.admission_id, s.kind, s.bed_held, d::date AS day
    FROM ${wo}.segments s CROSS JOIN horizon h
    CROSS JOIN LATERAL ${days(localDay('s.from_ms', zone), `COALESCE(${localDay('s.to_ms', zone)} - 1, h.last_day)`)} AS d`;
      const counted = physical
        ? `SELECT institution_id, ward_id, admission_id, day FROM segment_days WHERE kind = 'in-bed'`
        : `SELECT institution_id, ward_id, admission_id, day FROM segment_days sd
    WHERE (sd.kind = 'on-leave' AND sd.bed_held = 1)
      OR (sd.kind = 'in-bed' AND NOT EXISTS (
        SELECT 1 FROM segment_days o
        WHERE o.journey_id = sd.journey_id AND o.day = sd.day AND o.kind = 'on-leave' AND o.bed_held = 1))`;
      return `WITH horizon AS (
    SELECT GREATEST(
      (now() AT TIME ZONE ${zone})::date,
      (SELECT MAX(${localDay('GREATEST(from_ms, COALESCE(to_ms, from_ms))', zone)}) FROM ${wo}.segments),
      (SELECT MAX(${localDay('from_ms', zone)}) FROM ${wo}.bed_counts)
    ) AS last_day
  ), segment_days AS (
    ${segmentDays}
  ), in_census AS (
    ${counted}
  ), nights AS (
    SELECT admission_id, COUNT(DISTINCT day) AS nights FROM in_census GROUP BY admission_id
  ), bed_count_spans AS (
    SELECT institution_id, ward_id, open_beds, from_ms,
      LEAD(from_ms) OVER (PARTITION BY institution_id, ward_id ORDER BY from_ms, event_id) AS next_ms
    FROM ${wo}.bed_counts
  ), counted AS (
    SELECT institution_id, ward_id, day, 1 AS census, 0 AS same_day, 0 AS open_beds, 0 AS discharges, 0 AS bed_days
    FROM in_census
    UNION ALL
    SELECT institution_id, admitted_ward_id, ${localDay('admitted_at', zone)}, 0, 1, 0, 0, 0
    FROM ${wo}.stays
    WHERE discharged_at IS NOT NULL AND ${localDay('admitted_at', zone)} = ${localDay('discharged_at', zone)}
    UNION ALL
    SELECT b.institution_id, b.ward_id, d::date, 0, 0, b.open_beds, 0, 0
    FROM bed_count_spans b CROSS JOIN horizon h
    CROSS JOIN LATERAL ${days(localDay('b.from_ms - 1', zone), `COALESCE(${localDay('b.next_ms - 1', zone)} - 1, h.last_day)`)} AS d
    UNION ALL
    SELECT st.institution_id, st.current_ward_id, ${localDay('st.discharged_at', zone)}, 0, 0, 0, 1,
      GREATEST(1, COALESCE(n.nights, 0))
    FROM ${wo}.stays st LEFT JOIN nights n ON n.admission_id = st.admission_id
    WHERE st.discharged_at IS NOT NULL
  )
  SELECT c.day, c.institution_id, c.ward_id, i.alliance_id,
    SUM(c.census)::bigint AS census,
    SUM(c.same_day)::bigint AS same_day_stays,
    SUM(c.census + c.same_day)::bigint AS occupied_bed_days,
    SUM(c.open_beds)::bigint AS open_beds,
    SUM(c.discharges)::bigint AS discharges,
    SUM(c.bed_days)::bigint AS discharged_bed_days
  FROM counted c
  JOIN ${wo}.wards w ON w.institution_id = c.institution_id AND w.ward_id = c.ward_id
  LEFT JOIN ${wo}.institutions i ON i.institution_id = c.institution_id
  GROUP BY c.day, c.institution_id, c.ward_id, i.alliance_id`;
    },
  };
}

/** A key group's code as a column name's tail: age-65-plus → age_65_plus. */
const groupColumn = (group: KeyGroup) => group.replace(/-/g, '_');

/** Local dates as `YYYY-MM-DD` text, as contracts and populations store them, from `from` to the horizon. */
const textDays = (from: string, to: string) =>
  `(SELECT to_char(d, 'YYYY-MM-DD') AS day FROM generate_series(${from}::timestamp, ${to}::timestamp, INTERVAL '1 day') AS d)`;

/*
 * Coverage is a stock read on one day (docs/analytics.md, "Family-doctor coverage"): a resident is signed on D when a
 * segment of their contract covers it (from_date <= D < to_date), counted for its residence region, the centre
 * holding it and the alliance recorded with that centre. Contracts never overlap, so each resident is in one row of
 * a day, and a day's rows add up over regions, centres and alliances (never over days). A filter on `day` is pushed
 * into the calendar, so reading one day joins only that day's segments.
 */
const familyDoctorCoverageDaily: AnalyticsView = {
  name: 'family_doctor_coverage_daily',
  reads: { 'family-doctor': ['contract_segments'] },
  comment:
    'Per local day, residence region, centre and alliance: residents signed with a family doctor that day, in total, in a coverage key group and in each (docs/analytics.md, "Family-doctor coverage"). Coverage is a stock: read one day (the API reads the last day of the period) and sum its rows over the regions, centres or alliances wanted, never over days; divide by family_doctor_population_daily of the same day. Rows run from the first contract to today or the latest segment start.',
  columns: {
    day: 'The local date the signed residents are counted on.',
    region_code: 'The residence region recorded at signing (groupBy=region).',
    centre_id: 'The community centre holding the contract that day (groupBy=centre).',
    alliance_id: 'The alliance recorded with that centre in the contract (groupBy=alliance; null: none).',
    signed: 'Residents signed that day (coverage: numerator).',
    signed_in_key_group:
      'Of them, in at least one coverage key group (every key group but age-60-plus: key-group coverage numerator).',
    ...Object.fromEntries(
      COVERAGE_KEY_GROUPS.map((g) => [
        `signed_${groupColumn(g)}`,
        `Of them, in the key group ${g} (byKeyGroup.${g}: numerator).`,
      ]),
    ),
  },
  sql: (schema, zone) => {
    const fd = schema('family-doctor');
    const perGroup = COVERAGE_KEY_GROUPS.map(
      (g) =>
        `COUNT(DISTINCT s.resident_id) FILTER (WHERE s.key_groups LIKE '% ${g} %') AS signed_${groupColumn(g)}`,
    ).join(',\n    ');
    return `SELECT c.day::date AS day, s.residence_region AS region_code, s.centre_id, s.alliance_id,
    COUNT(DISTINCT s.resident_id) AS signed,
    COUNT(DISTINCT s.resident_id) FILTER (WHERE s.in_key_group = 1) AS signed_in_key_group,
    ${perGroup}
  FROM ${textDays(
    `(SELECT MIN(from_date) FROM ${fd}.contract_segments)`,
    `GREATEST((now() AT TIME ZONE ${zone})::date, (SELECT MAX(from_date)::date FROM ${fd}.contract_segments))`,
  )} c
  JOIN ${fd}.contract_segments s ON s.from_date <= c.day AND s.to_date > c.day
  GROUP BY c.day, s.residence_region, s.centre_id, s.alliance_id`;
  },
};

/*
 * The denominators of coverage in force on each day: a region's latest figure effective on or before it, and the
 * centres' catchments that figure lists, with each centre's registered alliance (docs/analytics.md, "Where").
 */
const familyDoctorPopulationDaily: AnalyticsView = {
  name: 'family_doctor_population_daily',
  reads: { 'family-doctor': ['population_figures', 'catchments', 'institutions'] },
  comment:
    'Per local day: the population figures in force (the latest recorded figure effective on or before the day), one row per region (centre_id null: the region as a whole, with its key-group figures) and one per centre of its catchments (with the alliance the centre is registered in). Coverage on a day = sum(family_doctor_coverage_daily.signed) / sum(population) of that day: by region over the region rows, by centre or alliance over the centre rows.',
  columns: {
    day: 'The local date the figures are in force on.',
    region_code: 'The region the figure was recorded for.',
    centre_id: "Null on the region's own row; else a centre of its catchments.",
    alliance_id: "The centre's alliance as registered (null on the region's row, or when it has none).",
    effective_on: 'The date the figure in force took effect.',
    population: "Residents in the region (its row) or in the centre's catchment (coverage: denominator).",
    key_group_population: 'Of them, in at least one coverage key group (key-group coverage: denominator).',
    ...Object.fromEntries(
      COVERAGE_KEY_GROUPS.map((g) => [
        `population_${groupColumn(g)}`,
        `In the key group ${g} (byKeyGroup.${g}: denominator; region rows only, null on centre rows).`,
      ]),
    ),
  },
  sql: (schema, zone) => {
    const fd = schema('family-doctor');
    const groups = (value: (group: KeyGroup) => string) =>
      COVERAGE_KEY_GROUPS.map((g) => `${value(g)} AS population_${groupColumn(g)}`).join(',\n    ');
    return `WITH calendar AS ${textDays(
      `(SELECT MIN(effective_on) FROM ${fd}.population_figures)`,
      `GREATEST((now() AT TIME ZONE ${zone})::date, (SELECT MAX(effective_on)::date FROM ${fd}.population_figures))`,
    )}, in_force AS (
    SELECT c.day, p.* FROM calendar c JOIN ${fd}.population_figures p ON p.effective_on = (
      SELECT MAX(q.effective_on) FROM ${fd}.population_figures q
      WHERE q.region_code = p.region_code AND q.effective_on <= c.day)
  )
  SELECT f.day::date AS day, f.region_code, CAST(NULL AS TEXT) AS centre_id, CAST(NULL AS TEXT) AS alliance_id,
    f.effective_on, f.residents AS population, f.key_group_residents AS key_group_population,
    ${groups((g) => `((f.by_key_group::jsonb) ->> '${g}')::bigint`)}
  FROM in_force f
  UNION ALL
  SELECT f.day::date, f.region_code, k.centre_id, i.alliance_id, f.effective_on, k.residents, k.key_group_residents,
    ${groups(() => 'CAST(NULL AS BIGINT)')}
  FROM in_force f
  JOIN ${fd}.catchments k ON k.region_code = f.region_code AND k.effective_on = f.effective_on
  LEFT JOIN ${fd}.institutions i ON i.institution_id = k.centre_id`;
  },
};

/*
 * Slot use per session date and hospital (docs/analytics.md, "Slot use"): the counts of utilisation, no-show rate and
 * priority share add up over days; the shares of booked people do not (a person counts once per hospital over the
 * whole period), so each day's people are that day's only.
 */
const slotUseDaily: AnalyticsView = {
  name: 'slot_use_daily',
  reads: { 'slot-pool': ['slot_releases', 'slot_bookings', 'institutions'] },
  comment:
    'Per session date and hospital: specialist slots released to family doctors and their bookings (docs/analytics.md, "Slot use"). Summed over a window: utilisation = sum(used) / sum(released) * 100, no-show rate = sum(no_shows) / sum(closed) * 100, priority share = sum(priority_used) / sum(used) * 100, as GET /analytics/slot-use answers them. The people columns count each person once per day: their shares hold for one day; over longer windows the API counts people once per period.',
  columns: {
    day: 'The date of the sessions (as the block states it).',
    hospital_id: 'The hospital holding the sessions.',
    alliance_id: "The hospital's alliance as registered (null: none).",
    released: 'Slots released to family doctors (utilisation: denominator).',
    used: 'Bookings holding a slot: not cancelled, attended, missed or to come (utilisation: numerator).',
    closed: 'Bookings the hospital closed: attended or no-show (no-show rate: denominator).',
    no_shows: 'Of those, no-shows (no-show rate: numerator).',
    priority_used: 'Bookings holding a slot held for priority (priority share: numerator over used).',
    people:
      'People with a booking holding a slot that day, each once (signed and key-group shares: denominator).',
    signed_people: 'Of them, booked with a family-doctor contract in force (signed share: numerator).',
    ...Object.fromEntries(
      KEY_GROUPS.map((g) => [
        `people_${groupColumn(g)}`,
        `Of them, whose booking recorded the key group ${g} (keyGroupShare.${g}: numerator).`,
      ]),
    ),
  },
  sql: (schema) => {
    const sp = schema('slot-pool');
    const used = "b.status <> 'cancelled'";
    const perGroup = KEY_GROUPS.map(
      (g) =>
        `COUNT(DISTINCT b.resident_id) FILTER (WHERE ${used} AND b.key_groups LIKE '% ${g} %') AS people_${groupColumn(g)}`,
    ).join(',\n    ');
    return `WITH released AS (
    SELECT date, hospital_id, SUM(count)::bigint AS released FROM ${sp}.slot_releases GROUP BY date, hospital_id
  ), booked AS (
    SELECT b.date, b.hospital_id,
      COUNT(*) FILTER (WHERE ${used}) AS used,
      COUNT(*) FILTER (WHERE b.status IN ('attended', 'no-show')) AS closed,
      COUNT(*) FILTER (WHERE b.status = 'no-show') AS no_shows,
      COUNT(*) FILTER (WHERE ${used} AND b.priority = 1) AS priority_used,
      COUNT(DISTINCT b.resident_id) FILTER (WHERE ${used}) AS people,
      COUNT(DISTINCT b.resident_id) FILTER (WHERE ${used} AND b.contract_id IS NOT NULL) AS signed_people,
      ${perGroup}
    FROM ${sp}.slot_bookings b GROUP BY b.date, b.hospital_id
  )
  SELECT r.date::date AS day, r.hospital_id, i.alliance_id, r.released,
    COALESCE(k.used, 0) AS used, COALESCE(k.closed, 0) AS closed, COALESCE(k.no_shows, 0) AS no_shows,
    COALESCE(k.priority_used, 0) AS priority_used, COALESCE(k.people, 0) AS people,
    COALESCE(k.signed_people, 0) AS signed_people,
    ${KEY_GROUPS.map((g) => `COALESCE(k.people_${groupColumn(g)}, 0) AS people_${groupColumn(g)}`).join(', ')}
  FROM released r
  LEFT JOIN booked k ON k.date = r.date AND k.hospital_id = r.hospital_id
  LEFT JOIN ${sp}.institutions i ON i.institution_id = r.hospital_id`;
  },
};

/** Every analysts' view, in the order they are made. */
export const ANALYTICS_VIEWS: readonly AnalyticsView[] = [
  referralVolumeDaily,
  localTreatmentDaily,
  localTreatmentAllianceDaily,
  wardCensus('physical'),
  wardCensus('held-bed'),
  familyDoctorCoverageDaily,
  familyDoctorPopulationDaily,
  slotUseDaily,
];

const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

function checkedRole(role: string): string {
  if (!ROLE.test(role)) throw new RangeError(`analysts' role ${role} must match ${ROLE.source}`);
  return role;
}

/** Is every table a view needs there, in the serving schemas (read models never put in service have none)? */
async function readable(client: PoolClient, models: PgReadModels, view: AnalyticsView): Promise<boolean> {
  const wanted = Object.entries(view.reads).flatMap(([projection, tables]) =>
    tables.map((table) => `${models.servingSchema(projection)}.${table}`),
  );
  const { rows } = await client.query<{ n: number }>(
    `SELECT COUNT(*)::int AS n FROM information_schema.views
     WHERE table_schema || '.' || table_name = ANY($1::text[])`,
    [wanted],
  );
  return rows[0]!.n === wanted.length;
}

/**
 * Lets `role` read the analysts' schema, and only it: USAGE on the schema and SELECT on its views (now and, by
 * default privileges, those made later by the same owner). Views run with their owner's rights, so the role needs
 * nothing on the serving or generation schemas, and gets nothing there.
 */
export async function grantAnalysts(client: PoolClient, models: PgReadModels, role: string): Promise<void> {
  const schema = analyticsSchema(models);
  const grantee = client.escapeIdentifier(checkedRole(role));
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${grantee}`);
  await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${grantee}`);
  await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT ON TABLES TO ${grantee}`);
}

/** Creates the analysts' role, NOLOGIN, when it is missing (BI logins are made members of it); true when created. */
export async function ensureAnalystRole(client: PoolClient, role: string): Promise<boolean> {
  const { rows } = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [checkedRole(role)]);
  if (rows.length > 0) return false;
  await client.query(`CREATE ROLE ${client.escapeIdentifier(role)} NOLOGIN`);
  return true;
}

/**
 * `afterPromote` for `PgReadModels`: (re)makes `<prefix>_analytics` and every view whose read models are in service,
 * with comments on each view and column, then grants the analysts' role (when given and it exists) SELECT on them.
 * It runs in the promotion's transaction, so analysts see the views of the new generation from its commit on.
 */
export function analyticsViews(
  options: AnalyticsViewsOptions,
): (client: PoolClient, models: PgReadModels) => Promise<void> {
  if (options.analystRole !== undefined) checkedRole(options.analystRole);
  return async (client, models) => {
    // Checked by the server, which resolves the zone in the views: an unknown one fails here, not in a BI tool.
    await client.query(`SELECT now() AT TIME ZONE $1`, [options.timeZone]);
    const zone = client.escapeLiteral(options.timeZone);
    const schema = analyticsSchema(models);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    for (const view of ANALYTICS_VIEWS) {
      if (!(await readable(client, models, view))) continue;
      const name = `${schema}.${view.name}`;
      await client.query(
        `CREATE OR REPLACE VIEW ${name} (${Object.keys(view.columns).join(', ')}) AS ${view.sql((p) => models.servingSchema(p), zone)}`,
      );
      await client.query(`COMMENT ON VIEW ${name} IS ${client.escapeLiteral(view.comment)}`);
      for (const [column, comment] of Object.entries(view.columns)) {
        await client.query(`COMMENT ON COLUMN ${name}.${column} IS ${client.escapeLiteral(comment)}`);
      }
    }
    if (options.analystRole === undefined) return;
    const { rows } = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [options.analystRole]);
    if (rows.length > 0) await grantAnalysts(client, models, options.analystRole);
  };
}

/** The read models in PostgreSQL as the API and the projectors open them: the analysts' views made at each promotion. */
export function openPgReadModels(options: {
  readonly connectionString: string;
  readonly prefix: string;
  readonly timeZone: string;
  readonly analystRole?: string | null;
}): PgReadModels {
  return new PgReadModels({
    connectionString: options.connectionString,
    prefix: options.prefix,
    afterPromote: analyticsViews({
      timeZone: options.timeZone,
      analystRole: options.analystRole ?? undefined,
    }),
  });
}
