import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite from 'better-sqlite3';
import type Database from 'better-sqlite3';
import {
  type NotificationRow,
  notificationsProjection,
  notificationsTable,
  sqliteReader,
  webhookEndpointsTable,
} from '@carepath/projections';
import { type AppConfig, loadConfig } from '@carepath/runtime';
import { waitFor } from '../../../../test/support/wait-for';
import type { ProjectionsService } from '../projections/projections.service';
import type { DispatchTimer, NotificationWatch } from './notification-watch';
import { backoffMs, WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSecrets } from './webhook-secrets';
import { webhookKeyFileFor } from './webhook-signing';

/*
 * The dispatcher under a clock and a timer the spec moves: no attempt waits on real time, and the backoff, the
 * give-up and the recovery are read from the delivery file.
 */

const START = Date.parse('2026-03-01T02:00:00Z');

function notification(sequence: number): NotificationRow {
  return {
    notificationId: `n-${sequence}`,
    sequence,
    institutionId: 'HOSP-CY-01',
    kind: 'referral-requested',
    journeyId: 'j',
    referralId: `r-${sequence}`,
    proposalId: null,
    followUpId: null,
    blockId: null,
    bookingId: null,
    dueAt: null,
    eventId: `e-${sequence}`,
    eventType: 'UpwardReferralRequested',
    occurredAt: '2026-03-01T09:00:00+08:00',
    recordedAt: '2026-03-01T01:00:00.000Z',
  };
}

describe('webhook dispatcher', () => {
  let folder: string;
  let db: Database.Database;
  let receiver: Server;
  let url: string;
  let answer = 500;
  const got: { id: string; signature: string; timestamp: string; body: string }[] = [];
  let now = START;
  const timers: { run: () => void; delayMs: number; cancelled: boolean }[] = [];
  const timer: DispatchTimer = {
    schedule(run, delayMs) {
      const entry = { run, delayMs, cancelled: false };
      timers.push(entry);
      return { cancel: () => void (entry.cancelled = true) };
    },
    random: () => 0.5,
  };
  /** Fires the timers scheduled so far, as their delays would have passed. */
  const fire = () => {
    for (const t of timers.splice(0)) if (!t.cancelled) t.run();
  };
  let dispatcher: WebhookDispatcher;
  let config: AppConfig;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-dispatcher-'));
    db = new BetterSqlite(join(folder, 'notifications.db'));
    db.exec(notificationsProjection.schema);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({
          id: String(req.headers['webhook-id']),
          signature: String(req.headers['webhook-signature']),
          timestamp: String(req.headers['webhook-timestamp']),
          body,
        });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const defaults = loadConfig({});
    config = {
      ...defaults,
      databaseFile: join(folder, 'carepath.db'),
      readModelDir: join(folder, 'read-models'),
      notifications: { ...defaults.notifications, retryBaseMs: 1000, retryMaxMs: 3000, maxAttempts: 4 },
    };
    const projections = { sql: () => sqliteReader(db) } as unknown as ProjectionsService;
    const watch = { subscribe: () => () => undefined } as unknown as NotificationWatch;
    dispatcher = new WebhookDispatcher(
      projections,
      watch,
      new WebhookSecrets(config),
      config,
      () => new Date(now),
      timer,
    );
    dispatcher.onApplicationBootstrap();
    register(db, 'ep-1', 'HOSP-CY-01', url);
  });

  afterAll(async () => {
    await dispatcher.beforeApplicationShutdown();
    db.close();
    await new Promise((resolve) => receiver.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  const health = () => dispatcher.deliveries.health('ep-1');

  /** Another dispatcher on the spec's clock and timer, reading `from`'s notifications with `settings`. */
  const dispatcherOn = (from: Database.Database, settings: AppConfig) =>
    new WebhookDispatcher(
      { sql: () => sqliteReader(from) } as unknown as ProjectionsService,
      { subscribe: () => () => undefined } as unknown as NotificationWatch,
      new WebhookSecrets(settings),
      settings,
      () => new Date(now),
      timer,
    );

  /** An active endpoint of `institutionId` taking every kind of notification from the start. */
  const register = (into: Database.Database, endpointId: string, institutionId: string, at: string) =>
    into.prepare(webhookEndpointsTable.insert).run(
      webhookEndpointsTable.encode({
        endpointId,
        institutionId,
        url: at,
        kinds: '[]',
        secretVersion: 1,
        active: true,
        afterSequence: 0,
      }),
    );

  it('keeps the signing key 0600 beside the database', () => {
    expect(statSync(webhookKeyFileFor(config.databaseFile)).mode & 0o777).toBe(0o600);
  });

  it('given a failing receiver, then each retry waits its jittered backoff on the clock, and the last attempt is dead', async () => {
    db.prepare(notificationsTable.insert).run(notificationsTable.encode(notification(1)));
    dispatcher.pump();
    await waitFor(health, (h) => h.consecutiveFailures === 1, { what: 'the first attempt' });
    // Half (random 0.5) of base·2^0.
    expect(timers.at(-1)!.delayMs).toBe(500);
    expect(
      (await dispatcher.deliveries.list('ep-1', { failing: true, before: null, limit: 5 }))[0],
    ).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatus: 500,
      lastError: 'HTTP 500',
      nextAttemptAt: START + 500,
    });

    // The timer fires but the clock has not reached the retry: nothing is sent.
    fire();
    await dispatcher.pumped();
    expect(got).toHaveLength(1);

    for (const [attempt, wait] of [
      [2, 500],
      [3, 1000],
      [4, 1500],
    ] as const) {
      now += wait;
      fire();
      await waitFor(health, (h) => h.consecutiveFailures === attempt, { what: `attempt ${attempt}` });
    }
    await dispatcher.pumped();
    expect(await health()).toMatchObject({ pending: 0, dead: 1, delivered: 0, consecutiveFailures: 4 });
    expect(got.map((g) => g.id)).toEqual(['n-1', 'n-1', 'n-1', 'n-1']);
    expect(timers.filter((t) => !t.cancelled)).toEqual([]);
  });

  it('given the receiver recovers, then the next notification is delivered once, signed over id, timestamp and body', async () => {
    answer = 204;
    db.prepare(notificationsTable.insert).run(notificationsTable.encode(notification(2)));
    dispatcher.pump();
    await waitFor(health, (h) => h.delivered === 1, { what: 'the delivery' });
    expect(await health()).toMatchObject({ consecutiveFailures: 0, dead: 1, pending: 0 });
    const last = got.at(-1)!;
    expect(last.id).toBe('n-2');
    expect(last.timestamp).toBe(String(Math.floor(now / 1000)));
    const secret = new WebhookSecrets(config).secretOf('ep-1', 1);
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key)
      .update(`${last.id}.${last.timestamp}.${last.body}`)
      .digest('base64');
    expect(last.signature).toBe(`v1,${expected}`);
    expect(JSON.parse(last.body)).toMatchObject({ id: 'n-2', sequence: 2, referralId: 'r-2' });
    // Queued once: pumping again sends nothing more.
    dispatcher.pump();
    await dispatcher.pumped();
    expect(got.filter((g) => g.id === 'n-2')).toHaveLength(1);
  });

  it('computes full-jitter backoff within base·2^(n−1), capped', () => {
    const settings = { ...config.notifications, retryBaseMs: 1000, retryMaxMs: 3000 };
    expect(backoffMs(1, settings, 0.999)).toBe(999);
    expect(backoffMs(2, settings, 0.5)).toBe(1000);
    expect(backoffMs(10, settings, 0.5)).toBe(1500);
    expect(backoffMs(3, settings, 0)).toBe(0);
  });

  it('given a receiver that never answers, then at most two attempts hold a connection to it, each cut at the timeout', async () => {
    const held: import('node:http').ServerResponse[] = [];
    const silent = createServer((_req, res) => void held.push(res));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const slow = new WebhookDispatcher(
      { sql: () => sqliteReader(db) } as unknown as ProjectionsService,
      { subscribe: () => () => undefined } as unknown as NotificationWatch,
      new WebhookSecrets(config),
      { ...config, notifications: { ...config.notifications, timeoutMs: 300 } },
      () => new Date(now),
      timer,
    );
    try {
      register(db, 'ep-silent', 'CHC-CY-01', `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`);
      for (const sequence of [10, 11, 12, 13])
        db.prepare(notificationsTable.insert).run(
          notificationsTable.encode({ ...notification(sequence), institutionId: 'CHC-CY-01' }),
        );
      // pump() returns at once: the attempts run beside it.
      slow.onApplicationBootstrap();
      await waitFor(
        () => held.length,
        (n) => n === 2,
        { what: 'two attempts held' },
      );
      slow.pump();
      await slow.pumped();
      expect(held).toHaveLength(2);
      const cut = await waitFor(
        () => slow.deliveries.health('ep-silent'),
        (h) => h.consecutiveFailures >= 2,
        { what: 'the attempts cut at the timeout' },
      );
      expect(cut.lastError).toBe('no answer within 300 ms');
    } finally {
      await slow.beforeApplicationShutdown();
      for (const res of held) res.destroy();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('given an allow-list the endpoint is no longer on, then nothing is sent and the attempt fails saying why', async () => {
    const narrowed: AppConfig = {
      ...config,
      // Its own delivery file (beside its read models), queueing every notification afresh.
      readModelDir: join(folder, 'narrowed', 'read-models'),
      notifications: { ...config.notifications, allowedHosts: ['his.example'] },
    };
    const sent = got.length;
    const strict = dispatcherOn(db, narrowed);
    try {
      strict.onApplicationBootstrap();
      await waitFor(
        () => strict.deliveries.health('ep-1'),
        (h) => h.consecutiveFailures > 0,
        { what: 'the refused attempt' },
      );
      expect(
        (await strict.deliveries.list('ep-1', { failing: true, before: null, limit: 1 }))[0],
      ).toMatchObject({
        lastStatus: null,
        lastError: 'not sent: the URL must be on a host WEBHOOK_ALLOWED_HOSTS lists',
      });
      expect(got).toHaveLength(sent);
    } finally {
      await strict.beforeApplicationShutdown();
    }
  });

  it('given duty leases, then it sends nothing at start-up, nothing while its lease may be lost, and what is due once it holds it', async () => {
    const leased: AppConfig = {
      ...config,
      // Its own delivery file, queueing every notification afresh.
      readModelDir: join(folder, 'leased', 'read-models'),
      dutyLeases: {
        connectionString: 'postgres://unused',
        ttlMs: 15_000,
        schema: 'x_duties',
        holder: 'api-a',
      },
    };
    const sent = got.length;
    const replica = dispatcherOn(db, leased);
    try {
      replica.onApplicationBootstrap();
      replica.pump();
      await replica.pumped();
      expect(replica.running).toBe(false);
      expect(await replica.deliveries.health('ep-1')).toMatchObject({ pending: 0, delivered: 0 });

      let held = false;
      timers.length = 0;
      replica.start(() => held);
      await replica.pumped();
      expect(got).toHaveLength(sent);
      // Queued, not sent: looked at again in a second.
      expect(await replica.deliveries.health('ep-1')).toMatchObject({ pending: 2, delivered: 0 });
      expect(timers.filter((t) => !t.cancelled).map((t) => t.delayMs)).toEqual([1_000]);

      held = true;
      fire();
      await waitFor(
        () => replica.deliveries.health('ep-1'),
        (h) => h.delivered === 2,
        { what: 'the deliveries once held' },
      );
      expect(got.slice(sent).map((g) => g.id)).toEqual(['n-1', 'n-2']);
    } finally {
      await replica.beforeApplicationShutdown();
    }
  });

  it('given no endpoint registered, then a pump does not read the delivery file', async () => {
    const empty = new BetterSqlite(':memory:');
    empty.exec(notificationsProjection.schema);
    const lone: AppConfig = { ...config, readModelDir: join(folder, 'lone', 'read-models') };
    const none = dispatcherOn(empty, lone);
    try {
      none.onApplicationBootstrap();
      const due = jest.spyOn(none.deliveries, 'due');
      const nextDue = jest.spyOn(none.deliveries, 'nextDue');
      none.pump();
      await none.pumped();
      expect(due).not.toHaveBeenCalled();
      expect(nextDue).not.toHaveBeenCalled();
      // Once one is registered, the next pump reads what is due.
      register(empty, 'ep-lone', 'HOSP-CY-01', url);
      none.pump();
      await none.pumped();
      expect(due).toHaveBeenCalled();
    } finally {
      await none.beforeApplicationShutdown();
      empty.close();
    }
  });

  it('given WEBHOOK_DELIVERY=off (another replica sends them), then a pump queues and sends nothing', async () => {
    const quiet: AppConfig = {
      ...config,
      // Its own delivery file, so that anything it queued would show in its health.
      readModelDir: join(folder, 'quiet', 'read-models'),
      notifications: { ...config.notifications, deliver: false },
    };
    const sent = got.length;
    const off = dispatcherOn(db, quiet);
    try {
      off.onApplicationBootstrap();
      off.pump();
      await off.pumped();
      expect(await off.deliveries.health('ep-1')).toMatchObject({ pending: 0, delivered: 0, dead: 0 });
      expect(got).toHaveLength(sent);
    } finally {
      await off.beforeApplicationShutdown();
    }
  });
});
