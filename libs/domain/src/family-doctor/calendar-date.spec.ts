import { addDays, addMonths, careDateOf, formatCalendarDate, parseCalendarDate } from './calendar-date';

describe('calendar dates of contract terms and slot days', () => {
  it.each([
    ['2026-03-01', 12, '2027-03-01'],
    ['2026-01-31', 1, '2026-02-28'],
    ['2028-01-31', 1, '2028-02-29'],
    ['2028-02-29', 12, '2029-02-28'],
    ['2026-11-15', 3, '2027-02-15'],
    ['2026-03-31', -1, '2026-02-28'],
    ['2026-01-15', -1, '2025-12-15'],
  ])('%s plus %i months is %s, clamped to the end of a shorter month', (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });

  it('adds days across months and years', () => {
    expect(addDays('2027-03-01', -90)).toBe('2026-12-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(formatCalendarDate(parseCalendarDate('2024-02-29')!)).toBe('2024-02-29');
  });

  it.each(['2026-02-29', '2026-13-01', '2026-04-31', '2026-3-1', '2026-03-01T00:00:00Z', '', 20260301, null])(
    'refuses %j',
    (value) => {
      expect(parseCalendarDate(value)).toBeNull();
    },
  );

  it('takes a care time to its date on the wall clock it was written in', () => {
    expect(careDateOf('2026-03-01T23:30:00+08:00')).toBe('2026-03-01');
    expect(careDateOf('2026-03-01T23:30:00-05:00')).toBe('2026-03-01');
  });
});
