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
 * JSON with object keys sorted at every level (by UTF-16 code units, as `<` compares strings); bigints as decimal
 * strings; otherwise what `JSON.stringify` would store, read back: keys whose value is undefined (or a function)
 * left out, `toJSON` applied. The store hashes an event as a verifier reads it back from its stored JSON, and this
 * gives that without writing and parsing the event again on every append: a tree of plain objects, arrays and
 * primitives is encoded as it is (a parsed tree always is one), anything else goes through JSON once.
 * It builds the string in plain loops, without the arrays of entries a map/filter/join version allocates per object.
 */
export function canonicalJson(value: unknown): string {
  return plainJson(value) ?? plainJson(JSON.parse(JSON.stringify(value, bigintsAsText) ?? 'null'))!;
}

const bigintsAsText = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

/** The canonical JSON of a tree of plain values; null if it holds anything JSON.stringify would change or drop. */
function plainJson(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object':
      break;
    default:
      return null;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item = plainJson(value[i]);
      if (item === null) return null;
      out += (i === 0 ? '' : ',') + item;
    }
    return `${out}]`;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return null;
  const object = value as Record<string, unknown>;
  if (typeof object.toJSON === 'function') return null;
  let out = '{';
  for (const key of sortedKeys(object)) {
    const v = object[key];
    if (v === undefined) continue;
    const item = plainJson(v);
    if (item === null) return null;
    out += (out.length === 1 ? '' : ',') + quoted(key) + ':' + item;
  }
  return `${out}}`;
}

/**
 * An object's keys in the order `Array.prototype.sort` gives them (UTF-16 code units). Every append encodes a dozen
 * small objects; sort's working storage for each was 6% of everything the request thread allocated under load (a
 * sampled allocation profile), so a handful of keys is sorted in place by insertion instead.
 */
function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

/** Keys as JSON strings, each quoted once: the same few dozen name the fields of every event. Bounded, since data
 * may also be keyed by ids. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_KEPT = 1_000;

function quoted(key: string): string {
  let json = quotedKeys.get(key);
  if (json === undefined) {
    json = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS_KEPT) quotedKeys.set(key, json);
  }
  return json;
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
