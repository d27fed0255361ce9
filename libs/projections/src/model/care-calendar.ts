/**
 * Local calendar arithmetic for the census and for period grouping. Pure: the time zone is configuration
 * (default Asia/Shanghai, docs/analytics.md "Periods"), and Intl gives the offset of any instant deterministically.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/*
 * Intl's formatToParts costs microseconds, and a census asks for the offset of tens of thousands of instants over a
 * few hundred days. Offsets change only at zone transitions, and no IANA zone has two of them within one day
 * (the closest, around Ramadan, are weeks apart): when a UTC day starts and ends with the same offset, every
 * instant of it has that offset, so it is cached per day. A day holding a transition is computed exactly each time.
 */
const DAY_MS = 86_400_000;
const OFFSET_CACHE_LIMIT = 100_000;
const offsets = new Map<string, number>();

/** Offset of the zone from UTC at an instant, in ms. */
function offsetAt(epochMs: number, timeZone: string): number {
  const start = Math.floor(epochMs / DAY_MS) * DAY_MS;
  const key = `${timeZone}|${start}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  const atStart = exactOffsetAt(start, timeZone);
  if (exactOffsetAt(start + DAY_MS - 1, timeZone) !== atStart) return exactOffsetAt(epochMs, timeZone);
  if (offsets.size >= OFFSET_CACHE_LIMIT) offsets.clear();
  offsets.set(key, atStart);
  return atStart;
}

function exactOffsetAt(epochMs: number, timeZone: string): number {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(epochMs))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** The local calendar date (YYYY-MM-DD) of an instant. */
export function localDate(instant: string | number, timeZone: string): string {
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  return new Date(ms + offsetAt(ms, timeZone)).toISOString().slice(0, 10);
}

/** The instant of local 00:00 at the start of `date` (YYYY-MM-DD). */
export function startOfLocalDay(date: string, timeZone: string): number {
  const guess = Date.parse(`${date}T00:00:00Z`);
  const first = guess - offsetAt(guess, timeZone);
  // Second pass settles dates where the offset differs across the guess (zones with DST).
  return guess - offsetAt(first, timeZone);
}

/**
 * The first instant whose local date (`localDate`) is `date`: `startOfLocalDay`, except on a day whose 00:00 a clock
 * change skips, where that lands in the day before and the day truly starts at the turn found here.
 */
export function firstInstantOfLocalDay(date: string, timeZone: string): number {
  const start = startOfLocalDay(date, timeZone);
  if (localDate(start, timeZone) >= date && localDate(start - 1, timeZone) < date) return start;
  // Offsets move by at most a few hours: the turn lies within three of the guess (localDate(lo) < date <= hi's).
  let lo = start - 3 * 3_600_000;
  let hi = start + 3 * 3_600_000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(mid, timeZone) >= date) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The census instant of a day: 24:00 local, the start of the next local day (docs/analytics.md, "Midnight census"). */
export function midnightAfter(date: string, timeZone: string): number {
  return startOfLocalDay(addDays(date, 1), timeZone);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export function daysBetween(from: string, toExclusive: string): number {
  return Math.round((Date.parse(`${toExclusive}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export type PeriodUnit = 'day' | 'week' | 'month' | 'year';

/** Period key of a local date: 2026-03-01, 2026-W09 (ISO week), 2026-03, 2026. */
export function periodKey(date: string, unit: PeriodUnit): string {
  switch (unit) {
    case 'day':
      return date;
    case 'month':
      return date.slice(0, 7);
    case 'year':
      return date.slice(0, 4);
    case 'week': {
      const d = new Date(`${date}T00:00:00Z`);
      const weekday = (d.getUTCDay() + 6) % 7; // Monday = 0
      const thursday = new Date(d.getTime() + (3 - weekday) * 86_400_000);
      const year = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
      return `${year}-W${String(week).padStart(2, '0')}`;
    }
  }
}

/** First local date and the exclusive end date of the period holding `key`. */
export function periodRange(key: string, unit: PeriodUnit): { from: string; to: string } {
  switch (unit) {
    case 'day':
      return { from: key, to: addDays(key, 1) };
    case 'month': {
      const [y, m] = key.split('-').map(Number) as [number, number];
      const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
      return { from: `${key}-01`, to: `${next}-01` };
    }
    case 'year':
      return { from: `${key}-01-01`, to: `${Number(key) + 1}-01-01` };
    case 'week': {
      const [y, w] = key.split('-W').map(Number) as [number, number];
      const jan4 = new Date(Date.UTC(y, 0, 4));
      const monday = new Date(
        jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000 + (w - 1) * 7 * 86_400_000,
      );
      const from = monday.toISOString().slice(0, 10);
      return { from, to: addDays(from, 7) };
    }
  }
}

/** The period before `key`, for change-over-previous-period figures. */
export function previousPeriod(key: string, unit: PeriodUnit): string {
  return periodKey(addDays(periodRange(key, unit).from, -1), unit);
}
