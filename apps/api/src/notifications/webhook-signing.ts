import { createHmac, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/*
 * Webhook signing (docs/notifications.md, "Signing"), after the Standard Webhooks convention: the receiver gets
 * `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed
 * with the endpoint's secret (`whsec_` + base64 of the key bytes). The secret is never stored: it is derived from a
 * server key kept beside the database, the endpoint's id and its secret version, so the log holds nothing that signs,
 * and a rotation (a new version) makes a new secret without writing one anywhere.
 */

export const WEBHOOK_KEY_FILE_NAME = 'webhook-signing.key';

export const webhookKeyFileFor = (databaseFile: string): string =>
  join(dirname(databaseFile), WEBHOOK_KEY_FILE_NAME);

/**
 * The server key in `file`, created (32 random bytes, mode 0600, exclusively: two processes may start at once) when
 * absent, as the development issuer's key is. A key others can read is refused: anyone reading it could sign.
 */
export function loadOrCreateWebhookKey(file: string): Buffer {
  try {
    return readWebhookKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true });
  // Written aside, then linked into place: a replica starting beside (WEBHOOK_SIGNING_KEY_FILE on a shared volume)
  // finds either no key or a whole one, never a file still being written.
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(aside);
  }
  return readWebhookKey(file);
}

function readWebhookKey(file: string): Buffer {
  const mode = statSync(file).mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error(
      `The webhook signing key (${file}) is readable by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 it`,
    );
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new Error(`The webhook signing key (${file}) must hold 32 bytes in base64`);
  return key;
}

/** The endpoint's secret as its owner is given it: `whsec_` and the base64 of the key bytes. */
export function endpointSecret(serverKey: Buffer, endpointId: string, secretVersion: number): string {
  const bytes = createHmac('sha256', serverKey).update(`${endpointId}.${secretVersion}`).digest();
  return `whsec_${bytes.toString('base64')}`;
}

/** `v1,<signature>` of one delivery, as the receiver recomputes it from the secret it was given. */
export function signDelivery(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
