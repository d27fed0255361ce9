import { groundTruth } from '../../apps/simulator/src/ground-truth';
import { makePlan, PRESETS } from '../../apps/simulator/src/simulation.plan';
import { SimulationRunner } from '../../apps/simulator/src/simulation.runner';
import { institutionRequests, journeySteps } from '../../apps/simulator/src/simulation.script';
import { letProcessesAct, type SimulatorApi, startSimulatorApi } from '../support/simulator-api';

/**
 * `npm run simulate`: the plan driven over HTTP against a listening server (the routes, the DTO validation and a
 * service account's bearer token, naming each institution in X-Institution-Id), checked against the ground truth once
 * the care processes have acted on the recorded plan (oracle-run.ts says why they act after it, not during it).
 */
describe('simulator over HTTP', () => {
  let api: SimulatorApi;
  const plan = makePlan(PRESETS['chaoyang-2023']!, 0.0003, 2);
  const truth = groundTruth(plan);
  let runner: SimulationRunner;

  beforeAll(async () => {
    api = await startSimulatorApi();
    runner = new SimulationRunner(api.sink);
    await runner.run(plan);
    await api.caughtUp();
    api = await letProcessesAct(api);
  }, 180_000);
  afterAll(async () => api?.close());

  it('sends every command of the plan, each accepted, through every write route', () => {
    const steps = journeySteps(plan);
    const institutions = institutionRequests(plan);
    expect(runner.commands).toBe(institutions.length + steps.length);
    // The routes, every second segment of which is an id (/journeys/:id/referrals/:id/accept).
    const route = (path: string) =>
      path
        .split('/')
        .map((segment, k) => (k > 0 && k % 2 === 0 ? ':id' : segment))
        .join('/');
    expect(new Set(institutions.map((i) => route(i.request.path)))).toEqual(
      new Set(['/institutions', '/institutions/:id/wards', '/institutions/:id/wards/:id/bed-count']),
    );
    expect(new Set(steps.map((s) => route(s.request((name) => `:${name}`).path)))).toEqual(
      new Set([
        '/journeys',
        '/journeys/:id/visits',
        '/journeys/:id/referrals',
        '/journeys/:id/referrals/:id/receive',
        '/journeys/:id/referrals/:id/accept',
        '/journeys/:id/referrals/:id/reject',
        '/journeys/:id/referrals/:id/complete',
        '/journeys/:id/referrals/:id/cancel',
        // No /expire: the plan leaves those referrals undecided and the deadline process expires them.
        '/journeys/:id/admissions',
        '/journeys/:id/admissions/:id/leave',
        '/journeys/:id/admissions/:id/return',
        '/journeys/:id/admissions/:id/move',
        '/journeys/:id/admissions/:id/discharge',
        '/journeys/:id/surgeries',
        '/journeys/:id/rehab-sessions',
        '/journeys/:id/close',
        '/journeys/:id/events/:id/entered-in-error',
        '/journeys/:id/events/:id/corrections',
      ]),
    );
  });

  it('leads to exactly the ground truth', async () => {
    expect(await api.compare(truth)).toEqual([]);
  });

  it('stops at the first refused command and says which and why', async () => {
    // The institutions exist already: registering them again is refused by the decider (422).
    await expect(new SimulationRunner(api.sink).run(plan)).rejects.toThrow(
      /^POST \/institutions answered 422: .*INSTITUTION_ALREADY_REGISTERED/,
    );
  });
});
