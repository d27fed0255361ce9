import {
  addDays,
  daysBetween,
  periodKey,
  periodRange,
  previousPeriod,
  type PeriodUnit,
} from './care-calendar';

export const PERIOD_UNITS: readonly PeriodUnit[] = ['day', 'week', 'month', 'year'];

/** A reporting window of local dates [from, to), with the unit when it was named by a period key. */
export interface Period {
  readonly from: string;
  readonly to: string;
  readonly key: string | null;
  readonly unit: PeriodUnit | null;
}

export class PeriodError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'PeriodError';
  }
}

const KEY_FORMATS: readonly [PeriodUnit, RegExp][] = [
  ['day', /^\d{4}-\d{2}-\d{2}$/],
  ['week', /^\d{4}-W\d{2}$/],
  ['month', /^\d{4}-\d{2}$/],
  ['year', /^\d{4}$/],
];

const MAX_DAYS = 3 * 366;

/** `period` (2026, 2026-03, 2026-W09, 2026-03-01) or `from` + `to` (local dates, `to` exclusive). */
export function parsePeriod(input: { period?: string; from?: string; to?: string }): Period {
  if (input.period !== undefined) {
    if (input.from !== undefined || input.to !== undefined) {
      throw new PeriodError('period', 'give either period or from/to, not both');
    }
    const match = KEY_FORMATS.find(([, re]) => re.test(input.period!));
    if (!match)
      throw new PeriodError(
        'period',
        'must be a year (2026), month (2026-03), ISO week (2026-W09) or day (2026-03-01)',
      );
    const [unit] = match;
    const notReal = new PeriodError('period', `${input.period} is not a real ${unit}`);
    if (!plausibleYear(input.period)) throw yearOutOfRange('period');
    // Checked before any date arithmetic: a month 13 or a day 00 would otherwise make an invalid Date.
    const part = Number(input.period.slice(unit === 'week' ? 6 : 5, unit === 'week' ? 8 : 7));
    if (unit === 'day' && !validDate(input.period)) throw notReal;
    if (unit === 'month' && (part < 1 || part > 12)) throw notReal;
    if (unit === 'week' && (part < 1 || part > 53)) throw notReal;
    const range = periodRange(input.period, unit);
    if (!validDate(range.from) || periodKey(range.from, unit) !== input.period) throw notReal;
    return { ...range, key: input.period, unit };
  }
  if (input.from === undefined || input.to === undefined) {
    throw new PeriodError(input.from === undefined ? 'from' : 'to', 'is required (or give period)');
  }
  if (!validDate(input.from)) throw new PeriodError('from', 'must be a date YYYY-MM-DD');
  if (!validDate(input.to)) throw new PeriodError('to', 'must be a date YYYY-MM-DD');
  if (!plausibleYear(input.from)) throw yearOutOfRange('from');
  if (!plausibleYear(input.to)) throw yearOutOfRange('to');
  const days = daysBetween(input.from, input.to);
  if (days <= 0) throw new PeriodError('to', 'must be after from');
  if (days > MAX_DAYS) throw new PeriodError('to', `a window spans at most ${MAX_DAYS} days`);
  return { from: input.from, to: input.to, key: null, unit: null };
}

/** The window just before: the previous period of the same unit, or the same number of days before. */
export function previousWindow(period: Period): Period {
  if (period.key !== null && period.unit !== null) {
    const key = previousPeriod(period.key, period.unit);
    return { ...periodRange(key, period.unit), key, unit: period.unit };
  }
  const days = daysBetween(period.from, period.to);
  return { from: addDays(period.from, -days), to: period.from, key: null, unit: null };
}

/**
 * Reporting windows lie between 1900 and 2999: outside it no care was recorded, and the calendar arithmetic of a
 * year such as 0000 or 9999 leaves the range a Date can hold (docs/robustness.md, "One timestamp grammar").
 */
function plausibleYear(key: string): boolean {
  const year = Number(key.slice(0, 4));
  return year >= 1900 && year <= 2999;
}

const yearOutOfRange = (field: string) => new PeriodError(field, 'must fall between the years 1900 and 2999');

function validDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === date;
}

/** Growth in percent over the previous value, 2 decimals; null without a base. */
export function growth(current: number, previous: number): number | null {
  return previous > 0 ? Math.round(((current - previous) / previous) * 10_000) / 100 : null;
}
