/**
 * Calendar dates (`YYYY-MM-DD`) for contract terms and slot days. A contract runs from a date for whole months, and a
 * slot block is on a date, in the local calendar of the people involved; an instant would fix a time of day and an
 * offset that neither has. Days are counted from 1970-01-01 so that date arithmetic stays integer.
 */
import { daysIn } from '../shared/care-time';

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 24 * 60 * 60_000;

/** The day number of a calendar date, or null when `value` is not one (2026-02-29 is not). */
export function parseCalendarDate(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = CALENDAR_DATE.exec(value);
  if (!m) return null;
  const [year, month, day] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

export function formatCalendarDate(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/**
 * `date` plus whole months, clamped to the end of a shorter month: a one-year term from 2024-02-29 ends on
 * 2025-02-28, a one-month term from 01-31 on 02-28 (or 02-29).
 */
export function addMonths(date: string, months: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const mo = (index % 12) + 1;
  const d = Math.min(day, daysIn(y, mo));
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function addDays(date: string, days: number): string {
  return formatCalendarDate((parseCalendarDate(date) ?? Number.NaN) + days);
}

/**
 * The calendar date of a care time on the wall clock it was written in: `2026-03-01T23:30:00+08:00` is 1 March,
 * wherever the server runs. The care-time grammar (shared/care-time.ts) starts every value with that date.
 */
export function careDateOf(careTime: string): string {
  return careTime.slice(0, 10);
}
