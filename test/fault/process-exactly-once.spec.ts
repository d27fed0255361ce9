import type { INestApplication } from '@nestjs/common';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { type AppConfig, loadConfig } from '@carepath/runtime';
import { createApp } from '../../apps/api/src/app.setup';
import { type ProcessStatus, ProcessManager } from '../../apps/api/src/processes/process-manager';
import { ProjectionsService } from '../../apps/api/src/projections/projections.service';
import { CHC, HOSP, openJourney, referUp, seedAlliance } from '../support/fixtures';
import { fakeClock } from '../support/fake-clock';
import { processesOn, runProcesses } from '../support/processes';
import { as, installTestIssuer, type TestApp } from '../support/test-app';

type Body = Record<string, any>;

const processesOff = { processes: { ...processesOn().processes, enabled: false } };

/** The acts the scenario calls for, each exactly once. */
const ACTS: Readonly<Record<string, number>> = {
  ReferralDueSoon: 1,
  ReferralExpired: 1,
  ReferralEscalated: 1,
  DownwardTransferProposed: 1,
  FollowUpOwed: 1,
};

/**
 * Exactly once across crashes (issue 20, item 1: "Kill the process at any point and restart it: it does each
 * action exactly once"). The process manager keeps no timer in memory: its timers are rows of the care-processes
 * read model, and each act carries an idempotency key. The crash that matters is the one after an act's append and
 * before the read model's checkpoint moves past it: on restart the row is still there and the act is due again.
 * That state is made exactly: the read-model files are copied before the acts and put back after them, and an API
 * then runs on them without a projection moving them on (PROJECTIONS=external), so every pass finds every act due.
 * Each is found done by its key; then an API that projects as usual catches up and acts no more. The log is counted
 * by event type at every step.
 */
describe('processes act exactly once across crashes', () => {
  const clock = fakeClock('2026-03-01T08:00:00+08:00');
  let folder: string;
  let app: INestApplication | null = null;
  let journeys: string[] = [];

  const config = (overrides: Partial<AppConfig> = {}): AppConfig => {
    const defaults = loadConfig({});
    return {
      ...defaults,
      databaseFile: join(folder, 'carepath.db'),
      readModelDir: join(folder, 'read-models'),
      edge: { ...defaults.edge, rateLimit: { requests: 1e6, systemRequests: 1e6, windowSeconds: 60 } },
      ...processesOn(),
      ...overrides,
    };
  };

  /** Starts the real app on the spec's files, as a process restart would; the previous one is closed first. */
  async function boot(overrides: Partial<AppConfig> = {}): Promise<TestApp> {
    await app?.close();
    const settings = config(overrides);
    installTestIssuer(settings.databaseFile);
    const started = await createApp(settings, { logger: false, clock });
    await started.init();
    await started.getHttpAdapter().getInstance().ready();
    app = started;
    const server = started.getHttpServer() as App;
    return {
      app: started,
      http: () => request(server),
      read: (path, institution = CHC) =>
        request(server).get(path).set(as(institution)).set('X-Access-Reason', 'treatment'),
      databaseFile: settings.databaseFile,
      restart: () => boot(overrides),
      close: async () => {
        await started.close();
        app = null;
      },
    };
  }

  const counts = async (t: TestApp): Promise<Record<string, number>> => {
    const byType: Record<string, number> = Object.fromEntries(Object.keys(ACTS).map((type) => [type, 0]));
    for (const journeyId of journeys) {
      const res = await t.read(`/journeys/${journeyId}/events`).expect(200);
      for (const event of (res.body as Body).events as Body[]) {
        const type = event.type as string;
        if (type in byType) byType[type] = (byType[type] ?? 0) + 1;
      }
    }
    return byType;
  };
  /** Closes the app and copies its read-model files aside: the disk as a crash at this moment leaves it. */
  const snapshot = async (t: TestApp, name: string): Promise<string> => {
    await t.close();
    const copy = join(folder, `read-models-${name}`);
    cpSync(join(folder, 'read-models'), copy, { recursive: true });
    return copy;
  };
  /** The app stops; its read-model files are those of `copy`; an API that runs no projection starts on them. */
  const crashedOnto = async (t: TestApp, copy: string): Promise<TestApp> => {
    await t.close();
    rmSync(join(folder, 'read-models'), { recursive: true, force: true });
    cpSync(copy, join(folder, 'read-models'), { recursive: true });
    return boot({ projections: 'external' });
  };
  const statusOf = async (t: TestApp): Promise<ProcessStatus[]> => t.app.get(ProcessManager).status();
  const sum = (statuses: ProcessStatus[], field: 'acted' | 'replayed' | 'failed' | 'dueNow') =>
    statuses.reduce((n, s) => n + s[field], 0);

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-processes-'));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('finds every act done by its key after a crash between the append and the checkpoint, and never acts twice', async () => {
    // Care before anything is due: an urgent referral left undecided, a stay with surgery, a discharge home.
    let t = await boot();
    clock.set('2026-03-01T10:00:30+08:00');
    await seedAlliance(t);
    const undecided = await openJourney(t);
    await referUp(t, undecided);
    const operated = await openJourney(t, { occurredAt: '2026-03-01T09:30:00+08:00' });
    const up = await referUp(t, operated, { occurredAt: '2026-03-01T10:00:00+08:00' });
    const j = `/journeys/${operated}`;
    await t
      .http()
      .post(`${j}/referrals/${up}/accept`)
      .set(as(HOSP))
      .send({ occurredAt: '2026-03-01T10:00:00+08:00' })
      .expect(201);
    const stay = await t
      .http()
      .post(`${j}/admissions`)
      .set(as(HOSP))
      .send({
        institutionId: HOSP,
        wardId: 'cardio-surg',
        bedId: '1',
        referralId: up,
        occurredAt: '2026-03-01T10:00:00+08:00',
      })
      .expect(201);
    await t
      .http()
      .post(`${j}/surgeries`)
      .set(as(HOSP))
      .send({ institutionId: HOSP, procedureCode: '36.06', occurredAt: '2026-03-01T10:00:00+08:00' })
      .expect(201);
    journeys = [undecided, operated];
    await runProcesses(t);
    expect(await counts(t)).toEqual(Object.fromEntries(Object.keys(ACTS).map((type) => [type, 0])));

    // The read models as they stand before any act: what a crash right after the acts' appends leaves on disk.
    const before = await snapshot(t, 'before-deadline-acts');

    // The reminder falls due, then the expiry and the proposal: each acts once.
    t = await boot();
    clock.set('2026-03-02T06:00:30+08:00');
    await runProcesses(t);
    clock.set('2026-03-04T10:00:30+08:00');
    await runProcesses(t);
    expect(await counts(t)).toEqual({ ...ACTS, FollowUpOwed: 0 });
    expect(sum(await statusOf(t), 'acted')).toBe(3); // reminder, expiry (with its escalation), proposal

    // Crash after the appends, before the read model's checkpoint: the files of before, and no projection runs
    // (PROJECTIONS=external, nothing moves them on). Every pass finds the acts due again, and done by their keys.
    t = await crashedOnto(t, before);
    clock.set('2026-03-02T06:00:30+08:00');
    await t.app.get(ProcessManager).runDue();
    clock.set('2026-03-04T10:00:30+08:00');
    await t.app.get(ProcessManager).runDue();
    await t.app.get(ProcessManager).runDue();
    expect(await counts(t)).toEqual({ ...ACTS, FollowUpOwed: 0 });
    let stale = await statusOf(t);
    expect(sum(stale, 'acted')).toBe(0);
    expect(sum(stale, 'failed')).toBe(0);
    // Each found done by its key once (then remembered until the read model passes it, which it never does here).
    expect(sum(stale, 'replayed')).toBe(3);

    // The discharge home, recorded while no process runs; then the follow-up is owed once; then the same crash.
    t = await boot({ ...processesOff });
    await t
      .http()
      .post(`${j}/admissions/${(stay.body as Body).admissionId as string}/discharge`)
      .set(as(HOSP))
      .send({ disposition: 'home', occurredAt: '2026-03-04T10:00:00+08:00' })
      .expect(201);
    await runProcesses(t); // processes off: only waits for the read model
    const beforeFollowUp = await snapshot(t, 'before-follow-up');
    t = await boot();
    await runProcesses(t);
    expect(await counts(t)).toEqual(ACTS);
    expect(sum(await statusOf(t), 'acted')).toBe(1);
    t = await crashedOnto(t, beforeFollowUp);
    await t.app.get(ProcessManager).runDue();
    expect(await counts(t)).toEqual(ACTS);
    stale = await statusOf(t);
    expect(sum(stale, 'acted')).toBe(0);
    expect(sum(stale, 'replayed')).toBe(1);

    // Restarted as usual, on the stale files: the read model catches up from its old checkpoint; nothing acts again.
    t = await boot();
    await runProcesses(t);
    await runProcesses(t);
    expect(await counts(t)).toEqual(ACTS);
    const caughtUp = await statusOf(t);
    expect(sum(caughtUp, 'acted')).toBe(0);
    expect(sum(caughtUp, 'dueNow')).toBe(0);
    expect(t.app.get(ProjectionsService).runner('care-processes').status().state).toBe('live');

    // And a plain restart (restart() on the same files) changes nothing either.
    t = await t.restart();
    await runProcesses(t);
    expect(await counts(t)).toEqual(ACTS);
    expect(sum(await statusOf(t), 'acted')).toBe(0);
  });
});
