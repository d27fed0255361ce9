import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { queryNotifications, queryWebhookEndpoints, type WebhookEndpointRow } from '@carepath/projections';
import type { AppConfig, NotificationConfig } from '@carepath/runtime';
import { dirname, join } from 'node:path';
import { APP_CONFIG } from '../config/app-config.token';
import { ProjectionsService } from '../projections/projections.service';
import { CLOCK, type Clock } from '../store/tokens';
import { notificationBody } from './notification-body';
import { DISPATCH_TIMER, type DispatchTimer, NotificationWatch } from './notification-watch';
import { type Delivery, type DeliveryStore, keyOf, WebhookDeliveries } from './webhook-deliveries';
import { PgWebhookDeliveries } from './webhook-deliveries-postgres';
import { webhookHostRefusal } from './webhook-hosts';
import { postWebhook, WebhookHostRefused } from './webhook-post';
import { WebhookSecrets } from './webhook-secrets';

/** Notifications read from the read model per endpoint and round. */
const BATCH = 500;
/** One slow receiver holds at most this many of the dispatcher's connections. */
const PER_ENDPOINT = 2;
/** While the duty's lease is not known to be held, attempts wait and are looked at again this often. */
const HELD_RECHECK_MS = 1_000;

export const deliveriesFileFor = (config: AppConfig): string =>
  join(dirname(config.readModelDir), 'webhook-deliveries.db');

/**
 * The delivery state: in PostgreSQL beside the read models when they live there, so that any replica taking the
 * delivery duty over carries on where the last left off (docs/scaling.md, "API replicas"); else the file.
 */
export function deliveryStoreFor(config: AppConfig): DeliveryStore {
  const store = config.readModelStore;
  return store.kind === 'postgres'
    ? new PgWebhookDeliveries(store.connectionString, `${store.schemaPrefix}_webhooks`)
    : new WebhookDeliveries(deliveriesFileFor(config));
}

/** Backoff with full jitter: a random wait up to base·2^(attempt−1), at most `max` (docs/notifications.md). */
export function backoffMs(attempt: number, settings: NotificationConfig, random: number): number {
  const ceiling = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(attempt - 1, 40));
  return Math.floor(random * ceiling);
}

/** What a failed attempt tells its owner: a status, a timeout or a network code, never a body or a secret. */
function failureOf(error: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's timeout is a DOMException, not always an Error of this realm.
  const { name, message, cause } = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    cause?: { code?: unknown };
  };
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (name === 'WebhookHostRefused' && typeof message === 'string') return message;
  const { code } = (error ?? {}) as { code?: unknown };
  if (typeof code === 'string') return code;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof message === 'string' ? message.slice(0, 200) : 'request failed';
}

/**
 * Delivers each notification to each active endpoint of its institution at least once (docs/notifications.md,
 * "Webhooks"): a notification is queued for an endpoint once (the queue and the endpoint's cursor move in one
 * transaction), attempted until the receiver answers 2xx, retried with backoff, and dead after the configured
 * attempts. Attempts run beside the API's requests, a few at a time with a timeout each: a slow or failing receiver
 * costs the API nothing but the connections it holds, and the projections never wait for a delivery. With several
 * replicas on PostgreSQL, one at a time delivers: the one holding `duty:webhook-delivery` (DutyLeases).
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('webhooks');
  readonly deliveries: DeliveryStore;
  private readonly settings: NotificationConfig;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly perEndpoint = new Map<string, number>();
  /** As the read model had them at the last pump; null until it could first be read (after a start). */
  private endpoints: Map<string, WebhookEndpointRow> | null = null;
  private wake: { at: number; timer: { cancel(): void } } | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Delivering now: started, and not stopped since (a lost lease, the shutdown). */
  private active = false;
  private shutdown = false;
  private held: () => boolean = () => true;
  /** The pump under way (one at a time: two would pick the same due delivery), and whether another is owed. */
  private pumping: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly projections: ProjectionsService,
    private readonly watch: NotificationWatch,
    private readonly secrets: WebhookSecrets,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DISPATCH_TIMER) private readonly timer: DispatchTimer,
  ) {
    this.settings = config.notifications;
    this.deliveries = deliveryStoreFor(config);
    this.dutyLeased = config.dutyLeases !== null;
  }

  private readonly dutyLeased: boolean;

  /** True while this replica delivers (with duty leases: while it holds `duty:webhook-delivery`). */
  get running(): boolean {
    return this.active;
  }

  onApplicationBootstrap(): void {
    // With duty leases (READ_MODEL_STORE=postgres) DutyLeases starts delivering when this replica wins the lease.
    if (this.dutyLeased) return;
    this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown = true;
    await this.stop();
    await this.deliveries.close();
  }

  /**
   * Starts queueing and sending (WEBHOOK_DELIVERY=off: never, another replica sends them). `held` (DutyLeases) is
   * asked before each attempt starts, so a replica whose lease may have passed to another sends no more.
   */
  start(held: () => boolean = () => true): void {
    if (!this.settings.deliver || this.active || this.shutdown) return;
    this.held = held;
    this.active = true;
    this.unsubscribe = this.watch.subscribe(() => this.pump());
    this.pump();
  }

  /**
   * Stops delivering: no attempt starts after this. Resolves once the attempts under way have ended (each within
   * its timeout) and their outcome is recorded, so the next holder finds them delivered or pending, never lost.
   */
  async stop(): Promise<void> {
    this.active = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.wake?.timer.cancel();
    this.wake = null;
    await this.pumping;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Queues what is new and starts what is due. Never throws: the next change or wake-up tries again. */
  pump(): void {
    if (!this.active) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pumps().finally(() => {
      this.pumping = null;
    });
  }

  /** Resolves once the pump under way, if any, has ended (what specs wait on). */
  async pumped(): Promise<void> {
    await this.pumping;
  }

  private async pumps(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.enqueue();
      } catch (error) {
        // The read model is not served yet (starting, under repair): what is due still goes out.
        this.logger.debug?.({ msg: 'notifications not readable yet', error: String(error) });
      }
      try {
        await this.dispatch();
      } catch (error) {
        this.logger.error({ msg: 'webhook dispatch failed', error: String(error) });
      }
    } while (this.again && this.active);
  }

  private async enqueue(): Promise<void> {
    const reader = this.projections.sql('notifications');
    const endpoints = await queryWebhookEndpoints(reader);
    this.endpoints = new Map(endpoints.map((e) => [e.endpointId, e]));
    const now = this.clock().getTime();
    for (const endpoint of endpoints) {
      if (!this.active) return;
      if (!endpoint.active) {
        await this.deliveries.cancel(endpoint.endpointId);
        continue;
      }
      const kinds = new Set(JSON.parse(endpoint.kinds) as string[]);
      let cursor = Math.max((await this.deliveries.cursor(endpoint.endpointId)) ?? 0, endpoint.afterSequence);
      for (;;) {
        const rows = await queryNotifications(reader, endpoint.institutionId, cursor, BATCH);
        if (rows.length === 0) break;
        cursor = rows.at(-1)!.sequence;
        const items = rows
          .filter((r) => kinds.size === 0 || kinds.has(r.kind))
          .map((r) => ({
            notificationId: r.notificationId,
            sequence: r.sequence,
            institutionId: r.institutionId,
            kind: r.kind,
            body: JSON.stringify(notificationBody(r)),
          }));
        await this.deliveries.enqueue(endpoint.endpointId, cursor, items, now);
        if (rows.length < BATCH) break;
      }
    }
  }

  private async dispatch(): Promise<void> {
    // Until the endpoints are known no attempt starts: a queue left by the last run waits for the read model, whose
    // first catch-up pumps again.
    if (this.endpoints === null || !this.active) return;
    // With no endpoint there is nowhere to send: the delivery file is not read at all. Most APIs have none, and each
    // page of notifications pumps: two queries of the file per page were 1.5-2% of the request thread's profile
    // under visit load. Deliveries left by an endpoint the read model no longer lists (being rebuilt, say) wait.
    if (this.endpoints.size === 0 && this.inFlight.size === 0) return;
    const now = this.clock().getTime();
    const busy = new Set(this.inFlight.keys());
    const free = this.settings.concurrency - this.inFlight.size;
    if (free > 0) {
      for (const delivery of await this.deliveries.due(now, free * 4, busy)) {
        if (!this.active) return;
        if (!this.held()) {
          // The lease's renewal is late: look again soon rather than send what another replica may be sending.
          this.wakeAt(now + HELD_RECHECK_MS, now);
          return;
        }
        if (this.inFlight.size >= this.settings.concurrency) break;
        if ((this.perEndpoint.get(delivery.endpointId) ?? 0) >= PER_ENDPOINT) continue;
        this.launch(delivery);
        busy.add(keyOf(delivery));
      }
    }
    const next = await this.deliveries.nextDue(busy);
    if (!this.active) return;
    // Due now but held back (the concurrency limits): the attempts under way pump again as they end.
    if (next === null || (next <= now && this.inFlight.size > 0)) return;
    this.wakeAt(next, now);
  }

  private wakeAt(at: number, now: number): void {
    if (this.wake && this.wake.at === at) return;
    this.wake?.timer.cancel();
    const timer = this.timer.schedule(
      () => {
        this.wake = null;
        this.pump();
      },
      Math.max(0, at - now),
    );
    this.wake = { at, timer };
  }

  private launch(delivery: Delivery): void {
    const key = keyOf(delivery);
    this.perEndpoint.set(delivery.endpointId, (this.perEndpoint.get(delivery.endpointId) ?? 0) + 1);
    const attempt = this.attempt(delivery)
      .catch((error: unknown) =>
        this.logger.error({ msg: 'webhook attempt not recorded', error: String(error) }),
      )
      .finally(() => {
        this.inFlight.delete(key);
        const left = (this.perEndpoint.get(delivery.endpointId) ?? 1) - 1;
        if (left === 0) this.perEndpoint.delete(delivery.endpointId);
        else this.perEndpoint.set(delivery.endpointId, left);
        this.pump();
      });
    this.inFlight.set(key, attempt);
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const endpoint = this.endpoints?.get(delivery.endpointId);
    if (!endpoint?.active) {
      await this.deliveries.cancel(delivery.endpointId);
      return;
    }
    const timestamp = Math.floor(this.clock().getTime() / 1000);
    const secret = this.secrets.secretOf(endpoint.endpointId, endpoint.secretVersion);
    let status: number | null = null;
    let error: string;
    // Judged again at each attempt: the allow-list may have narrowed since the endpoint was registered.
    const refusal = webhookHostRefusal(new URL(endpoint.url).hostname, this.settings.allowedHosts);
    try {
      if (refusal) throw new WebhookHostRefused(`not sent: the URL ${refusal}`);
      status = await postWebhook(
        new URL(endpoint.url),
        {
          'content-type': 'application/json',
          'user-agent': 'CarePath-Webhooks/1',
          'webhook-id': delivery.notificationId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': this.secrets.sign(secret, delivery.notificationId, timestamp, delivery.body),
        },
        delivery.body,
        this.settings.timeoutMs,
      );
      if (status >= 200 && status < 300) {
        await this.deliveries.succeeded(delivery, status, this.clock().toISOString());
        return;
      }
      error = `HTTP ${status}`;
    } catch (failure) {
      error = failureOf(failure, this.settings.timeoutMs);
    }
    const attempts = delivery.attempts + 1;
    const now = this.clock();
    const next =
      attempts >= this.settings.maxAttempts
        ? null
        : now.getTime() + backoffMs(attempts, this.settings, this.timer.random());
    await this.deliveries.failed(delivery, status, error, now.toISOString(), next);
  }
}
