import type { CommandMetadata } from '../shared/event';
import type { PublishHolidayCalendarYear } from './holiday-calendar.commands';
import {
  decideHolidayCalendar,
  evolveHolidayCalendar,
  holdsArrangement,
  type HolidayCalendarState,
  initialHolidayCalendarState,
  workingCalendarOf,
} from './holiday-calendar.decider';
import type { HolidayCalendarYearPublished } from './holiday-calendar.events';

const metadata: CommandMetadata = {
  occurredAt: '2025-11-04T09:00:00+08:00',
  recordedAt: '2025-11-04T01:00:01Z',
  actorId: 'ops-1',
  actorRole: 'admin',
  institutionId: 'HOSP-1',
  correlationId: 'c-1',
  causationId: 'r-1',
};

const year2026: PublishHolidayCalendarYear['data'] = {
  calendarId: 'CN',
  year: 2026,
  holidays: ['2026-02-16', '2026-02-15', '2026-01-01'],
  workingWeekendDays: ['2026-02-28', '2026-02-14'],
  source: 'State Council notice on the 2026 holidays',
};

const when = (data: Partial<PublishHolidayCalendarYear['data']>, state = initialHolidayCalendarState()) =>
  decideHolidayCalendar(
    { type: 'PublishHolidayCalendarYear', data: { ...year2026, ...data }, metadata },
    state,
  );

const given = (...events: HolidayCalendarYearPublished[]): HolidayCalendarState =>
  events.reduce(
    (state, event, i) => evolveHolidayCalendar(state, { ...event, id: `e-${i}`, metadata }),
    initialHolidayCalendarState(),
  );

const refusal = (code: string, field?: string) =>
  expect.objectContaining({ code, ...(field ? { details: expect.objectContaining({ field }) } : {}) });

describe('holiday calendar decider', () => {
  it('records a year with its days in date order', () => {
    expect(when({})).toEqual([
      {
        type: 'HolidayCalendarYearPublished',
        data: {
          ...year2026,
          holidays: ['2026-01-01', '2026-02-15', '2026-02-16'],
          workingWeekendDays: ['2026-02-14', '2026-02-28'],
        },
      },
    ]);
  });

  it('refuses a date outside the year, a date twice, or something that is not a date', () => {
    expect(() => when({ holidays: ['2027-01-01'] })).toThrow(refusal('CALENDAR_INVALID', 'holidays.0'));
    expect(() => when({ holidays: ['2026-02-30'] })).toThrow(refusal('CALENDAR_INVALID', 'holidays.0'));
    expect(() => when({ holidays: ['2026-01-01', '2026-01-01'] })).toThrow(
      refusal('CALENDAR_INVALID', 'holidays'),
    );
    expect(() => when({ workingWeekendDays: ['2025-12-27'] })).toThrow(
      refusal('CALENDAR_INVALID', 'workingWeekendDays.0'),
    );
  });

  it('refuses a day that is both a holiday and a working day, and a make-up working day on a weekday', () => {
    expect(() => when({ holidays: ['2026-02-14'] })).toThrow(
      refusal('CALENDAR_INVALID', 'workingWeekendDays'),
    );
    // Monday 2 March is a working day already.
    expect(() => when({ workingWeekendDays: ['2026-03-02'] })).toThrow(
      refusal('CALENDAR_INVALID', 'workingWeekendDays'),
    );
  });

  it('refuses a bad calendar id, year or source', () => {
    expect(() => when({ calendarId: 'C N' })).toThrow(refusal('CALENDAR_INVALID', 'calendarId'));
    expect(() => when({ year: 1999, holidays: [], workingWeekendDays: [] })).toThrow(
      refusal('CALENDAR_INVALID', 'year'),
    );
    expect(() => when({ year: 2026.5 })).toThrow(refusal('CALENDAR_INVALID', 'year'));
    expect(() => when({ source: ' ' })).toThrow(refusal('CALENDAR_INVALID', 'source'));
  });

  it('keeps one calendar per stream', () => {
    const [published] = when({});
    expect(() => when({ calendarId: 'HK' }, given(published!))).toThrow(refusal('CALENDAR_ID_MISMATCH'));
  });

  it('replaces a year with its later publication and tells when a publication would change nothing', () => {
    const [first] = when({});
    const [second] = when({ holidays: ['2026-01-01'], workingWeekendDays: [] });
    const state = given(first!, second!);
    expect(state.years['2026']?.holidays).toEqual(['2026-01-01']);
    expect(workingCalendarOf('CN', state).isWorkingDay('2026-02-16')).toBe(true);
    expect(holdsArrangement(state, 2026, second!.data)).toBe(true);
    expect(holdsArrangement(state, 2026, first!.data)).toBe(false);
    expect(holdsArrangement(state, 2025, second!.data)).toBe(false);
  });
});
