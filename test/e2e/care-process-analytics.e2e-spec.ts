import type { EventStore } from '@carepath/event-store';
import { ProjectionsService } from '../../apps/api/src/projections/projections.service';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import { CHC, HOSP, openJourney, referUp, seedAlliance } from '../support/fixtures';
import { fakeClock } from '../support/fake-clock';
import { processesOn, runProcesses } from '../support/processes';
import { as, startTestApp, type TestApp } from '../support/test-app';

type Body = Record<string, any>;

/**
 * The care processes' outcomes in the referral analytics (docs/analytics.md, "Transfer proposals" and "Follow-up
 * completion"), from proposals and follow-ups the process manager made on the real app: one follow-up done by a visit
 * in time, one overdue, and a proposal that lapsed when its stay ended.
 */
describe('care process analytics', () => {
  const clock = fakeClock('2026-03-01T08:00:00+08:00');
  let t: TestApp;
  const analyst = as(HOSP, 'analyst', 'analyst-hosp');

  beforeAll(async () => {
    t = await startTestApp(processesOn(), 'sqlite', { clock });
    await seedAlliance(t);
  });
  afterAll(() => t?.close());

  const post = async (path: string, institution: string, body: Body): Promise<Body> =>
    (await t.http().post(path).set(as(institution)).send(body).expect(201)).body as Body;

  /** Up to the hospital on day `d` of March, surgery the next day, discharged home on day `d` + 5. */
  async function stayWithSurgery(patientId: string, d: number): Promise<string> {
    const day = (n: number, h = 10) =>
      `2026-03-${String(n).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00+08:00`;
    clock.set(day(d, 11));
    const journeyId = await openJourney(t, { patientId, occurredAt: day(d, 9) });
    const j = `/journeys/${journeyId}`;
    const up = await referUp(t, journeyId, { occurredAt: day(d) });
    await post(`${j}/referrals/${up}/accept`, HOSP, { occurredAt: day(d) });
    const { admissionId } = await post(`${j}/admissions`, HOSP, {
      institutionId: HOSP,
      wardId: 'icu',
      referralId: up,
      occurredAt: day(d, 11),
    });
    clock.set(day(d + 1, 11));
    await post(`${j}/surgeries`, HOSP, {
      institutionId: HOSP,
      procedureCode: '36.06',
      occurredAt: day(d + 1),
    });
    // Past the three stable days: the process proposes the transfer down.
    clock.set(day(d + 4, 11));
    await runProcesses(t);
    clock.set(day(d + 5, 11));
    await post(`${j}/admissions/${admissionId as string}/discharge`, HOSP, {
      disposition: 'home',
      occurredAt: day(d + 5),
    });
    await runProcesses(t);
    return journeyId;
  }

  it('counts the proposals and their outcomes, and the follow-ups done in time and overdue', async () => {
    const seen = await stayWithSurgery('pt-fu-seen', 2);
    await stayWithSurgery('pt-fu-missed', 3);
    // The first patient is seen at the owing centre within the 7 days after surgery; the second never.
    clock.set('2026-03-10T10:00:30+08:00');
    await post(`/journeys/${seen}/visits`, CHC, {
      institutionId: CHC,
      visitType: 'outpatient',
      diagnosisCode: 'I21.4',
      occurredAt: '2026-03-10T10:00:00+08:00',
    });
    clock.set('2026-03-20T09:00:00+08:00');
    await runProcesses(t);
    // The figures come from the referral-volume read model: once it holds every event written so far.
    await t.app
      .get(ProjectionsService)
      .runner('referral-volume')
      .waitFor(await t.app.get<symbol, EventStore>(EVENT_STORE).headPosition());

    const proposals = await t
      .http()
      .get('/analytics/referrals/transfer-proposals')
      .set(analyst)
      .query({ period: '2026-03', groupBy: 'fromInstitution,toInstitution' })
      .expect(200);
    expect((proposals.body as Body).rows).toEqual([
      {
        group: { fromInstitutionId: HOSP, toInstitutionId: CHC },
        figures: expect.objectContaining({
          made: 2,
          accepted: 0,
          declined: 0,
          lapsed: 2,
          open: 0,
          acceptanceRate: null,
        }),
      },
    ]);

    const followUps = await t
      .http()
      .get('/analytics/referrals/follow-ups')
      .set(analyst)
      .query({ period: '2026-03' })
      .expect(200);
    expect(followUps.body).toMatchObject({ at: '2026-03-20T01:00:00.000Z', groupBy: ['institution'] });
    expect((followUps.body as Body).rows).toEqual([
      {
        group: { owedByInstitutionId: CHC },
        figures: {
          owed: 2,
          doneInTime: 1,
          doneLate: 0,
          doneRecorded: 0,
          overdue: 1,
          notYetDue: 0,
          completionRate: 50,
        },
      },
    ]);
    const csv = await t
      .http()
      .get('/analytics/referrals/follow-ups')
      .set(analyst)
      .query({ period: '2026-03', format: 'csv' })
      .expect(200);
    expect(csv.text.split('\n')[0]).toContain('completionRate');
  });
});
