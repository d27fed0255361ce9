import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/*
 * What a shared session store may hold (docs/console.md, "Sign-in"): rows keyed by a hash of the cookie's id, their
 * secrets (the access token, the CSRF token) sealed with a key derived from that id alone. The id exists only in the
 * person's cookie, so a copy of the database, a backup or a replica's log names no session and opens none.
 */

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A fixed salt: the id is already 256 random bits, HKDF only has to spread it into a key of its own purpose. */
const SALT = Buffer.from('carepath-console-session');

/** The row key of a session id: what the store looks rows up by (a hash, so the key opens nothing). */
export const sessionKey = (id: string): string => createHash('sha256').update(id).digest('base64url');

/**
 * The AES-256-GCM key for what `id` seals under `purpose` (HKDF-SHA256): another purpose, another key, and none of
 * them is the row key.
 */
function sealingKey(id: string, purpose: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', Buffer.from(id), SALT, `carepath console ${purpose} v${VERSION}`, 32),
  );
}

/**
 * `plaintext` encrypted for whoever holds `id`. `context` (the row's key and the times it is judged by) is
 * authenticated with it, so a row whose expiry was moved in the database no longer opens.
 */
export function seal(id: string, purpose: string, plaintext: string, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(id, purpose), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** What `seal` sealed, or null when `id`, `purpose` or `context` differ, or the bytes were changed. */
export function unseal(id: string, purpose: string, sealed: Buffer, context: string): string | null {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) return null;
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(id, purpose), iv);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return null;
  }
}
