import type { VerifiedIdentity } from '../../apps/api/src/auth/token-verifier';
import type { ConsoleSessionStore, SignInLimits } from '../../apps/api/src/console/console-session-store';

/** A store under test on a clock the spec moves; each call is a store of its own (a fresh schema for PostgreSQL). */
export type SessionStoreFactory = (limits: SignInLimits, now: () => number) => ConsoleSessionStore;

const MINUTE = 60_000;
export const identity: VerifiedIdentity = {
  issuer: 'urn:carepath:dev-issuer',
  subject: 'coord-zhao',
  role: 'coordinator',
  institutionId: 'HOSP-CY-01',
};

/**
 * What any console session store does (docs/console.md, "Sign-in"), the in-memory one and PostgreSQL's alike:
 * sessions that end when idle or at their absolute end, closed at once, bounded in number; login links spent once;
 * authorization requests taken back once.
 */
export function consoleSessionStoreContract(name: string, make: SessionStoreFactory): void {
  describe(`console session store contract: ${name}`, () => {
    const stores: ConsoleSessionStore[] = [];
    afterAll(async () => {
      for (const store of stores) await store.stop();
    });

    const given = (limits: Partial<SignInLimits> = {}) => {
      let now = Date.parse('2026-03-02T09:00:00Z');
      const store = make(
        {
          idleMs: 30 * MINUTE,
          maxMs: 8 * 60 * MINUTE,
          maxSessions: 100,
          pendingMs: 10 * MINUTE,
          maxPending: 100,
          ...limits,
        },
        () => now,
      );
      stores.push(store);
      return { store, advance: (ms: number) => (now += ms), at: () => now };
    };

    it('given an open session, when its cookie is used, then it holds the identity, the token and the CSRF token, and its idle clock restarts', async () => {
      const { store, advance, at } = given();
      const { id, session } = await store.open(identity, 'access-token-a', null);
      expect(id).toMatch(/^[\w-]{43}$/);
      advance(5 * MINUTE);
      const used = await store.use(id);
      expect(used).toEqual({
        identity,
        accessToken: 'access-token-a',
        csrfToken: session.csrfToken,
        createdAt: session.createdAt,
        expiresAt: session.createdAt + 8 * 60 * MINUTE,
        lastSeenAt: at(),
      });
    });

    it('given a session used every 20 minutes, then it lives until its absolute end and no longer', async () => {
      const { store, advance } = given();
      const { id } = await store.open(identity, 'token', null);
      for (let i = 0; i < 23; i++) {
        advance(20 * MINUTE);
        expect((await store.use(id))?.identity.subject).toBe('coord-zhao');
      }
      advance(20 * MINUTE);
      expect(await store.use(id)).toBeNull();
    });

    it('given a session left alone for the idle limit, then it has ended and is gone', async () => {
      const { store, advance } = given();
      const { id } = await store.open(identity, 'token', null);
      advance(30 * MINUTE - 1);
      expect(await store.use(id)).not.toBeNull();
      advance(30 * MINUTE);
      expect(await store.use(id)).toBeNull();
      expect(await store.count()).toBe(0);
    });

    it('given an access token that expires first, then the session ends with it', async () => {
      const { store, advance, at } = given();
      const { id, session } = await store.open(identity, 'token', at() + 10 * MINUTE);
      expect(session.expiresAt).toBe(at() + 10 * MINUTE);
      advance(10 * MINUTE - 1);
      expect(await store.use(id)).not.toBeNull();
      advance(1);
      expect(await store.use(id)).toBeNull();
    });

    it('given a closed session or an unknown id, then neither signs anyone in', async () => {
      const { store } = given();
      const { id } = await store.open(identity, 'token', null);
      const other = await store.open(identity, 'other', null);
      await store.close(id);
      expect(await store.use(id)).toBeNull();
      expect(await store.use('not-a-session')).toBeNull();
      expect((await store.use(other.id))?.accessToken).toBe('other');
    });

    it('given more sessions than the bound, then the least recently used ones end', async () => {
      const { store, advance } = given({ maxSessions: 2 });
      const first = (await store.open(identity, 'a', null)).id;
      advance(MINUTE);
      const second = (await store.open(identity, 'b', null)).id;
      advance(MINUTE);
      await store.use(first);
      const third = (await store.open(identity, 'c', null)).id;
      expect(await store.count()).toBe(2);
      expect(await store.use(second)).toBeNull();
      expect((await store.use(first))?.accessToken).toBe('a');
      expect((await store.use(third))?.accessToken).toBe('c');
    });

    it('given ended sessions, when another opens, then they are swept', async () => {
      const { store, advance } = given();
      await store.open(identity, 'a', null);
      await store.open(identity, 'b', null);
      advance(31 * MINUTE);
      await store.open(identity, 'c', null);
      expect(await store.count()).toBe(1);
    });

    it('given two sessions, then their ids and CSRF tokens differ', async () => {
      const { store } = given();
      const a = await store.open(identity, 'a', null);
      const b = await store.open(identity, 'b', null);
      expect(a.id).not.toBe(b.id);
      expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
    });

    it('given a login link spent, then it is refused until it would have expired anyway', async () => {
      const { store, advance, at } = given();
      const until = at() + 5 * MINUTE;
      expect(await store.spend('jti-1', until)).toBe(true);
      expect(await store.spend('jti-1', until)).toBe(false);
      expect(await store.spend('jti-2', until)).toBe(true);
      advance(5 * MINUTE);
      expect(await store.spend('jti-1', at() + MINUTE)).toBe(true);
    });

    it('given an authorization request held, then it is taken back once, and not after its time', async () => {
      const { store, advance, at } = given();
      const pending = { state: 's', nonce: 'n', codeVerifier: 'v' };
      const pendingId = (await store.hold(pending))!;
      expect(pendingId).toMatch(/^[\w-]{43}$/);
      expect(await store.take(pendingId)).toEqual({ ...pending, createdAt: at() });
      expect(await store.take(pendingId)).toBeNull();
      const late = (await store.hold(pending))!;
      advance(10 * MINUTE + 1);
      expect(await store.take(late)).toBeNull();
      expect(await store.take('never-held')).toBeNull();
    });

    it('given as many authorization requests as the bound, then another is refused until one is old enough', async () => {
      const { store, advance } = given({ maxPending: 2 });
      const pending = { state: 's', nonce: 'n', codeVerifier: 'v' };
      expect(await store.hold(pending)).not.toBeNull();
      expect(await store.hold(pending)).not.toBeNull();
      expect(await store.hold(pending)).toBeNull();
      advance(10 * MINUTE + 1);
      expect(await store.hold(pending)).not.toBeNull();
    });
  });
}
