import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DeliveryStore,
  type QueuedItem,
  WebhookDeliveries,
} from '../../apps/api/src/notifications/webhook-deliveries';
import { PgWebhookDeliveries } from '../../apps/api/src/notifications/webhook-deliveries-postgres';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';

/*
 * The webhook delivery state, one contract for both stores: the SQLite file one API keeps, and PostgreSQL, where the
 * replica that takes the delivery duty over finds what the last holder delivered, what is pending, its attempts and
 * its next try (docs/scaling.md, "API replicas").
 */

const T0 = Date.parse('2026-03-01T02:00:00Z');

const item = (sequence: number): QueuedItem => ({
  notificationId: `n-${sequence}`,
  sequence,
  institutionId: 'HOSP-CY-01',
  kind: 'referral-requested',
  body: JSON.stringify({ id: `n-${sequence}`, sequence }),
});

interface Space {
  /** A store on the same state, as another replica (or the same one after a restart) opens it. */
  open(): DeliveryStore;
  dispose(): Promise<void>;
}

const spaces: [string, () => Space][] = [
  [
    'SQLite file',
    () => {
      const folder = mkdtempSync(join(tmpdir(), 'carepath-deliveries-'));
      return {
        open: () => new WebhookDeliveries(join(folder, 'webhook-deliveries.db')),
        dispose: () => Promise.resolve(rmSync(folder, { recursive: true, force: true })),
      };
    },
  ],
  [
    'PostgreSQL',
    () => {
      const schema = freshSchema('webhooks');
      return {
        open: () => new PgWebhookDeliveries(TEST_DATABASE_URL, schema),
        dispose: () => dropSchema(schema),
      };
    },
  ],
];

describe.each(spaces)('webhook delivery state in %s', (_name, makeSpace) => {
  let space: Space;
  let first: DeliveryStore;
  const opened: DeliveryStore[] = [];
  const open = () => {
    const store = space.open();
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    space = makeSpace();
    first = open();
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await space.dispose();
  });

  it('given notifications queued twice, then each is queued once and the cursor never moves back', async () => {
    await first.enqueue('ep-1', 2, [item(1), item(2)], T0);
    await first.enqueue('ep-1', 1, [item(1)], T0 + 10);

    expect(await first.cursor('ep-1')).toBe(2);
    expect(await first.cursor('ep-other')).toBeNull();
    const due = await first.due(T0 + 10, 10, new Set());
    expect(due.map((d) => [d.notificationId, d.sequence, d.attempts, d.nextAttemptAt])).toEqual([
      ['n-1', 1, 0, T0],
      ['n-2', 2, 0, T0],
    ]);
    expect(due[0]!.body).toBe(item(1).body);
  });

  it('given attempts recorded by one holder, when another opens the state, then it sends only what is pending and due, with its attempts so far', async () => {
    await first.enqueue('ep-1', 3, [item(1), item(2), item(3)], T0);
    const [one, two] = await first.due(T0, 2, new Set());
    await first.succeeded(one!, 204, '2026-03-01T02:00:01.000Z');
    await first.failed(two!, 503, 'HTTP 503', '2026-03-01T02:00:01.000Z', T0 + 5_000);

    const next = open();

    expect((await next.due(T0 + 1_000, 10, new Set())).map((d) => d.notificationId)).toEqual(['n-3']);
    expect(await next.nextDue(new Set(['ep-1 n-3']))).toBe(T0 + 5_000);
    const retried = await next.due(T0 + 5_000, 10, new Set(['ep-1 n-3']));
    expect(retried).toEqual([
      expect.objectContaining({
        notificationId: 'n-2',
        status: 'pending',
        attempts: 1,
        lastStatus: 503,
        lastError: 'HTTP 503',
        nextAttemptAt: T0 + 5_000,
      }),
    ]);
    expect(await next.health('ep-1')).toEqual({
      lastSuccessAt: '2026-03-01T02:00:01.000Z',
      lastFailureAt: '2026-03-01T02:00:01.000Z',
      consecutiveFailures: 1,
      lastError: 'HTTP 503',
      pending: 2,
      delivered: 1,
      dead: 0,
    });
  });

  it('given the last attempt fails, then the delivery is dead, never due again, and listed among the failing', async () => {
    await first.enqueue('ep-1', 1, [item(1)], T0);
    const [one] = await first.due(T0, 1, new Set());
    await first.failed(one!, null, 'ECONNREFUSED', '2026-03-01T02:00:00.000Z', null);

    expect(await first.due(T0 + 1e9, 10, new Set())).toEqual([]);
    expect(await first.nextDue(new Set())).toBeNull();
    expect(await first.list('ep-1', { failing: true, before: null, limit: 10 })).toEqual([
      expect.objectContaining({ notificationId: 'n-1', status: 'dead', attempts: 1, lastStatus: null }),
    ]);
  });

  it('given a success after failures, then the endpoint is healthy again and the delivery no longer listed as failing', async () => {
    await first.enqueue('ep-1', 2, [item(1), item(2)], T0);
    const [one, two] = await first.due(T0, 2, new Set());
    await first.failed(one!, 500, 'HTTP 500', '2026-03-01T02:00:00.000Z', T0 + 100);
    await first.failed(two!, 500, 'HTTP 500', '2026-03-01T02:00:00.000Z', T0 + 100);
    const [again] = await first.due(T0 + 100, 1, new Set());
    await first.succeeded(again!, 200, '2026-03-01T02:00:02.000Z');

    expect(await first.health('ep-1')).toMatchObject({ consecutiveFailures: 0, delivered: 1, pending: 1 });
    expect(
      (await first.list('ep-1', { failing: true, before: null, limit: 10 })).map((d) => d.notificationId),
    ).toEqual(['n-2']);
    expect(
      (await first.list('ep-1', { failing: false, before: 2, limit: 10 })).map((d) => [
        d.notificationId,
        d.status,
      ]),
    ).toEqual([['n-1', 'delivered']]);
  });

  it('given an endpoint removed, then its pending deliveries are cancelled and no longer due', async () => {
    await first.enqueue('ep-1', 1, [item(1)], T0);
    await first.enqueue('ep-2', 1, [item(1)], T0);

    await first.cancel('ep-1');

    expect((await first.due(T0, 10, new Set())).map((d) => d.endpointId)).toEqual(['ep-2']);
    expect(await first.health('ep-1')).toMatchObject({ pending: 0, delivered: 0, dead: 0 });
  });
});
