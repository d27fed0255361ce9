import type { EventStore } from '@carepath/event-store';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { loadAuthConfig } from '@carepath/runtime';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import { CHC, HOSP, openJourney, REGION, seedAlliance } from '../support/fixtures';
import { as, startTestApp, type TestApp, token } from '../support/test-app';

type Body = Record<string, any>;

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

const visit = {
  patientId: 'pt-authneg01',
  residenceRegion: REGION,
  institutionId: CHC,
  visitType: 'outpatient',
  diagnosisCode: 'I10',
  occurredAt: '2026-03-01T09:00:00+08:00',
};

/** Bearer tokens (issue 17): what is refused, and what the edge answers with. */
describe('Authentication and the HTTP edge', () => {
  let t: TestApp;
  let head: () => Promise<bigint>;
  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
    head = () => t.app.get<symbol, EventStore>(EVENT_STORE).headPosition();
  });
  afterAll(() => t.close());

  const claims = { sub: 'dr-chc-cy-01', role: 'doctor', institutionId: CHC };
  const valid = token(claims);
  const [header, payload, signature] = valid.split('.') as [string, string, string];
  const otherKey = generateKeyPairSync('ed25519').privateKey;
  const { sign } = jest.requireActual<typeof import('node:crypto')>('node:crypto');

  const refused: [string, string | null][] = [
    ['no token', null],
    ['expired', token({ ...claims, issuedAt: now() - 7200, ttlSeconds: 3600 })],
    ['not yet valid', token({ ...claims, extra: { nbf: now() + 3600 } })],
    ['for another audience', token({ ...claims, audience: 'another-api' })],
    ['from another issuer', token({ ...claims, issuer: 'https://idp.example.org' })],
    [
      'signed with another key',
      `${header}.${payload}.${sign(null, Buffer.from(`${header}.${payload}`), otherKey).toString('base64url')}`,
    ],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`],
    [
      'with a tampered payload',
      `${header}.${b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' })}.${signature}`,
    ],
    ['with an unknown role', token({ ...claims, role: 'superuser' })],
    ['of staff with no institution', token({ sub: 'dr-x', role: 'doctor' })],
    ['not a JWT', 'abc.def'],
  ];

  it.each(refused)(
    'a write %s is a 401 with WWW-Authenticate: Bearer, and writes nothing',
    async (_, jwt) => {
      const before = await head();
      const req = t.http().post('/journeys');
      const res = await (jwt === null ? req : req.set('Authorization', `Bearer ${jwt}`))
        // The identity headers of old are ignored: they authenticate nobody.
        .set({ 'X-Actor-Id': 'dr-chc-cy-01', 'X-Actor-Role': 'doctor', 'X-Institution-Id': CHC })
        .send(visit);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(
        jwt === null ? /^Bearer realm="carepath"$/ : /^Bearer realm="carepath", error="invalid_token"/,
      );
      expect(res.body.code).toMatch(/^TOKEN_(MISSING|INVALID|EXPIRED)$/);
      expect(await head()).toBe(before);
    },
  );

  it('a valid token writes, and the event names the verified actor', async () => {
    const res = await t
      .http()
      .post('/journeys')
      .set('Authorization', `Bearer ${valid}`)
      .send(visit)
      .expect(201);
    const history = (await t.read(`/journeys/${res.body.journeyId}/events`).expect(200)).body as Body;
    expect(history.events[0].metadata).toMatchObject({
      actorId: 'dr-chc-cy-01',
      actorRole: 'doctor',
      institutionId: CHC,
    });
  });

  it('reads of patient data are 401 without a token and nothing is logged', async () => {
    const id = await openJourney(t, { patientId: 'pt-authneg02' });
    const before = await head();
    for (const path of [
      `/journeys/${id}`,
      `/journeys/${id}/events`,
      `/journeys/${id}/timeline`,
      `/worklists/${CHC}`,
    ]) {
      await t.http().get(path).set('X-Access-Reason', 'treatment').expect(401);
    }
    expect(await head()).toBe(before);
  });

  it('answers with security headers, no X-Powered-By, no caching, no CORS, no paths', async () => {
    const id = await openJourney(t, { patientId: 'pt-authneg03' });
    const res = await t.read(`/journeys/${id}`).set('Origin', 'https://evil.example.org').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t
      .http()
      .options('/journeys')
      .set('Origin', 'https://evil.example.org')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const docs = await t.http().get('/docs/json').expect(200);
    expect(docs.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(docs.body.paths['/journeys/{journeyId}'].get['x-roles']).toContain('doctor');
    for (const answer of [res, docs, await t.http().get('/health'), await t.http().get('/nowhere')]) {
      expect(answer.text).not.toContain(process.cwd());
      expect(answer.text).not.toMatch(/\n\s+at /);
    }
  });
});

describe('CORS allow-list and rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      edge: {
        corsAllowedOrigins: ['https://ward.example.org'],
        rateLimit: { requests: 5, systemRequests: 10, windowSeconds: 60 },
      },
    });
  });
  afterAll(() => t.close());

  it('answers an allowed origin only', async () => {
    const ok = await t.http().get('/health/live').set('Origin', 'https://ward.example.org');
    expect(ok.headers['access-control-allow-origin']).toBe('https://ward.example.org');
    const other = await t.http().get('/health/live').set('Origin', 'https://evil.example.org');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('limits each actor: 429 with Retry-After once its budget is spent; others are not affected', async () => {
    const me = as(HOSP, 'admin', 'admin-rate');
    const statuses: number[] = [];
    let last: Body = {};
    for (let i = 0; i < 7; i++) {
      const res = await t.http().get('/institutions').set(me);
      statuses.push(res.status);
      last = res;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(last.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    await t
      .http()
      .get('/institutions')
      .set(as(HOSP, 'admin', 'admin-other'))
      .expect(200);
  });
});

describe('an identity provider (AUTH_ISSUER with a JWKS)', () => {
  let t: TestApp;
  let jwks: Server;
  let up = true;
  const issuer = 'https://idp.example.org/realms/carepath';
  let privateKey: unknown;
  let publicJwk: Body;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_, res) => {
      if (!up) return void res.writeHead(502).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((done) => jwks.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
    t = await startTestApp({
      auth: loadAuthConfig({ AUTH_ISSUER: issuer, AUTH_AUDIENCE: 'carepath', AUTH_JWKS_URL: url }),
    });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((done) => jwks.close(done));
  });

  const idpToken = (claims: Body, alg = 'ES256', key: unknown = privateKey) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid: 'k1' })
      .setIssuer(issuer)
      .setAudience('carepath')
      .setSubject('3f2c8a9e-7d41-4c1e-9a55-0d3b2f6e1a77')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key as never);

  it("accepts the provider's tokens, and not the development issuer's", async () => {
    const jwt = await idpToken({ role: 'admin', institution_id: HOSP });
    await t.http().get('/institutions').set('Authorization', `Bearer ${jwt}`).expect(200);
    await t.http().get('/institutions').set(as(HOSP, 'admin')).expect(401);
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const jwt = await idpToken({ role: 'admin', institution_id: HOSP }, 'HS256', secret);
    const res = await t.http().get('/institutions').set('Authorization', `Bearer ${jwt}`).expect(401);
    expect(res.headers['www-authenticate']).toContain('invalid_token');
  });

  it('answers 503 IDENTITY_PROVIDER_UNAVAILABLE, not 401, while the key set cannot be fetched', async () => {
    up = false;
    // A fresh app has no keys cached: it must fetch them for its first token.
    const cold = await startTestApp({
      auth: loadAuthConfig({
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: 'carepath',
        AUTH_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`,
      }),
    });
    try {
      const jwt = await idpToken({ role: 'admin', institution_id: HOSP });
      const res = await cold.http().get('/institutions').set('Authorization', `Bearer ${jwt}`).expect(503);
      expect(res.body.code).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
    } finally {
      up = true;
      await cold.close();
    }
  });
});
