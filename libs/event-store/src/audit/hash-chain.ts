import { createHash } from 'node:crypto';

/*
 * Tamper evidence (issue 5): every event carries two SHA-256 links, computed inside the append transaction:
 *   stream hash = SHA-256(previous hash in its stream ‖ canonical envelope)
 *   global hash = SHA-256(previous hash in the log ‖ canonical envelope)
 * The canonical envelope is JSON with sorted keys of id, stream, revision, position, type, schema version, data
 * and metadata, so any change to a stored byte that matters, a deleted row or a reordering breaks a link.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedEnvelope {
  readonly id: string;
  readonly streamId: string;
  readonly revision: bigint;
  /** Null where the store assigns positions after the write (EventStoreDB): the stream chain leaves them out. */
  readonly position: bigint | null;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: unknown;
}

/** JSON with object keys sorted at every level; bigints as decimal strings. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function envelopeBytes(e: ChainedEnvelope): string {
  return canonicalJson({
    id: e.id,
    streamId: e.streamId,
    revision: e.revision,
    position: e.position,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata,
  });
}

export function chainHash(previous: string, canonical: string): string {
  return createHash('sha256').update(previous).update(canonical).digest('hex');
}

export type ChainVerification =
  | { readonly ok: true; readonly checked: number; readonly headPosition: string; readonly headHash: string }
  | {
      readonly ok: false;
      readonly checked: number;
      readonly position: string;
      readonly streamId: string | null;
      readonly problem:
        'position-gap' | 'revision-gap' | 'stream-hash-mismatch' | 'global-hash-mismatch' | 'unreadable';
      readonly detail: string;
    };
