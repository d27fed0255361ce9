import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOGIN_LINK_AUDIENCE, LOGIN_LINK_PURPOSE, loadConfig } from '@carepath/runtime';
import { as, startTestApp, type TestApp, token } from '../support/test-app';

/*
 * The console's sign-in and files over HTTP (docs/console.md): login links redeemed once for an HttpOnly,
 * SameSite=Strict session cookie, the session standing in for a bearer token before the guard, the CSRF check on
 * writes, sign-out, and the built files served at /console with their own content security policy.
 */
const HOSP = 'HOSP-CY-01';
const loginToken = (claims: { sub?: string; role?: string; issuedAt?: number; audience?: string } = {}) =>
  token({
    sub: claims.sub ?? 'coord-zhao',
    role: claims.role ?? 'coordinator',
    institutionId: HOSP,
    audience: claims.audience ?? LOGIN_LINK_AUDIENCE,
    ttlSeconds: 300,
    issuedAt: claims.issuedAt,
    extra: { purpose: LOGIN_LINK_PURPOSE },
  });

describe('console sign-in and files', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carepath-console-files-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><title>CarePath</title><script src="/console/assets/app.js"></script>',
    );
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log("console");');
    t = await startTestApp({ console: { ...loadConfig({}).console, dir } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signIn = async (body = { token: loginToken() }) => {
    const res = await t.http().post('/console/auth/sessions').send(body).expect(201);
    const cookie = [res.headers['set-cookie']].flat().find((c) => String(c).startsWith('carepath_session='))!;
    return { res, cookie: String(cookie).split(';')[0]!, setCookie: String(cookie) };
  };

  it('given a login link, when redeemed, then a session cookie that scripts cannot read, and the link works once', async () => {
    const link = { token: loginToken() };
    const { res, setCookie } = await signIn(link);
    expect(setCookie).toMatch(
      /^carepath_session=[\w-]{43}; Path=\/; Max-Age=\d+; Expires=.+; SameSite=Strict; HttpOnly$/,
    );
    expect(res.body).toMatchObject({ actorId: 'coord-zhao', role: 'coordinator', institutionId: HOSP });
    expect(res.body.csrfToken).toMatch(/^[\w-]{32}$/);
    expect(res.body.allowedRoutes).toEqual(
      expect.arrayContaining([
        'GET /worklists/:institutionId',
        'POST /journeys/:journeyId/referrals/:referralId/accept',
      ]),
    );
    expect(res.body.allowedRoutes).not.toContain('GET /audit/access');
    const again = await t.http().post('/console/auth/sessions').send(link).expect(401);
    expect(again.body.code).toBe('LOGIN_LINK_USED');
  });

  it('given a link past its time, another audience, or a service account, then no session', async () => {
    const old = Math.floor(Date.now() / 1000) - 3600;
    expect(
      (
        await t
          .http()
          .post('/console/auth/sessions')
          .send({ token: loginToken({ issuedAt: old }) })
          .expect(401)
      ).body.code,
    ).toBe('LOGIN_LINK_EXPIRED');
    const bearer = token({ sub: 'coord-zhao', role: 'coordinator', institutionId: HOSP });
    expect(
      (await t.http().post('/console/auth/sessions').send({ token: bearer }).expect(401)).body.code,
    ).toBe('LOGIN_LINK_INVALID');
    expect(
      (
        await t
          .http()
          .post('/console/auth/sessions')
          .send({ token: loginToken({ role: 'system' }) })
          .expect(401)
      ).body.code,
    ).toBe('LOGIN_LINK_INVALID');
    expect(
      (await t.http().post('/console/auth/sessions').send({ token: 'not a token' }).expect(400)).body.message,
    ).toEqual(['token must be a compact JWS']);
  });

  it('given a session cookie, then reads pass as that person, writes need the CSRF token, and sign-out ends it', async () => {
    const { res, cookie } = await signIn();
    const session = await t.http().get('/console/auth/session').set('Cookie', cookie).expect(200);
    expect(session.body).toMatchObject({ actorId: 'coord-zhao', csrfToken: res.body.csrfToken });
    await t.http().get(`/worklists/${HOSP}`).set('Cookie', cookie).expect(404); // HOSP is not registered here
    const forged = await t.http().post('/institutions').set('Cookie', cookie).send({}).expect(403);
    expect(forged.body.code).toBe('CSRF_TOKEN_INVALID');
    // With the token the request reaches the guard, which refuses the role: a coordinator registers no institution.
    const refused = await t
      .http()
      .post('/institutions')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', res.body.csrfToken)
      .send({})
      .expect(403);
    expect(refused.body.code).toBe('ROLE_NOT_ALLOWED');
    const out = await t
      .http()
      .post('/console/auth/logout')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', res.body.csrfToken)
      .expect(201);
    expect(out.body).toEqual({ signedOut: true });
    expect(String(out.headers['set-cookie'])).toMatch(/^carepath_session=; Path=\/; Max-Age=0/);
    const after = await t.http().get('/console/auth/session').set('Cookie', cookie).expect(401);
    expect(after.body.code).toBe('TOKEN_MISSING');
  });

  it('given a bearer token and a cookie, then the bearer token is who calls', async () => {
    const { cookie } = await signIn();
    const res = await t
      .http()
      .get('/console/auth/session')
      .set('Cookie', cookie)
      .set(as(HOSP, 'auditor', 'auditor-sun'))
      .expect(200);
    expect(res.body).toMatchObject({
      actorId: 'auditor-sun',
      role: 'auditor',
      csrfToken: '',
      expiresAt: null,
    });
  });

  it('given no identity provider, then the OpenID Connect routes answer 404 and the config says login links', async () => {
    expect((await t.http().get('/console/auth/config').expect(200)).body).toEqual({ mode: 'development' });
    expect((await t.http().post('/console/auth/oidc/start').expect(404)).body.code).toBe(
      'OIDC_NOT_CONFIGURED',
    );
  });

  it('serves the built console at /console with a policy that allows its own scripts only', async () => {
    const page = await t.http().get('/console/').expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('<title>CarePath</title>');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('http');
    const script = await t.http().get('/console/assets/app.js').expect(200);
    expect(script.headers['content-type']).toContain('javascript');
    await t.http().get('/console/assets/missing.js').expect(404);
    // A path out of the folder is refused by the file server, never served.
    await t.http().get('/console/../package.json').expect(403);
    // The API's own answers keep their policy that allows nothing.
    const api = await t.http().get('/console/auth/config').expect(200);
    expect(String(api.headers['content-security-policy'])).toContain("default-src 'none'");
  });
});
