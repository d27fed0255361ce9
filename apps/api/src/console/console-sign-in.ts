import { HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
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
import { type ConsoleSession, ConsoleSessions } from './console-sessions';

/** At most this many console sessions live at once in this process. */
const MAX_SESSIONS = 10_000;
/** An authorization request left unfinished this long is forgotten (the person starts again). */
const PENDING_OIDC_MS = 10 * 60_000;

const unauthorized = (code: string, message: string) =>
  new HttpException({ statusCode: 401, error: 'Unauthorized', code, message }, HttpStatus.UNAUTHORIZED);

interface PendingAuthorization {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly createdAt: number;
}

/** openid-client's functions the console uses (the package is ESM; it is loaded only with an identity provider). */
type OidcClient = typeof import('openid-client');

/**
 * How a person signs in to the console and gets a session (docs/console.md, "Sign-in"): a development login link
 * redeemed once, or OpenID Connect's authorization code flow with PKCE against AUTH_ISSUER (openid-client). Either
 * way the session holds a bearer token the API verifies like any other (TokenVerifier), so the access guard and
 * the access log see the same identity a bearer client would have.
 */
@Injectable()
export class ConsoleSignIn {
  private readonly logger = new Logger('console');
  readonly sessions: ConsoleSessions;
  /** Login tokens already redeemed, until they would have expired anyway: a link works once. */
  private readonly spent = new Map<string, number>();
  private readonly pending = new Map<string, PendingAuthorization>();
  private devKey: DevKey | null = null;
  private oidc: Promise<{ client: OidcClient; configuration: import('openid-client').Configuration }> | null =
    null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verifier: TokenVerifier,
  ) {
    this.sessions = new ConsoleSessions(
      {
        idleMs: config.console.sessionIdleMinutes * 60_000,
        maxMs: config.console.sessionMaxHours * 3_600_000,
        maxSessions: MAX_SESSIONS,
      },
      () => Date.now(),
    );
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
    for (const [jti, until] of this.spent) if (until <= now) this.spent.delete(jti);
    if (this.spent.has(payload.jti))
      throw unauthorized('LOGIN_LINK_USED', 'This login link was already used: ask for a new one');
    this.spent.set(payload.jti, (Number(payload.exp) + auth.clockToleranceSeconds) * 1000);

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
    return this.sessions.open(identity, accessToken, now + ttlSeconds * 1000);
  }

  /** The provider's authorization URL, with state, nonce and the PKCE verifier kept here under `pendingId`. */
  async startAuthorization(): Promise<{ pendingId: string; authorizationUrl: string }> {
    const { client, configuration } = await this.provider();
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending: PendingAuthorization = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier,
      createdAt: Date.now(),
    };
    const now = Date.now();
    for (const [id, p] of this.pending) if (now - p.createdAt > PENDING_OIDC_MS) this.pending.delete(id);
    if (this.pending.size >= MAX_SESSIONS)
      throw unauthorized('SIGN_IN_BUSY', 'Too many sign-ins under way; try again shortly');
    const pendingId = randomBytes(32).toString('base64url');
    this.pending.set(hash(pendingId), pending);
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
    const pending = pendingId ? this.pending.get(hash(pendingId)) : undefined;
    if (!pendingId || !pending || Date.now() - pending.createdAt > PENDING_OIDC_MS) {
      throw unauthorized(
        'SIGN_IN_NOT_STARTED',
        'No sign-in was started in this browser, or it took too long: start again',
      );
    }
    this.pending.delete(hash(pendingId));
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
    return this.sessions.open(
      identity,
      tokens.access_token,
      expiresIn === undefined ? null : Date.now() + expiresIn * 1000,
    );
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

const hash = (id: string) => createHash('sha256').update(id).digest('base64url');
