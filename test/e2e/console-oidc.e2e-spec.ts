import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { type ApiProcess, freePort, startApiProcess, transpileApi } from '../support/api-process';

/*
 * The console's sign-in at an identity provider (docs/console.md, "Sign-in"): the authorization code flow with PKCE,
 * state and nonce kept by the API, against a small OpenID provider in this process. The API runs in a process of
 * its own, since openid-client is an ES module that Node loads and Jest's module system does not.
 */

interface Grant {
  readonly nonce: string;
  readonly challenge: string;
}

/** Discovery, JWKS, an authorization endpoint that signs a coordinator in at once, and a token endpoint. */
async function startProvider(): Promise<{ server: Server; issuer: string }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const grants = new Map<string, Grant>();
  let issuer = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const code = `code-${grants.size}`;
      grants.set(code, {
        nonce: url.searchParams.get('nonce') ?? '',
        challenge: url.searchParams.get('code_challenge') ?? '',
      });
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.search = new URLSearchParams({
        code,
        state: url.searchParams.get('state') ?? '',
        iss: issuer,
      }).toString();
      res.writeHead(302, { location: back.href }).end();
      return undefined;
    }
    if (url.pathname === '/token') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const grant = grants.get(form.get('code') ?? '');
        const verifier = createHash('sha256')
          .update(form.get('code_verifier') ?? '')
          .digest('base64url');
        grants.delete(form.get('code') ?? '');
        if (!grant || grant.challenge !== verifier) return json(400, { error: 'invalid_grant' });
        const now = Math.floor(Date.now() / 1000);
        const sign = (claims: Record<string, string>, audience: string) =>
          new SignJWT(claims)
            .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
            .setIssuer(issuer)
            .setAudience(audience)
            .setSubject('coord-oidc')
            .setIssuedAt(now)
            .setExpirationTime(now + 3600)
            .sign(privateKey);
        void Promise.all([
          sign({ nonce: grant.nonce }, form.get('client_id') ?? ''),
          sign({ role: 'coordinator', institution_id: 'HOSP-CY-01' }, 'carepath-api'),
        ]).then(([idToken, accessToken]) =>
          json(200, { token_type: 'Bearer', expires_in: 3600, id_token: idToken, access_token: accessToken }),
        );
        return undefined;
      });
      return undefined;
    }
    return json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, issuer };
}

const cookieOf = (res: Response, name: string): string | undefined =>
  res.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0];

describe('console sign-in at an OpenID provider', () => {
  let folder: string;
  let provider: { server: Server; issuer: string };
  let api: ApiProcess;

  jest.setTimeout(120_000);

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-oidc-'));
    provider = await startProvider();
    const port = await freePort();
    api = await startApiProcess(transpileApi(join(folder, 'build')), port, {
      DATABASE_FILE: join(folder, 'carepath.db'),
      AUTH_ISSUER: provider.issuer,
      AUTH_AUDIENCE: 'carepath-api',
      AUTH_JWKS_URL: `${provider.issuer}/jwks`,
      CONSOLE_OIDC_CLIENT_ID: 'carepath-console',
      CONSOLE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      PROJECTIONS: 'external',
    });
  });

  afterAll(async () => {
    if (api) {
      api.child.kill('SIGTERM');
      await api.exited;
    }
    await new Promise((resolve) => provider?.server.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  /** The browser's part: start at the API, follow the provider's redirect, bring the query back. */
  const start = async () => {
    const res = await fetch(`${api.url}/console/auth/oidc/start`, { method: 'POST' });
    expect(res.status).toBe(201);
    const { authorizationUrl } = (await res.json()) as { authorizationUrl: string };
    const pending = cookieOf(res, 'carepath_oidc')!;
    const back = (await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location')!;
    return { authorizationUrl: new URL(authorizationUrl), pending, query: new URL(back).search };
  };
  const callback = (query: string, cookie?: string) =>
    fetch(`${api.url}/console/auth/oidc/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ query }),
    });

  it('given the code flow with PKCE, then a session for the identity of the access token, and the code works once', async () => {
    const config = await fetch(`${api.url}/console/auth/config`);
    expect(await config.json()).toEqual({ mode: 'oidc' });
    const { authorizationUrl, pending, query } = await start();
    expect(Object.fromEntries(authorizationUrl.searchParams)).toMatchObject({
      client_id: 'carepath-console',
      response_type: 'code',
      code_challenge_method: 'S256',
      redirect_uri: `${api.url}/console/`,
      scope: 'openid',
    });
    expect(authorizationUrl.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(authorizationUrl.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(pending).toMatch(/^carepath_oidc=[\w-]{43}$/);

    const res = await callback(query, pending);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      actorId: 'coord-oidc',
      role: 'coordinator',
      institutionId: 'HOSP-CY-01',
    });
    const session = cookieOf(res, 'carepath_session')!;
    const who = await fetch(`${api.url}/console/auth/session`, { headers: { cookie: session } });
    expect(await who.json()).toMatchObject({ actorId: 'coord-oidc' });

    const again = await callback(query, pending);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { code: string }).code).toBe('SIGN_IN_NOT_STARTED');
  });

  it('given another browser, or a state that is not the one sent, then no session', async () => {
    const first = await start();
    const elsewhere = await callback(first.query);
    expect(((await elsewhere.json()) as { code: string }).code).toBe('SIGN_IN_NOT_STARTED');

    const second = await start();
    const forged = second.query.replace(/state=[^&]+/, 'state=forged-state-value-0000000');
    const res = await callback(forged, second.pending);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('SIGN_IN_REFUSED');
  });
});
