import { parseCalendarDate } from '../family-doctor/calendar-date';
import { DomainError } from '../shared/domain-error';

/** One year's arrangement as published: its days off and its make-up working days, each list in date order. */
export interface YearArrangement {
  readonly holidays: readonly string[];
  readonly workingWeekendDays: readonly string[];
  readonly source: string;
}

/**
 * Which local dates are working days (docs/holidays.md, "The rule"): Monday to Friday, except a published holiday;
 * plus the Saturdays and Sundays published as make-up working days. Only for the years the calendar covers: a date
 * in any other year cannot be answered, and asking is an error the operator has to see (CALENDAR_YEAR_NOT_COVERED),
 * since guessing from the weekday alone would move deadlines over Spring Festival or National Day by a week.
 */
export class WorkingCalendar {
  private readonly years: ReadonlyMap<
    number,
    { readonly holidays: ReadonlySet<string>; readonly working: ReadonlySet<string> }
  >;

  private constructor(
    readonly calendarId: string,
    arrangements: Readonly<Record<string, YearArrangement>>,
    /** Every year is Monday to Friday with no holidays: only for pure specs and tools without reference data. */
    private readonly everyYearMondayToFriday: boolean,
  ) {
    this.years = new Map(
      Object.entries(arrangements).map(([year, a]) => [
        Number(year),
        { holidays: new Set(a.holidays), working: new Set(a.workingWeekendDays) },
      ]),
    );
  }

  static of(calendarId: string, arrangements: Readonly<Record<string, YearArrangement>>): WorkingCalendar {
    return new WorkingCalendar(calendarId, arrangements, false);
  }

  /**
   * Weekdays only, in every year. Specs of other rules and tools that hold no reference data use it; the API never
   * does (its referral routes pass the calendar recorded in the event store).
   */
  static mondayToFriday(): WorkingCalendar {
    return new WorkingCalendar('monday-to-friday', {}, true);
  }

  /** The years covered, ascending (none for the Monday-to-Friday calendar, which covers all). */
  get yearsCovered(): number[] {
    return [...this.years.keys()].sort((a, b) => a - b);
  }

  covers(year: number): boolean {
    return this.everyYearMondayToFriday || this.years.has(year);
  }

  /** Whether `date` (YYYY-MM-DD, a local calendar date) is a working day. */
  isWorkingDay(date: string): boolean {
    const dayNumber = parseCalendarDate(date);
    if (dayNumber === null) throw new Error(`Not a calendar date: ${date}`);
    const weekend = isWeekendDay(dayNumber);
    if (this.everyYearMondayToFriday) return !weekend;
    const year = Number(date.slice(0, 4));
    const arrangement = this.years.get(year);
    if (!arrangement) {
      throw new DomainError(
        'CALENDAR_YEAR_NOT_COVERED',
        `The holiday calendar ${this.calendarId} has no arrangement for ${year}: load that year's holidays ` +
          '(docs/holidays.md) before counting working days in it.',
        { year, calendarId: this.calendarId },
      );
    }
    if (arrangement.holidays.has(date)) return false;
    return !weekend || arrangement.working.has(date);
  }
}

/** 1970-01-01 (day 0) was a Thursday. */
export function isWeekendDay(dayNumber: number): boolean {
  const weekday = (((dayNumber + 4) % 7) + 7) % 7;
  return weekday === 0 || weekday === 6;
}
