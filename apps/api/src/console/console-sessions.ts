import { randomBytes } from 'node:crypto';
import type { VerifiedIdentity } from '../auth/token-verifier';
import { sessionKey } from './console-session-crypto';
import {
  type ConsoleSessionStore,
  type PendingAuthorization,
  sessionEnded,
  sessionEndsAt,
  sessionExpiresAt,
  type SignInLimits,
} from './console-session-store';

/** A signed-in person of the console, as the API keeps them: the browser holds only the session's id. */
export interface ConsoleSession {
  readonly identity: VerifiedIdentity;
  /** The bearer token the API sends itself on the person's behalf (docs/console.md, "Sign-in"). */
  readonly accessToken: string;
  /** Sent back by the console on every write (X-CSRF-Token): a page of another site cannot know it. */
  readonly csrfToken: string;
  readonly createdAt: number;
  /** The latest instant the session may live to: the absolute limit, or the access token's own expiry. */
  readonly expiresAt: number;
  lastSeenAt: number;
}

export interface SessionLimits {
  readonly idleMs: number;
  readonly maxMs: number;
  /** At most this many sessions at once: beyond it the oldest-seen ends, so the map cannot grow without bound. */
  readonly maxSessions: number;
}

const hash = sessionKey;

/**
 * The console's sessions, in this process's memory (docs/console.md says so): a restart signs everyone out, and
 * behind several API processes a session lives on the one that made it (PgConsoleSessionStore shares them). Keys
 * are the ids' hashes, so a heap dump holds no cookie a thief could replay.
 */
export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number,
  ) {}

  /** A new session and the id for its cookie. */
  open(
    identity: VerifiedIdentity,
    accessToken: string,
    tokenExpiresAt: number | null,
  ): { id: string; session: ConsoleSession } {
    this.sweep();
    if (this.sessions.size >= this.limits.maxSessions) {
      const oldest = [...this.sessions.entries()].sort((a, b) => a[1].lastSeenAt - b[1].lastSeenAt)[0];
      if (oldest) this.sessions.delete(oldest[0]);
    }
    const at = this.now();
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      identity,
      accessToken,
      csrfToken: randomBytes(24).toString('base64url'),
      createdAt: at,
      expiresAt: sessionExpiresAt(at, this.limits, tokenExpiresAt),
      lastSeenAt: at,
    };
    this.sessions.set(hash(id), session);
    return { id, session };
  }

  /** The live session of a cookie, its idle clock restarted; null when unknown, idle too long or past its end. */
  use(id: string): ConsoleSession | null {
    const key = hash(id);
    const session = this.sessions.get(key);
    if (!session) return null;
    const at = this.now();
    if (this.ended(session, at)) {
      this.sessions.delete(key);
      return null;
    }
    session.lastSeenAt = at;
    return session;
  }

  /** When the session ends if left alone now: the idle limit or its absolute end, whichever comes first. */
  endsAt(session: ConsoleSession): number {
    return sessionEndsAt(session, this.limits);
  }

  close(id: string): void {
    this.sessions.delete(hash(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private ended(session: ConsoleSession, at: number): boolean {
    return sessionEnded(session, at, this.limits);
  }

  private sweep(): void {
    const at = this.now();
    for (const [key, session] of this.sessions) if (this.ended(session, at)) this.sessions.delete(key);
  }
}

/**
 * The store of one API process (the default, and with SQLite: one process serves everyone): the sessions above, and
 * the spent login links and authorization requests under way in maps beside them.
 */
export class MemoryConsoleSessionStore implements ConsoleSessionStore {
  readonly sessions: ConsoleSessions;
  /** Login tokens already redeemed, until they would have expired anyway: a link works once. */
  private readonly spent = new Map<string, number>();
  private readonly pending = new Map<string, PendingAuthorization>();

  constructor(
    private readonly limits: SignInLimits,
    private readonly now: () => number,
  ) {
    this.sessions = new ConsoleSessions(limits, now);
  }

  open(identity: VerifiedIdentity, accessToken: string, tokenExpiresAt: number | null) {
    return Promise.resolve(this.sessions.open(identity, accessToken, tokenExpiresAt));
  }

  use(id: string): Promise<ConsoleSession | null> {
    return Promise.resolve(this.sessions.use(id));
  }

  close(id: string): Promise<void> {
    this.sessions.close(id);
    return Promise.resolve();
  }

  count(): Promise<number> {
    return Promise.resolve(this.sessions.size);
  }

  spend(jti: string, until: number): Promise<boolean> {
    const at = this.now();
    for (const [spent, end] of this.spent) if (end <= at) this.spent.delete(spent);
    if (this.spent.has(jti)) return Promise.resolve(false);
    this.spent.set(jti, until);
    return Promise.resolve(true);
  }

  hold(pending: Omit<PendingAuthorization, 'createdAt'>): Promise<string | null> {
    const at = this.now();
    for (const [id, p] of this.pending) if (at - p.createdAt > this.limits.pendingMs) this.pending.delete(id);
    if (this.pending.size >= this.limits.maxPending) return Promise.resolve(null);
    const pendingId = randomBytes(32).toString('base64url');
    this.pending.set(hash(pendingId), { ...pending, createdAt: at });
    return Promise.resolve(pendingId);
  }

  take(pendingId: string): Promise<PendingAuthorization | null> {
    const pending = this.pending.get(hash(pendingId));
    if (!pending) return Promise.resolve(null);
    this.pending.delete(hash(pendingId));
    return Promise.resolve(this.now() - pending.createdAt > this.limits.pendingMs ? null : pending);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
