import { Pool, type PoolConfig } from 'pg';
import { lazyMigration } from '../postgres/lazy-migration';

/** A projection held by one projector: `fence` grows at every change of holder, so an old holder can tell. */
export interface Lease {
  readonly projection: string;
  readonly holder: string;
  readonly fence: number;
}

/**
 * Leases on projections, shared by the projector processes of a deployment (docs/scaling.md, "Projectors that share
 * work"). A projector runs a projection only while it holds that projection's lease; a lease not renewed within its
 * time to live is free for another, which then resumes from the read model's checkpoint. Expiry is judged by the
 * database's clock alone, so the projectors' clocks may disagree.
 */
export interface ProjectionLeases {
  /** Says `member` is alive; returns how many members are (itself included), each seen within the time to live. */
  heartbeat(member: string): Promise<number>;
  /** Says `member` is gone (a projector stopping), so the others count it out at once rather than after the TTL. */
  leave(member: string): Promise<void>;
  /** Takes `projection` if it is free, expired or already `holder`'s; null when another holds it. */
  acquire(projection: string, holder: string): Promise<Lease | null>;
  /** Extends a lease; false when it is no longer held under this fence (expired and taken, or released). */
  renew(lease: Lease): Promise<boolean>;
  /** Gives a lease up at once (a projector stopping, or handing over its share). */
  release(lease: Lease): Promise<void>;
  /** Every lease row, for status reports and specs. */
  list(): Promise<{ projection: string; holder: string | null; fence: number; expiresInMs: number | null }[]>;
  close(): Promise<void>;
}

export interface PgLeaseOptions {
  /** PostgreSQL connection (DATABASE_URL). */
  readonly connectionString: string;
  /** Schema of the lease tables, created when missing (default `carepath`). */
  readonly schema?: string;
  /**
   * Table of the leases (default `projection_leases`). The API's single-instance duties keep theirs apart
   * (`duty_leases`), so the projectors' status never lists them and their names never meet a projection's.
   */
  readonly table?: string;
  /** How long a lease or a member's heartbeat lasts without renewal, in ms. */
  readonly ttlMs: number;
  readonly pool?: Omit<PoolConfig, 'connectionString'>;
}

/** A schema name the lease tables may live in: written into SQL, so a plain lower-case identifier only. */
export const LEASE_SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Leases in PostgreSQL: one row per projection, taken and renewed by single conditional statements. */
export class PgProjectionLeases implements ProjectionLeases {
  private readonly pool: Pool;
  private readonly schema: string;
  /** `schema.table` of the leases, both checked against LEASE_SCHEMA_PATTERN. */
  private readonly leases: string;
  private readonly migrate: () => Promise<void>;

  constructor(private readonly options: PgLeaseOptions) {
    const schema = options.schema ?? 'carepath';
    if (!LEASE_SCHEMA_PATTERN.test(schema))
      throw new Error(`Lease schema must be a plain SQL identifier, got "${schema}"`);
    if (!Number.isInteger(options.ttlMs) || options.ttlMs < 100)
      throw new Error('Lease ttlMs must be >= 100');
    const table = options.table ?? 'projection_leases';
    if (!LEASE_SCHEMA_PATTERN.test(table))
      throw new Error(`Lease table must be a plain SQL identifier, got "${table}"`);
    this.schema = schema;
    this.leases = `${schema}.${table}`;
    this.pool = new Pool({ max: 2, ...options.pool, connectionString: options.connectionString });
    // A connection dropped by the server is reported here; the next query opens another.
    this.pool.on('error', () => undefined);
    this.migrate = lazyMigration(
      this.pool,
      `CREATE SCHEMA IF NOT EXISTS ${this.schema};
        CREATE TABLE IF NOT EXISTS ${this.leases} (
          projection text PRIMARY KEY,
          holder text,
          fence bigint NOT NULL,
          expires_at timestamptz
        );
        CREATE TABLE IF NOT EXISTS ${this.schema}.projector_members (
          member text PRIMARY KEY,
          seen_at timestamptz NOT NULL
        );`,
    );
  }

  async heartbeat(member: string): Promise<number> {
    await this.migrate();
    const result = await this.pool.query<{ alive: string }>(
      `WITH seen AS (
         INSERT INTO ${this.schema}.projector_members (member, seen_at) VALUES ($1, clock_timestamp())
         ON CONFLICT (member) DO UPDATE SET seen_at = excluded.seen_at
       )
       SELECT count(*) + 1 AS alive FROM ${this.schema}.projector_members
        WHERE member <> $1 AND seen_at > clock_timestamp() - make_interval(secs => $2 / 1000.0)`,
      [member, this.options.ttlMs],
    );
    return Number(result.rows[0]?.alive ?? 1);
  }

  async leave(member: string): Promise<void> {
    await this.migrate();
    await this.pool.query(`DELETE FROM ${this.schema}.projector_members WHERE member = $1`, [member]);
  }

  async acquire(projection: string, holder: string): Promise<Lease | null> {
    await this.migrate();
    const result = await this.pool.query<{ fence: string }>(
      `INSERT INTO ${this.leases} AS l (projection, holder, fence, expires_at)
       VALUES ($1, $2, 1, clock_timestamp() + make_interval(secs => $3 / 1000.0))
       ON CONFLICT (projection) DO UPDATE
         SET holder = excluded.holder,
             fence = CASE WHEN l.holder = excluded.holder AND l.expires_at > clock_timestamp() THEN l.fence ELSE l.fence + 1 END,
             expires_at = excluded.expires_at
       WHERE l.holder IS NULL OR l.expires_at <= clock_timestamp() OR l.holder = excluded.holder
       RETURNING fence`,
      [projection, holder, this.options.ttlMs],
    );
    const row = result.rows[0];
    return row ? { projection, holder, fence: Number(row.fence) } : null;
  }

  async renew(lease: Lease): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE ${this.leases}
          SET expires_at = clock_timestamp() + make_interval(secs => $4 / 1000.0)
        WHERE projection = $1 AND holder = $2 AND fence = $3 AND expires_at > clock_timestamp()`,
      [lease.projection, lease.holder, lease.fence, this.options.ttlMs],
    );
    return result.rowCount === 1;
  }

  async release(lease: Lease): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.leases} SET holder = NULL, expires_at = NULL
        WHERE projection = $1 AND holder = $2 AND fence = $3`,
      [lease.projection, lease.holder, lease.fence],
    );
  }

  async list(): Promise<
    { projection: string; holder: string | null; fence: number; expiresInMs: number | null }[]
  > {
    await this.migrate();
    const result = await this.pool.query<{
      projection: string;
      holder: string | null;
      fence: string;
      expires_in_ms: string | null;
    }>(
      `SELECT projection, holder, fence,
              floor(extract(epoch FROM (expires_at - clock_timestamp())) * 1000) AS expires_in_ms
         FROM ${this.leases} ORDER BY projection`,
    );
    return result.rows.map((r) => ({
      projection: r.projection,
      holder: r.holder,
      fence: Number(r.fence),
      expiresInMs: r.expires_in_ms === null ? null : Number(r.expires_in_ms),
    }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * How many projections one of `members` projectors should hold: an even share, rounded up so that every projection
 * is held by someone even when the division leaves a remainder.
 */
export function fairShare(projections: number, members: number): number {
  return Math.ceil(projections / Math.max(1, members));
}
