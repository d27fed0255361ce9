import { WorkingCalendar } from '../calendar/working-calendar';
import type { DeadlinePolicy } from './journey.commands';
import { computeDeadline, DEFAULT_DEADLINE_POLICY } from './referral-deadline';

// Defaults from docs/domain.md ("Referral workflow states"): green channel 2 h, urgent 24 h, routine 2 working days.
describe('referral deadlines', () => {
  it('gives the green channel 2 hours and urgent referrals 24 hours, in UTC+8', () => {
    expect(computeDeadline('2026-03-06T23:30:00+08:00', 'green-channel', DEFAULT_DEADLINE_POLICY)).toBe(
      '2026-03-07T01:30:00+08:00',
    );
    expect(computeDeadline('2026-03-06T01:00:00Z', 'urgent', DEFAULT_DEADLINE_POLICY)).toBe(
      '2026-03-07T09:00:00+08:00',
    );
  });

  it('counts routine deadlines in working days, skipping the weekend', () => {
    // Monday 2 March 2026 → Wednesday; Friday 6 March → Tuesday 10 March; Saturday 7 March → Tuesday 10 March.
    expect(computeDeadline('2026-03-02T10:00:00+08:00', 'routine', DEFAULT_DEADLINE_POLICY)).toBe(
      '2026-03-04T10:00:00+08:00',
    );
    expect(computeDeadline('2026-03-06T16:00:00+08:00', 'routine', DEFAULT_DEADLINE_POLICY)).toBe(
      '2026-03-10T16:00:00+08:00',
    );
    expect(computeDeadline('2026-03-07T09:00:00+08:00', 'routine', DEFAULT_DEADLINE_POLICY)).toBe(
      '2026-03-10T09:00:00+08:00',
    );
  });

  it('decides the weekday in the care offset, not in UTC', () => {
    // Friday 23:30 in Beijing (15:30 UTC) is due Tuesday 23:30. Saturday 00:30 in Beijing is still Friday 16:30 in
    // UTC: counted in UTC it would be due on Wednesday 00:30 local; counted in Beijing it is due on Tuesday 00:30.
    expect(computeDeadline('2026-03-06T15:30:00Z', 'routine', DEFAULT_DEADLINE_POLICY)).toBe(
      '2026-03-10T23:30:00+08:00',
    );
    expect(computeDeadline('2026-03-06T16:30:00Z', 'routine', DEFAULT_DEADLINE_POLICY)).toBe(
      '2026-03-10T00:30:00+08:00',
    );
  });

  it('follows a configured policy', () => {
    const policy = {
      greenChannelMinutes: 30,
      urgentMinutes: 8 * 60,
      routineWorkingDays: 5,
      utcOffsetMinutes: 0,
      calendar: WorkingCalendar.mondayToFriday(),
    };
    expect(computeDeadline('2026-03-02T10:00:00Z', 'green-channel', policy)).toBe(
      '2026-03-02T10:30:00+00:00',
    );
    expect(computeDeadline('2026-03-02T10:00:00Z', 'urgent', policy)).toBe('2026-03-02T18:00:00+00:00');
    expect(computeDeadline('2026-03-02T10:00:00Z', 'routine', policy)).toBe('2026-03-09T10:00:00+00:00');
  });

  describe('with the holiday calendar (docs/holidays.md)', () => {
    const days = (from: string, to: string): string[] => {
      const out: string[] = [];
      for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += 86_400_000) {
        out.push(new Date(d).toISOString().slice(0, 10));
      }
      return out;
    };
    // Excerpts of the State Council's arrangements for 2025 and 2026 (reference-data/holiday-calendars/CN.json).
    const calendar = WorkingCalendar.of('CN', {
      '2025': {
        holidays: [...days('2025-01-28', '2025-02-04'), ...days('2025-10-01', '2025-10-08')],
        workingWeekendDays: ['2025-01-26', '2025-02-08', '2025-09-28', '2025-10-11'],
        source: 'notice 2025',
      },
      '2026': {
        holidays: [...days('2026-01-01', '2026-01-03'), ...days('2026-02-15', '2026-02-23')],
        workingWeekendDays: ['2026-01-04', '2026-02-14', '2026-02-28'],
        source: 'notice 2026',
      },
    });
    const policy: DeadlinePolicy = { ...DEFAULT_DEADLINE_POLICY, calendar };

    it('skips Spring Festival 2026: a request on New Year’s Eve is due two working days after the break', () => {
      // Monday 16 February (除夕) is a holiday, as is everything up to Monday 23: Tuesday 24 and Wednesday 25 count.
      expect(computeDeadline('2026-02-16T10:00:00+08:00', 'routine', policy)).toBe(
        '2026-02-25T10:00:00+08:00',
      );
      // The weekday rule alone would have said Wednesday 18, in the middle of the holiday.
      expect(computeDeadline('2026-02-16T10:00:00+08:00', 'routine', DEFAULT_DEADLINE_POLICY)).toBe(
        '2026-02-18T10:00:00+08:00',
      );
    });

    it('counts a make-up Saturday as a working day', () => {
      // Friday 13 February: Saturday 14 is worked (调休), then nine days off, then Tuesday 24.
      expect(computeDeadline('2026-02-13T16:00:00+08:00', 'routine', policy)).toBe(
        '2026-02-24T16:00:00+08:00',
      );
      // Friday 27 February: Saturday 28 is worked, so Monday 2 March is the second working day, not Tuesday.
      expect(computeDeadline('2026-02-27T09:00:00+08:00', 'routine', policy)).toBe(
        '2026-03-02T09:00:00+08:00',
      );
    });

    it('crosses the year boundary using both years’ arrangements', () => {
      // Wednesday 31 December 2025: 1 to 3 January are off, Sunday 4 January is worked, then Monday 5.
      expect(computeDeadline('2025-12-31T11:00:00+08:00', 'routine', policy)).toBe(
        '2026-01-05T11:00:00+08:00',
      );
    });

    it('refuses a routine deadline that needs a year the calendar does not cover', () => {
      // Wednesday 30 December 2026: Thursday 31 counts, Friday 1 January 2027 cannot be told.
      expect(() => computeDeadline('2026-12-30T10:00:00+08:00', 'routine', policy)).toThrow(
        expect.objectContaining({
          code: 'CALENDAR_YEAR_NOT_COVERED',
          details: { year: 2027, calendarId: 'CN' },
        }),
      );
      // The hour-counted priorities do not need the calendar.
      expect(computeDeadline('2027-01-01T10:00:00+08:00', 'urgent', policy)).toBe(
        '2027-01-02T10:00:00+08:00',
      );
    });
  });
});
