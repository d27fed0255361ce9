import { Pool, type PoolClient } from 'pg';
import { lazyMigration } from '@carepath/runtime';
import {
  type Delivery,
  deliveryOf,
  type DeliveryRow,
  type DeliveryStatus,
  type DeliveryStore,
  type EndpointHealth,
  endpointHealthOf,
  type EndpointHealthRow,
  type FailedAttempt,
  keyOf,
  type QueuedItem,
  statusAfterFailure,
} from './webhook-deliveries';

/**
 * The delivery state in PostgreSQL (READ_MODEL_STORE=postgres), shared by the API replicas: whichever holds the
 * `duty:webhook-delivery` lease sends, and the next holder carries on from the same queue, cursors and attempt
 * counts (docs/scaling.md, "API replicas"). Operational state as in the SQLite file (webhook-deliveries.ts): never
 * rebuilt from the log. Epoch milliseconds and sequences are `bigint` columns, read back as numbers.
 */
export class PgWebhookDeliveries implements DeliveryStore {
  private readonly pool: Pool;
  private readonly migrate: () => Promise<void>;

  /** `schema` is written into SQL: the caller passes a checked identifier (READ_MODEL_SCHEMA + `_webhooks`). */
  constructor(
    connectionString: string,
    private readonly schema: string,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new Error(`Webhook delivery schema must be a plain SQL identifier, got "${schema}"`);
    this.pool = new Pool({ connectionString, max: 4 });
    // A connection dropped by the server is reported here; the next query opens another.
    this.pool.on('error', () => undefined);
    // Times as the SQLite file keeps them (ISO text, epoch ms), so both stores answer alike.
    this.migrate = lazyMigration(
      this.pool,
      `CREATE SCHEMA IF NOT EXISTS ${this.schema};
        CREATE TABLE IF NOT EXISTS ${this.schema}.endpoint_cursors (
          endpoint_id text PRIMARY KEY, sequence bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS ${this.schema}.deliveries (
          endpoint_id text NOT NULL, notification_id text NOT NULL, sequence bigint NOT NULL,
          institution_id text NOT NULL, kind text NOT NULL, body text NOT NULL, status text NOT NULL,
          attempts integer NOT NULL, next_attempt_at bigint, last_attempt_at text, last_status integer,
          last_error text, delivered_at text,
          PRIMARY KEY (endpoint_id, notification_id));
        CREATE INDEX IF NOT EXISTS deliveries_due ON ${this.schema}.deliveries (status, next_attempt_at);
        CREATE INDEX IF NOT EXISTS deliveries_by_endpoint ON ${this.schema}.deliveries (endpoint_id, sequence);
        CREATE TABLE IF NOT EXISTS ${this.schema}.endpoint_health (
          endpoint_id text PRIMARY KEY, last_success_at text, last_failure_at text,
          consecutive_failures integer NOT NULL, last_error text);`,
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async cursor(endpointId: string): Promise<number | null> {
    await this.migrate();
    const { rows } = await this.pool.query<{ sequence: string }>(
      `SELECT sequence FROM ${this.schema}.endpoint_cursors WHERE endpoint_id = $1`,
      [endpointId],
    );
    return rows[0] ? Number(rows[0].sequence) : null;
  }

  async enqueue(
    endpointId: string,
    cursor: number,
    items: readonly QueuedItem[],
    now: number,
  ): Promise<void> {
    await this.migrate();
    await this.transaction(async (client) => {
      if (items.length > 0) {
        await client.query(
          `INSERT INTO ${this.schema}.deliveries (endpoint_id, notification_id, sequence, institution_id, kind, body,
             status, attempts, next_attempt_at)
           SELECT $1, i.notification_id, i.sequence, i.institution_id, i.kind, i.body, 'pending', 0, $2
             FROM jsonb_to_recordset($3::jsonb)
               AS i(notification_id text, sequence bigint, institution_id text, kind text, body text)
           ON CONFLICT DO NOTHING`,
          [
            endpointId,
            now,
            JSON.stringify(
              items.map((i) => ({
                notification_id: i.notificationId,
                sequence: i.sequence,
                institution_id: i.institutionId,
                kind: i.kind,
                body: i.body,
              })),
            ),
          ],
        );
      }
      await client.query(
        `INSERT INTO ${this.schema}.endpoint_cursors AS c (endpoint_id, sequence) VALUES ($1, $2)
         ON CONFLICT (endpoint_id) DO UPDATE SET sequence = greatest(c.sequence, excluded.sequence)`,
        [endpointId, cursor],
      );
    });
  }

  async due(now: number, limit: number, skip: ReadonlySet<string>): Promise<Delivery[]> {
    await this.migrate();
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM ${this.schema}.deliveries WHERE status = 'pending' AND next_attempt_at <= $1
        ORDER BY next_attempt_at, sequence LIMIT $2`,
      [now, limit + skip.size],
    );
    return rows
      .map(deliveryOf)
      .filter((d) => !skip.has(keyOf(d)))
      .slice(0, limit);
  }

  async nextDue(skip: ReadonlySet<string>): Promise<number | null> {
    await this.migrate();
    const { rows } = await this.pool.query<Pick<Row, 'endpoint_id' | 'notification_id' | 'next_attempt_at'>>(
      `SELECT endpoint_id, notification_id, next_attempt_at FROM ${this.schema}.deliveries
        WHERE status = 'pending' ORDER BY next_attempt_at LIMIT $1`,
      [skip.size + 1],
    );
    const row = rows.find((r) => !skip.has(`${r.endpoint_id} ${r.notification_id}`));
    return row?.next_attempt_at == null ? null : Number(row.next_attempt_at);
  }

  async succeeded(d: Delivery, status: number, at: string): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `UPDATE ${this.schema}.deliveries SET status = 'delivered', attempts = attempts + 1, next_attempt_at = NULL,
           last_attempt_at = $1, last_status = $2, last_error = NULL, delivered_at = $1
         WHERE endpoint_id = $3 AND notification_id = $4`,
        [at, status, d.endpointId, d.notificationId],
      );
      await client.query(
        `INSERT INTO ${this.schema}.endpoint_health AS h (endpoint_id, last_success_at, consecutive_failures)
         VALUES ($1, $2, 0)
         ON CONFLICT (endpoint_id) DO UPDATE SET last_success_at = excluded.last_success_at, consecutive_failures = 0`,
        [d.endpointId, at],
      );
    });
  }

  async failed(...[d, status, error, at, nextAttemptAt]: FailedAttempt): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `UPDATE ${this.schema}.deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2,
           last_attempt_at = $3, last_status = $4, last_error = $5
         WHERE endpoint_id = $6 AND notification_id = $7`,
        [statusAfterFailure(nextAttemptAt), nextAttemptAt, at, status, error, d.endpointId, d.notificationId],
      );
      await client.query(
        `INSERT INTO ${this.schema}.endpoint_health AS h (endpoint_id, last_failure_at, consecutive_failures, last_error)
         VALUES ($1, $2, 1, $3)
         ON CONFLICT (endpoint_id) DO UPDATE SET last_failure_at = excluded.last_failure_at,
           consecutive_failures = h.consecutive_failures + 1, last_error = excluded.last_error`,
        [d.endpointId, at, error],
      );
    });
  }

  async cancel(endpointId: string): Promise<void> {
    await this.migrate();
    await this.pool.query(
      `UPDATE ${this.schema}.deliveries SET status = 'cancelled', next_attempt_at = NULL
        WHERE endpoint_id = $1 AND status = 'pending'`,
      [endpointId],
    );
  }

  async health(endpointId: string): Promise<EndpointHealth> {
    await this.migrate();
    const [health, counts] = await Promise.all([
      this.pool.query<EndpointHealthRow>(
        `SELECT * FROM ${this.schema}.endpoint_health WHERE endpoint_id = $1`,
        [endpointId],
      ),
      this.pool.query<{ status: DeliveryStatus; n: string }>(
        `SELECT status, count(*) AS n FROM ${this.schema}.deliveries WHERE endpoint_id = $1 GROUP BY status`,
        [endpointId],
      ),
    ]);
    const n = (status: DeliveryStatus) => Number(counts.rows.find((r) => r.status === status)?.n ?? 0);
    return endpointHealthOf(health.rows[0], n);
  }

  async list(
    endpointId: string,
    options: { failing: boolean; before: number | null; limit: number },
  ): Promise<Delivery[]> {
    await this.migrate();
    const failing = options.failing ? `AND last_error IS NOT NULL AND status IN ('pending', 'dead')` : '';
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM ${this.schema}.deliveries WHERE endpoint_id = $1 ${failing} AND sequence < $2
        ORDER BY sequence DESC LIMIT $3`,
      [endpointId, options.before ?? Number.MAX_SAFE_INTEGER, options.limit],
    );
    return rows.map(deliveryOf);
  }

  private async transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    await this.migrate();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

/** Epoch milliseconds and sequences are bigint columns, which pg reads back as strings. */
type Row = DeliveryRow<string>;
