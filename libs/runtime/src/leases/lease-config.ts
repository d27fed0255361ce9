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
