import { seal, sessionKey, unseal } from './console-session-crypto';
import { sessionEnded, sessionEndsAt, sessionExpiresAt } from './console-session-store';
import type { ConsoleSession } from './console-sessions';

const id = 'R2sVh1oQ3pB7cX9yZ0aL4mN6tU8wE5rT1qY2uI3oP4a';
const context = 'session|key|1000|2000';

describe('console session sealing', () => {
  it('given a sealed secret, then the same session id, purpose and context open it, and the bytes do not show it', () => {
    const sealed = seal(id, 'session', 'eyJ-access-token', context);
    expect(sealed.toString('latin1')).not.toContain('eyJ-access-token');
    expect(unseal(id, 'session', sealed, context)).toBe('eyJ-access-token');
  });

  it('given another session id, another purpose or another context, then nothing opens', () => {
    const sealed = seal(id, 'session', 'secret', context);
    expect(unseal(`${id.slice(0, -1)}b`, 'session', sealed, context)).toBeNull();
    expect(unseal(id, 'sign-in', sealed, context)).toBeNull();
    expect(unseal(id, 'session', sealed, 'session|key|1000|9999')).toBeNull();
  });

  it('given a byte changed anywhere, or too few bytes, then nothing opens', () => {
    const sealed = seal(id, 'session', 'secret', context);
    for (const at of [0, 5, 20, sealed.length - 1]) {
      const changed = Buffer.from(sealed);
      changed[at] = changed[at]! ^ 1;
      expect(unseal(id, 'session', changed, context)).toBeNull();
    }
    expect(unseal(id, 'session', sealed.subarray(0, 20), context)).toBeNull();
  });

  it('given the same secret sealed twice, then the bytes differ (a fresh IV each time)', () => {
    expect(seal(id, 'session', 'secret', context).equals(seal(id, 'session', 'secret', context))).toBe(false);
  });

  it('given a session id, then its row key is its SHA-256, not the id, and not a sealing key', () => {
    expect(sessionKey(id)).toMatch(/^[\w-]{43}$/);
    expect(sessionKey(id)).not.toBe(id);
    expect(unseal(sessionKey(id), 'session', seal(id, 'session', 'secret', context), context)).toBeNull();
  });
});

describe('console session limits', () => {
  const limits = { idleMs: 30, maxMs: 480 };
  const session = (lastSeenAt: number, expiresAt: number): ConsoleSession => ({
    identity: { issuer: 'i', subject: 's', role: 'coordinator', institutionId: 'H' },
    accessToken: 't',
    csrfToken: 'c',
    createdAt: 0,
    expiresAt,
    lastSeenAt,
  });

  it('given a session, then it ends at its idle limit or its absolute end, whichever comes first', () => {
    expect(sessionEnded(session(100, 480), 129, limits)).toBe(false);
    expect(sessionEnded(session(100, 480), 130, limits)).toBe(true);
    expect(sessionEnded(session(470, 480), 479, limits)).toBe(false);
    expect(sessionEnded(session(470, 480), 480, limits)).toBe(true);
    expect(sessionEndsAt(session(100, 480), limits)).toBe(130);
    expect(sessionEndsAt(session(470, 480), limits)).toBe(480);
  });

  it('given an access token that ends before the absolute limit, then the session ends with it', () => {
    expect(sessionExpiresAt(1000, limits, null)).toBe(1480);
    expect(sessionExpiresAt(1000, limits, 1200)).toBe(1200);
    expect(sessionExpiresAt(1000, limits, 9000)).toBe(1480);
  });
});
