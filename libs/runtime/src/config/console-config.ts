import { type Env, numberSetting } from './env-settings';

/**
 * The coordinator console (issue 21; docs/console.md): where its built files are, how long a sign-in lasts, and,
 * with an identity provider (AUTH_ISSUER), the console's OpenID Connect client.
 */
export interface ConsoleConfig {
  /** The folder `vite build` wrote (index.html and assets/); served at /console. */
  readonly dir: string;
  /** A session unused this long ends, in minutes. */
  readonly sessionIdleMinutes: number;
  /** A session ends this long after sign-in whatever happens, in hours. */
  readonly sessionMaxHours: number;
  /** How long a development login link may wait before it is used, in seconds. */
  readonly loginLinkSeconds: number;
  /** The console's address as browsers reach it (https in production), e.g. https://carepath.example.org; null: unset. */
  readonly publicUrl: string | null;
  /** The console's client at the identity provider, when AUTH_ISSUER is set; null otherwise. */
  readonly oidc: {
    readonly clientId: string;
    /** Null: a public client (PKCE alone, no client authentication). */
    readonly clientSecret: string | null;
    readonly scopes: string;
  } | null;
}

function publicUrl(env: Env): string | null {
  const raw = env.CONSOLE_PUBLIC_URL;
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`Configuration CONSOLE_PUBLIC_URL must be a URL, got "${raw}"`);
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname !== '/' ||
    url.search ||
    url.hash
  ) {
    throw new Error(
      `Configuration CONSOLE_PUBLIC_URL must be an origin such as https://carepath.example.org, got "${raw}"`,
    );
  }
  return url.origin;
}

export function loadConsoleConfig(env: Env): ConsoleConfig {
  const url = publicUrl(env);
  const clientId = env.CONSOLE_OIDC_CLIENT_ID;
  if (env.AUTH_ISSUER && clientId && !url) {
    throw new Error(
      'Configuration CONSOLE_PUBLIC_URL is required with CONSOLE_OIDC_CLIENT_ID (the redirect URI is built from it)',
    );
  }
  return {
    dir: env.CONSOLE_DIR || 'dist/console',
    sessionIdleMinutes: numberSetting(env, 'CONSOLE_SESSION_IDLE_MINUTES', 30, 1, 24 * 60),
    sessionMaxHours: numberSetting(env, 'CONSOLE_SESSION_MAX_HOURS', 8, 1, 24),
    loginLinkSeconds: numberSetting(env, 'CONSOLE_LOGIN_LINK_SECONDS', 300, 10, 3600),
    publicUrl: url,
    oidc:
      env.AUTH_ISSUER && clientId
        ? {
            clientId,
            clientSecret: env.CONSOLE_OIDC_CLIENT_SECRET || null,
            scopes: env.CONSOLE_OIDC_SCOPES || 'openid',
          }
        : null,
  };
}
