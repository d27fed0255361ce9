import { as, startTestApp, type TestApp, type TestStore, asReaderOf } from '../support/test-app';
import { CHC, HOSP, HOSP2, OTHER, openJourney, REGION, seedAlliance } from '../support/fixtures';

type Body = Record<string, any>;

/**
 * Read models through the real app: every figure below is worked out by hand in a comment from the journeys
 * recorded here (formulas: docs/domain.md, "Indicators"). Writes ask for `consistency=projected`, so no test
 * sleeps.
 */
describe.each<TestStore>(['sqlite', 'esdb'])(
  'Analytics, worklists and timelines through the real API (%s store)',
  (store) => {
    let t: TestApp;
    const ids: Record<string, string> = {};

    const post = async (path: string, institution: string, body: Body, status = 201): Promise<Body> => {
      const res = await t.http().post(path).set(as(institution)).set('X-Consistency', 'projected').send(body);
      expect({ path, status: res.status, body: res.body }).toMatchObject({ path, status });
      return res.body as Body;
    };
    const get = async (path: string, status = 200): Promise<Body> => {
      const res = await (path.startsWith('/journeys/')
        ? t.read(path)
        : t.http().get(path).set(asReaderOf(path)));
      expect({ path, status: res.status, body: res.body }).toMatchObject({ path, status });
      return res.body as Body;
    };
    const referral = (
      from: string,
      to: string,
      direction: 'up' | 'down',
      occurredAt: string,
      extra: Body = {},
    ) => ({
      direction,
      fromInstitutionId: from,
      toInstitutionId: to,
      department: 'cardiology',
      priority: 'urgent',
      setting: 'inpatient',
      reasonCode: 'I21.4',
      occurredAt,
      ...extra,
    });

    beforeAll(async () => {
      t = await startTestApp({}, store);
      await seedAlliance(t);
      // HOSP cardio-surg goes from 2 to 4 open beds during 16 March (first midnight with 4 beds: 16 March 24:00).
      await t
        .http()
        .post(`/institutions/${HOSP}/wards/cardio-surg/bed-count`)
        .set(as(HOSP, 'admin'))
        .send({ openBeds: 4, occurredAt: '2026-03-16T08:00:00+08:00' })
        .expect(201);

      // A: community first visit, urgent upward referral accepted after 1 h, 3 nights in cardio-surg, down referral.
      const a = await openJourney(t, { patientId: 'pt-a0000001' });
      ids.a = a;
      const up = await post(
        `/journeys/${a}/referrals`,
        CHC,
        referral(CHC, HOSP, 'up', '2026-03-01T10:00:00+08:00'),
      );
      ids.upA = up.referralId;
      await post(`/journeys/${a}/referrals/${up.referralId}/accept`, HOSP, {
        occurredAt: '2026-03-01T11:00:00+08:00',
      });
      await post(`/journeys/${a}/visits`, HOSP, {
        institutionId: HOSP,
        visitType: 'outpatient',
        diagnosisCode: 'I21.4',
        referralId: up.referralId,
        occurredAt: '2026-03-01T15:00:00+08:00',
      });
      const admitted = await post(`/journeys/${a}/admissions`, HOSP, {
        institutionId: HOSP,
        wardId: 'cardio-surg',
        referralId: up.referralId,
        occurredAt: '2026-03-02T09:30:00+08:00',
      });
      ids.admissionA = admitted.admissionId;
      ids.admissionEventA = admitted.eventIds[0];
      const down = await post(
        `/journeys/${a}/referrals`,
        HOSP,
        referral(HOSP, CHC, 'down', '2026-03-04T09:00:00+08:00', { priority: 'routine' }),
      );
      ids.downA = down.referralId;
      await post(`/journeys/${a}/referrals/${down.referralId}/accept`, CHC, {
        occurredAt: '2026-03-04T12:00:00+08:00',
      });
      await post(`/journeys/${a}/admissions/${admitted.admissionId}/discharge`, HOSP, {
        disposition: 'rehab',
        destinationInstitutionId: CHC,
        occurredAt: '2026-03-05T10:00:00+08:00',
      });

      // B: a same-day stay in HOSP icu (1 bed-day), and an outpatient visit outside the home region.
      const b = await openJourney(t, { patientId: 'pt-b0000001' });
      const stay = await post(`/journeys/${b}/admissions`, HOSP, {
        institutionId: HOSP,
        wardId: 'icu',
        occurredAt: '2026-03-10T08:00:00+08:00',
      });
      await post(`/journeys/${b}/admissions/${stay.admissionId}/discharge`, HOSP, {
        disposition: 'home',
        occurredAt: '2026-03-10T18:00:00+08:00',
      });
      await post(`/journeys/${b}/visits`, OTHER, {
        institutionId: OTHER,
        visitType: 'outpatient',
        diagnosisCode: 'I10',
        occurredAt: '2026-03-11T09:00:00+08:00',
      });

      // D: capacity-full at HOSP after 2 h, redirected to HOSP2 in the same alliance (still pending there).
      const d = await openJourney(t, { patientId: 'pt-d0000001' });
      const upD = await post(
        `/journeys/${d}/referrals`,
        CHC,
        referral(CHC, HOSP, 'up', '2026-03-01T10:00:00+08:00'),
      );
      await post(`/journeys/${d}/referrals/${upD.referralId}/reject`, HOSP, {
        reason: 'capacity-full',
        redirectToInstitutionId: HOSP2,
        occurredAt: '2026-03-01T12:00:00+08:00',
      });

      // E: a routine upward referral on Monday 2 March, due Wednesday 4 March 10:00, never answered: overdue.
      const e = await openJourney(t, { patientId: 'pt-e0000001', occurredAt: '2026-03-02T09:00:00+08:00' });
      const upE = await post(
        `/journeys/${e}/referrals`,
        CHC,
        referral(CHC, HOSP, 'up', '2026-03-02T10:00:00+08:00', { priority: 'routine' }),
      );
      ids.upE = upE.referralId;

      // F: an inpatient still in HOSP icu.
      const f = await openJourney(t, { patientId: 'pt-f0000001' });
      await post(`/journeys/${f}/admissions`, HOSP, {
        institutionId: HOSP,
        wardId: 'icu',
        bedId: '2',
        occurredAt: '2026-03-20T08:00:00+08:00',
      });
    });
    afterAll(async () => t.close());

    it('ward occupancy for March by midnight census, with a bed-count change and a same-day stay', async () => {
      const body = await get(`/analytics/ward-occupancy?period=2026-03&institutionId=${HOSP}`);
      const byWard = Object.fromEntries((body.rows as Body[]).map((r) => [r.wardId, r.figures]));
      // cardio-surg: A in a bed at midnight on 2, 3, 4 March = 3 occupied bed-days;
      // open bed-days: 2 beds for 1..15 March + 4 beds for 16..31 March = 30 + 64 = 94; rate 3/94 = 3.19%;
      // average open beds 94/31 = 3.03; bed work-days 3/3.032 = 0.99; turnover 1/3.032 = 0.33; average stay 3/1.
      expect(byWard['cardio-surg']).toEqual({
        days: 31,
        occupiedBedDays: 3,
        openBedDays: 94,
        bedUseRate: 3.19,
        averageOpenBeds: 3.03,
        bedWorkDays: 0.99,
        discharges: 1,
        turnover: 0.33,
        dischargedBedDays: 3,
        averageLengthOfStay: 3,
      });
      // icu: B admitted and discharged on 10 March = 1 bed-day; F in a bed from 20 March: midnights 20..31 = 12;
      // open 4 × 31 = 124; rate 13/124 = 10.48%.
      expect(byWard.icu).toMatchObject({
        occupiedBedDays: 13,
        openBedDays: 124,
        bedUseRate: 10.48,
        discharges: 1,
        averageLengthOfStay: 1,
      });

      const institution = await get(
        `/analytics/ward-occupancy?period=2026-03&institutionId=${HOSP}&groupBy=institution`,
      );
      // The institution adds its wards: (3 + 13) / (94 + 124) = 16/218 = 7.34%.
      expect(institution.rows).toEqual([
        expect.objectContaining({
          institutionId: HOSP,
          figures: expect.objectContaining({ occupiedBedDays: 16, openBedDays: 218, bedUseRate: 7.34 }),
        }),
      ]);
    });

    it('live census per ward', async () => {
      const body = await get(`/analytics/ward-occupancy/live?institutionId=${HOSP}`);
      expect(body.rows).toEqual(
        expect.arrayContaining([
          {
            institutionId: HOSP,
            wardId: 'icu',
            occupied: 1,
            openBeds: 4,
            extraBeds: 0,
            onLeave: 0,
            rate: 25,
          },
          {
            institutionId: HOSP,
            wardId: 'cardio-surg',
            occupied: 0,
            openBeds: 4,
            extraBeds: 0,
            onLeave: 0,
            rate: 0,
          },
        ]),
      );
    });

    it('referral volume by direction, with outcomes, acceptance rate and time to decision', async () => {
      const body = await get('/analytics/referrals?period=2026-03&groupBy=direction');
      const byDirection = Object.fromEntries((body.rows as Body[]).map((r) => [r.group.direction, r]));
      // Up: A accepted (1 h), D redirected (2 h), D's redirect to HOSP2 pending, E pending = 4.
      // Acceptance = accepted / decided = 1 / (1 + 1) = 50%; decision hours [1, 2]: median (rank 1) 1, p90 (rank 2) 2.
      expect(byDirection.up.figures).toMatchObject({
        total: 4,
        outcomes: expect.objectContaining({ accepted: 1, redirected: 1, pending: 2 }),
        acceptanceRate: 50,
        timeToDecisionHours: { median: 1, p90: 2 },
      });
      // Down: A's transfer to the community, accepted after 3 h.
      expect(byDirection.down.figures).toMatchObject({
        total: 1,
        acceptanceRate: 100,
        timeToDecisionHours: { median: 3, p90: 3 },
      });
      expect(byDirection.up).toMatchObject({ previousTotal: 0, growth: null });
    });

    it('the tertiary downward-transfer KPI', async () => {
      const body = await get(`/analytics/referrals/downward-kpi?year=2026&institutionId=${HOSP}`);
      expect(body.rows).toEqual([
        {
          institutionId: HOSP,
          year: '2026',
          outpatient: 0,
          inpatient: 1,
          total: 1,
          requested: 1,
          previousYearTotal: 0,
          growth: null,
          meetsGrowthTarget: null,
        },
      ]);
    });

    it('local-treatment rates over one population each', async () => {
      const body = await get(`/analytics/local-treatment?period=2026-03&region=${REGION}`);
      // Visits in March: first visits at CHC for A, B, D, E and F = 5 community visits in 110105; A's visit at
      // HOSP = 1 more in 110105; B's visit at OTHER is in region 110108. Every patient lives in 110105.
      // Community share (located in 110105): 5 / 6 = 83.33%.
      // Residents of 110105, outpatient: 5 community of 7 (5 CHC + HOSP + OTHER) = 71.43%.
      // In-region rate: residents' visits inside 110105: 6 of 7 = 85.71%.
      expect(body.rows).toEqual([
        {
          regionCode: REGION,
          communityShare: { numerator: 5, denominator: 6, rate: 83.33 },
          residentsCommunityShare: { numerator: 5, denominator: 7, rate: 71.43 },
          inRegionRate: { numerator: 6, denominator: 7, rate: 85.71 },
        },
      ]);
    });

    it('a coordinator worklist per institution', async () => {
      const hosp = await get(`/worklists/${HOSP}`);
      // E is past its deadline (Wednesday 4 March 10:00) with no decision.
      expect(hosp.incomingReferrals).toEqual([
        expect.objectContaining({
          referralId: ids.upE,
          status: 'requested',
          deadline: '2026-03-04T10:00:00+08:00',
          overdue: true,
        }),
      ]);
      expect(hosp.inpatients).toEqual([
        expect.objectContaining({ wardId: 'icu', bedId: '2', patientId: 'pt-f0000001' }),
      ]);
      const chc = await get(`/worklists/${CHC}`);
      expect(chc.outgoingReferrals.map((r: Body) => r.toInstitutionId).sort()).toEqual([HOSP, HOSP2]);
      expect(chc.expectedDownwardTransfers).toEqual([
        expect.objectContaining({ referralId: ids.downA, fromInstitutionId: HOSP }),
      ]);
      await get('/worklists/NOWHERE-1', 404);
    });

    it('a journey timeline with the time spent in each institution', async () => {
      const body = await get(`/journeys/${ids.a}/timeline`);
      expect(body.steps.map((s: Body) => s.kind)).toEqual(['visit', 'referral', 'visit', 'stay', 'referral']);
      // In a bed at HOSP from 2 March 09:30 to 5 March 10:00 = 72.5 h.
      expect(body.institutions).toEqual([
        expect.objectContaining({ institutionId: CHC, visits: 1, inpatientHours: 0 }),
        expect.objectContaining({ institutionId: HOSP, visits: 1, inpatientHours: 72.5 }),
      ]);
    });

    it('a corrected admission time moves the bed-days, and a rebuild from zero equals the live answer', async () => {
      // What CarePath had recorded just before the correction, for the asOf replay below.
      const lastBefore = (await get(`/journeys/${ids.a}/events`)).events.at(-1).metadata.recordedAt as string;
      // Admitted the evening before: in a bed at midnight on 1, 2, 3 and 4 March = 4 bed-days.
      await post(`/journeys/${ids.a}/events/${ids.admissionEventA}/corrections`, HOSP, {
        targetType: 'PatientAdmitted',
        occurredAt: '2026-03-01T20:00:00+08:00',
        patch: {},
      });
      const live = await get(
        `/analytics/ward-occupancy?period=2026-03&institutionId=${HOSP}&wardId=cardio-surg`,
      );
      expect(live.rows[0].figures).toMatchObject({ occupiedBedDays: 4, dischargedBedDays: 4 });
      // The figure as it was reported before the correction: replayed from the log up to then.
      const reported = await get(
        `/analytics/ward-occupancy?period=2026-03&institutionId=${HOSP}&wardId=cardio-surg&asOf=${encodeURIComponent(lastBefore)}`,
      );
      expect(reported).toMatchObject({ asOf: lastBefore, asOfPosition: expect.any(String) });
      expect(reported.rows[0].figures).toMatchObject({ occupiedBedDays: 3, dischargedBedDays: 3 });

      const before = (await get('/projections')).projections as Body[];
      const rebuilt = await t
        .http()
        .post('/projections/ward-occupancy/rebuild?wait=true')
        .set(asReaderOf('/projections'))
        .expect(202);
      expect(rebuilt.body.generation).toBe(before.find((p) => p.name === 'ward-occupancy')!.generation + 1);
      expect(
        await get(`/analytics/ward-occupancy?period=2026-03&institutionId=${HOSP}&wardId=cardio-surg`),
      ).toEqual(live);
      const after = (await get('/projections')).projections as Body[];
      for (const p of after) expect(p).toMatchObject({ state: 'live', lag: '0', lastError: null });
    });

    it('CSV on request', async () => {
      const res = await t
        .http()
        .get(`/analytics/ward-occupancy?period=2026-03&institutionId=${HOSP}&format=csv`)
        .set(asReaderOf('/analytics'))
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const [header, ...lines] = res.text.trim().split('\r\n');
      expect(header).toBe(
        'institutionId,wardId,allianceId,figures.days,figures.occupiedBedDays,figures.openBedDays,figures.bedUseRate,figures.averageOpenBeds,figures.bedWorkDays,figures.discharges,figures.turnover,figures.dischargedBedDays,figures.averageLengthOfStay',
      );
      expect(lines).toHaveLength(2);
    });

    it('refuses bad filters with 400 naming the field', async () => {
      const bad = async (query: string, field: string) => {
        const res = await t.http().get(`/analytics/${query}`).set(asReaderOf('/analytics')).expect(400);
        expect(JSON.stringify(res.body.message)).toContain(field);
      };
      await bad('ward-occupancy?period=2026-13', 'period');
      await bad('ward-occupancy?period=2026-03&from=2026-03-01', 'period');
      await bad('ward-occupancy?from=2026-03-05&to=2026-03-01', 'to');
      await bad('ward-occupancy?period=2026-03&groupBy=floor', 'groupBy');
      await bad('referrals?period=2026-03&groupBy=direction,colour', 'groupBy');
      await bad('referrals?period=2026-03&unit=fortnight', 'unit');
      await bad('referrals/downward-kpi?year=26', 'year');
      await bad('local-treatment?period=2026-W54', 'period');
      await bad('local-treatment?period=2026-03&region=Beijing', 'region');
      await bad('ward-occupancy?period=2026-03&colour=blue', 'colour');
    });
  },
);
