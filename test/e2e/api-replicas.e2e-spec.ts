import { type AppProcess, type ApiProcess, callApi, runProjectionsCli } from '../support/api-process';
import { bodies, CHC, HOSP } from '../support/fixtures';
import {
  type ProcessCluster,
  registerCentreAndHospital,
  startProcessCluster,
} from '../support/process-cluster';
import { as, asReaderOf } from '../support/test-app';
import { waitFor } from '../support/wait-for';

type Body = Record<string, any>;

/**
 * Stateless API replicas (docs/scaling.md, "Read models in PostgreSQL"): two API processes and a projector on the
 * EventStoreDB protocol double and PostgreSQL, each process with a folder of its own (nothing shared but the two
 * servers). A write through one replica with consistency=projected is read through the other at once, both ways:
 * the worklist, the notifications, the analytics and the projection statuses all come from PostgreSQL.
 */
describe('two API replicas on EventStoreDB and PostgreSQL', () => {
  let cluster: ProcessCluster;
  let projector: AppProcess;
  let a: ApiProcess;
  let b: ApiProcess;

  const call = callApi;

  beforeAll(async () => {
    cluster = await startProcessCluster({
      name: 'replicas',
      store: 'postgres',
      env: { PROJECTED_WAIT_MS: '10000' },
    });
    projector = await cluster.startProjector();
    [a, b] = await Promise.all([cluster.startApi('api-a'), cluster.startApi('api-b')]);
    await registerCentreAndHospital(a, 'Replica');
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  const referThrough = async (api: ApiProcess) => {
    const opened = await call(api, 'POST', '/journeys', as(CHC), bodies.openJourney());
    expect(opened.status).toBe(201);
    const referred = await call(
      api,
      'POST',
      `/journeys/${opened.body.journeyId as string}/referrals?consistency=projected`,
      as(CHC),
      bodies.referUp(),
    );
    expect(referred.status).toBe(201);
    return referred.body.referralId as string;
  };

  const incomingAt = async (api: ApiProcess) => {
    const res = await call(api, 'GET', `/worklists/${HOSP}`, as(HOSP, 'coordinator', 'coordinator-hosp'));
    expect(res.status).toBe(200);
    return (res.body.incomingReferrals as Body[]).map((r) => r.referralId as string);
  };

  it('a referral written through one replica with consistency=projected is in the other one’s worklist at once', async () => {
    const first = await referThrough(a);
    expect(await incomingAt(b)).toContain(first);
    const second = await referThrough(b);
    expect(await incomingAt(a)).toEqual(expect.arrayContaining([first, second]));
  });

  it('both replicas answer the same analytics, read from PostgreSQL', async () => {
    const path = '/analytics/referrals?period=2026-03&groupBy=direction';
    const who = asReaderOf(path);
    const [fromA, fromB] = [await call(a, 'GET', path, who), await call(b, 'GET', path, who)];
    expect(fromA.status).toBe(200);
    expect(fromB.body).toEqual(fromA.body);
    expect(JSON.stringify(fromA.body)).toMatch(/"total":[1-9]/);
  });

  it('the projection statuses of both replicas show the read models PostgreSQL serves', async () => {
    const res = await call(b, 'GET', '/projections', asReaderOf('/projections'));
    expect(res.status).toBe(200);
    const statuses = res.body.projections as Body[];
    const worklist = statuses.find((s) => s.name === 'worklist')!;
    expect(worklist.state).toBe('external');
    expect(BigInt(worklist.position as string)).toBeGreaterThan(0n);
    // Every read model is PostgreSQL's, the process manager's timers and the notifications too: no replica keeps one.
    expect(statuses.filter((s) => s.state !== 'external').map((s) => s.name)).toEqual([]);
  });

  it('a notification written through one replica is in the other one’s feed, under the same number', async () => {
    const referralId = await referThrough(a);
    const who = as(HOSP, 'coordinator', 'coordinator-hosp');
    const feed = async (api: ApiProcess) => {
      const res = await call(api, 'GET', '/notifications?limit=500', who);
      expect(res.status).toBe(200);
      return res.body.items as Body[];
    };
    // The projectors commit the notifications apart from the worklist the write waited for.
    const fromB = await waitFor(
      () => feed(b),
      (items) => items.some((n) => n.referralId === referralId),
      { timeoutMs: 10_000, what: 'the notification through the other replica' },
    );
    expect(fromB.find((n) => n.referralId === referralId)).toMatchObject({ kind: 'referral-requested' });
    // One copy, read by both: the same notifications under the same numbers (nothing is written meanwhile).
    expect(await feed(a)).toEqual(fromB);
  });

  it('an operator rebuilds a read model in PostgreSQL beside the running projector; both replicas then read it', async () => {
    const before = await incomingAt(a);
    expect(before.length).toBeGreaterThan(0);
    const operator = cluster.settings('operator');
    const rebuilt = await runProjectionsCli(cluster.build, operator, ['rebuild', 'worklist']);
    expect({ status: rebuilt.status, stderr: rebuilt.stderr }).toEqual({ status: 0, stderr: '' });
    expect(rebuilt.stdout).toMatch(/^worklist: generation 2 at position \d+ \(postgres/m);
    const status = await runProjectionsCli(cluster.build, operator, ['status']);
    expect(status.stdout).toMatch(/^worklist\s+generation 2 .*\(postgres, position [1-9]\d*\)$/m);
    expect((await incomingAt(b)).sort()).toEqual([...before].sort());
    expect((await incomingAt(a)).sort()).toEqual([...before].sort());
    // The projector wrote the generation the command dropped: it writes on in the new one, so a write waiting to be
    // projected is answered, and read through either replica.
    const after = await referThrough(b);
    expect((await incomingAt(a)).sort()).toEqual([...before, after].sort());
    expect(projector.child.exitCode).toBeNull();
  });
});
