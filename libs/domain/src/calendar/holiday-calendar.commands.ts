import type { CommandMetadata } from '../shared/event';

/** Records a year's published arrangement (docs/holidays.md); the decider checks the dates. */
export type PublishHolidayCalendarYear = Readonly<{
  type: 'PublishHolidayCalendarYear';
  data: Readonly<{
    calendarId: string;
    year: number;
    holidays: readonly string[];
    workingWeekendDays: readonly string[];
    source: string;
  }>;
  metadata: CommandMetadata;
}>;

export type HolidayCalendarCommand = PublishHolidayCalendarYear;
