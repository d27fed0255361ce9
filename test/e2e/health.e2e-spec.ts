import { execFileSync } from 'node:child_process';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { FILE_SYSTEM_IO, SqliteWriteProbe } from '../../apps/api/src/health/store-write.probe';
import { ReadinessCheck } from '../../apps/api/src/health/readiness.check';
import { ProjectionsService } from '../../apps/api/src/projections/projections.service';
import { LiveReferenceModel } from '../../apps/api/src/reference/live-reference.model';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import type { EventStore } from '@carepath/event-store';
import { CHC, HOSP, openJourney, referUp, seedAlliance } from '../support/fixtures';
import { as, startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

type Body = Record<string, any>;

/**
 * Honest health (issue 15): liveness and readiness in the shape `@nestjs/terminus` gives, readiness down with its
 * reasons when the store cannot take a write or a read model cannot serve, no file path in any answer, and a damaged
 * read model answering 503 PROJECTION_UNAVAILABLE until the runner has rebuilt it by itself.
 */
describe('Health: live, ready, and what makes the API not ready', () => {
  let t: TestApp;
  // Projections and analytics need a token (issue 17); health probes need none, and ignore one.
  const ops = as(HOSP, 'admin');
  const staff = as(HOSP, 'coordinator');
  const readModelFile = (name: string, generation: number) =>
    join(dirname(t.databaseFile), 'read-models', `${name}.g${generation}.db`);
  const generationOf = async (name: string): Promise<number> => {
    const { projections } = (await t.http().get('/projections').set(ops).expect(200)).body as Body;
    return (projections as Body[]).find((p) => p.name === name)!.generation as number;
  };
  const ready = async () => {
    const res = await t.http().get('/health/ready').set(ops);
    return { status: res.status, body: res.body as Body };
  };
  /** Ready, with every read model at the log's head: figures read now are final. */
  const settled = () =>
    waitFor(
      ready,
      (r) =>
        r.status === 200 &&
        Object.entries(r.body.details as Body).every(
          ([k, v]) => !k.startsWith('projection:') || v.lag === '0',
        ),
      // A repair reads the log in a worker thread, which first loads its modules from the TypeScript sources.
      { what: 'ready with no projection lag', timeoutMs: 20_000 },
    );

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
    for (let i = 0; i < 3; i++) {
      const journeyId = await openJourney(t, { patientId: `pt-0000h00${i}` });
      await referUp(t, journeyId);
    }
    await settled();
  });
  afterAll(async () => t.close());

  it('answers live and ready in the terminus shape, and /health as ready', async () => {
    const live = await t.http().get('/health/live').set(ops).expect(200);
    expect(live.body).toMatchObject({
      status: 'ok',
      info: { process: { status: 'up' } },
      error: {},
      details: { process: { status: 'up' } },
    });
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      error: {},
      info: {
        store: { status: 'up', kind: 'sqlite', journalMode: 'wal' },
        referenceModel: { status: 'up' },
        'projection:ward-occupancy': { status: 'up', state: 'live', lag: '0' },
        'projection:referral-volume': { status: 'up', state: 'live' },
        'projection:local-treatment': { status: 'up', state: 'live' },
        'projection:worklist': { status: 'up', state: 'live' },
      },
    });
    expect(body.details).toEqual(body.info);
    const health = await t.http().get('/health').set(ops).expect(200);
    expect(health.body).toMatchObject({ status: 'ok', info: { store: { status: 'up' } } });
  });

  it('names no absolute path in health, readiness or projection status', async () => {
    const folder = dirname(t.databaseFile);
    for (const path of ['/health', '/health/live', '/health/ready', '/projections']) {
      const text = JSON.stringify((await t.http().get(path).set(ops).expect(200)).body);
      expect({ path, text }).not.toMatchObject({ text: expect.stringContaining(folder) });
      expect({ path, text }).not.toMatchObject({ text: expect.stringMatching(/"\/[^"\s]*\//) });
    }
    expect((await ready()).body.info.store.file).toBe('carepath.db');
  });

  it('is not ready while the disk holding the event file is full, or the file can only be opened read-only', async () => {
    const store = t.app.get<EventStore>(EVENT_STORE);
    const check = (probe: SqliteWriteProbe) =>
      new ReadinessCheck(store, probe, t.app.get(LiveReferenceModel), t.app.get(ProjectionsService), {
        readyMaxProjectionLag: 10_000,
        readyProbeTimeoutMs: 200,
      }).run();
    const full = await check(
      new SqliteWriteProbe(t.databaseFile, 200, {
        ...FILE_SYSTEM_IO,
        writeScratch: () =>
          Promise.reject(
            Object.assign(new Error(`ENOSPC: no space left on device, write '${t.databaseFile}'`), {
              code: 'ENOSPC',
            }),
          ),
      }),
    );
    expect(full).toMatchObject({
      status: 'error',
      error: { store: { status: 'down', reason: 'the disk holding carepath.db is full' } },
      info: { referenceModel: { status: 'up' } },
    });
    // What SQLite does with a file this process may not write: it opens it read-only.
    const readOnly = await check(
      new SqliteWriteProbe(t.databaseFile, 200, {
        ...FILE_SYSTEM_IO,
        openDatabase: (file) => new Database(file, { readonly: true, fileMustExist: true }),
      }),
    );
    expect(readOnly.error.store).toMatchObject({
      status: 'down',
      reason: expect.stringMatching(/read-only/),
    });
    expect(JSON.stringify(full)).not.toContain(dirname(t.databaseFile));
  });

  it('is not ready while the event file is made read-only on disk, and ready again once it is writable', async () => {
    // Root writes through permission bits, so for root the file is made immutable instead.
    const asRoot = process.getuid?.() === 0;
    const lock = (on: boolean) =>
      asRoot
        ? execFileSync('chattr', [on ? '+i' : '-i', t.databaseFile])
        : chmodSync(t.databaseFile, on ? 0o444 : 0o644);
    lock(true);
    try {
      const { status, body } = await ready();
      expect(status).toBe(503);
      expect(body).toMatchObject({
        status: 'error',
        error: { store: { status: 'down', reason: 'carepath.db is read-only: the store cannot append' } },
      });
    } finally {
      lock(false);
    }
    expect((await ready()).status).toBe(200);
  });

  it('is not ready while a projection is failed on an event, with its position; ready once resumed', async () => {
    const file = readModelFile('local-treatment', await generationOf('local-treatment'));
    const other = new Database(file);
    other.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON visits BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END",
    );
    await openJourney(t, { patientId: 'pt-0000h0ff' });
    const failed = await waitFor(
      ready,
      (r) => r.body.error?.['projection:local-treatment']?.state === 'failed',
      { what: 'local-treatment failed' },
    );
    expect(failed.status).toBe(503);
    expect(failed.body.error['projection:local-treatment']).toMatchObject({
      status: 'down',
      reason: expect.stringMatching(/^failed at position \d+ \(VisitRecorded /),
      lastError: { eventType: 'VisitRecorded', message: expect.stringContaining('refused by a trigger') },
    });
    expect(failed.body.info['projection:worklist']).toMatchObject({ status: 'up' });

    other.exec('DROP TRIGGER refuse');
    other.close();
    await t.http().post('/projections/local-treatment/resume').set(ops).expect(202);
    await settled();
  });

  it('answers 503 PROJECTION_UNAVAILABLE for a read model with a table gone, then rebuilds it with the same figures', async () => {
    const path = `/analytics/ward-occupancy/live?institutionId=${HOSP}`;
    const before = (await t.http().get(path).set(staff).expect(200)).body as Body;
    const generation = await generationOf('ward-occupancy');
    const other = new Database(readModelFile('ward-occupancy', generation));
    other.exec('DROP TABLE wards');
    other.close();

    const refused = await t.http().get(path).set(staff);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'PROJECTION_UNAVAILABLE' });
    expect(refused.headers['retry-after']).toBeDefined();

    const after = await waitFor(
      () => t.http().get(path).set(staff),
      (r) => r.status === 200,
      { what: 'the repaired ward occupancy', timeoutMs: 20_000 },
    );
    expect(after.body).toEqual({ ...before, at: after.body.at });
    expect(await generationOf('ward-occupancy')).toBe(generation + 1);
    await settled();
  });

  it('finds garbage written over a read-model file, is not ready until the runner has rebuilt it', async () => {
    const path = `/worklists/${HOSP}`;
    const before = (await t.http().get(path).set(staff).expect(200)).body as Body;
    const generation = await generationOf('worklist');
    const file = readModelFile('worklist', generation);
    const other = new Database(file);
    // What was committed is moved into the main file first, so the garbage is all a fresh reader finds.
    other.pragma('wal_checkpoint(TRUNCATE)');
    other.close();
    writeFileSync(file, Buffer.alloc(statSync(file).size, 0x5a));

    const { status, body } = await ready();
    expect(status).toBe(503);
    expect(body.error['projection:worklist']).toMatchObject({
      status: 'down',
      reason: expect.stringMatching(/damaged/),
    });
    expect(JSON.stringify(body)).not.toContain(dirname(t.databaseFile));
    await settled();
    expect(await generationOf('worklist')).toBe(generation + 1);
    // `at` is the clock's now, which the overdue flags were judged at: the rows are the same.
    expect((await t.http().get(path).set(staff).expect(200)).body).toEqual({
      ...before,
      at: expect.any(String),
    });
  });

  // 30 s: the first analytics query starts a heavy-work thread, which takes a few seconds under ts-jest.
  it('starts on a garbage read-model file, serves it again rebuilt, with the same figures', async () => {
    const path = `/analytics/referrals?period=2026-03&institutionId=${CHC}&groupBy=direction`;
    const before = (await t.http().get(path).set(staff).expect(200)).body as Body;
    const generation = await generationOf('referral-volume');
    await t.app.close();
    const file = readModelFile('referral-volume', generation);
    writeFileSync(file, Buffer.alloc(statSync(file).size, 0x5a));
    // The app is closed already, as after a crash: restart only starts it again on the same folder.
    t = await t.restart();
    // The restarted runner serves the same figures again once it has rebuilt the file from the log.
    await waitFor(
      () => t.http().get(path).set(staff),
      (r) => r.status === 200,
      { what: 'the repaired referral volume', timeoutMs: 20_000 },
    );
    await settled();
    expect((await t.http().get(path).set(staff).expect(200)).body).toEqual(before);
  }, 30_000);
});
