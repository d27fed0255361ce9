import { type DevKey, signDevToken } from './dev-issuer';

/**
 * Development sign-in links for the console (issue 21; docs/console.md, "Sign-in"). The token is signed by the
 * development issuer's key like a bearer token, but for another audience, so the API never accepts it as one: it
 * only redeems it once, at POST /console/auth/sessions, for a session. It travels in the URL's fragment, which
 * browsers do not send to servers.
 */
export const LOGIN_LINK_AUDIENCE = 'carepath-console-login';
export const LOGIN_LINK_PURPOSE = 'console-login';

export interface LoginLinkClaims {
  readonly sub: string;
  readonly role: string;
  readonly institutionId: string;
  readonly ttlSeconds: number;
  readonly issuer?: string;
}

export function signLoginToken(key: DevKey, claims: LoginLinkClaims): string {
  return signDevToken(key, {
    sub: claims.sub,
    role: claims.role,
    institutionId: claims.institutionId,
    ttlSeconds: claims.ttlSeconds,
    audience: LOGIN_LINK_AUDIENCE,
    issuer: claims.issuer,
    extra: { purpose: LOGIN_LINK_PURPOSE },
  });
}

/** The link a person opens: the console page, the token in the fragment. */
export const loginLinkUrl = (origin: string, token: string): string =>
  `${origin.replace(/\/+$/, '')}/console/#login=${token}`;
