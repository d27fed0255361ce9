import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, type SubscribeOptions } from '@carepath/event-store';
import {
  ALL_PROJECTIONS,
  dumpReadModel,
  ProjectionRunner,
  ReadModelFiles,
  wardOccupancyProjection,
} from '@carepath/projections';
import { ProjectionsService } from '../../apps/api/src/projections/projections.service';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import { CHC, HOSP, openJourney, seedAlliance } from '../support/fixtures';
import { generateJourney, institutionStreams } from '../support/journey-generator';
import { as, startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

type Body = Record<string, any>;

const admin = () => as(HOSP, 'admin', 'admin-hosp-cy-01');
const analyst = () => as(HOSP, 'analyst', 'analyst-hosp-cy-01');

/** A log of generated journeys, written straight into the store, and every projection caught up with it. */
async function seedLog(t: TestApp, journeys: number): Promise<EventStore> {
  const store = t.app.get<symbol, EventStore>(EVENT_STORE);
  for (const { streamId, events } of institutionStreams())
    await store.append(streamId, events, { expectedRevision: 'no-stream' });
  for (let i = 0; i < journeys; i++) {
    const { streamId, events } = generateJourney(i, 15);
    await store.append(streamId, events, { expectedRevision: 'no-stream' });
  }
  const head = await store.headPosition();
  const projections = t.app.get(ProjectionsService);
  for (const definition of ALL_PROJECTIONS) await projections.runner(definition.name).waitFor(head);
  return store;
}

/*
 * Issue 15: POST /projections/:name/rebuild reads and folds the log in a worker thread on its own connection, within
 * WORK_BUDGET_REBUILD_MS; the API goes on answering and writing meanwhile, from the generation in service.
 */
describe('HTTP rebuilds off the request loop', () => {
  let t: TestApp;
  let store: EventStore;

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
    // Enough for the rebuild to last a few requests: with the projections in their own thread, 400 journeys were
    // rebuilt before the first request after it began was answered, once in CI.
    store = await seedLog(t, 2_000);
  }, 60_000);
  afterAll(() => t.close());

  it('folds in a worker while requests and writes are served; the new generation equals a build from zero', async () => {
    const runner = t.app.get(ProjectionsService).runner('ward-occupancy');
    const { generation } = runner.status();
    const head = await store.headPosition();
    const subscribedFrom: bigint[] = [];
    const subscribe = store.subscribeToAll.bind(store);
    const spy = jest
      .spyOn(store, 'subscribeToAll')
      .mockImplementation((options: SubscribeOptions, handler) => {
        subscribedFrom.push(options.after);
        return subscribe(options, handler);
      });
    // The census now, read on this thread from the generation in service (the period indicators go to a heavy-work
    // thread, whose year-long query on a loaded CI machine outlasted the rebuild itself).
    const census = () =>
      t.http().get(`/analytics/ward-occupancy/live?institutionId=${HOSP}`).set(analyst()).expect(200);
    let answered: Body | null = null;
    const rebuild = t
      .http()
      .post('/projections/ward-occupancy/rebuild?wait=true')
      .set(admin())
      .then((res) => {
        answered = { status: res.status, body: res.body as Body };
        return res;
      });
    // The loop keeps turning, and requests are answered (reads from the generation in service, and writes) while
    // the rebuild has not answered yet. Each kind is counted on its own, as its answer arrives.
    let turns = 0;
    const turning = (async () => {
      while (!answered) {
        turns++;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })();
    const servedDuring: string[] = [];
    const readsDuring: number[] = [];
    const journeysDuring: string[] = [];
    try {
      await waitFor(
        () => runner.status().rebuild,
        (r) => r !== null,
        { what: 'the rebuild under way' },
      );
      const statuses = (async () => {
        while (!answered) {
          const status = (await t.http().get('/projections').set(admin()).expect(200)).body as Body;
          const ward = (status.projections as Body[]).find((p) => p.name === 'ward-occupancy')!;
          // Served while the rebuild had not answered: during it. The status may already show it done, as the
          // projection thread posts statuses on its own turns (in a clean clone's CI it did, every run).
          if (answered) break;
          if (ward.rebuild !== null) expect(ward).toMatchObject({ generation, rebuild: { where: 'worker' } });
          servedDuring.push(String(ward.rebuild?.position ?? ward.position));
        }
      })();
      const reads = (async () => {
        while (!answered) {
          const res = await census();
          if (!answered) readsDuring.push(res.status);
        }
      })();
      const writes = (async () => {
        while (!answered) {
          const journeyId = await openJourney(t, {
            patientId: `pt-rb${String(journeysDuring.length).padStart(6, '0')}`,
          });
          if (!answered) journeysDuring.push(journeyId);
        }
      })();
      await Promise.all([statuses, reads, writes]);
      await turning;
    } finally {
      spy.mockRestore();
    }
    const res = await rebuild;
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      name: 'ward-occupancy',
      generation: generation + 1,
      state: 'live',
      rebuild: null,
      lastRebuild: { outcome: 'rebuilt', where: 'worker', generation: generation + 1 },
    });
    expect(servedDuring.length).toBeGreaterThan(0);
    expect(readsDuring.length).toBeGreaterThan(0);
    expect(journeysDuring.length).toBeGreaterThan(0);
    expect(turns).toBeGreaterThan(servedDuring.length + readsDuring.length + journeysDuring.length);
    // The thread that serves requests never followed the log: the projections, their rebuilds included, run in the
    // projection thread on a connection of its own (the rebuild's workers fold up to `head`, that thread follows on).
    expect(subscribedFrom).toEqual([]);
    expect(runner.status().position).not.toBe('0');
    expect(BigInt(runner.status().position)).toBeGreaterThanOrEqual(head);

    // What it serves equals a build from zero, the journeys opened during the rebuild included.
    const end = await store.headPosition();
    await runner.waitFor(end);
    const folder = mkdtempSync(join(tmpdir(), 'carepath-from-zero-'));
    const files = new ReadModelFiles(folder);
    const fromZero = new ProjectionRunner(store, wardOccupancyProjection, files, { rebuildInWorker: false });
    try {
      await fromZero.start();
      await fromZero.waitFor(end);
      expect(dumpReadModel(t.app.get(ProjectionsService).reader('ward-occupancy'))).toEqual(
        dumpReadModel(fromZero.reader()),
      );
    } finally {
      await fromZero.stop();
      files.close();
      rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('HTTP rebuilds past their budget', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      workBudgetMs: { verify: 120_000, asOf: 30_000, analytics: 15_000, rebuild: 1 },
    });
    await seedAlliance(t);
    await seedLog(t, 50);
  }, 60_000);
  afterAll(() => t.close());

  const generationFile = (name: string, generation: number) =>
    t.app.get(ProjectionsService)['files'].fileOf(name, generation);

  it('answers 503 WORK_TIMEOUT with Retry-After, drops the new generation and keeps serving the old one', async () => {
    const runner = t.app.get(ProjectionsService).runner('referral-volume');
    const { generation } = runner.status();
    const before = (
      await t.http().get(`/analytics/referrals?period=2026&institutionId=${HOSP}`).set(analyst()).expect(200)
    ).body as Body;

    const res = await t.http().post('/projections/referral-volume/rebuild?wait=true').set(admin());
    expect(res.status).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body).toMatchObject({ statusCode: 503, code: 'WORK_TIMEOUT' });
    expect(res.body.message).toMatch(/budget of 1 ms/);

    const status = (await t.http().get('/projections').set(admin()).expect(200)).body as Body;
    const volume = (status.projections as Body[]).find((p) => p.name === 'referral-volume')!;
    expect(volume).toMatchObject({
      generation,
      state: 'live',
      rebuild: null,
      lastRebuild: { outcome: 'timed-out', generation: generation + 1 },
    });
    await waitFor(
      () => existsSync(generationFile('referral-volume', generation + 1)),
      (exists) => !exists,
      { what: 'the dropped generation removed', timeoutMs: 20_000 },
    );
    // The generation in service answers as before, and follows new writes.
    expect(
      (
        await t
          .http()
          .get(`/analytics/referrals?period=2026&institutionId=${HOSP}`)
          .set(analyst())
          .expect(200)
      ).body,
    ).toEqual(before);
    await openJourney(t, { patientId: 'pt-budget001' });
    await runner.waitFor(await t.app.get<symbol, EventStore>(EVENT_STORE).headPosition());
    expect(runner.status()).toMatchObject({ generation, state: 'live' });
  }, 60_000);

  it('without wait: 202 at once, and the status then reports the timeout', async () => {
    const runner = t.app.get(ProjectionsService).runner('worklist');
    const { generation } = runner.status();
    const res = await t.http().post('/projections/worklist/rebuild').set(admin()).expect(202);
    expect(res.body).toMatchObject({ name: 'worklist', generation });
    await waitFor(
      () => runner.status().lastRebuild,
      (last) => last !== null && last !== undefined,
      { what: 'the rebuild ended', timeoutMs: 20_000 },
    );
    const status = (await t.http().get('/projections').set(admin()).expect(200)).body as Body;
    expect((status.projections as Body[]).find((p) => p.name === 'worklist')).toMatchObject({
      generation,
      state: 'live',
      lastRebuild: { outcome: 'timed-out', where: 'worker' },
    });
    await t.http().get(`/worklists/${CHC}`).set(as(CHC)).expect(200);
  });
});
