import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { canonicalJson } from './hash-chain';

/**
 * A signed statement "the log's head was this hash at this position", exported so that it can be checked later
 * from outside the database: a rewrite of history that recomputes every hash still cannot match a checkpoint
 * signed before it. Ed25519, keys in PEM (issue 5).
 */
export interface SignedCheckpoint {
  readonly position: string;
  readonly hash: string;
  readonly count: number;
  readonly signedAt: string;
  readonly keyId: string;
  readonly signature: string;
}

type Payload = Omit<SignedCheckpoint, 'signature'>;

export function signCheckpoint(payload: Payload, privateKeyPem: string): SignedCheckpoint {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error('The audit signing key must be an Ed25519 private key');
  const signature = sign(null, Buffer.from(canonicalJson(payload)), key).toString('base64');
  return { ...payload, signature };
}

export function checkpointSignatureValid(checkpoint: SignedCheckpoint, publicKeyPem: string): boolean {
  const { signature, ...payload } = checkpoint;
  const key = createPublicKey(publicKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('The audit public key must be an Ed25519 key');
  return verify(null, Buffer.from(canonicalJson(payload)), key, Buffer.from(signature, 'base64'));
}
