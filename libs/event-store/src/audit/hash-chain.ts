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

/**
 * JSON with object keys sorted at every level (by UTF-16 code units, as `<` compares strings); keys whose value is
 * undefined left out; bigints as decimal strings. Every append hashes its events through this, so it builds the
 * string in plain loops, without the arrays of entries a map/filter/join version allocates per object.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    let out = '{';
    for (const key of Object.keys(object).sort()) {
      const v = object[key];
      if (v === undefined) continue;
      out += (out.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(v);
    }
    return `${out}}`;
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
