/**
 * The one grammar for care times (docs/robustness.md, "One timestamp grammar"): an RFC 3339 date-time with an
 * explicit offset, `YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|+HH:MM|-HH:MM)`. ISO 8601 allows much more (week dates,
 * ordinal dates, the basic format, a comma before the fraction) that `Date.parse` cannot read, and a bare local time
 * is ambiguous across systems. Only strings that pass here reach the domain.
 */
const CARE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

export const daysIn = (year: number, month: number): number =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/**
 * Care times read lately, with what they read as. A decision on a journey puts its facts in care order, reading the
 * same few times again at every comparison and on every command: at saturation, reading them was near the top of a
 * profile of the request thread under `POST /journeys/:id/visits` (docs/benchmarks.md, "HTTP commands"). A value and what it reads
 * as never change, so the memo changes no answer; it is emptied when full. Only strings as long as a care time can
 * be are kept.
 */
const readLately = new Map<string, number | null>();
const READ_LATELY_KEPT = 8_192;
const LONGEST_CARE_TIME = 35;

/** The instant in epoch milliseconds, or null when `value` is not a care time by the grammar above. */
export function parseCareTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const known = readLately.get(value);
  if (known !== undefined) return known;
  const ms = readCareTime(value);
  if (value.length <= LONGEST_CARE_TIME) {
    if (readLately.size >= READ_LATELY_KEPT) readLately.clear();
    readLately.set(value, ms);
  }
  return ms;
}

function readCareTime(value: string): number | null {
  const m = CARE_TIME.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  const offsetHours = m[9] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[10] === undefined ? 0 : Number(m[10]);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const sign = m[8] === '-' ? -1 : 1;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return local - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/** A care time that has already passed the grammar, such as one read back from the log; NaN when it did not. */
export function careTimeMs(value: string): number {
  return parseCareTime(value) ?? Number.NaN;
}
