import { WorkingCalendar } from './working-calendar';

const cn2026 = WorkingCalendar.of('CN', {
  '2026': {
    holidays: ['2026-02-16', '2026-02-17'],
    workingWeekendDays: ['2026-02-14'],
    source: 'notice',
  },
});

describe('working calendar', () => {
  it('works Monday to Friday, except holidays, and on make-up weekend days', () => {
    expect(cn2026.isWorkingDay('2026-02-13')).toBe(true); // Friday
    expect(cn2026.isWorkingDay('2026-02-14')).toBe(true); // Saturday, 调休上班
    expect(cn2026.isWorkingDay('2026-02-15')).toBe(false); // Sunday
    expect(cn2026.isWorkingDay('2026-02-16')).toBe(false); // Monday, holiday
    expect(cn2026.isWorkingDay('2026-02-21')).toBe(false); // an ordinary Saturday
  });

  it('answers only for the years it covers', () => {
    expect(cn2026.yearsCovered).toEqual([2026]);
    expect(cn2026.covers(2027)).toBe(false);
    expect(() => cn2026.isWorkingDay('2027-01-04')).toThrow(
      expect.objectContaining({
        code: 'CALENDAR_YEAR_NOT_COVERED',
        details: { year: 2027, calendarId: 'CN' },
      }),
    );
  });

  it('has a Monday-to-Friday calendar, for specs without reference data, that covers every year', () => {
    const weekdays = WorkingCalendar.mondayToFriday();
    expect(weekdays.covers(1990)).toBe(true);
    expect(weekdays.isWorkingDay('2026-02-16')).toBe(true);
    expect(weekdays.isWorkingDay('2026-02-14')).toBe(false);
  });
});
