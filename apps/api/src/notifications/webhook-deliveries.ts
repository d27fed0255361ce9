import BetterSqlite from 'better-sqlite3';
import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { preparedOn } from '@carepath/projections';

/*
 * Delivery state: what was sent to which endpoint, how often, and what came back. Operational state, not a read
 * model: it records what happened on the network, which no replay of the log could tell, so it lives in a file of
 * its own beside the read models and is never rebuilt (docs/notifications.md, "Retries and health").
 */

export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'cancelled';

export interface Delivery {
  readonly endpointId: string;
  readonly notificationId: string;
  readonly sequence: number;
  readonly institutionId: string;
  readonly kind: string;
  /** The JSON sent, fixed when the delivery was queued: every attempt signs the same bytes. */
  readonly body: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** Epoch ms of the next attempt while pending. */
  readonly nextAttemptAt: number | null;
  readonly lastAttemptAt: string | null;
  /** The receiver's HTTP status of the last attempt; null when none came (refused, timed out). */
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
}

export interface EndpointHealth {
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
  readonly pending: number;
  readonly delivered: number;
  readonly dead: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS endpoint_cursors (endpoint_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS deliveries (
  endpoint_id TEXT NOT NULL, notification_id TEXT NOT NULL, sequence INTEGER NOT NULL, institution_id TEXT NOT NULL,
  kind TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
  next_attempt_at INTEGER, last_attempt_at TEXT, last_status INTEGER, last_error TEXT, delivered_at TEXT,
  PRIMARY KEY (endpoint_id, notification_id)) STRICT;
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_by_endpoint ON deliveries (endpoint_id, sequence);
CREATE TABLE IF NOT EXISTS endpoint_health (
  endpoint_id TEXT PRIMARY KEY, last_success_at TEXT, last_failure_at TEXT,
  consecutive_failures INTEGER NOT NULL, last_error TEXT) STRICT;
`;

/**
 * A `deliveries` row as a driver reads it back, in either store: `Big` is what its bigint columns come back as
 * (numbers from SQLite, strings from PostgreSQL).
 */
export interface DeliveryRow<Big extends number | string = number> {
  endpoint_id: string;
  notification_id: string;
  sequence: Big;
  institution_id: string;
  kind: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Big | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

export const deliveryOf = (r: DeliveryRow<number | string>): Delivery => ({
  endpointId: r.endpoint_id,
  notificationId: r.notification_id,
  sequence: Number(r.sequence),
  institutionId: r.institution_id,
  kind: r.kind,
  body: r.body,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at === null ? null : Number(r.next_attempt_at),
  lastAttemptAt: r.last_attempt_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  deliveredAt: r.delivered_at,
});

/** An `endpoint_health` row, as both stores read it back. */
export interface EndpointHealthRow {
  last_success_at: string | null;
  last_failure_at: string | null;
  consecutive_failures: number;
  last_error: string | null;
}

/** An endpoint's health: its row (none before its first attempt) and how many of its deliveries are in a status. */
export const endpointHealthOf = (
  h: EndpointHealthRow | undefined,
  count: (status: DeliveryStatus) => number,
): EndpointHealth => ({
  lastSuccessAt: h?.last_success_at ?? null,
  lastFailureAt: h?.last_failure_at ?? null,
  consecutiveFailures: h?.consecutive_failures ?? 0,
  lastError: h?.last_error ?? null,
  pending: count('pending'),
  delivered: count('delivered'),
  dead: count('dead'),
});

/**
 * A failed attempt, as the dispatcher reports it to either store: the receiver's HTTP status (null when none came),
 * the error, when it was made, and when the next one is due (null: none, the delivery is dead).
 */
export type FailedAttempt = [
  d: Delivery,
  status: number | null,
  error: string,
  at: string,
  nextAttemptAt: number | null,
];

/** What a delivery becomes after a failed attempt: retried while there is a next attempt, else dead. */
export const statusAfterFailure = (nextAttemptAt: number | null): DeliveryStatus =>
  nextAttemptAt === null ? 'dead' : 'pending';

/** A delivery queued for an endpoint: the notification and the JSON its attempts sign and send. */
export interface QueuedItem {
  readonly notificationId: string;
  readonly sequence: number;
  readonly institutionId: string;
  readonly kind: string;
  readonly body: string;
}

/**
 * Where the delivery state lives: this file beside the read models (one API on its machine), or PostgreSQL when
 * several API replicas take turns at delivering (webhook-deliveries-postgres.ts; docs/scaling.md, "API replicas"),
 * so the replica that takes the duty over finds what was delivered, what is pending and when it is next tried.
 */
export interface DeliveryStore {
  cursor(endpointId: string): Promise<number | null>;
  /** Queues deliveries and moves the endpoint's cursor (never back) in one transaction: each is queued once. */
  enqueue(endpointId: string, cursor: number, items: readonly QueuedItem[], now: number): Promise<void>;
  /** Pending deliveries due by `now`, oldest first, none of `skip` (keyOf). */
  due(now: number, limit: number, skip: ReadonlySet<string>): Promise<Delivery[]>;
  /** The earliest next attempt of a pending delivery not in `skip` (epoch ms), or null. */
  nextDue(skip: ReadonlySet<string>): Promise<number | null>;
  succeeded(d: Delivery, status: number, at: string): Promise<void>;
  /** A failed attempt: retried at `nextAttemptAt`, or dead when that is null. */
  failed(...attempt: FailedAttempt): Promise<void>;
  /** A removed endpoint's queue: nothing more is sent to it. */
  cancel(endpointId: string): Promise<void>;
  health(endpointId: string): Promise<EndpointHealth>;
  /** An endpoint's deliveries, newest first; `failing`: only those whose last attempt failed (pending or dead). */
  list(
    endpointId: string,
    options: { failing: boolean; before: number | null; limit: number },
  ): Promise<Delivery[]>;
  close(): Promise<void>;
}

/** The delivery state in a SQLite file (`webhook-deliveries.db` beside the read-model folder). */
export class WebhookDeliveries implements DeliveryStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new BetterSqlite(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }

  cursor(endpointId: string): Promise<number | null> {
    return settled(() => {
      const row = preparedOn(this.db, 'SELECT sequence FROM endpoint_cursors WHERE endpoint_id = ?').get(
        endpointId,
      ) as { sequence: number } | undefined;
      return row?.sequence ?? null;
    });
  }

  enqueue(endpointId: string, cursor: number, items: readonly QueuedItem[], now: number): Promise<void> {
    return settled(() => {
      const insert = preparedOn(
        this.db,
        `INSERT INTO deliveries (endpoint_id, notification_id, sequence, institution_id, kind, body, status, attempts,
          next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT DO NOTHING`,
      );
      const move = preparedOn(
        this.db,
        `INSERT INTO endpoint_cursors (endpoint_id, sequence) VALUES (?, ?)
          ON CONFLICT (endpoint_id) DO UPDATE SET sequence = max(sequence, excluded.sequence)`,
      );
      this.db.transaction(() => {
        for (const i of items)
          insert.run(endpointId, i.notificationId, i.sequence, i.institutionId, i.kind, i.body, now);
        move.run(endpointId, cursor);
      })();
    });
  }

  due(now: number, limit: number, skip: ReadonlySet<string>): Promise<Delivery[]> {
    return settled(() => {
      return (
        preparedOn(
          this.db,
          `SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?
              ORDER BY next_attempt_at, sequence LIMIT ?`,
        ).all(now, limit + skip.size) as DeliveryRow[]
      )
        .map(deliveryOf)
        .filter((d) => !skip.has(keyOf(d)))
        .slice(0, limit);
    });
  }

  nextDue(skip: ReadonlySet<string>): Promise<number | null> {
    return settled(() => {
      const rows = preparedOn(
        this.db,
        `SELECT endpoint_id, notification_id, next_attempt_at FROM deliveries WHERE status = 'pending'
            ORDER BY next_attempt_at LIMIT ?`,
      ).all(skip.size + 1) as Pick<DeliveryRow, 'endpoint_id' | 'notification_id' | 'next_attempt_at'>[];
      const row = rows.find((r) => !skip.has(`${r.endpoint_id} ${r.notification_id}`));
      return row?.next_attempt_at ?? null;
    });
  }

  succeeded(d: Delivery, status: number, at: string): Promise<void> {
    return settled(() => {
      this.db.transaction(() => {
        preparedOn(
          this.db,
          `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, next_attempt_at = NULL,
              last_attempt_at = ?, last_status = ?, last_error = NULL, delivered_at = ?
              WHERE endpoint_id = ? AND notification_id = ?`,
        ).run(at, status, at, d.endpointId, d.notificationId);
        preparedOn(
          this.db,
          `INSERT INTO endpoint_health (endpoint_id, last_success_at, consecutive_failures) VALUES (?, ?, 0)
              ON CONFLICT (endpoint_id) DO UPDATE SET last_success_at = excluded.last_success_at,
              consecutive_failures = 0`,
        ).run(d.endpointId, at);
      })();
    });
  }

  failed(...[d, status, error, at, nextAttemptAt]: FailedAttempt): Promise<void> {
    return settled(() => {
      this.db.transaction(() => {
        preparedOn(
          this.db,
          `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_attempt_at = ?,
              last_status = ?, last_error = ? WHERE endpoint_id = ? AND notification_id = ?`,
        ).run(
          statusAfterFailure(nextAttemptAt),
          nextAttemptAt,
          at,
          status,
          error,
          d.endpointId,
          d.notificationId,
        );
        preparedOn(
          this.db,
          `INSERT INTO endpoint_health (endpoint_id, last_failure_at, consecutive_failures, last_error)
              VALUES (?, ?, 1, ?) ON CONFLICT (endpoint_id) DO UPDATE SET last_failure_at = excluded.last_failure_at,
              consecutive_failures = consecutive_failures + 1, last_error = excluded.last_error`,
        ).run(d.endpointId, at, error);
      })();
    });
  }

  cancel(endpointId: string): Promise<void> {
    return settled(() => {
      preparedOn(
        this.db,
        `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL WHERE endpoint_id = ? AND status = 'pending'`,
      ).run(endpointId);
    });
  }

  health(endpointId: string): Promise<EndpointHealth> {
    return settled(() => {
      const h = preparedOn(this.db, 'SELECT * FROM endpoint_health WHERE endpoint_id = ?').get(endpointId) as
        EndpointHealthRow | undefined;
      const counts = Object.fromEntries(
        (
          preparedOn(
            this.db,
            'SELECT status, COUNT(*) AS n FROM deliveries WHERE endpoint_id = ? GROUP BY status',
          ).all(endpointId) as { status: DeliveryStatus; n: number }[]
        ).map((r) => [r.status, r.n]),
      ) as Partial<Record<DeliveryStatus, number>>;
      return endpointHealthOf(h, (status) => counts[status] ?? 0);
    });
  }

  list(
    endpointId: string,
    options: { failing: boolean; before: number | null; limit: number },
  ): Promise<Delivery[]> {
    return settled(() => {
      const failing = options.failing ? `AND last_error IS NOT NULL AND status IN ('pending', 'dead')` : '';
      return (
        preparedOn(
          this.db,
          `SELECT * FROM deliveries WHERE endpoint_id = ? ${failing} AND sequence < ? ORDER BY sequence DESC LIMIT ?`,
        ).all(endpointId, options.before ?? Number.MAX_SAFE_INTEGER, options.limit) as DeliveryRow[]
      ).map(deliveryOf);
    });
  }
}

/** Runs a synchronous SQLite step as the async store interface asks: its value, or its error as a rejection. */
function settled<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

export const keyOf = (d: Pick<Delivery, 'endpointId' | 'notificationId'>): string =>
  `${d.endpointId} ${d.notificationId}`;
