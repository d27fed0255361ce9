import { readFileSync } from 'node:fs';

/** One year of a holiday-calendar file, as the State Council's notice gives it (docs/holidays.md). */
export interface HolidayCalendarFileYear {
  readonly year: number;
  readonly holidays: readonly string[];
  readonly workingWeekendDays: readonly string[];
  readonly source: string;
}

/**
 * A holiday-calendar file (reference-data/holiday-calendars/CN.json): the years shipped with a release, or a year an
 * operator loads with `calendar load`. Only the shape is checked here; whether the dates can be true of the year is
 * the decider's rule, so a file and the PUT route are refused for the same reasons.
 */
export interface HolidayCalendarFile {
  readonly calendarId: string;
  readonly years: readonly HolidayCalendarFileYear[];
}

export function parseHolidayCalendarFile(text: string, name: string): HolidayCalendarFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${name} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const bad = (field: string, expected: string) => new Error(`${name}: ${field} must be ${expected}`);
  if (typeof parsed !== 'object' || parsed === null) throw bad('the file', 'an object');
  const file = parsed as Record<string, unknown>;
  if (typeof file.calendarId !== 'string') throw bad('calendarId', 'a string');
  if (!Array.isArray(file.years)) throw bad('years', 'a list');
  const years = file.years.map((entry: unknown, i): HolidayCalendarFileYear => {
    const y = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof y.year !== 'number') throw bad(`years.${i}.year`, 'a number');
    for (const list of ['holidays', 'workingWeekendDays'] as const) {
      const value = y[list];
      if (!Array.isArray(value) || value.some((d) => typeof d !== 'string')) {
        throw bad(`years.${i}.${list}`, 'a list of dates');
      }
    }
    if (typeof y.source !== 'string') throw bad(`years.${i}.source`, 'a string');
    return {
      year: y.year,
      holidays: y.holidays as string[],
      workingWeekendDays: y.workingWeekendDays as string[],
      source: y.source,
    };
  });
  return { calendarId: file.calendarId, years };
}

export function readHolidayCalendarFile(path: string): HolidayCalendarFile {
  return parseHolidayCalendarFile(readFileSync(path, 'utf8'), path);
}
