import { formatCalendarDate, parseCalendarDate } from '../family-doctor/calendar-date';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { RecordedDomainEvent } from '../shared/event';
import type { HolidayCalendarCommand } from './holiday-calendar.commands';
import {
  HOLIDAY_CALENDAR_EVENT_TYPES,
  type HolidayCalendarEvent,
  type HolidayCalendarYearPublished,
} from './holiday-calendar.events';
import { isWeekendDay, WorkingCalendar, type YearArrangement } from './working-calendar';

/*
 * A holiday calendar's stream (docs/holidays.md): each year as last published. The arrangement is reference data
 * the State Council announces, not something CarePath decides, so the decider only checks that a publication can
 * be true of a calendar (its dates in its year, a make-up working day on a weekend, no day both off and on).
 */

export interface HolidayCalendarState {
  readonly calendarId: string | null;
  /** By year (as a string key, plain JSON): the arrangement last published for it. */
  readonly years: Readonly<Record<string, YearArrangement>>;
}

export const initialHolidayCalendarState = (): HolidayCalendarState => ({ calendarId: null, years: {} });

const CALENDAR_ID = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
/** Care times before 2000 are typing errors (docs/robustness.md); two centuries ahead is far enough. */
const FIRST_YEAR = 2000;
const LAST_YEAR = 2199;
/** No arrangement has had more than about 30 days off or a dozen make-up days: more is a data-entry error. */
const MAX_DAYS = 100;

const invalid = (message: string, details: Record<string, string | number> = {}) =>
  new DomainError('CALENDAR_INVALID', message, details);

function datesOfYear(field: string, year: number, values: unknown): string[] {
  if (!Array.isArray(values) || values.length > MAX_DAYS) {
    throw invalid(`${field} must be a list of at most ${MAX_DAYS} dates.`, { field });
  }
  const days = values.map((value, i) => {
    const day = parseCalendarDate(value);
    if (day === null || Number((value as string).slice(0, 4)) !== year) {
      throw invalid(`${field}.${i} must be a calendar date YYYY-MM-DD in ${year}.`, {
        field: `${field}.${i}`,
      });
    }
    return day;
  });
  const sorted = [...days].sort((a, b) => a - b);
  const repeated = sorted.find((d, i) => i > 0 && sorted[i - 1] === d);
  if (repeated !== undefined) {
    throw invalid(`${field} lists ${formatCalendarDate(repeated)} twice.`, { field });
  }
  return sorted.map(formatCalendarDate);
}

export function decideHolidayCalendar(
  command: HolidayCalendarCommand,
  state: HolidayCalendarState,
): HolidayCalendarEvent[] {
  const d = command.data;
  if (typeof d.calendarId !== 'string' || !CALENDAR_ID.test(d.calendarId)) {
    throw invalid('calendarId is a short code such as CN.', { field: 'calendarId' });
  }
  if (state.calendarId !== null && state.calendarId !== d.calendarId) {
    throw new DomainError('CALENDAR_ID_MISMATCH', 'This stream holds another calendar.', {
      calendarId: state.calendarId,
    });
  }
  if (!Number.isInteger(d.year) || d.year < FIRST_YEAR || d.year > LAST_YEAR) {
    throw invalid(`year must be a whole year from ${FIRST_YEAR} to ${LAST_YEAR}.`, { field: 'year' });
  }
  const holidays = datesOfYear('holidays', d.year, d.holidays);
  const workingWeekendDays = datesOfYear('workingWeekendDays', d.year, d.workingWeekendDays);
  // Monday to Friday already work: a make-up working day (调休上班) is always a Saturday or a Sunday.
  const weekday = workingWeekendDays.find((date) => !isWeekendDay(parseCalendarDate(date)!));
  if (weekday !== undefined) {
    throw invalid(`${weekday} is a weekday, so it cannot be a make-up working day.`, {
      field: 'workingWeekendDays',
    });
  }
  const both = holidays.find((date) => workingWeekendDays.includes(date));
  if (both !== undefined) {
    throw invalid(`${both} cannot be both a holiday and a working day.`, { field: 'workingWeekendDays' });
  }
  if (typeof d.source !== 'string' || d.source.trim().length === 0 || d.source.length > 200) {
    throw invalid('source names the published notice (1 to 200 characters).', { field: 'source' });
  }
  return [
    {
      type: 'HolidayCalendarYearPublished',
      data: { calendarId: d.calendarId, year: d.year, holidays, workingWeekendDays, source: d.source },
    },
  ];
}

export function evolveHolidayCalendar(
  state: HolidayCalendarState,
  event: RecordedDomainEvent<HolidayCalendarEvent>,
): HolidayCalendarState {
  const { calendarId, year, holidays, workingWeekendDays, source } = event.data;
  // A later publication of a year replaces it whole: the State Council reissues a year, it does not patch days.
  return {
    calendarId,
    years: { ...state.years, [String(year)]: { holidays, workingWeekendDays, source } },
  };
}

/** Whether `year` is recorded with exactly this arrangement (publishing it again would change nothing). */
export function holdsArrangement(
  state: HolidayCalendarState,
  year: number,
  arrangement: Pick<HolidayCalendarYearPublished['data'], 'holidays' | 'workingWeekendDays' | 'source'>,
): boolean {
  const held = state.years[String(year)];
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && [...b].sort().every((date, i) => a[i] === date);
  return (
    held !== undefined &&
    held.source === arrangement.source &&
    same(held.holidays, arrangement.holidays) &&
    same(held.workingWeekendDays, arrangement.workingWeekendDays)
  );
}

/** The working days the calendar's stream defines (an empty stream covers no year). */
export function workingCalendarOf(calendarId: string, state: HolidayCalendarState): WorkingCalendar {
  return WorkingCalendar.of(calendarId, state.years);
}

/** A holiday calendar's stream, as the write path and every reader fold it. */
export const holidayCalendarDecider: Decider<
  HolidayCalendarCommand,
  HolidayCalendarEvent,
  HolidayCalendarState
> = {
  initialState: initialHolidayCalendarState,
  decide: decideHolidayCalendar,
  evolve: evolveHolidayCalendar,
  eventTypes: HOLIDAY_CALENDAR_EVENT_TYPES,
};
