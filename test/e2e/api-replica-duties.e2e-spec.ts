import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ApiProcess, callApi, killAll } from '../support/api-process';
import { bodies, CHC, HOSP } from '../support/fixtures';
import { Client } from 'pg';
import { TEST_DATABASE_URL } from '../support/postgres';
import {
  type ProcessCluster,
  registerCentreAndHospital,
  startProcessCluster,
} from '../support/process-cluster';
import { as } from '../support/test-app';
import { waitFor } from '../support/wait-for';

type Body = Record<string, any>;

const TTL_MS = 3_000;
const DUTIES = ['duty:process-manager', 'duty:webhook-delivery'];

/** The receiver's check, as docs/notifications.md shows it. */
function signedWith(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = `${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`;
  return headers['webhook-signature'] === `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
}

/**
 * The single-instance duties across API replicas (docs/scaling.md, "API replicas"): two API processes on the
 * EventStoreDB protocol double and PostgreSQL, both with the process manager and the webhook deliveries on. One
 * holds each duty's lease; SIGKILLed, the other takes both within the lease's time to live (short here), carries on
 * from the delivery state in PostgreSQL (nothing delivered twice, nothing pending lost), and the processes' acts are
 * written once.
 */
describe('single-instance duties across two API replicas', () => {
  let cluster: ProcessCluster;
  let a: ApiProcess;
  let b: ApiProcess;
  let c: ApiProcess | null = null;
  let receiver: Server;
  let secret = '';
  const received: { id: string; referralId: string | null; kind: string; valid: boolean }[] = [];

  const duties = async (api: ApiProcess) => {
    const res = await callApi(api, 'GET', '/health/live', {});
    expect(res.status).toBe(200);
    return res.body.details.duties as { leases: string; competing: string[]; holding: string[] };
  };

  const referThrough = async (api: ApiProcess) => {
    const opened = await callApi(api, 'POST', '/journeys', as(CHC), bodies.openJourney());
    expect(opened.status).toBe(201);
    const journeyId = opened.body.journeyId as string;
    const referred = await callApi(
      api,
      'POST',
      `/journeys/${journeyId}/referrals?consistency=projected`,
      as(CHC),
      bodies.referUp(),
    );
    expect(referred.status).toBe(201);
    return { journeyId, referralId: referred.body.referralId as string };
  };

  /** The referral's expiries in its journey's log: the process manager writes one when the deadline has passed. */
  const expiries = async (api: ApiProcess, journeyId: string) => {
    const res = await callApi(api, 'GET', `/journeys/${journeyId}/events`, {
      ...as(CHC),
      'X-Access-Reason': 'treatment',
    });
    expect(res.status).toBe(200);
    return (res.body.events as Body[]).filter((e) => e.type === 'ReferralExpired');
  };

  /** Webhooks of `kind` about `referralId` the receiver got. */
  const got = (kind: string, referralId: string) =>
    received.filter((r) => r.referralId === referralId && r.kind === kind).length;

  const endpointHealth = async (api: ApiProcess) => {
    const res = await callApi(api, 'GET', '/webhooks', as(HOSP, 'coordinator'));
    expect(res.status).toBe(200);
    return (res.body.items as Body[])[0]!.health as { pending: number; delivered: number; dead: number };
  };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const parsed = JSON.parse(body) as { referralId?: string | null; kind: string };
        received.push({
          id: String(req.headers['webhook-id']),
          referralId: parsed.referralId ?? null,
          kind: parsed.kind,
          valid: signedWith(secret, req.headers, body),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    cluster = await startProcessCluster({
      name: 'duties',
      store: 'postgres',
      env: (folder) => ({
        PROJECTED_WAIT_MS: '10000',
        // Both replicas have both duties on; the leases decide who runs them.
        PROCESSES: 'on',
        WEBHOOK_DELIVERY: 'on',
        DUTY_LEASE_TTL_MS: String(TTL_MS),
        // The spec's referrals are months old: expired as soon as recorded, not an hour later.
        REFERRAL_LATE_ENTRY_GRACE_MINUTES: '0',
        // The spec polls the replicas for what it waits on; their rate limit is not what it tests.
        RATE_LIMIT_REQUESTS: '10000000',
        // One signing key for the replicas: a webhook checks with the secret whichever replica answered.
        WEBHOOK_SIGNING_KEY_FILE: join(folder, 'webhook-signing.key'),
      }),
    });
    await cluster.startProjector();
    a = await cluster.startApi('api-a');
    // A first takes both duties, so that killing it hands both over.
    await waitFor(
      () => duties(a),
      (d) => d.holding.length === 2,
      { what: 'api-a holding both duties', timeoutMs: 20_000 },
    );
    b = await cluster.startApi('api-b');
    await registerCentreAndHospital(b, 'Duties');
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const registered = await callApi(b, 'POST', '/webhooks?consistency=projected', as(HOSP, 'admin'), {
      url,
    });
    expect(registered.status).toBe(201);
    secret = registered.body.secret as string;
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('given both replicas compete for both duties, then each duty is held by exactly one of them', async () => {
    const [ofA, ofB] = [await duties(a), await duties(b)];

    expect(ofA).toMatchObject({ leases: 'postgres', competing: DUTIES, holding: DUTIES });
    expect(ofB).toMatchObject({ leases: 'postgres', competing: DUTIES, holding: [] });
    const processesOfB = await callApi(b, 'GET', '/processes', as(HOSP, 'admin', 'admin-hosp'));
    expect((processesOfB.body.processes as Body[]).map((p) => [p.enabled, p.running])).toEqual(
      (processesOfB.body.processes as Body[]).map(() => [true, false]),
    );
  });

  it('given a referral past its deadline written through the replica without the duties, then the holder delivers its webhook once and expires it once', async () => {
    const { journeyId, referralId } = await referThrough(b);

    // Its request, then its expiry by the process manager: each a webhook to the receiving hospital.
    for (const kind of ['referral-requested', 'referral-expired'])
      await waitFor(
        () => got(kind, referralId),
        (n) => n > 0,
        { what: `the ${kind} webhook`, timeoutMs: 20_000 },
      );
    // Everything queued is recorded delivered before the holder dies in the next case.
    await waitFor(
      () => endpointHealth(b),
      (h) => h.pending === 0 && h.delivered === received.length,
      { what: 'the deliveries recorded', timeoutMs: 20_000 },
    );

    expect(await expiries(b, journeyId)).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({ actorId: 'process:referral-deadlines' }),
      }),
    ]);
    expect(received.every((r) => r.valid)).toBe(true);
  });

  it('given the holder is SIGKILLed, then the other takes both duties within the TTL and carries on: nothing delivered twice, the next expiry written once', async () => {
    const deliveredBefore = received.length;
    const killedAt = Date.now();
    await killAll(a);

    const { journeyId, referralId } = await referThrough(b);
    await waitFor(
      () => duties(b),
      (d) => d.holding.length === 2,
      { what: 'api-b holding both duties', timeoutMs: 4 * TTL_MS },
    );
    // The lease lapses at most a TTL after the dead holder's last renewal; B tries every third of a TTL.
    expect(Date.now() - killedAt).toBeLessThan(2 * TTL_MS + 1_000);

    for (const kind of ['referral-requested', 'referral-expired'])
      await waitFor(
        () => got(kind, referralId),
        (n) => n > 0,
        { what: `the ${kind} webhook sent by the new holder`, timeoutMs: 20_000 },
      );
    await waitFor(
      () => endpointHealth(b),
      (h) => h.pending === 0 && h.delivered === received.length,
      { what: 'the deliveries recorded', timeoutMs: 20_000 },
    );

    expect(received.length).toBeGreaterThan(deliveredBefore);
    const ids = received.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(received.every((r) => r.valid)).toBe(true);
    expect(await expiries(b, journeyId)).toHaveLength(1);
  });
  it('given the holder stopped with SIGTERM, then it frees its leases on the way out and another replica takes both at its next round', async () => {
    c = await cluster.startApi('api-c');
    expect((await duties(c)).holding).toEqual([]);

    b.child.kill('SIGTERM');
    await b.exited;

    // Freed, not left to lapse: no row names the replica that stopped, though its last renewal was under a TTL ago.
    const db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ projection: string; holder: string | null }>(
        `SELECT projection, holder FROM ${cluster.schema}_duties.duty_leases ORDER BY projection`,
      );
      expect(rows.map((r) => r.projection)).toEqual(DUTIES);
      expect(rows.filter((r) => r.holder === 'api-b')).toEqual([]);
    } finally {
      await db.end();
    }
    await waitFor(
      () => duties(c!),
      (d) => d.holding.length === 2,
      { what: 'api-c holding both duties', timeoutMs: 4 * TTL_MS },
    );
  });
});
