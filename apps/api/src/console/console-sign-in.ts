import { HttpException, HttpStatus, Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { errors, jwtVerify } from 'jose';
import {
  type AppConfig,
  devKeyFileFor,
  type DevKey,
  LOGIN_LINK_AUDIENCE,
  LOGIN_LINK_PURPOSE,
  loadOrCreateDevKey,
  signDevToken,
} from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { TokenVerifier } from '../auth/token-verifier';
import { type ConsoleSessionStore, sessionEndsAt, type SignInLimits } from './console-session-store';
import { type ConsoleSession, MemoryConsoleSessionStore } from './console-sessions';
import { PgConsoleSessionStore } from './postgres-console-session-store';

/** At most this many console sessions live at once (in this process, or in the deployment's PostgreSQL). */
const MAX_SESSIONS = 10_000;
/** An authorization request left unfinished this long is forgotten (the person starts again). */
const PENDING_OIDC_MS = 10 * 60_000;

const unauthorized = (code: string, message: string) =>
  new HttpException({ statusCode: 401, error: 'Unauthorized', code, message }, HttpStatus.UNAUTHORIZED);

/** The session store failed: the person is not at fault and nobody is let in, so 503 and not 401 or 500. */
export const sessionsUnavailable = () =>
  new HttpException(
    {
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'CONSOLE_SESSIONS_UNAVAILABLE',
      message: 'Console sessions cannot be checked right now; try again shortly',
    },
    HttpStatus.SERVICE_UNAVAILABLE,
  );

/** openid-client's functions the console uses (the package is ESM; it is loaded only with an identity provider). */
type OidcClient = typeof import('openid-client');

/**
 * How a person signs in to the console and gets a session (docs/console.md, "Sign-in"): a development login link
 * redeemed once, or OpenID Connect's authorization code flow with PKCE against AUTH_ISSUER (openid-client). Either
 * way the session holds a bearer token the API verifies like any other (TokenVerifier), so the access guard and
 * the access log see the same identity a bearer client would have.
 */
@Injectable()
export class ConsoleSignIn implements OnModuleDestroy {
  private readonly logger = new Logger('console');
  /** In memory, or shared by the replicas in PostgreSQL with READ_MODEL_STORE=postgres (docs/console.md). */
  readonly sessions: ConsoleSessionStore;
  private readonly limits: SignInLimits;
  private devKey: DevKey | null = null;
  private oidc: Promise<{ client: OidcClient; configuration: import('openid-client').Configuration }> | null =
    null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verifier: TokenVerifier,
  ) {
    this.limits = {
      idleMs: config.console.sessionIdleMinutes * 60_000,
      maxMs: config.console.sessionMaxHours * 3_600_000,
      maxSessions: MAX_SESSIONS,
      pendingMs: PENDING_OIDC_MS,
      maxPending: MAX_SESSIONS,
    };
    const store = config.readModelStore;
    this.sessions =
      store.kind === 'postgres'
        ? new PgConsoleSessionStore({
            connectionString: store.connectionString,
            schema: `${store.schemaPrefix}_console_sessions`,
            limits: this.limits,
            now: () => Date.now(),
          })
        : new MemoryConsoleSessionStore(this.limits, () => Date.now());
  }

  async onModuleDestroy(): Promise<void> {
    await this.sessions.stop();
  }

  /** The live session of a cookie (its idle clock restarted), or null; 503 when the store cannot say. */
  useSession(id: string): Promise<ConsoleSession | null> {
    return this.guarded('check a session', () => this.sessions.use(id));
  }

  /** Ends a session on every replica; 503 when the store cannot. */
  closeSession(id: string): Promise<void> {
    return this.guarded('end a session', () => this.sessions.close(id));
  }

  /** When `session` ends if left alone now. */
  endsAt(session: ConsoleSession): number {
    return sessionEndsAt(session, this.limits);
  }

  get mode(): 'development' | 'oidc' | 'unavailable' {
    if (this.config.auth.mode === 'development') return 'development';
    return this.config.console.oidc ? 'oidc' : 'unavailable';
  }

  /** A development login link's token, checked and spent, exchanged for a session. */
  async redeemLoginLink(token: string): Promise<{ id: string; session: ConsoleSession }> {
    const auth = this.config.auth;
    if (auth.mode !== 'development') {
      throw unauthorized(
        'LOGIN_LINK_NOT_ACCEPTED',
        'Login links are for the development issuer: sign in at the identity provider',
      );
    }
    const key = this.key();
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key.publicKey, {
        issuer: auth.issuer,
        audience: LOGIN_LINK_AUDIENCE,
        algorithms: ['EdDSA'],
        clockTolerance: auth.clockToleranceSeconds,
        maxTokenAge: `${this.config.console.loginLinkSeconds + auth.clockToleranceSeconds}s`,
        requiredClaims: ['sub', 'exp', 'jti', 'iat'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw unauthorized('LOGIN_LINK_EXPIRED', 'This login link has expired: ask for a new one');
      throw unauthorized('LOGIN_LINK_INVALID', 'This login link is not valid');
    }
    if (payload.purpose !== LOGIN_LINK_PURPOSE || typeof payload.jti !== 'string') {
      throw unauthorized('LOGIN_LINK_INVALID', 'This login link is not valid');
    }
    const now = Date.now();
    const jti = payload.jti;
    const until = (Number(payload.exp) + auth.clockToleranceSeconds) * 1000;
    if (!(await this.guarded('spend a login link', () => this.sessions.spend(jti, until))))
      throw unauthorized('LOGIN_LINK_USED', 'This login link was already used: ask for a new one');

    const ttlSeconds = this.config.console.sessionMaxHours * 3600;
    const accessToken = signDevToken(key, {
      sub: String(payload.sub),
      role: String(payload.role),
      institutionId: typeof payload.institution_id === 'string' ? payload.institution_id : undefined,
      ttlSeconds,
      audience: auth.audience,
      issuer: auth.issuer,
    });
    const identity = await this.verifier.verify(`Bearer ${accessToken}`);
    if (identity.role === 'system')
      throw unauthorized('LOGIN_LINK_INVALID', 'A service account does not sign in to the console');
    return this.guarded('open a session', () =>
      this.sessions.open(identity, accessToken, now + ttlSeconds * 1000),
    );
  }

  /** The provider's authorization URL, with state, nonce and the PKCE verifier kept here under `pendingId`. */
  async startAuthorization(): Promise<{ pendingId: string; authorizationUrl: string }> {
    const { client, configuration } = await this.provider();
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier };
    const pendingId = await this.guarded('start a sign-in', () => this.sessions.hold(pending));
    if (pendingId === null)
      throw unauthorized('SIGN_IN_BUSY', 'Too many sign-ins under way; try again shortly');
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri(),
      scope: this.config.console.oidc!.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { pendingId, authorizationUrl: url.href };
  }

  /** The provider sent the browser back with `query` (?code=&state=): exchange the code, check it, open a session. */
  async finishAuthorization(
    pendingId: string | undefined,
    query: string,
  ): Promise<{ id: string; session: ConsoleSession }> {
    // Without an identity provider there is nothing to finish (404), whatever the browser holds.
    const { client, configuration } = await this.provider();
    // Taken once, on whichever replica the browser comes back to.
    const pending = pendingId
      ? await this.guarded('finish a sign-in', () => this.sessions.take(pendingId))
      : null;
    if (!pending) {
      throw unauthorized(
        'SIGN_IN_NOT_STARTED',
        'No sign-in was started in this browser, or it took too long: start again',
      );
    }
    let tokens: Awaited<ReturnType<OidcClient['authorizationCodeGrant']>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, new URL(`${this.redirectUri()}${query}`), {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      this.logger.warn({ msg: 'the identity provider refused the sign-in', error: String(error) });
      throw unauthorized('SIGN_IN_REFUSED', 'The identity provider did not confirm the sign-in: start again');
    }
    const identity = await this.verifier.verify(`Bearer ${tokens.access_token}`);
    const expiresIn = tokens.expiresIn();
    return this.guarded('open a session', () =>
      this.sessions.open(
        identity,
        tokens.access_token,
        expiresIn === undefined ? null : Date.now() + expiresIn * 1000,
      ),
    );
  }

  /** A failure of the session store is logged and answered 503: never a 500, never a way in. */
  private async guarded<T>(what: string, act: () => Promise<T>): Promise<T> {
    try {
      return await act();
    } catch (error) {
      this.logger.error({ msg: `the console session store could not ${what}`, error: String(error) });
      throw sessionsUnavailable();
    }
  }

  private redirectUri(): string {
    return `${this.config.console.publicUrl}/console/`;
  }

  private provider() {
    const auth = this.config.auth;
    const oidc = this.config.console.oidc;
    if (auth.mode !== 'issuer' || !oidc) {
      throw new HttpException(
        {
          statusCode: 404,
          error: 'Not Found',
          code: 'OIDC_NOT_CONFIGURED',
          message:
            'Set AUTH_ISSUER, CONSOLE_OIDC_CLIENT_ID and CONSOLE_PUBLIC_URL to sign in at an identity provider',
        },
        HttpStatus.NOT_FOUND,
      );
    }
    this.oidc ??= (async () => {
      const client = await import('openid-client');
      const issuer = new URL(auth.issuer);
      const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
      const configuration = await client.discovery(
        issuer,
        oidc.clientId,
        oidc.clientSecret ?? undefined,
        oidc.clientSecret ? undefined : client.None(),
        loopback && issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
      );
      return { client, configuration };
    })().catch((error: unknown) => {
      this.oidc = null;
      this.logger.error({ msg: 'the identity provider could not be discovered', error: String(error) });
      throw new HttpException(
        {
          statusCode: 503,
          error: 'Service Unavailable',
          code: 'IDENTITY_PROVIDER_UNAVAILABLE',
          message: 'The identity provider cannot be reached; try again shortly',
        },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    });
    return this.oidc;
  }

  private key(): DevKey {
    const auth = this.config.auth;
    if (auth.mode !== 'development')
      throw new Error('unreachable: the development key outside development mode');
    return (this.devKey ??= loadOrCreateDevKey(auth.keyFile ?? devKeyFileFor(this.config.databaseFile)));
  }
}
