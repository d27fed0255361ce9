import type { PoolClient } from 'pg';
import { REFERRAL_OUTCOMES } from '../../model/referral-volume.model';
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
 * The midnight census under HELD_BED_RULE=physical (docs/analytics.md, "Midnight census"): a segment in a bed is in
 * D's census when it started before 24:00 of D and had not ended before it, that is for the local dates D from its
 * start's up to the day before its end's (an end exactly at 00:00 of D + 1 is D + 1's and counts on D). A bed count
 * holds at every census from the first midnight at or after it (the local date of the instant 1 ms before it) up to
 * the day before the next change's. Open segments and the last bed count run to the horizon: today in the zone, or
 * the latest care time recorded when later.
 */
const wardCensusDaily: AnalyticsView = {
  name: 'ward_census_daily',
  reads: { 'ward-occupancy': ['wards', 'institutions', 'segments', 'stays', 'bed_counts'] },
  comment:
    'Per local day and ward: the midnight census (24:00) under the physical held-bed rule (HELD_BED_RULE=physical, the default), same-day stays, open beds, discharges and their bed-days (docs/analytics.md, "Bed-use rate"). Summed over a window: bed-use rate = sum(occupied_bed_days) / sum(open_beds) * 100, as GET /analytics/ward-occupancy answers it; rows run up to today or the latest care time recorded.',
  columns: {
    day: 'Local date D of the census, taken at 24:00 of D in the census time zone.',
    institution_id: 'The institution of the ward.',
    ward_id: 'The ward.',
    alliance_id: "The institution's alliance as registered (null: none).",
    census: 'Patients in a bed of the ward at 24:00 of D (patients on leave count nowhere under this rule).',
    same_day_stays: 'Stays admitted to the ward and discharged on D: one bed-day each.',
    occupied_bed_days: 'census + same_day_stays: the occupied bed-days of D (extra beds included).',
    open_beds: 'Beds open at 24:00 of D (the open bed-days of D).',
    discharges: 'Patients discharged from the ward on D.',
    discharged_bed_days:
      'Their bed-days: the midnights of each whole stay counted in a census, at least 1 (average stay = this / discharges).',
  },
  sql: (schema, zone) => {
    const wo = schema('ward-occupancy');
    return `WITH horizon AS (
    SELECT GREATEST(
      (now() AT TIME ZONE ${zone})::date,
      (SELECT MAX(${localDay('GREATEST(from_ms, COALESCE(to_ms, from_ms))', zone)}) FROM ${wo}.segments),
      (SELECT MAX(${localDay('from_ms', zone)}) FROM ${wo}.bed_counts)
    ) AS last_day
  ), in_bed AS (
    SELECT s.institution_id, s.ward_id, s.admission_id, d::date AS day
    FROM ${wo}.segments s CROSS JOIN horizon h
    CROSS JOIN LATERAL ${days(localDay('s.from_ms', zone), `COALESCE(${localDay('s.to_ms', zone)} - 1, h.last_day)`)} AS d
    WHERE s.kind = 'in-bed'
  ), nights AS (
    SELECT admission_id, COUNT(DISTINCT day) AS nights FROM in_bed GROUP BY admission_id
  ), bed_count_spans AS (
    SELECT institution_id, ward_id, open_beds, from_ms,
      LEAD(from_ms) OVER (PARTITION BY institution_id, ward_id ORDER BY from_ms, event_id) AS next_ms
    FROM ${wo}.bed_counts
  ), counted AS (
    SELECT institution_id, ward_id, day, 1 AS census, 0 AS same_day, 0 AS open_beds, 0 AS discharges, 0 AS bed_days
    FROM in_bed
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

/** Every analysts' view, in the order they are made. */
export const ANALYTICS_VIEWS: readonly AnalyticsView[] = [
  referralVolumeDaily,
  localTreatmentDaily,
  localTreatmentAllianceDaily,
  wardCensusDaily,
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
