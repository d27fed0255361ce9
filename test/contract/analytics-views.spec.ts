import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COVERAGE_KEY_GROUPS, KEY_GROUPS } from '@carepath/domain';
import type { SqliteEventStore } from '@carepath/event-store';
import {
  addDays,
  analyticsViews,
  localDate,
  PgProjectionRunner,
  PgReadModels,
  type Period,
  ProjectionRunner,
  COVERAGE_GROUPS,
  OCCUPANCY_GROUPS,
  queryCoverage,
  queryLocalTreatmentByAlliance,
  queryLocalTreatmentByRegion,
  queryReferralVolume,
  querySlotUse,
  queryWardOccupancy,
  ReadModelFiles,
  REFERRAL_OUTCOMES,
  type SqlReader,
  sqliteReader,
} from '@carepath/projections';
import { Client } from 'pg';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { PORTABLE_PROJECTIONS, seededLog } from './read-model-store.contract';

const READ_MODELS = ['referral-volume', 'local-treatment', 'ward-occupancy', 'family-doctor', 'slot-pool'];
/** Percent to 2 decimals, as the model rounds it; null over 0. */
const rate = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 100 * 100) / 100 : null);
const window = (from: string, to: string): Period => ({ from, to, key: null, unit: null });

/*
 * The census zone, and a zone where the generated care times (09:00 to 19:00 in Shanghai) cross local midnight and
 * whose clocks skip 00:00 on 2026-09-06 (Chile's daylight saving time starts), inside the generated data's weeks.
 */
describe.each(['Asia/Shanghai', 'America/Santiago'])(
  "analysts' views in PostgreSQL sum to the API's figures (%s)",
  (TIME_ZONE) => {
    let folder: string;
    let log: SqliteEventStore;
    let files: ReadModelFiles;
    let models: PgReadModels;
    let db: Client;
    const embedded = new Map<string, SqlReader>();
    /** The same read models in PostgreSQL, read through the same queries. */
    const served = new Map<string, SqlReader>();
    const runners: { stop(): Promise<void> }[] = [];
    let postgresReferrals: PgProjectionRunner;
    const analystRole = freshSchema('analyst');
    let analytics: string;
    let full: Period;
    let short: Period;

    /** Sums of a view over a window, per group; integers as numbers. */
    async function sums(view: string, period: Period, group: string[], columns: string[]) {
      const { rows } = await db.query<Record<string, string>>(
        `SELECT ${[...group, ...columns.map((c) => `SUM(${c})::text AS ${c}`)].join(', ')}
       FROM ${analytics}.${view} WHERE day >= $1::date AND day < $2::date
       ${group.length > 0 ? `GROUP BY ${group.join(', ')}` : ''}`,
        [period.from, period.to],
      );
      return rows.map((row) => ({
        ...Object.fromEntries(group.map((g) => [g, row[g] ?? null])),
        ...Object.fromEntries(columns.map((c) => [c, Number(row[c])])),
      }));
    }

    beforeAll(async () => {
      folder = mkdtempSync(join(tmpdir(), 'analytics-views-'));
      log = await seededLog(folder);
      files = new ReadModelFiles(join(folder, 'read-models'));
      db = new Client({ connectionString: TEST_DATABASE_URL });
      await db.connect();
      // The role exists before the promotions, which grant it the views they make.
      await db.query(`CREATE ROLE ${analystRole} NOLOGIN`);
      models = new PgReadModels({
        connectionString: TEST_DATABASE_URL,
        prefix: freshSchema('an'),
        afterPromote: analyticsViews({ timeZone: TIME_ZONE, analystRole }),
      });
      analytics = `${models.prefix}_analytics`;
      const head = await log.headPosition();
      for (const name of READ_MODELS) {
        const definition = PORTABLE_PROJECTIONS.find((d) => d.name === name)!;
        const sqlite = new ProjectionRunner(log, definition, files, { rebuildInWorker: false });
        const postgres = new PgProjectionRunner(log, definition, models, {
          pageSize: 100,
          commitEvery: 1_000,
        });
        runners.push(sqlite, postgres);
        await sqlite.start();
        await postgres.start();
        await sqlite.waitFor(head);
        await postgres.waitFor(head);
        embedded.set(name, sqliteReader(sqlite.reader()));
        served.set(name, postgres.reader());
        if (name === 'referral-volume') postgresReferrals = postgres;
      }
      // Windows from the data: its first request's day to its last care time's, and a part of it.
      const [bounds] = (await embedded
        .get('referral-volume')!
        .all('SELECT MIN(requested_at) AS first, MAX(requested_at) AS last FROM referrals')) as {
        first: number;
        last: number;
      }[];
      const [latest] = (await embedded
        .get('ward-occupancy')!
        .all('SELECT MAX(COALESCE(discharged_at, admitted_at)) AS last FROM stays')) as { last: number }[];
      const first = localDate(bounds!.first, TIME_ZONE);
      const last = localDate(Math.max(bounds!.last, latest!.last), TIME_ZONE);
      full = window(addDays(first, -2), addDays(last, 1));
      // The journeys start within a few days of one another: the shorter window is the middle third of the data's days.
      const span = Math.round((Date.parse(last) - Date.parse(first)) / 86_400_000);
      short = window(addDays(first, Math.floor(span / 3)), addDays(first, Math.floor((2 * span) / 3) + 1));
    }, 120_000);

    afterAll(async () => {
      for (const runner of runners.splice(0)) await runner.stop();
      files?.close();
      await models?.close();
      const { rows } = await db.query<{ schema_name: string }>(
        'SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE $1',
        [`${models.prefix}\\_%`],
      );
      for (const { schema_name } of rows) await dropSchema(schema_name);
      await db.query(`DROP OWNED BY ${analystRole}`);
      await db.query(`DROP ROLE IF EXISTS ${analystRole}`);
      await db.end();
      await log?.close();
      rmSync(folder, { recursive: true, force: true });
    });

    const periods = () =>
      [
        ['the whole data', full],
        ['the middle third of it', short],
      ] as const;

    it('the windows hold data', () => {
      expect(full.from < short.from && short.to < full.to).toBe(true);
    });

    it.each([0, 1])(
      'referral volume by every group (window %#): person-times, outcomes, accepted and rate',
      async (which) => {
        const [, period] = periods()[which]!;
        const groups = [
          'direction',
          'setting',
          'priority',
          'fromInstitution',
          'toInstitution',
          'alliance',
        ] as const;
        const api = await queryReferralVolume(embedded.get('referral-volume')!, period, {}, groups, {
          timeZone: TIME_ZONE,
          unit: 'month',
        });
        const outcomes = REFERRAL_OUTCOMES.map((o) => `outcome_${o}`);
        const view = await sums(
          'referral_volume_daily',
          period,
          ['direction', 'setting', 'priority', 'from_institution_id', 'to_institution_id', 'alliance_id'],
          ['person_times', ...outcomes, 'accepted', 'decided'],
        );
        expect(api.length).toBeGreaterThan(0);
        const key = (g: Record<string, unknown>) => JSON.stringify(g);
        // The API also lists, with a total of 0, groups seen only in the previous window (for growth).
        const fromApi = api
          .filter((r) => r.figures.total > 0)
          .map((r) => ({
            group: key(r.group),
            total: r.figures.total,
            outcomes: r.figures.outcomes,
            accepted: r.figures.accepted,
            acceptanceRate: r.figures.acceptanceRate,
          }))
          .sort((a, b) => a.group.localeCompare(b.group));
        const fromView = view
          .map((r) => ({
            group: key({
              direction: r.direction,
              setting: r.setting,
              priority: r.priority,
              fromInstitutionId: r.from_institution_id,
              toInstitutionId: r.to_institution_id,
              allianceId: r.alliance_id,
            }),
            total: r.person_times,
            outcomes: Object.fromEntries(REFERRAL_OUTCOMES.map((o) => [o, r[`outcome_${o}`]])),
            accepted: r.accepted,
            acceptanceRate: rate(r.accepted as number, r.decided as number),
          }))
          .sort((a, b) => a.group.localeCompare(b.group));
        expect(fromView).toEqual(fromApi);
      },
    );

    it("referral person-times per local day are the API's day buckets", async () => {
      const api = await queryReferralVolume(embedded.get('referral-volume')!, full, {}, ['period'], {
        timeZone: TIME_ZONE,
        unit: 'day',
      });
      const { rows } = await db.query<{ day: string; total: string }>(
        `SELECT day::text AS day, SUM(person_times)::text AS total FROM ${analytics}.referral_volume_daily
       GROUP BY day ORDER BY day`,
      );
      expect(rows.map((r) => [r.day, Number(r.total)])).toEqual(
        api
          .map((r) => [r.group.period, r.figures.total])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
    });

    it.each([0, 1])('local-treatment rates by region and by alliance (window %#)', async (which) => {
      const [, period] = periods()[which]!;
      const reader = embedded.get('local-treatment')!;
      const byRegion = await queryLocalTreatmentByRegion(reader, period, undefined, TIME_ZONE);
      expect(byRegion.length).toBeGreaterThan(0);
      const view = await sums(
        'local_treatment_daily',
        period,
        ['region_code'],
        [
          'community_visits_in_region',
          'visits_in_region',
          'inhabitant_community_clinic_visits',
          'inhabitant_clinic_visits',
          'inhabitant_visits_in_region',
          'inhabitant_visits',
        ],
      );
      const ratio = (n: number, d: number) => ({ numerator: n, denominator: d, rate: rate(n, d) });
      expect(
        view
          .map((r) => ({
            regionCode: r.region_code,
            communityShare: ratio(r.community_visits_in_region as number, r.visits_in_region as number),
            residentsCommunityShare: ratio(
              r.inhabitant_community_clinic_visits as number,
              r.inhabitant_clinic_visits as number,
            ),
            inRegionRate: ratio(r.inhabitant_visits_in_region as number, r.inhabitant_visits as number),
          }))
          .sort((a, b) => String(a.regionCode).localeCompare(String(b.regionCode))),
      ).toEqual(byRegion);

      const byAlliance = await queryLocalTreatmentByAlliance(reader, period, undefined, TIME_ZONE);
      const alliances = await sums(
        'local_treatment_alliance_daily',
        period,
        ['alliance_id'],
        ['community_visits', 'visits'],
      );
      expect(
        alliances
          .map((r) => ({
            allianceId: r.alliance_id,
            communityShare: ratio(r.community_visits as number, r.visits as number),
          }))
          .sort((a, b) => String(a.allianceId).localeCompare(String(b.allianceId))),
      ).toEqual(byAlliance);
    });

    it.each([
      [0, 'physical', 'ward_census_daily'],
      [1, 'physical', 'ward_census_daily'],
      [0, 'held-bed', 'ward_census_held_bed_daily'],
      [1, 'held-bed', 'ward_census_held_bed_daily'],
    ] as const)(
      'bed use by ward (window %s) under the %s rule, %s: occupied and open bed-days, discharges, stays',
      async (which, heldBedRule, viewName) => {
        const [, period] = periods()[which];
        const api = await queryWardOccupancy(embedded.get('ward-occupancy')!, period, {}, 'ward', {
          timeZone: TIME_ZONE,
          heldBedRule,
        });
        expect(api.some((r) => r.figures.occupiedBedDays > 0)).toBe(true);
        const view = await sums(
          viewName,
          period,
          ['institution_id', 'ward_id', 'alliance_id'],
          ['occupied_bed_days', 'open_beds', 'discharges', 'discharged_bed_days'],
        );
        const fromView = (institutionId: string | null, wardId: string | null) => {
          const r = view.find((v) => v.institution_id === institutionId && v.ward_id === wardId);
          const occupied = (r?.occupied_bed_days as number | undefined) ?? 0;
          const open = (r?.open_beds as number | undefined) ?? 0;
          return {
            occupiedBedDays: occupied,
            openBedDays: open,
            bedUseRate: rate(occupied, open),
            discharges: (r?.discharges as number | undefined) ?? 0,
            dischargedBedDays: (r?.discharged_bed_days as number | undefined) ?? 0,
          };
        };
        expect(api.map((r) => ({ ...r, figures: fromView(r.institutionId, r.wardId) }))).toEqual(
          api.map((r) => ({
            ...r,
            figures: {
              occupiedBedDays: r.figures.occupiedBedDays,
              openBedDays: r.figures.openBedDays,
              bedUseRate: r.figures.bedUseRate,
              discharges: r.figures.discharges,
              dischargedBedDays: r.figures.dischargedBedDays,
            },
          })),
        );
        expect(view.length).toBe(api.length);
      },
    );

    it('the data holds leaves from held beds while the patient lies elsewhere, where the two rules differ', async () => {
      // The night moves from the bed upstairs to the held one: wards' figures differ, their total need not.
      const rule = (heldBedRule: 'physical' | 'held-bed') =>
        queryWardOccupancy(embedded.get('ward-occupancy')!, full, {}, 'ward', {
          timeZone: TIME_ZONE,
          heldBedRule,
        });
      const [physical, heldBed] = await Promise.all([rule('physical'), rule('held-bed')]);
      expect(heldBed.map((r) => r.figures.occupiedBedDays)).not.toEqual(
        physical.map((r) => r.figures.occupiedBedDays),
      );
    });

    it.each([0, 1])(
      'ward occupancy read from PostgreSQL is the embedded answer, by every group and rule (window %#)',
      async (which) => {
        const [, period] = periods()[which]!;
        for (const heldBedRule of ['physical', 'held-bed'] as const) {
          for (const groupBy of OCCUPANCY_GROUPS) {
            const options = { timeZone: TIME_ZONE, heldBedRule };
            const fromPostgres = await queryWardOccupancy(
              served.get('ward-occupancy')!,
              period,
              {},
              groupBy,
              options,
            );
            expect(fromPostgres.length).toBeGreaterThan(0);
            expect(fromPostgres).toEqual(
              await queryWardOccupancy(embedded.get('ward-occupancy')!, period, {}, groupBy, options),
            );
          }
        }
      },
    );

    /** Days of the contracts' data: its first segment's start, a month on, and its last start. */
    async function coverageDays(): Promise<string[]> {
      const [bounds] = (await embedded
        .get('family-doctor')!
        .all('SELECT MIN(from_date) AS first, MAX(from_date) AS last FROM contract_segments')) as {
        first: string;
        last: string;
      }[];
      return [bounds!.first, addDays(bounds!.first, 30), bounds!.last];
    }

    it('family-doctor coverage on a day, by region, centre and alliance, from the two coverage views', async () => {
      for (const on of await coverageDays()) {
        for (const groupBy of COVERAGE_GROUPS) {
          const api = await queryCoverage(embedded.get('family-doctor')!, on, groupBy);
          expect(await queryCoverage(served.get('family-doctor')!, on, groupBy)).toEqual(api);
          const column = { region: 'region_code', centre: 'centre_id', alliance: 'alliance_id' }[groupBy];
          const groups = COVERAGE_KEY_GROUPS.map((g) => `signed_${g.replace(/-/g, '_')}`);
          const { rows: signed } = await db.query<Record<string, string>>(
            `SELECT ${column} AS k, SUM(signed)::text AS signed, SUM(signed_in_key_group)::text AS kg,
               ${groups.map((g) => `SUM(${g})::text AS ${g}`).join(', ')}
             FROM ${analytics}.family_doctor_coverage_daily WHERE day = $1::date AND ${column} IS NOT NULL
             GROUP BY ${column}`,
            [on],
          );
          const populations = groups.map((g) => g.replace('signed_', 'population_'));
          const { rows: population } = await db.query<Record<string, string | null>>(
            `SELECT ${column} AS k, SUM(population)::text AS population, SUM(key_group_population)::text AS kg,
               ${populations.map((g) => `SUM(${g})::text AS ${g}`).join(', ')}
             FROM ${analytics}.family_doctor_population_daily
             WHERE day = $1::date AND ${column} IS NOT NULL
               AND ${groupBy === 'region' ? 'centre_id IS NULL' : 'centre_id IS NOT NULL'}
             GROUP BY ${column}`,
            [on],
          );
          const terms = (n: number, d: string | null | undefined) => {
            const p = d === null || d === undefined ? null : Number(d);
            return { signed: n, population: p, rate: p === null ? null : rate(n, p) };
          };
          const keys = [...new Set([...signed, ...population].map((r) => String(r.k)))].sort();
          expect(keys.length).toBeGreaterThan(0);
          expect(
            keys.map((key) => {
              const s = signed.find((r) => r.k === key);
              const p = population.find((r) => r.k === key);
              return {
                key,
                on,
                coverage: terms(Number(s?.signed ?? 0), p?.population),
                keyGroupCoverage: terms(Number(s?.kg ?? 0), p?.kg),
                byKeyGroup:
                  groupBy === 'region'
                    ? Object.fromEntries(
                        COVERAGE_KEY_GROUPS.map((g, i) => [
                          g,
                          terms(Number(s?.[groups[i]!] ?? 0), p?.[populations[i]!]),
                        ]),
                      )
                    : {},
              };
            }),
          ).toEqual(api);
        }
      }
    });

    /** The windows of the slot sessions' dates: all of them, and their first day alone. */
    async function slotWindows(): Promise<Period[]> {
      const [bounds] = (await embedded
        .get('slot-pool')!
        .all('SELECT MIN(date) AS first, MAX(date) AS last FROM slot_releases')) as {
        first: string;
        last: string;
      }[];
      return [
        window(bounds!.first, addDays(bounds!.last, 1)),
        window(bounds!.first, addDays(bounds!.first, 1)),
      ];
    }

    it('slot use by hospital: utilisation, no-show rate and priority share over a window, people on a day', async () => {
      const [all, oneDay] = await slotWindows();
      for (const period of [all!, oneDay!]) {
        const api = await querySlotUse(embedded.get('slot-pool')!, period);
        expect(api.some((r) => r.utilisation.numerator > 0)).toBe(true);
        expect(await querySlotUse(served.get('slot-pool')!, period)).toEqual(api);
        const people = [
          'people',
          'signed_people',
          ...KEY_GROUPS.map((g) => `people_${g.replace(/-/g, '_')}`),
        ];
        const view = await sums(
          'slot_use_daily',
          period,
          ['hospital_id', 'alliance_id'],
          ['released', 'used', 'closed', 'no_shows', 'priority_used', ...people],
        );
        const ratio = (n: number, d: number) => ({ numerator: n, denominator: d, rate: rate(n, d) });
        const fromView = view
          .map((r) => ({
            hospitalId: r.hospital_id,
            allianceId: r.alliance_id,
            utilisation: ratio(r.used as number, r.released as number),
            noShowRate: ratio(r.no_shows as number, r.closed as number),
            priorityShare: ratio(r.priority_used as number, r.used as number),
            signedShare: ratio(r.signed_people as number, r.people as number),
            keyGroupShare: Object.fromEntries(
              KEY_GROUPS.map((g) => [
                g,
                ratio(r[`people_${g.replace(/-/g, '_')}`] as number, r.people as number),
              ]),
            ),
          }))
          .sort((a, b) => String(a.hospitalId).localeCompare(String(b.hospitalId)));
        // People count once per hospital over the API's whole period: summed over days, only one day's are its.
        const additive = ({ signedShare: _s, keyGroupShare: _k, ...rest }: (typeof fromView)[number]) => rest;
        expect(fromView.map(additive)).toEqual(api.map(additive));
        if (period === oneDay) expect(fromView).toEqual(api);
      }
    });

    it('no view has a column that could name a patient, a resident, a journey, a booking or an admission', async () => {
      const { rows } = await db.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1`,
        [analytics],
      );
      expect(new Set(rows.map((r) => r.table_name))).toEqual(
        new Set([
          'referral_volume_daily',
          'local_treatment_daily',
          'local_treatment_alliance_daily',
          'ward_census_daily',
          'ward_census_held_bed_daily',
          'family_doctor_coverage_daily',
          'family_doctor_population_daily',
          'slot_use_daily',
        ]),
      );
      expect(rows.filter((r) => /journey|patient|resident|booking|admission/i.test(r.column_name))).toEqual(
        [],
      );
      const { rows: comments } = await db.query<{ missing: string }>(
        `SELECT c.table_name || '.' || c.column_name AS missing FROM information_schema.columns c
       WHERE c.table_schema = $1
         AND col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position) IS NULL`,
        [analytics],
      );
      expect(comments).toEqual([]);
    });

    it("the analysts' role reads the views, even after a rebuild swaps a generation in, and nothing else", async () => {
      await postgresReferrals.rebuild();
      const session = new Client({ connectionString: TEST_DATABASE_URL });
      await session.connect();
      try {
        await session.query(`SET ROLE ${analystRole}`);
        for (const view of [
          'referral_volume_daily',
          'local_treatment_daily',
          'ward_census_daily',
          'ward_census_held_bed_daily',
          'family_doctor_coverage_daily',
          'family_doctor_population_daily',
          'slot_use_daily',
        ]) {
          const { rows } = await session.query(`SELECT COUNT(*)::int AS n FROM ${analytics}.${view}`);
          expect(rows[0].n).toBeGreaterThan(0);
        }
        await expect(
          session.query(`SELECT * FROM ${models.servingSchema('referral-volume')}.referrals LIMIT 1`),
        ).rejects.toThrow(/permission denied/);
        const { generation } = (await models.current('ward-occupancy'))!;
        await expect(
          session.query(`SELECT * FROM ${models.schemaOf('ward-occupancy', generation)}.stays LIMIT 1`),
        ).rejects.toThrow(/permission denied/);
      } finally {
        await session.end();
      }
    });
  },
);
