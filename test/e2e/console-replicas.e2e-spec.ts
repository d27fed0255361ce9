import { Client } from 'pg';
import { LOGIN_LINK_AUDIENCE, LOGIN_LINK_PURPOSE } from '@carepath/runtime';
import { type ApiProcess } from '../support/api-process';
import { TEST_DATABASE_URL } from '../support/postgres';
import { type ProcessCluster, startProcessCluster } from '../support/process-cluster';
import { token } from '../support/test-app';

type Body = Record<string, any>;
const HOSP = 'HOSP-CY-01';

/**
 * Console sessions behind several API replicas (docs/console.md, "Sign-in"): with READ_MODEL_STORE=postgres the
 * sessions live in PostgreSQL, so a browser signed in through one replica is served by any other, and a sign-out
 * through one ends the session on all; docker/nginx.conf sends requests round robin. Two API processes on the
 * EventStoreDB protocol double and PostgreSQL, each with a folder of its own (as in api-replicas.e2e-spec.ts).
 */
describe('console sessions across two API replicas', () => {
  let cluster: ProcessCluster;
  let a: ApiProcess;
  let b: ApiProcess;
  let db: Client;

  beforeAll(async () => {
    cluster = await startProcessCluster({ name: 'consolereplicas', store: 'postgres' });
    [a, b] = await Promise.all([cluster.startApi('api-a'), cluster.startApi('api-b')]);
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await cluster?.stop();
  });

  /** A request as a browser sends it: the session cookie, and the CSRF header on a write. */
  const send = async (
    api: ApiProcess,
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<{ status: number; body: Body; setCookie: string[] }> => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.status, body: (await res.json()) as Body, setCookie: res.headers.getSetCookie() };
  };

  const loginLink = () =>
    token({
      sub: 'coord-zhao',
      role: 'coordinator',
      institutionId: HOSP,
      audience: LOGIN_LINK_AUDIENCE,
      ttlSeconds: 300,
      extra: { purpose: LOGIN_LINK_PURPOSE },
    });

  const signInThrough = async (api: ApiProcess, link = loginLink()) => {
    const res = await send(api, 'POST', '/console/auth/sessions', {}, { token: link });
    expect(res.status).toBe(201);
    const cookie = res.setCookie.find((c) => c.startsWith('carepath_session='))!.split(';')[0]!;
    return { cookie, csrfToken: res.body.csrfToken as string };
  };

  it('a session opened through one replica is served by the other, and a sign-out through the other ends it on the first', async () => {
    const link = loginLink();
    const { cookie, csrfToken } = await signInThrough(a, link);

    const onB = await send(b, 'GET', '/console/auth/session', { cookie });
    expect(onB.status).toBe(200);
    expect(onB.body).toMatchObject({ actorId: 'coord-zhao', role: 'coordinator', csrfToken });
    // The link was spent through A: B refuses it too.
    const again = await send(b, 'POST', '/console/auth/sessions', {}, { token: link });
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 401, code: 'LOGIN_LINK_USED' });
    // B checks the CSRF token it never issued.
    const forged = await send(b, 'POST', '/console/auth/logout', { cookie });
    expect(forged.body.code).toBe('CSRF_TOKEN_INVALID');

    const out = await send(b, 'POST', '/console/auth/logout', { cookie, 'x-csrf-token': csrfToken });
    expect({ status: out.status, body: out.body }).toEqual({ status: 201, body: { signedOut: true } });
    const onA = await send(a, 'GET', '/console/auth/session', { cookie });
    expect({ status: onA.status, code: onA.body.code }).toEqual({ status: 401, code: 'TOKEN_MISSING' });
    expect(onA.setCookie.join()).toMatch(/^carepath_session=; Path=\/; Max-Age=0/);
  });

  it('a database that fails while a session is checked answers 503 and lets nobody in; the session lives on after', async () => {
    const { cookie } = await signInThrough(a);
    const table = `${cluster.schema}_console_sessions.sessions`;
    await db.query(`ALTER TABLE ${table} RENAME TO sessions_away`);
    try {
      const refused = await send(b, 'GET', '/console/auth/session', { cookie });
      expect({ status: refused.status, code: refused.body.code }).toEqual({
        status: 503,
        code: 'CONSOLE_SESSIONS_UNAVAILABLE',
      });
      expect(refused.body.actorId).toBeUndefined();
      const opening = await send(a, 'POST', '/console/auth/sessions', {}, { token: loginLink() });
      expect({ status: opening.status, code: opening.body.code }).toEqual({
        status: 503,
        code: 'CONSOLE_SESSIONS_UNAVAILABLE',
      });
      expect(opening.setCookie).toEqual([]);
    } finally {
      await db.query(`ALTER TABLE ${cluster.schema}_console_sessions.sessions_away RENAME TO sessions`);
    }
    const back = await send(b, 'GET', '/console/auth/session', { cookie });
    expect({ status: back.status, actorId: back.body.actorId }).toEqual({
      status: 200,
      actorId: 'coord-zhao',
    });
  });
});
