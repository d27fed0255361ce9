import { DEFAULT_AUDIENCE, DEV_ISSUER } from '../identity/dev-issuer';
import { type Env, numberSetting } from './env-settings';

/** Never `none`, never HS* (a shared secret would let anyone holding the public JWKS mint tokens). */
export const ALLOWED_ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'PS256'] as const;

/**
 * How bearer tokens are verified (docs/api.md, "Authentication"). Claims: `sub` is the actor, `role` (claim name
 * AUTH_ROLE_CLAIM) one of the roles of identity/actor.ts, `institution_id` (AUTH_INSTITUTION_CLAIM) the institution
 * the actor acts for.
 */
export type AuthConfig =
  | {
      readonly mode: 'issuer';
      readonly issuer: string;
      readonly audience: string;
      readonly jwksUrl: string;
      readonly algorithms: readonly string[];
      readonly clockToleranceSeconds: number;
      readonly roleClaim: string;
      readonly institutionClaim: string;
    }
  | {
      readonly mode: 'development';
      readonly issuer: string;
      readonly audience: string;
      /** The Ed25519 key; null: `dev-issuer.ed25519.pem` beside the database file (devKeyFileFor). */
      readonly keyFile: string | null;
      readonly algorithms: readonly string[];
      readonly clockToleranceSeconds: number;
      readonly roleClaim: string;
      readonly institutionClaim: string;
    };

/** The edge: CORS allow-list and per-actor rate limits. */
export interface EdgeConfig {
  /** Origins allowed to call from a browser; empty: no CORS headers at all (closed). */
  readonly corsAllowedOrigins: readonly string[];
  /** Requests one actor (verified `iss` + `sub`; a client address before authentication) may make per window. */
  readonly rateLimit: {
    readonly requests: number;
    /** A `system` service account feeds whole institutions' records: it gets its own, larger budget. */
    readonly systemRequests: number;
    readonly windowSeconds: number;
  };
}

function httpsUrl(env: Env, name: string): string {
  const raw = env[name];
  if (!raw) throw new Error(`Configuration ${name} is required when AUTH_ISSUER is set`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`Configuration ${name} must be a URL, got "${raw}"`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`Configuration ${name} must be an https URL (http only on this machine), got "${raw}"`);
  }
  return url.toString();
}

export function loadAuthConfig(env: Env): AuthConfig {
  const common = {
    algorithms: ALLOWED_ALGORITHMS,
    clockToleranceSeconds: numberSetting(env, 'AUTH_CLOCK_TOLERANCE_SECONDS', 30, 0, 300),
    roleClaim: env.AUTH_ROLE_CLAIM || 'role',
    institutionClaim: env.AUTH_INSTITUTION_CLAIM || 'institution_id',
  };
  if (!env.AUTH_ISSUER) {
    return {
      mode: 'development',
      issuer: DEV_ISSUER,
      audience: env.AUTH_AUDIENCE || DEFAULT_AUDIENCE,
      keyFile: env.AUTH_DEV_KEY_FILE || null,
      ...common,
    };
  }
  if (!env.AUTH_AUDIENCE) throw new Error('Configuration AUTH_AUDIENCE is required when AUTH_ISSUER is set');
  return {
    mode: 'issuer',
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    jwksUrl: httpsUrl(env, 'AUTH_JWKS_URL'),
    ...common,
  };
}

export function loadEdgeConfig(env: Env): EdgeConfig {
  const origins = (env.CORS_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin === '*' || !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new Error(
        `Configuration CORS_ALLOWED_ORIGINS lists origins such as https://ward.example.org (no * and no path), got "${origin}"`,
      );
    }
  }
  return {
    corsAllowedOrigins: origins,
    rateLimit: {
      requests: numberSetting(env, 'RATE_LIMIT_REQUESTS', 1200, 1, 10_000_000),
      systemRequests: numberSetting(env, 'RATE_LIMIT_SYSTEM_REQUESTS', 120_000, 1, 10_000_000),
      windowSeconds: numberSetting(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    },
  };
}
