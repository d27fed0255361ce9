import { HttpException, HttpStatus, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import {
  type AppConfig,
  CODE_ID,
  devKeyFileFor,
  isRole,
  loadOrCreateDevKey,
  type Role,
} from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';

/** Who a verified token says the caller is. */
export interface VerifiedIdentity {
  /** `iss`: recorded with `sub` in the access log, so a record names its identity provider. */
  readonly issuer: string;
  /** `sub`: the actor id in every event's metadata. */
  readonly subject: string;
  readonly role: Role;
  /** The institution claim; null only for a `system` service account, which names one per request. */
  readonly institutionId: string | null;
}

/** An id an identity provider may give (UUIDs, `auth0|…`, e-mail-like ids): visible ASCII, bounded. */
const SUBJECT = /^[\x21-\x7e]{1,255}$/;
const MAX_TOKEN_LENGTH = 8192;
/**
 * A token verified once is trusted again until its own `exp`, but never longer than this, so a key the issuer
 * withdraws stops being honoured within minutes. A signature check on every request was a large share of the API's
 * CPU under load, and a client sends the same token for its whole lifetime.
 */
const VERIFIED_TTL_MS = 5 * 60_000;
/** Bounds the memory of the cache above: clients beyond it are verified on every request, still correctly. */
const VERIFIED_MAX = 10_000;

/**
 * 401 with `WWW-Authenticate: Bearer` (RFC 6750): no `error` when no token came, `invalid_token` when one did.
 * The message says what was wrong with the token, never anything about keys or the server.
 */
export class UnauthenticatedException extends HttpException {
  constructor(
    readonly code: 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED',
    message: string,
  ) {
    super({ statusCode: 401, error: 'Unauthorized', code, message }, HttpStatus.UNAUTHORIZED);
  }

  get challenge(): string {
    if (this.code === 'TOKEN_MISSING') return 'Bearer realm="carepath"';
    const description = this.message.replace(/["\\]/g, "'");
    return `Bearer realm="carepath", error="invalid_token", error_description="${description}"`;
  }
}

/** The identity provider's keys could not be fetched: the caller is not at fault, so 503 and not 401. */
export class IdentityProviderUnavailableException extends HttpException {
  constructor() {
    super(
      {
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'IDENTITY_PROVIDER_UNAVAILABLE',
        message: "The identity provider's keys could not be fetched; try again shortly",
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

type KeySource = KeyObject | ReturnType<typeof createRemoteJWKSet>;

/**
 * Verifies bearer tokens with jose: the signature against the issuer's JWKS (or the development issuer's key), the
 * issuer, the audience, `exp` and `nbf` within a small clock tolerance, and an algorithm allow-list.
 */
@Injectable()
export class TokenVerifier implements OnModuleInit {
  private readonly logger = new Logger('auth');
  private keys!: KeySource;
  /** Tokens verified lately, oldest first, with the instant their trust ends. */
  private readonly verified = new Map<string, { identity: VerifiedIdentity; until: number }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit(): void {
    const auth = this.config.auth;
    if (auth.mode === 'issuer') {
      this.keys = createRemoteJWKSet(new URL(auth.jwksUrl), {
        timeoutDuration: 5000,
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
      });
      return;
    }
    this.keys = loadOrCreateDevKey(auth.keyFile ?? devKeyFileFor(this.config.databaseFile)).publicKey;
    if (!['127.0.0.1', 'localhost', '::1'].includes(this.config.host)) {
      this.logger.warn({
        msg: 'The development issuer is trusted on an address other machines can reach: set AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL to your identity provider',
        host: this.config.host,
      });
    }
  }

  async verify(authorization: string | undefined): Promise<VerifiedIdentity> {
    if (authorization === undefined || authorization === '') {
      throw new UnauthenticatedException('TOKEN_MISSING', 'A bearer token is required');
    }
    const m = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*) *$/i.exec(authorization);
    if (!m?.[1] || authorization.length > MAX_TOKEN_LENGTH) {
      throw new UnauthenticatedException('TOKEN_INVALID', 'The Authorization header must be "Bearer <JWT>"');
    }
    const token = m[1];
    const known = this.verified.get(token);
    if (known && Date.now() < known.until) return known.identity;
    if (known) this.verified.delete(token);
    const auth = this.config.auth;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys as KeyObject, {
        issuer: auth.issuer,
        audience: auth.audience,
        algorithms: [...auth.algorithms],
        clockTolerance: auth.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      throw this.refusal(error);
    }
    const identity = this.identity(payload);
    this.remember(token, identity, (payload.exp ?? 0) * 1000);
    return identity;
  }

  private remember(token: string, identity: VerifiedIdentity, expiresAt: number): void {
    this.verified.set(token, { identity, until: Math.min(expiresAt, Date.now() + VERIFIED_TTL_MS) });
    if (this.verified.size > VERIFIED_MAX) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
  }

  private identity(payload: JWTPayload): VerifiedIdentity {
    const auth = this.config.auth;
    const role = payload[auth.roleClaim];
    const institution = payload[auth.institutionClaim];
    if (typeof payload.sub !== 'string' || !SUBJECT.test(payload.sub)) {
      throw new UnauthenticatedException('TOKEN_INVALID', 'The token names no valid subject (sub)');
    }
    if (!isRole(role)) {
      throw new UnauthenticatedException(
        'TOKEN_INVALID',
        `The token's ${auth.roleClaim} claim is not a known role`,
      );
    }
    if (institution !== undefined && (typeof institution !== 'string' || !CODE_ID.test(institution))) {
      throw new UnauthenticatedException(
        'TOKEN_INVALID',
        `The token's ${auth.institutionClaim} claim is not an institution id`,
      );
    }
    if (institution === undefined && role !== 'system') {
      throw new UnauthenticatedException(
        'TOKEN_INVALID',
        `The token has no ${auth.institutionClaim} claim: staff act for an institution`,
      );
    }
    return { issuer: auth.issuer, subject: payload.sub, role, institutionId: institution ?? null };
  }

  private refusal(error: unknown): HttpException {
    if (error instanceof errors.JWTExpired) {
      return new UnauthenticatedException('TOKEN_EXPIRED', 'The token has expired');
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      return new UnauthenticatedException(
        'TOKEN_INVALID',
        `The token's ${error.claim} claim is not accepted`,
      );
    }
    if (error instanceof errors.JWKSTimeout || isFetchFailure(error)) {
      this.logger.error({ msg: "the identity provider's JWKS could not be fetched", error: String(error) });
      return new IdentityProviderUnavailableException();
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return new UnauthenticatedException(
        'TOKEN_INVALID',
        'The token is signed with an algorithm not accepted',
      );
    }
    return new UnauthenticatedException('TOKEN_INVALID', 'The token is not valid');
  }
}

/**
 * The JWKS could not be had: a network error from node:http (it has a `syscall`), or jose's answer to a reply that
 * is not 200 or not a key set. A token that simply matches no key of the set is the caller's fault (401).
 */
function isFetchFailure(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && 'syscall' in error) return true;
  return (
    error instanceof errors.JOSEError &&
    (error.code === 'ERR_JOSE_GENERIC' || error.code === 'ERR_JWKS_INVALID')
  );
}
