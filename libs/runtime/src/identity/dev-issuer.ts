import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
} from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The development issuer (issue 17): on a machine with no identity provider, the API trusts tokens signed by an
 * Ed25519 key kept beside the database file, created at first start (mode 0600), and `npm run cli -- token`
 * signs them. Anyone who can read that file can be anyone: it is for one machine only. With AUTH_ISSUER set the
 * key is never read.
 */
export const DEV_ISSUER = 'urn:carepath:dev-issuer';
export const DEFAULT_AUDIENCE = 'carepath-api';
export const DEV_KEY_FILE_NAME = 'dev-issuer.ed25519.pem';

export const devKeyFileFor = (databaseFile: string): string => join(dirname(databaseFile), DEV_KEY_FILE_NAME);

export interface DevKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** RFC 7638 thumbprint of the public key: the `kid` of the tokens it signs. */
  readonly keyId: string;
}

function devKeyOf(pem: string, file: string): DevKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new Error(`The development issuer's key (${file}) is not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`The development issuer's key (${file}) must be an Ed25519 key`);
  }
  const publicKey = createPublicKey(privateKey);
  const { x } = publicKey.export({ format: 'jwk' });
  const keyId = createHash('sha256')
    .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
    .digest('base64url');
  return { privateKey, publicKey, keyId };
}

/**
 * The key in `file`, created (0600, exclusively: the API and the CLI may race at first start) when absent. A key
 * file others can read is refused: tokens signed with it would prove nothing.
 */
export function loadOrCreateDevKey(file: string): DevKey {
  try {
    return readDevKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Written aside, then linked into place: a process starting beside this one (an API replica sharing the key, the
  // CLI) either finds no key or the whole key, never a half-written one; link fails if another got there first.
  const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(aside, pem, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readDevKey(file);
  } finally {
    rmSync(aside, { force: true });
  }
  return devKeyOf(pem, file);
}

export function readDevKey(file: string): DevKey {
  const mode = statSync(file).mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error(
      `The development issuer's key (${file}) is readable by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 it or delete it`,
    );
  }
  return devKeyOf(readFileSync(file, 'utf8'), file);
}

export interface TokenClaims {
  readonly sub: string;
  readonly role: string;
  /** Absent for a `system` service account acting for the institutions it names per request. */
  readonly institutionId?: string;
  /** Lifetime in seconds (default 8 h). */
  readonly ttlSeconds?: number;
  readonly audience?: string;
  readonly issuer?: string;
  /** Seconds since the epoch; defaults to now. */
  readonly issuedAt?: number;
  /** Extra claims, for specs that need an unusual token. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A compact JWS (EdDSA) with the claims the API reads (auth-config.ts): synchronous, so a spec can build headers
 * inline. Verification is jose's; this only signs.
 */
export function signDevToken(key: DevKey, claims: TokenClaims): string {
  const iat = claims.issuedAt ?? Math.floor(Date.now() / 1000);
  const payload = {
    iss: claims.issuer ?? DEV_ISSUER,
    aud: claims.audience ?? DEFAULT_AUDIENCE,
    sub: claims.sub,
    role: claims.role,
    ...(claims.institutionId ? { institution_id: claims.institutionId } : {}),
    iat,
    nbf: iat,
    exp: iat + (claims.ttlSeconds ?? 8 * 3600),
    jti: randomUUID(),
    ...claims.extra,
  };
  const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid: key.keyId })}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** `8h`, `30m`, `90s`, `2d` or a number of seconds; at most 30 days (a dev token is not a credential to keep). */
export function parseTtl(text: string): number | null {
  const m = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  const seconds =
    Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return seconds >= 1 && seconds <= 30 * 86_400 ? seconds : null;
}
