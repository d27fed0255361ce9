import Database from 'better-sqlite3';
import { type EventStore } from '@carepath/event-store';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import { HeavyWork } from '../../apps/api/src/work/heavy-work.service';
import { bodies, CHC, HOSP, openJourney, referUp, seedAlliance } from '../support/fixtures';
import { generateJourney, institutionStreams } from '../support/journey-generator';
import { as, startTestApp, type TestApp, asReaderOf } from '../support/test-app';

type Body = Record<string, any>;

/*
 * Issue 15: heavy reads (the hash-chain walk, asOf replays, analytics) run in worker threads on connections of
 * their own, each within a time budget; a write lock held by another process makes writes wait, not the API.
 */
describe('heavy reads in worker threads', () => {
  let t: TestApp;
  let journeyId: string;
  let referralRecordedAt: string;
  const threads = () => t.app.get(HeavyWork).stats().answered.thread;

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
    journeyId = await openJourney(t, { patientId: 'pt-heavy0001' });
    const referral = await t
      .http()
      .post(`/journeys/${journeyId}/referrals`)
      .set(as(CHC))
      .set('X-Consistency', 'projected')
      .send(bodies.referUp())
      .expect(201);
    const history = (await t.read(`/journeys/${journeyId}/events`).expect(200)).body as Body;
    referralRecordedAt = history.events.find((e: Body) => e.id === referral.body.eventIds[0]).metadata
      .recordedAt;
  });
  afterAll(() => t.close());

  it('walks the hash chain in a thread: every event checked, the head hash of the log', async () => {
    const before = threads();
    const verified = (await t.http().get('/audit/verify').set(asReaderOf('/audit')).expect(200)).body as Body;
    const head = await t.app.get<symbol, EventStore>(EVENT_STORE).headPosition();
    expect(verified).toMatchObject({ ok: true, checked: Number(head), headPosition: head.toString() });
    expect(threads()).toBeGreaterThan(before);
    // The first heavy read may wait for its thread to load its modules (seconds from the TypeScript sources).
  }, 30_000);

  it('replays a journey as of a time in a thread: state and history as recorded then', async () => {
    await t
      .http()
      .post(`/journeys/${journeyId}/visits`)
      .set(as(CHC))
      .send(bodies.visit(CHC, '2026-03-02T09:00:00+08:00', { diagnosisCode: 'I21.4' }))
      .expect(201);
    const before = threads();
    const asOf = encodeURIComponent(referralRecordedAt);
    const then = (await t.read(`/journeys/${journeyId}?asOf=${asOf}`).expect(200)).body as Body;
    const now = (await t.read(`/journeys/${journeyId}`).expect(200)).body as Body;
    expect(then).toMatchObject({ journeyId, asOf: referralRecordedAt, revision: 2 });
    expect(now.revision).toBe(3);
    expect(Object.keys(then.state.referrals as Body)).toEqual(Object.keys(now.state.referrals as Body));
    const history = (await t.read(`/journeys/${journeyId}/events?asOf=${asOf}`).expect(200)).body as Body;
    expect(history.events.map((e: Body) => e.type)).toEqual([
      'JourneyOpened',
      'VisitRecorded',
      'UpwardReferralRequested',
    ]);
    // Nothing recorded yet at that time: the journey is unknown then.
    await t.read(`/journeys/${journeyId}?asOf=${encodeURIComponent('2001-01-01T00:00:00Z')}`).expect(404);
    expect(threads()).toBeGreaterThanOrEqual(before + 3);
  });

  it('answers analytics from a thread, live and as of a time', async () => {
    const before = threads();
    const path = `/analytics/referrals?period=2026-03&institutionId=${HOSP}`;
    const live = (await t.http().get(path).set(asReaderOf(path)).expect(200)).body as Body;
    expect(live.rows).toEqual([
      expect.objectContaining({ group: { direction: 'up' }, figures: expect.objectContaining({ total: 1 }) }),
    ]);
    // Just before the referral was recorded, the replayed read model had none.
    const earlier = new Date(Date.parse(referralRecordedAt) - 1).toISOString();
    const then = (
      await t
        .http()
        .get(`${path}&asOf=${encodeURIComponent(earlier)}`)
        .set(asReaderOf(path))
        .expect(200)
    ).body as Body;
    expect(then.asOf).toBe(earlier);
    expect(then.rows.every((r: Body) => r.figures.total === 0)).toBe(true);
    const kpi = await t
      .http()
      .get(`/analytics/referrals/downward-kpi?year=2026&institutionId=${HOSP}`)
      .set(asReaderOf('/analytics'))
      .expect(200);
    expect(kpi.body.rows).toEqual(expect.any(Array));
    expect(threads()).toBeGreaterThanOrEqual(before + 3);
  });
});

describe('heavy reads past their time budget', () => {
  let t: TestApp;
  let journeyId: string;

  beforeAll(async () => {
    // Budgets of 1 ms: no chain walk, replay or query, thread start-up and messages included, ends within them.
    t = await startTestApp({ workBudgetMs: { verify: 1, asOf: 1, analytics: 1, rebuild: 1 } });
    const store = t.app.get<symbol, EventStore>(EVENT_STORE);
    for (const { streamId, events } of institutionStreams())
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
    for (let i = 0; i < 100; i++) {
      const { streamId, events } = generateJourney(i, 7);
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
    }
    journeyId = generateJourney(0, 7).streamId.replace('journey-', '');
  });
  afterAll(() => t.close());

  const expectTimeout = (res: { status: number; headers: Record<string, string>; body: Body }) => {
    expect(res.status).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body).toMatchObject({ statusCode: 503, code: 'WORK_TIMEOUT' });
  };

  it('answers 503 WORK_TIMEOUT with Retry-After, and the API goes on serving', async () => {
    expectTimeout(await t.http().get('/audit/verify').set(asReaderOf('/audit')));
    expectTimeout(
      await t.read(
        `/journeys/${journeyId}?asOf=${encodeURIComponent(new Date().toISOString())}`,
        'CHC-GEN-01',
      ),
    );
    expectTimeout(await t.http().get('/analytics/referrals?period=2026').set(asReaderOf('/analytics')));
    expectTimeout(
      await t
        .http()
        .get(`/analytics/local-treatment?period=2026&asOf=${encodeURIComponent(new Date().toISOString())}`)
        .set(asReaderOf('/analytics')),
    );
    expect(t.app.get(HeavyWork).stats().timedOut).toBe(4);
    // Reads that are not heavy, and writes, answer as before.
    await t.read(`/journeys/${journeyId}`, 'CHC-GEN-01').expect(200);
    await t.http().get('/health').expect(200);
  });
});

describe('a write lock held by another process', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ storeBusyBudgetMs: 50 });
    await seedAlliance(t);
  });
  afterAll(() => t.close());

  it('answers writes 503 STORE_BUSY with Retry-After, nothing written, reads answering; writes land once released', async () => {
    const store = t.app.get<symbol, EventStore>(EVENT_STORE);
    const head = await store.headPosition();
    const other = new Database(t.databaseFile);
    other.exec('BEGIN IMMEDIATE');
    try {
      const busy = bodies.openJourney({ patientId: 'pt-busy00001' });
      const refused = await t.http().post('/journeys').set(as(CHC)).send(busy);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.body).toMatchObject({ code: 'STORE_BUSY' });
      await t.http().get(`/institutions/${HOSP}`).set(asReaderOf('/institutions')).expect(200);
      await t.http().get('/institutions').set(asReaderOf('/institutions')).expect(200);
      expect(await store.headPosition()).toBe(head);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const id = await openJourney(t, { patientId: 'pt-busy00001' });
    await referUp(t, id);
    expect(await store.headPosition()).toBe(head + 3n);
  });
});
