import { createHash } from 'node:crypto';

/*
 * Idempotency lives in the stream itself (docs/architecture.md, "Idempotency"): the key and a hash of the
 * request ride in the metadata of the events a command appended, and those events' ids are derived from them.
 * A retry finds its answer where its first write is, so a replay is exactly as durable and atomic as the write.
 */

/** Canonical JSON (sorted keys) so the same body in another key order is the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What identifies "the same request" for a replay: the route's own inputs (ids in the path and the body). */
export function hashRequest(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/** A UUID-shaped id derived from its parts (RFC 4122 v5-style layout over SHA-256), stable across retries. */
export function deriveId(...parts: readonly string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
