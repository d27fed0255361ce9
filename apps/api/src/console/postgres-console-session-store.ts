import { randomBytes } from 'node:crypto';
import { lazyMigration } from '@carepath/runtime';
import { Pool, type PoolConfig } from 'pg';
import type { VerifiedIdentity } from '../auth/token-verifier';
import { seal, sessionKey, unseal } from './console-session-crypto';
import {
  type ConsoleSessionStore,
  type PendingAuthorization,
  sessionExpiresAt,
  type SignInLimits,
} from './console-session-store';
import type { ConsoleSession } from './console-sessions';

export interface PgConsoleSessionOptions {
  /** PostgreSQL connection (DATABASE_URL). */
  readonly connectionString: string;
  /** Schema of the sign-in tables, created when missing (`<READ_MODEL_SCHEMA>_console_sessions`). */
  readonly schema: string;
  readonly limits: SignInLimits;
  /**
   * The API's clock. Times are judged by it rather than the database's so one contract holds for both stores; the
   * replicas' clocks differ by far less than the idle limit, and a session's last use never moves back (GREATEST).
   */
  readonly now: () => number;
  readonly pool?: Omit<PoolConfig, 'connectionString'>;
}

/** A schema name written into SQL: a plain lower-case identifier only. */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

interface SessionSecrets {
  readonly identity: VerifiedIdentity;
  readonly accessToken: string;
  readonly csrfToken: string;
}

interface SessionRow {
  sealed: Buffer;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
}

const sessionContext = (key: string, createdAt: number, expiresAt: number) =>
  `session|${key}|${createdAt}|${expiresAt}`;
const pendingContext = (key: string, createdAt: number) => `pending|${key}|${createdAt}`;

/**
 * The console's sign-in state in PostgreSQL, shared by every API replica of a deployment (docs/console.md,
 * "Sign-in"): a session opened through one replica is used and ended through any other. Rows are keyed by a hash of
 * the cookie's id and their secrets sealed with a key derived from the id (console-session-crypto.ts): a copy of
 * the tables signs nobody in. Each check is one conditional statement, so two replicas never disagree on whether
 * a session still lives.
 */
export class PgConsoleSessionStore implements ConsoleSessionStore {
  private readonly pool: Pool;
  private readonly schema: string;
  private readonly migrate: () => Promise<void>;

  constructor(private readonly options: PgConsoleSessionOptions) {
    if (!SCHEMA_PATTERN.test(options.schema))
      throw new Error(`Console session schema must be a plain SQL identifier, got "${options.schema}"`);
    this.schema = options.schema;
    this.pool = new Pool({
      max: 4,
      // A database that does not answer is a 503 within seconds, not a browser left waiting.
      connectionTimeoutMillis: 5_000,
      statement_timeout: 5_000,
      ...options.pool,
      connectionString: options.connectionString,
    });
    // A connection dropped by the server is reported here; the next query opens another.
    this.pool.on('error', () => undefined);
    // Replicas starting together would race on CREATE SCHEMA IF NOT EXISTS: one waits for the other (the statements
    // of one query string run as one transaction, which holds the lock to its end).
    this.migrate = lazyMigration(
      this.pool,
      `SELECT pg_advisory_xact_lock(hashtext('${this.schema}'));
        CREATE SCHEMA IF NOT EXISTS ${this.schema};
        CREATE TABLE IF NOT EXISTS ${this.schema}.sessions (
          key text PRIMARY KEY,
          sealed bytea NOT NULL,
          created_at bigint NOT NULL,
          expires_at bigint NOT NULL,
          last_seen_at bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS sessions_last_seen ON ${this.schema}.sessions (last_seen_at);
        CREATE TABLE IF NOT EXISTS ${this.schema}.spent_login_links (
          key text PRIMARY KEY,
          until bigint NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${this.schema}.pending_sign_ins (
          key text PRIMARY KEY,
          sealed bytea NOT NULL,
          created_at bigint NOT NULL
        );`,
    );
  }

  async open(
    identity: VerifiedIdentity,
    accessToken: string,
    tokenExpiresAt: number | null,
  ): Promise<{ id: string; session: ConsoleSession }> {
    await this.migrate();
    const { limits } = this.options;
    const at = this.now();
    await this.sweep(at);
    const id = randomBytes(32).toString('base64url');
    const key = sessionKey(id);
    const session: ConsoleSession = {
      identity,
      accessToken,
      csrfToken: randomBytes(24).toString('base64url'),
      createdAt: at,
      expiresAt: sessionExpiresAt(at, limits, tokenExpiresAt),
      lastSeenAt: at,
    };
    const secrets: SessionSecrets = { identity, accessToken, csrfToken: session.csrfToken };
    const sealed = seal(id, 'session', JSON.stringify(secrets), sessionContext(key, at, session.expiresAt));
    // The bound holds per deployment: the least recently used sessions beyond it end as this one opens.
    await this.pool.query(
      `WITH evicted AS (
         DELETE FROM ${this.schema}.sessions WHERE key IN (
           SELECT key FROM ${this.schema}.sessions ORDER BY last_seen_at
            LIMIT GREATEST(0, (SELECT count(*) FROM ${this.schema}.sessions) - $5::int + 1)
         )
       )
       INSERT INTO ${this.schema}.sessions (key, sealed, created_at, expires_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $3)`,
      [key, sealed, at, session.expiresAt, limits.maxSessions],
    );
    return { id, session };
  }

  async use(id: string): Promise<ConsoleSession | null> {
    await this.migrate();
    const key = sessionKey(id);
    const at = this.now();
    const { rows } = await this.pool.query<SessionRow>(
      `UPDATE ${this.schema}.sessions SET last_seen_at = GREATEST(last_seen_at, $2::bigint)
        WHERE key = $1 AND expires_at > $2::bigint AND last_seen_at > $2::bigint - $3::bigint
        RETURNING sealed, created_at, expires_at, last_seen_at`,
      [key, at, this.options.limits.idleMs],
    );
    const row = rows[0];
    if (!row) {
      await this.pool.query(
        `DELETE FROM ${this.schema}.sessions WHERE key = $1 AND (expires_at <= $2::bigint OR last_seen_at <= $2::bigint - $3::bigint)`,
        [key, at, this.options.limits.idleMs],
      );
      return null;
    }
    const createdAt = Number(row.created_at);
    const expiresAt = Number(row.expires_at);
    const opened = unseal(id, 'session', row.sealed, sessionContext(key, createdAt, expiresAt));
    if (opened === null) {
      // Changed in the database (its times or its bytes): it signs nobody in again.
      await this.pool.query(`DELETE FROM ${this.schema}.sessions WHERE key = $1`, [key]);
      return null;
    }
    const secrets = JSON.parse(opened) as SessionSecrets;
    return { ...secrets, createdAt, expiresAt, lastSeenAt: Number(row.last_seen_at) };
  }

  async close(id: string): Promise<void> {
    await this.migrate();
    await this.pool.query(`DELETE FROM ${this.schema}.sessions WHERE key = $1`, [sessionKey(id)]);
  }

  async count(): Promise<number> {
    await this.migrate();
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.schema}.sessions`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async spend(jti: string, until: number): Promise<boolean> {
    await this.migrate();
    const at = this.now();
    await this.pool.query(`DELETE FROM ${this.schema}.spent_login_links WHERE until <= $1`, [at]);
    // One statement decides, so two replicas redeeming the same link at once cannot both win.
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${this.schema}.spent_login_links AS l (key, until) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE l.until <= $3`,
      [sessionKey(jti), until, at],
    );
    return rowCount === 1;
  }

  async hold(pending: Omit<PendingAuthorization, 'createdAt'>): Promise<string | null> {
    await this.migrate();
    const at = this.now();
    await this.pool.query(`DELETE FROM ${this.schema}.pending_sign_ins WHERE created_at < $1`, [
      at - this.options.limits.pendingMs,
    ]);
    const pendingId = randomBytes(32).toString('base64url');
    const key = sessionKey(pendingId);
    const sealed = seal(pendingId, 'sign-in', JSON.stringify(pending), pendingContext(key, at));
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${this.schema}.pending_sign_ins (key, sealed, created_at)
       SELECT $1, $2, $3 WHERE (SELECT count(*) FROM ${this.schema}.pending_sign_ins) < $4::int`,
      [key, sealed, at, this.options.limits.maxPending],
    );
    return rowCount === 1 ? pendingId : null;
  }

  async take(pendingId: string): Promise<PendingAuthorization | null> {
    await this.migrate();
    const key = sessionKey(pendingId);
    // Deleted as it is read: a callback replayed on another replica finds nothing.
    const { rows } = await this.pool.query<{ sealed: Buffer; created_at: string }>(
      `DELETE FROM ${this.schema}.pending_sign_ins WHERE key = $1 RETURNING sealed, created_at`,
      [key],
    );
    const row = rows[0];
    if (!row) return null;
    const createdAt = Number(row.created_at);
    if (this.now() - createdAt > this.options.limits.pendingMs) return null;
    const opened = unseal(pendingId, 'sign-in', row.sealed, pendingContext(key, createdAt));
    if (opened === null) return null;
    return { ...(JSON.parse(opened) as Omit<PendingAuthorization, 'createdAt'>), createdAt };
  }

  async stop(): Promise<void> {
    await this.pool.end();
  }

  private now(): number {
    return this.options.now();
  }

  /** Ended sessions go as new ones open, so the table holds live ones and the least recently used. */
  private async sweep(at: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM ${this.schema}.sessions WHERE expires_at <= $1::bigint OR last_seen_at <= $1::bigint - $2::bigint`,
      [at, this.options.limits.idleMs],
    );
  }
}
