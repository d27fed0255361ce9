import { as, startTestApp, type TestApp, asReaderOf } from '../support/test-app';
import { CHC, HOSP, openJourney, seedAlliance } from '../support/fixtures';

type Body = Record<string, any>;

/*
 * The live census of a sequential ward (序贯病房) while the patient is upstairs with the community bed held, under
 * each configured HELD_BED_RULE: it must count the patient where the midnight census does (docs/domain.md,
 * "Sequential ward (held beds)": never in two censuses at once). Writes ask for `consistency=projected`, so nothing
 * sleeps.
 */
describe.each(['physical', 'held-bed'] as const)('The live census with HELD_BED_RULE=%s', (rule) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ heldBedRule: rule });
    await seedAlliance(t);
  });
  afterAll(async () => t.close());

  const post = async (path: string, institution: string, body: Body): Promise<Body> => {
    const res = await t.http().post(path).set(as(institution)).set('X-Consistency', 'projected').send(body);
    expect({ path, status: res.status, body: res.body }).toMatchObject({ path, status: 201 });
    return res.body as Body;
  };
  const census = async (institutionId: string, wardId: string): Promise<Body> => {
    const res = await t
      .http()
      .get(`/analytics/ward-occupancy/live?institutionId=${institutionId}`)
      .set(asReaderOf('/analytics'));
    expect(res.status).toBe(200);
    expect(res.body.heldBedRule).toBe(rule);
    return (res.body.rows as Body[]).find((row) => row.wardId === wardId)!;
  };

  it('counts a patient away from a held bed once: upstairs (physical) or at the held bed (held-bed)', async () => {
    const j = `/journeys/${await openJourney(t)}`;
    const community = await post(`${j}/admissions`, CHC, {
      institutionId: CHC,
      wardId: 'rehab',
      occurredAt: '2026-03-01T12:00:00+08:00',
    });
    await post(`${j}/admissions/${community.admissionId}/leave`, CHC, {
      holdBed: true,
      occurredAt: '2026-03-02T08:00:00+08:00',
    });
    await post(`${j}/admissions`, HOSP, {
      institutionId: HOSP,
      wardId: 'cardio-surg',
      occurredAt: '2026-03-02T09:30:00+08:00',
    });

    const home = await census(CHC, 'rehab');
    const upstairs = await census(HOSP, 'cardio-surg');
    // The community ward has 10 open beds, the surgical ward 2 (test/support/fixtures.ts).
    expect({ home, upstairs }).toEqual(
      rule === 'physical'
        ? {
            home: expect.objectContaining({ occupied: 0, onLeave: 1, openBeds: 10, rate: 0 }),
            upstairs: expect.objectContaining({ occupied: 1, onLeave: 0, openBeds: 2, rate: 50 }),
          }
        : {
            home: expect.objectContaining({ occupied: 1, onLeave: 1, openBeds: 10, rate: 10 }),
            upstairs: expect.objectContaining({ occupied: 0, onLeave: 0, openBeds: 2, rate: 0 }),
          },
    );
  });
});
