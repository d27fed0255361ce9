import { type Env, numberSetting, oneOf } from '../config/env-settings';
import { LEASE_SCHEMA_PATTERN } from './projection-leases';

/** How the projector shares the projections with others (docs/scaling.md, "Projectors that share work"). */
export interface LeaseConfig {
  /** PostgreSQL holding the leases (DATABASE_URL). */
  readonly connectionString: string;
  /** PROJECTOR_LEASE_TTL_MS: a projector silent this long loses its projections to the others (default 15 s). */
  readonly ttlMs: number;
  /** PROJECTOR_LEASE_SCHEMA: the schema of the lease tables (default `carepath`). */
  readonly schema: string;
  /** PROJECTOR_ID: this projector's name in the lease table (default: host name, process id and a random part). */
  readonly member: string | null;
}

/** PROJECTOR_LEASES=postgres turns leases on; unset or `none`, one projector runs every projection. */
export function loadLeaseConfig(env: Env): LeaseConfig | null {
  if (oneOf(env, 'PROJECTOR_LEASES', ['none', 'postgres'] as const, 'none') === 'none') return null;
  const connectionString = env.DATABASE_URL;
  if (!connectionString) throw new Error('Configuration PROJECTOR_LEASES=postgres needs DATABASE_URL');
  const schema = env.PROJECTOR_LEASE_SCHEMA || 'carepath';
  if (!LEASE_SCHEMA_PATTERN.test(schema)) {
    throw new Error(
      `Configuration PROJECTOR_LEASE_SCHEMA must be a lower-case SQL identifier, got "${schema}"`,
    );
  }
  return {
    connectionString,
    ttlMs: numberSetting(env, 'PROJECTOR_LEASE_TTL_MS', 15_000, 1_000, 600_000),
    schema,
    member: env.PROJECTOR_ID || null,
  };
}

/**
 * How the API replicas elect the one that runs each single-instance duty, the process manager and the webhook
 * deliveries (docs/scaling.md, "API replicas"): a lease per duty in PostgreSQL, in the table `duty_leases` of the
 * schema `<READ_MODEL_SCHEMA>_duties`.
 */
export interface DutyLeaseConfig {
  readonly connectionString: string;
  /** DUTY_LEASE_TTL_MS: a replica silent this long loses its duties to another (default 15 s). */
  readonly ttlMs: number;
  readonly schema: string;
  /** REPLICA_ID: this replica's name as a lease holder (default: host name, process id and a random part). */
  readonly holder: string | null;
}

/**
 * Leases only with READ_MODEL_STORE=postgres, where several replicas may serve one deployment; on SQLite read models
 * the API is alone on its machine and runs its duties without asking anyone.
 */
export function loadDutyLeaseConfig(env: Env): DutyLeaseConfig | null {
  if (env.READ_MODEL_STORE !== 'postgres' || !env.DATABASE_URL) return null;
  return {
    connectionString: env.DATABASE_URL,
    ttlMs: numberSetting(env, 'DUTY_LEASE_TTL_MS', 15_000, 1_000, 600_000),
    schema: `${env.READ_MODEL_SCHEMA || 'carepath'}_duties`,
    holder: env.REPLICA_ID || null,
  };
}
