import type { VerifiedIdentity } from '../auth/token-verifier';
import type { ConsoleSession, SessionLimits } from './console-sessions';

/** What an authorization request at the identity provider must find again when the browser comes back. */
export interface PendingAuthorization {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly createdAt: number;
}

export interface SignInLimits extends SessionLimits {
  /** An authorization request left unfinished this long is forgotten (the person starts again). */
  readonly pendingMs: number;
  /** At most this many authorization requests under way at once. */
  readonly maxPending: number;
}

/**
 * Where the console's sign-in state lives (docs/console.md, "Sign-in"): the sessions, the login links already
 * spent and the authorization requests under way. In the API's memory (ConsoleSessions, the default), or in
 * PostgreSQL (PgConsoleSessionStore, with READ_MODEL_STORE=postgres) so that any replica serves any browser. A
 * failure of the store rejects; the callers answer 503 and let nobody in.
 */
export interface ConsoleSessionStore {
  /** A new session and the id for its cookie (the only place the id ever is, besides the cookie). */
  open(
    identity: VerifiedIdentity,
    accessToken: string,
    tokenExpiresAt: number | null,
  ): Promise<{ id: string; session: ConsoleSession }>;
  /** The live session of a cookie, its idle clock restarted; null when unknown, idle too long or past its end. */
  use(id: string): Promise<ConsoleSession | null>;
  /** Ends the session everywhere it could be used. */
  close(id: string): Promise<void>;
  /** How many sessions are kept (ended ones not yet swept included). */
  count(): Promise<number>;
  /** Marks a login link (its `jti`) spent until `until`; false when it already was: a link works once. */
  spend(jti: string, until: number): Promise<boolean>;
  /** Keeps an authorization request under a new id for its cookie; null when too many are under way. */
  hold(pending: Omit<PendingAuthorization, 'createdAt'>): Promise<string | null>;
  /** Takes an authorization request back, once: null when unknown, already taken or too old. */
  take(pendingId: string): Promise<PendingAuthorization | null>;
  /** Releases what the store holds open (a connection pool). */
  stop(): Promise<void>;
}

/** Whether `session` has ended at `at`: idle for the limit, or past its absolute end. */
export function sessionEnded(
  session: ConsoleSession,
  at: number,
  limits: Pick<SessionLimits, 'idleMs'>,
): boolean {
  return at >= session.expiresAt || at - session.lastSeenAt >= limits.idleMs;
}

/** When `session` ends if left alone now: the idle limit or its absolute end, whichever comes first. */
export function sessionEndsAt(session: ConsoleSession, limits: Pick<SessionLimits, 'idleMs'>): number {
  return Math.min(session.lastSeenAt + limits.idleMs, session.expiresAt);
}

/** The absolute end of a session opened `at`: its limit, or the access token's own expiry if sooner. */
export function sessionExpiresAt(
  at: number,
  limits: Pick<SessionLimits, 'maxMs'>,
  tokenExpiresAt: number | null,
) {
  return Math.min(at + limits.maxMs, tokenExpiresAt ?? Number.POSITIVE_INFINITY);
}
