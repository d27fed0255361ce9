import type { VerifiedIdentity } from '../auth/token-verifier';
import { ConsoleSessions } from './console-sessions';

const identity: VerifiedIdentity = {
  issuer: 'urn:carepath:dev-issuer',
  subject: 'coord-zhao',
  role: 'coordinator',
  institutionId: 'HOSP-CY-01',
};
const MINUTE = 60_000;

function sessions(maxSessions = 100) {
  let now = Date.parse('2026-03-02T09:00:00Z');
  const store = new ConsoleSessions({ idleMs: 30 * MINUTE, maxMs: 8 * 60 * MINUTE, maxSessions }, () => now);
  return { store, advance: (ms: number) => (now += ms) };
}

describe('console sessions', () => {
  it('given a session used every 20 minutes, then it lives until its absolute end and no longer', () => {
    const { store, advance } = sessions();
    const { id } = store.open(identity, 'token', null);
    for (let i = 0; i < 23; i++) {
      advance(20 * MINUTE);
      expect(store.use(id)?.identity.subject).toBe('coord-zhao');
    }
    advance(20 * MINUTE);
    expect(store.use(id)).toBeNull();
  });

  it('given a session left alone for the idle limit, then it has ended', () => {
    const { store, advance } = sessions();
    const { id } = store.open(identity, 'token', null);
    advance(30 * MINUTE);
    expect(store.use(id)).toBeNull();
    expect(store.size).toBe(0);
  });

  it('given an access token that expires first, then the session ends with it', () => {
    const { store, advance } = sessions();
    const { id, session } = store.open(identity, 'token', Date.parse('2026-03-02T09:10:00Z'));
    expect(store.endsAt(session)).toBe(Date.parse('2026-03-02T09:10:00Z'));
    advance(10 * MINUTE);
    expect(store.use(id)).toBeNull();
  });

  it('given a closed session or an unknown id, then neither signs anyone in', () => {
    const { store } = sessions();
    const { id } = store.open(identity, 'token', null);
    store.close(id);
    expect(store.use(id)).toBeNull();
    expect(store.use('not-a-session')).toBeNull();
  });

  it('given more sessions than the bound, then the least recently used one ends', () => {
    const { store, advance } = sessions(2);
    const first = store.open(identity, 'a', null).id;
    advance(MINUTE);
    const second = store.open(identity, 'b', null).id;
    advance(MINUTE);
    store.use(first);
    store.open(identity, 'c', null);
    expect(store.size).toBe(2);
    expect(store.use(second)).toBeNull();
    expect(store.use(first)?.accessToken).toBe('a');
  });

  it('given two sessions, then their ids and CSRF tokens differ', () => {
    const { store } = sessions();
    const a = store.open(identity, 'a', null);
    const b = store.open(identity, 'b', null);
    expect(a.id).not.toBe(b.id);
    expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
  });
});
