import { readdirSync, readFileSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { ProjectionsService } from '../../apps/api/src/projections/projections.service';
import { bodies, CHC, HOSP, openJourney, seedAlliance } from '../support/fixtures';
import { as, startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

type Body = Record<string, any>;

/**
 * The in-process projections run in a worker thread of the API (ProjectionThread). That thread stopping on its own
 * (here: ended from outside, as a fatal error in it would end it) is reported as a failed projection is: readiness
 * down with the reason, a write that waits for its projection answered 503 PROJECTION_UNAVAILABLE (the write itself
 * stands), reads served from the generation in service; never a 500, and the API goes on. A resume starts it again.
 */
describe('the projection thread stopping on its own', () => {
  let t: TestApp;
  const ops = as(HOSP, 'admin');
  const ready = async () => {
    const res = await t.http().get('/health/ready').set(ops);
    return { status: res.status, body: res.body as Body };
  };
  /** The projection thread's worker (private to the service: a spec reaches in to end it). */
  const worker = (): Worker | null => {
    const service: unknown = t.app.get(ProjectionsService);
    return (service as { thread: { worker: Worker | null } }).thread.worker;
  };

  /** Opens a journey and waits for every read model to reflect it (consistency=projected). */
  const openWaiting = (patientId: string) =>
    t
      .http()
      .post('/journeys')
      .set(as(CHC))
      .set('X-Consistency', 'projected')
      .send(bodies.openJourney({ patientId }));

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
    await openJourney(t, { patientId: 'pt-0000t001' });
  });
  afterAll(() => t.close());

  it("names itself, so that top -H and the HTTP benchmark tell it from V8's threads", () => {
    const names = readdirSync('/proc/self/task').map((tid) =>
      readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(),
    );
    expect(names.filter((name) => name === 'projections')).toHaveLength(1);
  });

  it('is reported as failed projections, answers 503 where a failed projection does, and resumes', async () => {
    // The worklist as read now, less the moment it was read.
    const worklist = async () => {
      const { at: _at, ...rows } = (
        await t.http().get(`/worklists/${CHC}`).set(as(CHC, 'coordinator')).expect(200)
      ).body as Body;
      return rows;
    };
    const before = await worklist();
    const running = worker();
    expect(running).not.toBeNull();
    await running!.terminate();

    const down = await waitFor(ready, (r) => r.status === 503, { what: 'not ready once the thread stopped' });
    expect(down.body.error['projection:worklist']).toMatchObject({
      status: 'down',
      state: 'failed',
      reason: 'failed: resume or rebuild it once fixed',
      lastError: { message: expect.stringMatching(/^the projection thread stopped/) },
    });
    const { projections } = (await t.http().get('/projections').set(ops).expect(200)).body as Body;
    expect((projections as Body[]).map((p) => p.state)).toEqual(projections.map(() => 'failed'));

    // A write that waits for its read models: the write stands, the wait is refused as for a failed projection.
    const write = await openWaiting('pt-0000t002');
    expect(write.status).toBe(503);
    expect(write.body).toMatchObject({ code: 'PROJECTION_UNAVAILABLE' });
    // Reads answer from the generation in service, as they do for a failed projection.
    expect(await worklist()).toEqual(before);

    await t.http().post('/projections/worklist/resume').set(ops).expect(202);
    expect(worker()).not.toBeNull();
    await waitFor(ready, (r) => r.status === 200, { what: 'ready once resumed', timeoutMs: 20_000 });
    // Writes that wait for their read models are answered again.
    expect((await openWaiting('pt-0000t003')).status).toBe(201);
  });
});
