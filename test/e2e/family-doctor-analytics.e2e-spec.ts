import { bodies, CHC, HOSP, REGION, startSeededApp } from '../support/fixtures';
import { as, type TestApp } from '../support/test-app';

type Body = Record<string, any>;

const ADMIN = as('HC-CY', 'admin', 'registrar-1');
const ANALYST = as(HOSP, 'analyst', 'analyst-1');
const OFFICE = as(HOSP, 'coordinator', 'office-hosp');
const FD = as(CHC, 'family-doctor', 'fd-wang');
const AT = (day: number, time = '10:00') => `2026-05-${String(day).padStart(2, '0')}T${time}:00+08:00`;

/**
 * Family-doctor coverage and slot use through the API (docs/analytics.md, "Family-doctor coverage" and "Slot use"):
 * a region's population recorded, residents signed, a session published, released, booked, attended and missed;
 * the figures are checked exactly, live and again after each read model is rebuilt.
 */
describe('family-doctor coverage and slot use', () => {
  let t: TestApp;
  const http = () => t.http();
  const bookingIds: string[] = [];

  beforeAll(async () => {
    t = await startSeededApp();
    await http()
      .post(`/regions/${REGION}/population`)
      .set(ADMIN)
      .send({
        effectiveOn: '2026-01-01',
        residents: 8,
        keyGroupResidents: 4,
        byKeyGroup: { hypertension: 2, 'type-2-diabetes': 1 },
        centres: [{ centreId: CHC, residents: 5, keyGroupResidents: 3 }],
        source: 'test yearbook',
        occurredAt: '2026-01-02T09:00:00+08:00',
      })
      .expect(201);
    const residents: [string, string[]][] = [
      ['rs-fdan0001', ['hypertension', 'age-60-plus']],
      ['rs-fdan0002', ['type-2-diabetes']],
      ['rs-fdan0003', ['age-60-plus']],
      ['rs-fdan0004', []],
    ];
    for (const [residentId, keyGroups] of residents) {
      await http()
        .post('/family-doctors/contracts')
        .set(FD)
        .send(bodies.contract(residentId, keyGroups))
        .expect(201);
    }
    const { blockId } = (
      await http()
        .post('/slot-blocks')
        .set(OFFICE)
        .send({
          hospitalId: HOSP,
          department: 'cardiology',
          clinicianGrade: 'chief',
          count: 10,
          date: '2026-05-11',
          startTime: '08:30',
          occurredAt: AT(1),
        })
        .expect(201)
    ).body as Body;
    await http()
      .post(`/slot-blocks/${blockId}/releases`)
      .set(OFFICE)
      .send({ count: 4, occurredAt: AT(1, '11:00') })
      .expect(201);
    // Two priority residents during the priority period, then two more after it lapsed.
    for (const [residentId, day] of [
      ['rs-fdan0001', 6],
      ['rs-fdan0002', 6],
      ['rs-fdan0003', 9],
      ['rs-fdan0004', 9],
    ] as const) {
      const res = await http()
        .post(`/slot-blocks/${blockId}/bookings`)
        .set(FD)
        .send({ residentId, occurredAt: AT(day) })
        .expect(201);
      bookingIds.push((res.body as Body).bookingId as string);
    }
    const step = (bookingId: string, name: string, body: Body) =>
      http().post(`/slot-blocks/${blockId}/bookings/${bookingId}/${name}`).set(OFFICE).send(body).expect(201);
    await step(bookingIds[3]!, 'cancel', { reason: 'patient-declined', occurredAt: AT(9, '12:00') });
    await step(bookingIds[0]!, 'attended', { occurredAt: AT(11, '09:00') });
    await step(bookingIds[1]!, 'no-show', { occurredAt: AT(11, '12:00') });
  });
  afterAll(() => t.close());

  const coverage = async (query: string) =>
    (await http().get(`/analytics/family-doctor-coverage?period=2026-05&${query}`).set(ANALYST).expect(200))
      .body as Body;
  const slotUse = async () =>
    (await http().get('/analytics/slot-use?period=2026-05').set(ANALYST).expect(200)).body as Body;

  async function expectFigures(): Promise<void> {
    const region = await coverage('groupBy=region');
    expect(region).toMatchObject({ on: '2026-05-31', groupBy: 'region' });
    expect(region.rows).toEqual([
      expect.objectContaining({
        regionCode: REGION,
        on: '2026-05-31',
        coverage: { signed: 4, population: 8, rate: 50 },
        // age-60-plus alone is no coverage key group (docs/family-doctors.md, "Key groups").
        keyGroupCoverage: { signed: 2, population: 4, rate: 50 },
      }),
    ]);
    expect(region.rows[0].byKeyGroup.hypertension).toEqual({ signed: 1, population: 2, rate: 50 });
    expect(region.rows[0].byKeyGroup['type-2-diabetes']).toEqual({ signed: 1, population: 1, rate: 100 });
    const centre = await coverage('groupBy=centre');
    expect(centre.rows).toEqual([
      expect.objectContaining({
        centreId: CHC,
        coverage: { signed: 4, population: 5, rate: 80 },
        keyGroupCoverage: { signed: 2, population: 3, rate: 66.67 },
      }),
    ]);
    const alliance = await coverage('groupBy=alliance');
    expect(alliance.rows).toEqual([
      expect.objectContaining({ allianceId: 'CY-G1', coverage: { signed: 4, population: 5, rate: 80 } }),
    ]);
    const use = await slotUse();
    expect(use.rows).toEqual([
      expect.objectContaining({
        hospitalId: HOSP,
        allianceId: 'CY-G1',
        utilisation: { numerator: 3, denominator: 4, rate: 75 },
        noShowRate: { numerator: 1, denominator: 2, rate: 50 },
        priorityShare: { numerator: 2, denominator: 3, rate: 66.67 },
        signedShare: { numerator: 3, denominator: 3, rate: 100 },
      }),
    ]);
    expect(use.rows[0].keyGroupShare).toMatchObject({
      hypertension: { numerator: 1, denominator: 3, rate: 33.33 },
      'type-2-diabetes': { numerator: 1, denominator: 3, rate: 33.33 },
      'age-60-plus': { numerator: 2, denominator: 3, rate: 66.67 },
    });
  }

  it('answers coverage and slot use exactly, live', async () => {
    await expectFigures();
  });

  it('answers the same after each read model is rebuilt from the log', async () => {
    const ops = as('HC-CY', 'admin', 'ops-1');
    for (const name of ['family-doctor', 'slot-pool'])
      await http().post(`/projections/${name}/rebuild?wait=true`).set(ops).expect(202);
    const statuses = (await http().get('/projections').set(ops).expect(200)).body as Body[] | Body;
    const list = (Array.isArray(statuses) ? statuses : statuses.projections) as Body[];
    for (const name of ['family-doctor', 'slot-pool'])
      expect(list.find((s) => s.name === name)).toMatchObject({ lastRebuild: { outcome: 'rebuilt' } });
    await expectFigures();
  });

  it('answers CSV with format=csv or Accept: text/csv', async () => {
    const csv = await http()
      .get('/analytics/family-doctor-coverage?period=2026-05&format=csv')
      .set(ANALYST)
      .expect(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const [header, row] = csv.text.split('\r\n');
    expect(header).toContain('coverage.rate');
    expect(row).toContain(`${REGION},2026-05-31,4,8,50`);
    const accepted = await http()
      .get('/analytics/slot-use?period=2026-05')
      .set(ANALYST)
      .set('Accept', 'text/csv')
      .expect(200);
    expect(accepted.text.split('\r\n')[0]).toContain('utilisation.rate');
  });

  it("refuses a family doctor another doctor's panel and bookings", async () => {
    const other = as(CHC, 'family-doctor', 'fd-li');
    for (const list of ['panel', 'bookings']) {
      const refused = await http().get(`/family-doctors/fd-wang/${list}`).set(other).expect(403);
      expect((refused.body as Body).code).toBe('NOT_OWN_PANEL');
    }
  });

  it("lists a doctor's panel on a day and their bookings", async () => {
    const panel = (await http().get('/family-doctors/fd-wang/panel?on=2026-05-01').set(FD).expect(200))
      .body as Body;
    expect(panel).toMatchObject({ doctorId: 'fd-wang', on: '2026-05-01', count: 4 });
    expect(panel.residents[0]).toMatchObject({
      residentId: 'rs-fdan0001',
      keyGroups: ['age-60-plus', 'hypertension'],
      inKeyGroup: true,
      centreId: CHC,
    });
    const before = (await http().get('/family-doctors/fd-wang/panel?on=2026-02-28').set(FD).expect(200))
      .body as Body;
    expect(before.count).toBe(0);
    const bookings = (
      await http().get('/family-doctors/fd-wang/bookings?from=2026-05-01&to=2026-06-01').set(FD).expect(200)
    ).body as Body;
    expect(bookings.bookings.map((b: Body) => [b.bookingId, b.status, b.priority])).toEqual(
      expect.arrayContaining([
        [bookingIds[0], 'attended', true],
        [bookingIds[1], 'no-show', true],
        [bookingIds[2], 'booked', false],
        [bookingIds[3], 'cancelled', false],
      ]),
    );
  });

  it('lists sessions with a slot to book now, by department, hospital and alliance', async () => {
    // A session three days ahead, published and released now: its window is open (5 days ahead by default).
    const now = new Date();
    const local = new Date(now.getTime() + 8 * 3_600_000);
    const ahead = new Date(local.getTime() + 3 * 86_400_000).toISOString().slice(0, 10);
    const occurredAt = `${local.toISOString().slice(0, 19)}+08:00`;
    const { blockId } = (
      await http()
        .post('/slot-blocks')
        .set(OFFICE)
        .send({
          hospitalId: HOSP,
          department: 'neurology',
          clinicianGrade: 'attending',
          count: 6,
          date: ahead,
          startTime: '14:00',
          occurredAt,
        })
        .expect(201)
    ).body as Body;
    // The screen reads the slot-pool read model, which the projection thread writes: wait for it (docs/api.md).
    await http()
      .post(`/slot-blocks/${blockId}/releases`)
      .set(OFFICE)
      .set('X-Consistency', 'projected')
      .send({ count: 4, occurredAt })
      .expect(201);
    const screen = async (query: string) =>
      ((await http().get(`/slots/available?date=${ahead}&${query}`).set(FD).expect(200)).body as Body)
        .sessions as Body[];
    expect(await screen('department=neurology')).toEqual([
      expect.objectContaining({
        blockId,
        hospitalId: HOSP,
        allianceId: 'CY-G1',
        free: 4,
        heldForPriority: 2,
        general: 2,
      }),
    ]);
    expect(await screen('allianceId=CY-G1&hospitalId=' + HOSP)).toHaveLength(1);
    expect(await screen('allianceId=HD-G1')).toEqual([]);
    expect(await screen('department=cardiology')).toEqual([]);
  });

  it('refuses bad input and roles', async () => {
    await http().get('/analytics/family-doctor-coverage?period=2026-13').set(ANALYST).expect(400);
    await http()
      .get('/analytics/family-doctor-coverage?period=2026-05&groupBy=ward')
      .set(ANALYST)
      .expect(400);
    await http().get('/analytics/slot-use').set(ANALYST).expect(400);
    await http().get('/slots/available?date=2026-02-30').set(FD).expect(400);
    await http().get('/family-doctors/fd-wang/panel').set(ANALYST).expect(403);
    await http().get('/analytics/slot-use?period=2026-05').set(FD).expect(403);
    const bad = { effectiveOn: '2026-01-01', residents: 3, keyGroupResidents: 4, source: 'x' };
    const refused = await http().post(`/regions/${REGION}/population`).set(ADMIN).send(bad).expect(422);
    expect(refused.body.code).toBe('POPULATION_INVALID');
    await http()
      .post('/regions/XX/population')
      .set(ADMIN)
      .send({ ...bad, keyGroupResidents: 1 })
      .expect(400);
    await http()
      .post(`/regions/${REGION}/population`)
      .set(FD)
      .send({ ...bad, keyGroupResidents: 1 })
      .expect(403);
  });
});
