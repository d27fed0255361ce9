import { type AppProcess, type ApiProcess, callApi } from '../support/api-process';
import { bodies, CHC, HOSP } from '../support/fixtures';
import {
  type ProcessCluster,
  registerCentreAndHospital,
  startProcessCluster,
} from '../support/process-cluster';
import { as } from '../support/test-app';

type Body = Record<string, any>;

/**
 * Read-your-writes across processes (docs/api.md, "Consistency"; docs/scaling.md): the API with PROJECTIONS=external
 * and apps/projector in a process of its own, on the same log and read-model folder. A write with
 * consistency=projected answers once the projector's checkpoints have passed it, so the next read of a worklist
 * through the API shows it; with no projector running it answers 503 after PROJECTED_WAIT_MS, and the write stands.
 */
describe('consistency=projected with the projections in apps/projector', () => {
  let cluster: ProcessCluster;
  let api: ApiProcess;
  let projector: AppProcess | null = null;

  const call = (method: string, path: string, who: Record<string, string>, body?: unknown) =>
    callApi(api, method, path, who, body);

  beforeAll(async () => {
    cluster = await startProcessCluster({ name: 'external', store: 'folder' });
    projector = await cluster.startProjector();
    api = await cluster.startApi('api', { PROJECTED_WAIT_MS: '1500' });
    await registerCentreAndHospital(api, 'External');
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  const openAndRefer = async (query: string) => {
    const opened = await call('POST', '/journeys', as(CHC), bodies.openJourney());
    expect(opened.status).toBe(201);
    const journeyId = opened.body.journeyId as string;
    const referred = await call(
      'POST',
      `/journeys/${journeyId}/referrals${query}`,
      as(CHC),
      bodies.referUp(),
    );
    return { journeyId, referred };
  };

  const incoming = async () =>
    (
      (await call('GET', `/worklists/${HOSP}`, as(HOSP, 'coordinator', 'coordinator-hosp'))).body
        .incomingReferrals as Body[]
    ).map((r) => r.referralId as string);

  it('given a write with consistency=projected, then the read model apps/projector writes shows it at once', async () => {
    const { referred } = await openAndRefer('?consistency=projected');
    expect(referred.status).toBe(201);
    expect(await incoming()).toContain(referred.body.referralId);
  });

  it('given no projector running, then a projected write answers 503 after the wait, and the write stands', async () => {
    projector!.child.kill('SIGKILL');
    await projector!.exited;
    projector = null;
    const { journeyId, referred } = await openAndRefer('?consistency=projected');
    expect(referred.status).toBe(503);
    expect(referred.body.code).toBe('PROJECTION_UNAVAILABLE');
    const journey = await call('GET', `/journeys/${journeyId}/events`, {
      ...as(CHC),
      'X-Access-Reason': 'treatment',
    });
    expect(journey.status).toBe(200);
    expect(JSON.stringify(journey.body)).toContain('UpwardReferralRequested');
  });
});
