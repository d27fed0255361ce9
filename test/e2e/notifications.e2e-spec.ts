import { createHmac } from 'node:crypto';
import { createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@carepath/runtime';
import { CHC, HOSP, HOSP2, OTHER, openJourney, referUp, seedAlliance } from '../support/fixtures';
import { fakeClock } from '../support/fake-clock';
import { processesOn, runProcesses } from '../support/processes';
import { as, startTestApp, type TestApp, type TestStore } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/*
 * Notifications end to end (docs/notifications.md): the feed and the event stream of one's own institution, and
 * webhooks delivered to a real HTTP receiver that checks each signature as a receiving system would, one of them
 * failing first and then recovering.
 */

interface Received {
  readonly path: string;
  readonly id: string;
  readonly body: string;
  readonly signatureValid: boolean;
  readonly answered: number;
}

interface Notification {
  readonly id: string;
  readonly sequence: number;
  readonly kind: string;
  readonly institutionId: string;
  readonly referralId: string | null;
}

/** The receiver's check, as docs/notifications.md shows it. */
function verify(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const id = String(headers['webhook-id']);
  const timestamp = String(headers['webhook-timestamp']);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return String(headers['webhook-signature'])
    .split(' ')
    .some((s) => s === `v1,${expected}`);
}

const now = (minutesAgo = 0) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

describe('notifications', () => {
  let t: TestApp;
  let receiver: Server;
  let base: string;
  const received: Received[] = [];
  /** Secrets by receiver path, as each owner keeps the one POST /webhooks answered. */
  const secrets = new Map<string, string>();
  /** Requests to answer 500 before recovering, by path. */
  const failFirst = new Map<string, number>();

  beforeAll(async () => {
    const defaults = loadConfig({});
    t = await startTestApp({
      // Retries a few milliseconds apart: the spec waits on what the receiver got, never on a timer.
      notifications: { ...defaults.notifications, retryBaseMs: 5, retryMaxMs: 20, maxAttempts: 6 },
    });
    await seedAlliance(t);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const path = req.url ?? '';
        const left = failFirst.get(path) ?? 0;
        const answered = left > 0 ? 500 : 204;
        if (left > 0) failFirst.set(path, left - 1);
        received.push({
          path,
          id: String(req.headers['webhook-id']),
          body,
          signatureValid: verify(secrets.get(path) ?? '', req.headers, body),
          answered,
        });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  const feed = async (institutionId: string, query = '') =>
    (await t.http().get(`/notifications${query}`).set(as(institutionId, 'coordinator')).expect(200)).body as {
      items: Notification[];
      next: string;
      hasMore: boolean;
    };

  const register = async (institutionId: string, path: string, kinds?: string[]) => {
    const res = await t
      .http()
      .post('/webhooks')
      .set(as(institutionId, 'coordinator'))
      .send({ url: `${base}${path}`, ...(kinds ? { kinds } : {}) })
      .expect(201);
    const body = res.body as { webhookId: string; secret: string; secretVersion: number };
    secrets.set(path, body.secret);
    return body;
  };

  const referral = async () => {
    const journeyId = await openJourney(t, { occurredAt: now(30) });
    const referralId = await referUp(t, journeyId, { occurredAt: now(20) });
    return { journeyId, referralId };
  };

  it('refuses a webhook URL that is not https, except to this machine, or that points at a link-local address', async () => {
    for (const url of [
      'https://169.254.169.254/latest/meta-data',
      'https://[fe80::1]/hook',
      'http://his.example/hook',
      'ftp://his.example/hook',
      'https://user:pw@his.example/h',
      'x',
    ]) {
      const res = await t.http().post('/webhooks').set(as(HOSP, 'coordinator')).send({ url }).expect(400);
      expect(JSON.stringify(res.body)).toContain('url');
    }
    await t
      .http()
      .post('/webhooks')
      .set(as(HOSP, 'coordinator'))
      .send({ url: 'https://his.example/hook', kinds: ['no-such-kind'] })
      .expect(400);
  });

  it('delivers each notification signed, at least once, to a receiver that fails first and recovers', async () => {
    failFirst.set('/hosp', 2);
    const hosp = await register(HOSP, '/hosp');
    expect(hosp.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await register(CHC, '/chc', ['referral-accepted']);
    const { journeyId, referralId } = await referral();
    await t
      .http()
      .post(`/journeys/${journeyId}/referrals/${referralId}/accept`)
      .set(as(HOSP))
      .send({ occurredAt: now(10) })
      .expect(201);

    const delivered = (path: string) => received.filter((r) => r.path === path && r.answered < 300);
    await waitFor(
      () => delivered('/hosp').length >= 1 && delivered('/chc').length >= 1,
      (done) => done,
      { what: 'both receivers to get a delivery', timeoutMs: 15_000 },
    );
    const requested = (await feed(HOSP)).items.filter((n) => n.referralId === referralId);
    expect(requested.map((n) => n.kind)).toEqual(['referral-requested']);

    const hospAttempts = received.filter((r) => r.path === '/hosp');
    // Two 500s, then the same notification again (the same webhook-id): the receiver deduplicates on it.
    expect(hospAttempts.slice(0, 3).map((r) => [r.id, r.answered])).toEqual([
      [requested[0]!.id, 500],
      [requested[0]!.id, 500],
      [requested[0]!.id, 204],
    ]);
    expect(received.every((r) => r.signatureValid)).toBe(true);
    expect(JSON.parse(hospAttempts[2]!.body)).toMatchObject({
      id: requested[0]!.id,
      kind: 'referral-requested',
      institutionId: HOSP,
      journeyId,
      referralId,
    });
    // The centre asked only for acceptances: its own receiver never sees the hospital's notifications.
    const chcIds = new Set(delivered('/chc').map((r) => r.id));
    const chcAccepted = (await feed(CHC)).items.filter((n) => n.kind === 'referral-accepted');
    expect([...chcIds]).toEqual(chcAccepted.filter((n) => chcIds.has(n.id)).map((n) => n.id));
    expect(
      delivered('/chc').every((r) => (JSON.parse(r.body) as Notification).kind === 'referral-accepted'),
    ).toBe(true);
    expect(hospAttempts.some((r) => chcIds.has(r.id))).toBe(false);

    const health = await waitFor(
      async () =>
        (await t.http().get('/webhooks').set(as(HOSP, 'doctor')).expect(200)).body as {
          items: { webhookId: string; health: Record<string, unknown> }[];
        },
      (b) => b.items[0]?.health.pending === 0,
      { what: 'the hospital endpoint to have nothing pending' },
    );
    expect(health.items).toHaveLength(1);
    expect(health.items[0]).toMatchObject({
      webhookId: hosp.webhookId,
      url: `${base}/hosp`,
      health: { consecutiveFailures: 0, dead: 0, lastError: 'HTTP 500' },
    });
    expect(health.items[0]!.health.lastSuccessAt).not.toBeNull();
    expect(health.items[0]!.health.lastFailureAt).not.toBeNull();
    expect(JSON.stringify(health)).not.toContain('whsec_');

    const deliveries = await t
      .http()
      .get(`/webhooks/${hosp.webhookId}/deliveries?failing=false`)
      .set(as(HOSP, 'coordinator'))
      .expect(200);
    expect((deliveries.body as { items: unknown[] }).items).toContainEqual(
      expect.objectContaining({
        notificationId: requested[0]!.id,
        status: 'delivered',
        attempts: 3,
        lastStatus: 204,
      }),
    );
    // Another institution cannot read or remove the hospital's endpoint.
    await t.http().get(`/webhooks/${hosp.webhookId}/deliveries`).set(as(CHC, 'coordinator')).expect(404);
    await t.http().delete(`/webhooks/${hosp.webhookId}`).set(as(CHC, 'coordinator')).expect(404);
  });

  it('shows a failing receiver to its institution, and signs with a rotated secret', async () => {
    failFirst.set('/flaky', 1_000);
    const flaky = await register(OTHER, '/flaky');
    const journeyId = await openJourney(t, { occurredAt: now(30), institutionId: CHC });
    await referUp(t, journeyId, { occurredAt: now(20), toInstitutionId: OTHER });
    const failing = await waitFor(
      async () =>
        (
          await t
            .http()
            .get(`/webhooks/${flaky.webhookId}/deliveries`)
            .set(as(OTHER, 'coordinator'))
            .expect(200)
        ).body as { items: { status: string; attempts: number; lastError: string }[] },
      (b) => b.items[0]?.status === 'dead',
      { what: 'the delivery to be given up', timeoutMs: 15_000 },
    );
    expect(failing.items[0]).toMatchObject({ status: 'dead', attempts: 6, lastError: 'HTTP 500' });

    const rotated = await t
      .http()
      .post(`/webhooks/${flaky.webhookId}/rotate-secret`)
      .set(as(OTHER, 'admin'))
      .expect(201);
    const body = rotated.body as { secret: string; secretVersion: number };
    expect(body.secretVersion).toBe(2);
    expect(body.secret).not.toBe(flaky.secret);
    secrets.set('/flaky', body.secret);
    failFirst.set('/flaky', 0);
    const before = received.length;
    const again = await openJourney(t, { occurredAt: now(30) });
    await referUp(t, again, { occurredAt: now(20), toInstitutionId: OTHER });
    const next = await waitFor(
      () => received.slice(before).find((r) => r.path === '/flaky'),
      (r) => r !== undefined,
      { what: 'a delivery after the rotation', timeoutMs: 15_000 },
    );
    expect(next!.signatureValid).toBe(true);

    await t.http().delete(`/webhooks/${flaky.webhookId}`).set(as(OTHER, 'coordinator')).expect(200);
    const list = await t.http().get('/webhooks').set(as(OTHER, 'coordinator')).expect(200);
    expect((list.body as { items: unknown[] }).items).toEqual([]);
  });

  it("pages an institution's feed by a stable cursor, and never shows another institution's notifications", async () => {
    for (let i = 0; i < 3; i++) await referral();
    const all = await waitFor(
      () => feed(HOSP, '?limit=500'),
      (f) => f.items.filter((n) => n.kind === 'referral-requested').length >= 4,
      { what: 'four requests in the hospital feed' },
    );
    const pages: Notification[] = [];
    let since = '0';
    for (let guard = 0; guard < 50; guard++) {
      const page = await feed(HOSP, `?since=${since}&limit=2`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      pages.push(...page.items);
      if (!page.hasMore) break;
      since = page.next;
    }
    expect(pages.map((n) => n.id)).toEqual(all.items.map((n) => n.id));
    const sequences = pages.map((n) => n.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(pages.map((n) => n.id)).size).toBe(pages.length);
    // Asked again from its last cursor, the feed has nothing new and keeps the cursor.
    const last = await feed(HOSP, `?since=${all.next}`);
    expect(last).toEqual({ items: [], next: all.next, hasMore: false });

    expect(all.items.every((n) => n.institutionId === HOSP)).toBe(true);
    const centre = await feed(CHC, '?limit=500');
    expect(centre.items.every((n) => n.institutionId === CHC)).toBe(true);
    const hospitalIds = new Set(all.items.map((n) => n.id));
    expect(centre.items.some((n) => hospitalIds.has(n.id))).toBe(false);

    await t.http().get('/notifications?since=abc').set(as(HOSP, 'coordinator')).expect(400);
    await t.http().get('/notifications?limit=501').set(as(HOSP, 'coordinator')).expect(400);
    await t.http().get('/notifications').set(as(HOSP, 'nurse')).expect(403);
  });

  it('streams new notifications to a screen as server-sent events, and resumes after Last-Event-ID', async () => {
    const server = t.app.getHttpServer() as Server;
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;

    /** Reads the stream until an event satisfies `until`; returns the events read. */
    const read = (
      headers: Record<string, string>,
      until: (events: Notification[]) => boolean,
      onOpen?: () => void,
    ) =>
      new Promise<{ events: Notification[]; ids: string[]; type: string }>((resolve, reject) => {
        const events: Notification[] = [];
        const ids: string[] = [];
        let buffer = '';
        const req = get({ host: '127.0.0.1', port, path: '/notifications/stream', headers }, (res) => {
          const type = String(res.headers['content-type']);
          if (res.statusCode !== 200) reject(new Error(`stream answered ${res.statusCode}`));
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            const blocks = buffer.split('\n\n');
            buffer = blocks.pop() ?? '';
            for (const block of blocks) {
              const data = /^data: (.*)$/m.exec(block)?.[1];
              const id = /^id: (.*)$/m.exec(block)?.[1];
              if (data && id) {
                events.push(JSON.parse(data) as Notification);
                ids.push(id);
              }
              if (block.startsWith('retry:')) onOpen?.();
            }
            if (until(events)) {
              req.destroy();
              resolve({ events, ids, type });
            }
          });
        });
        req.on('error', (e) => {
          if (!req.destroyed) reject(e);
        });
      });

    let referralId = '';
    const live = await read(
      as(HOSP, 'coordinator'),
      (events) => events.some((e) => e.referralId === referralId && referralId !== ''),
      () => void referral().then((r) => (referralId = r.referralId)),
    );
    expect(live.type).toContain('text/event-stream');
    // Without Last-Event-ID only what is new is sent.
    expect(live.events.map((e) => [e.kind, e.referralId])).toEqual([['referral-requested', referralId]]);
    expect(live.ids).toEqual([String(live.events[0]!.sequence)]);

    const all = (await feed(HOSP, '?limit=500')).items;
    const resumed = await read(
      { ...as(HOSP, 'coordinator'), 'Last-Event-ID': String(all[1]!.sequence) },
      (events) => events.some((e) => e.id === all.at(-1)!.id),
    );
    expect(resumed.events.map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id));
    expect(resumed.events.every((e) => e.institutionId === HOSP)).toBe(true);
  });
});

/*
 * The processes' acts as notifications: the reminder reaches the receiver, the expiry both sides, the escalation
 * every member of the alliance, on a clock the spec moves (and a webhook of the receiver gets the reminder).
 */
describe.each<[TestStore]>([['sqlite'], ['esdb']])(
  'notifications of the care processes (%s store)',
  (store) => {
    const clock = fakeClock('2026-03-01T10:00:30+08:00');
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp(processesOn(), store, { clock });
      await seedAlliance(t);
    });
    afterAll(async () => t.close());

    const kinds = async (institutionId: string, referralId: string) =>
      (
        (await t.http().get('/notifications?limit=500').set(as(institutionId, 'coordinator')).expect(200))
          .body as { items: Notification[] }
      ).items
        .filter((n) => n.referralId === referralId)
        .map((n) => n.kind);

    it('given an urgent referral left undecided, then due soon to the receiver, expired to both, escalated to the alliance', async () => {
      const journeyId = await openJourney(t);
      const referralId = await referUp(t, journeyId); // urgent at 10:00: deadline 24 h later, reminder at 80%
      clock.set('2026-03-02T05:13:00+08:00');
      await runProcesses(t);
      await waitFor(
        () => kinds(HOSP, referralId),
        (k) => k.includes('referral-due-soon'),
        { what: 'the reminder in the hospital feed' },
      );
      clock.set('2026-03-02T10:00:05+08:00');
      await runProcesses(t);
      await waitFor(
        () => kinds(HOSP2, referralId),
        (k) => k.includes('referral-escalated'),
        { what: 'the escalation in the feed of another member of the alliance' },
      );
      expect(await kinds(HOSP, referralId)).toEqual([
        'referral-requested',
        'referral-due-soon',
        'referral-expired',
        'referral-escalated',
      ]);
      expect(await kinds(CHC, referralId)).toEqual(['referral-expired', 'referral-escalated']);
      expect(await kinds(HOSP2, referralId)).toEqual(['referral-escalated']);
      // Outside the alliance nobody hears of it.
      expect(await kinds(OTHER, referralId)).toEqual([]);
    });
  },
);

/*
 * A restart: the event streams are ended by the shutdown, and the deliveries waiting for a receiver that is down go
 * out once it is back, from the delivery file the new process opens (signed with the same secret: the key file
 * stays).
 */
describe('notifications across a restart', () => {
  let t: TestApp;
  let receiver: Server;
  let url = '';
  let down = true;
  const got: { id: string; ok: boolean; valid: boolean }[] = [];
  let secret = '';

  beforeAll(async () => {
    const defaults = loadConfig({});
    t = await startTestApp({
      notifications: {
        ...defaults.notifications,
        retryBaseMs: 5,
        retryMaxMs: 20,
        maxAttempts: 1_000,
        heartbeatMs: 100,
      },
    });
    await seedAlliance(t);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        got.push({
          id: String(req.headers['webhook-id']),
          ok: !down,
          valid: verify(secret, req.headers, body),
        });
        res.writeHead(down ? 503 : 200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/after-restart`;
  });

  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('ends open streams at shutdown, and delivers what was pending once the receiver is back', async () => {
    const registered = await t.http().post('/webhooks').set(as(HOSP, 'admin')).send({ url }).expect(201);
    secret = (registered.body as { secret: string }).secret;
    const journeyId = await openJourney(t, { occurredAt: now(30) });
    await referUp(t, journeyId, { occurredAt: now(20) });
    await waitFor(
      () => got.length,
      (n) => n >= 2,
      { what: 'two failed attempts' },
    );

    const server = t.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    let streamed = '';
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const ended = new Promise<number>((resolve, reject) => {
      const req = get(
        { host: '127.0.0.1', port, path: '/notifications/stream', headers: as(HOSP, 'coordinator') },
        (res) => {
          // The stream's first line is sent as it opens.
          res.once('data', () => opened());
          res.on('data', (chunk: Buffer) => (streamed += chunk.toString('utf8')));
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
    });
    await open;
    // An idle stream says it is alive.
    await waitFor(
      () => streamed,
      (text) => text.includes(': heartbeat'),
      { what: 'a heartbeat' },
    );
    const before = got.length;
    t = await t.restart();
    expect(await ended).toBe(200);

    down = false;
    const delivered = await waitFor(
      () => got.slice(before).find((g) => g.ok),
      (g) => g !== undefined,
      { what: 'the pending delivery after the restart', timeoutMs: 15_000 },
    );
    expect(got.every((g) => g.valid)).toBe(true);
    expect(new Set(got.map((g) => g.id))).toEqual(new Set([delivered!.id]));
    const health = await waitFor(
      async () =>
        (await t.http().get('/webhooks').set(as(HOSP, 'coordinator')).expect(200)).body as {
          items: { health: { delivered: number; pending: number; dead: number } }[];
        },
      (b) => b.items[0]?.health.delivered === 1,
      { what: 'the health to show the delivery' },
    );
    expect(health.items[0]!.health).toMatchObject({ delivered: 1, pending: 0, dead: 0 });
  });
});
