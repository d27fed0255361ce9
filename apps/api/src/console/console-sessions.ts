import { createHash, randomBytes } from 'node:crypto';
import type { VerifiedIdentity } from '../auth/token-verifier';

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

const hash = (id: string) => createHash('sha256').update(id).digest('base64url');

/**
 * The console's sessions, in this process's memory (docs/console.md says so): a restart signs everyone out, and
 * behind several API processes a session lives on the one that made it. Keys are the ids' hashes, so a heap dump
 * holds no cookie a thief could replay.
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
      expiresAt: Math.min(at + this.limits.maxMs, tokenExpiresAt ?? Number.POSITIVE_INFINITY),
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
    return Math.min(session.lastSeenAt + this.limits.idleMs, session.expiresAt);
  }

  close(id: string): void {
    this.sessions.delete(hash(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private ended(session: ConsoleSession, at: number): boolean {
    return at >= session.expiresAt || at - session.lastSeenAt >= this.limits.idleMs;
  }

  private sweep(): void {
    const at = this.now();
    for (const [key, session] of this.sessions) if (this.ended(session, at)) this.sessions.delete(key);
  }
}
