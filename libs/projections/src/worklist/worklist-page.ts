/**
 * Keyset paging for worklist sections (docs/worklists.md, "Paging"): a page continues after the sort key of the
 * last row served, so rows added or removed meanwhile neither repeat nor push others off a page. The cursor is
 * opaque to clients: base64url of the section and that key.
 */

export type SortKey = readonly (string | number)[];

/** A query the read model cannot answer: `message` says what is wrong with `field` (without naming it). */
export class WorklistQueryError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'WorklistQueryError';
  }
}

export interface Cursor {
  readonly section: string;
  readonly after: SortKey;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.section, ...cursor.after]), 'utf8').toString('base64url');
}

/** The cursor a client sent back, or a WorklistQueryError naming `cursor` (never a 500 on a forged one). */
export function decodeCursor(value: string, sections: readonly string[]): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length < 2 ||
    !sections.includes(parsed[0] as string) ||
    !parsed.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
  ) {
    throw new WorklistQueryError('cursor', 'must be a `next` value of an earlier answer');
  }
  const [section, ...after] = parsed as [string, ...(string | number)[]];
  return { section, after };
}

export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** Rows in key order, after the cursor's key, at most `limit` (none: all), with the cursor of the next page. */
export function page<R>(
  section: string,
  rows: readonly R[],
  key: (row: R) => SortKey,
  after: SortKey | undefined,
  limit: number | undefined,
): { rows: R[]; next: string | null } {
  const keyed = rows.map((row) => ({ row, key: key(row) })).sort((a, b) => compareKeys(a.key, b.key));
  const rest = after === undefined ? keyed : keyed.filter((r) => compareKeys(r.key, after) > 0);
  if (limit === undefined || rest.length <= limit) return { rows: rest.map((r) => r.row), next: null };
  const served = rest.slice(0, limit);
  return {
    rows: served.map((r) => r.row),
    next: encodeCursor({ section, after: served.at(-1)!.key }),
  };
}

/** Care-time instants sort as numbers; an unreadable one (NaN) sorts last rather than breaking the order. */
export const instant = (at: string | null): number => {
  const t = at === null ? Number.NaN : Date.parse(at);
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
};
