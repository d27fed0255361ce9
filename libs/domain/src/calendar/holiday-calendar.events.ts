import type { DomainEvent } from '../shared/event';

/*
 * A country's statutory holidays and make-up working days (调休) as reference data (docs/holidays.md). The State
 * Council publishes each year's arrangement in the year before; the stream `holiday-calendar-<calendarId>` holds
 * every publication, and a later publication of a year replaces the earlier one for that year.
 */

export type HolidayCalendarYearPublished = DomainEvent<
  'HolidayCalendarYearPublished',
  {
    calendarId: string;
    year: number;
    /** Days off, as calendar dates of that year (YYYY-MM-DD), in order; weekend days inside a holiday may be listed. */
    holidays: readonly string[];
    /** Saturdays and Sundays that are working days by the arrangement (调休上班), in order. */
    workingWeekendDays: readonly string[];
    /** Where the arrangement comes from (the notice's number), for the reader of an audit. */
    source: string;
  }
>;

export type HolidayCalendarEvent = HolidayCalendarYearPublished;

export const HOLIDAY_CALENDAR_EVENT_TYPES: readonly HolidayCalendarEvent['type'][] = [
  'HolidayCalendarYearPublished',
];

/** The calendar mainland China's working days follow; a deployment elsewhere names its own. */
export const DEFAULT_CALENDAR_ID = 'CN';

export const holidayCalendarStreamId = (calendarId: string): string => `holiday-calendar-${calendarId}`;
