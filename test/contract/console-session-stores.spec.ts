import { Client } from 'pg';
import { sessionKey } from '../../apps/api/src/console/console-session-crypto';
import type { SignInLimits } from '../../apps/api/src/console/console-session-store';
import { MemoryConsoleSessionStore } from '../../apps/api/src/console/console-sessions';
import { PgConsoleSessionStore } from '../../apps/api/src/console/postgres-console-session-store';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { consoleSessionStoreContract, identity } from './console-session-store.contract';

const MINUTE = 60_000;
const limits: SignInLimits = {
  idleMs: 30 * MINUTE,
  maxMs: 8 * 60 * MINUTE,
  maxSessions: 100,
  pendingMs: 10 * MINUTE,
  maxPending: 100,
};
const schemas: string[] = [];
const pgStore = (schema: string, now: () => number, connectionString = TEST_DATABASE_URL) =>
  new PgConsoleSessionStore({ connectionString, schema, limits, now });

afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

consoleSessionStoreContract('in memory', (l, now) => new MemoryConsoleSessionStore(l, now));
consoleSessionStoreContract('PostgreSQL', (l, now) => {
  const schema = freshSchema('console_sessions');
  schemas.push(schema);
  return new PgConsoleSessionStore({ connectionString: TEST_DATABASE_URL, schema, limits: l, now });
});

/** What only a shared store can show: two replicas on one schema, and what the database itself holds. */
describe('console sessions in PostgreSQL, shared by replicas', () => {
  let schema: string;
  let now: number;
  let a: PgConsoleSessionStore;
  let b: PgConsoleSessionStore;
  let db: Client;

  beforeAll(async () => {
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
  });
  beforeEach(() => {
    schema = freshSchema('console_sessions');
    schemas.push(schema);
    now = Date.parse('2026-03-02T09:00:00Z');
    a = pgStore(schema, () => now);
    b = pgStore(schema, () => now);
  });
  afterEach(async () => {
    await a.stop();
    await b.stop();
  });

  it('given a session opened through one replica, then the other uses it, and a sign-out through the other ends it on the first', async () => {
    const { id, session } = await a.open(identity, 'access-token', null);
    now += 20 * MINUTE;
    expect(await b.use(id)).toMatchObject({ accessToken: 'access-token', csrfToken: session.csrfToken });
    // B's use restarted the idle clock A judges by.
    now += 20 * MINUTE;
    expect((await a.use(id))?.lastSeenAt).toBe(now);
    await b.close(id);
    expect(await a.use(id)).toBeNull();
  });

  it('given a login link spent through one replica, then the other refuses it', async () => {
    expect(await a.spend('jti', now + 5 * MINUTE)).toBe(true);
    expect(await b.spend('jti', now + 5 * MINUTE)).toBe(false);
  });

  it('given an authorization request started on one replica, then the callback on the other finds it, once', async () => {
    const pendingId = (await a.hold({ state: 's', nonce: 'n', codeVerifier: 'verifier' }))!;
    expect((await b.take(pendingId))?.codeVerifier).toBe('verifier');
    expect(await a.take(pendingId)).toBeNull();
  });

  it('given a copy of the tables, then it holds no session id, access token, CSRF token or PKCE verifier', async () => {
    const { id, session } = await a.open(identity, 'eyJ-secret-access-token', null);
    const pendingId = (await a.hold({ state: 'st4te', nonce: 'n0nce', codeVerifier: 'pkce-verifier-123' }))!;
    await a.spend('link-jti-77', now + MINUTE);
    const dump = JSON.stringify([
      (await db.query(`SELECT key, encode(sealed, 'escape') AS sealed, created_at FROM ${schema}.sessions`))
        .rows,
      (await db.query(`SELECT key, encode(sealed, 'escape') AS sealed FROM ${schema}.pending_sign_ins`)).rows,
      (await db.query(`SELECT key FROM ${schema}.spent_login_links`)).rows,
    ]);
    expect(dump).toContain(sessionKey(id));
    for (const secret of [
      id,
      'eyJ-secret-access-token',
      session.csrfToken,
      'coord-zhao',
      pendingId,
      'pkce-verifier-123',
      'st4te',
      'link-jti-77',
    ])
      expect(dump).not.toContain(secret);
  });

  it('given a row whose expiry was moved in the database, then it signs nobody in', async () => {
    const { id } = await a.open(identity, 'token', null);
    await db.query(`UPDATE ${schema}.sessions SET expires_at = expires_at + 86400000`);
    expect(await b.use(id)).toBeNull();
    expect(await b.count()).toBe(0);
  });

  it('given a database that cannot be reached, then using a session fails rather than answers', async () => {
    const down = pgStore(schema, () => now, 'postgres://postgres@127.0.0.1:1/carepath_test');
    try {
      await expect(down.use('some-session-id')).rejects.toThrow();
    } finally {
      await down.stop();
    }
  });
});
