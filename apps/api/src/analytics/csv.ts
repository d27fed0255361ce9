import type { HeaderReply } from '../common/write-response';

/** Flattens nested objects to dotted columns: { figures: { rate: 1 } } → figures.rate. */
function flatten(value: unknown, prefix: string, out: Record<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = Array.isArray(value) ? value.join(' ') : value;
  }
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : JSON.stringify(value);
  // RFC 4180 quoting; a leading =,+,-,@ is prefixed so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(rows: readonly unknown[]): string {
  const flat = rows.map((row) => {
    const out: Record<string, unknown> = {};
    flatten(row, '', out);
    return out;
  });
  const columns: string[] = [];
  for (const row of flat) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const lines = [columns.join(','), ...flat.map((row) => columns.map((c) => cell(row[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

function wantsCsv(accept: string | undefined, format: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  return (accept ?? '').includes('text/csv');
}

/** JSON `{ ...meta, rows }`, or the rows as CSV when asked for (`format=csv` or `Accept: text/csv`). */
export function respond(
  accept: string | undefined,
  reply: HeaderReply,
  format: string | undefined,
  meta: Record<string, unknown>,
  rows: readonly unknown[],
): string | Record<string, unknown> {
  if (!wantsCsv(accept, format)) return { ...meta, rows };
  reply.header('Content-Type', 'text/csv; charset=utf-8');
  return toCsv(rows);
}
