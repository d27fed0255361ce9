import {
  localDate,
  midnightAfter,
  periodKey,
  periodRange,
  previousPeriod,
  startOfLocalDay,
} from './care-calendar';
import { parsePeriod, PeriodError, previousWindow } from './period.model';

describe('care calendar (Asia/Shanghai by default, docs/domain.md)', () => {
  it('puts an instant on its local date', () => {
    expect(localDate('2026-03-01T15:59:59Z', 'Asia/Shanghai')).toBe('2026-03-01');
    expect(localDate('2026-03-01T16:00:00Z', 'Asia/Shanghai')).toBe('2026-03-02');
  });

  it('takes the census at 24:00 local, the start of the next local day', () => {
    expect(midnightAfter('2026-03-01', 'Asia/Shanghai')).toBe(Date.parse('2026-03-02T00:00:00+08:00'));
    expect(startOfLocalDay('2026-03-01', 'Asia/Shanghai')).toBe(Date.parse('2026-03-01T00:00:00+08:00'));
  });

  it('dates every instant as Intl does, across daylight-saving transitions and in zones of odd offsets', () => {
    // The offsets are cached per day; this compares with Intl itself every 7 minutes around real transitions.
    const reference = (timeZone: string) =>
      new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    const windows: [string, string][] = [
      ['America/New_York', '2026-03-07T00:00:00Z'],
      ['America/New_York', '2026-10-31T00:00:00Z'],
      ['Europe/London', '2026-03-28T00:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T00:00:00Z'],
      ['Asia/Kathmandu', '2026-06-01T00:00:00Z'],
      ['Asia/Shanghai', '2026-12-31T00:00:00Z'],
    ];
    for (const [timeZone, from] of windows) {
      const intl = reference(timeZone);
      for (let ms = Date.parse(from); ms < Date.parse(from) + 3 * 86_400_000; ms += 7 * 60_000) {
        expect([timeZone, ms, localDate(ms, timeZone)]).toEqual([timeZone, ms, intl.format(ms)]);
      }
    }
    expect(midnightAfter('2026-03-07', 'America/New_York')).toBe(Date.parse('2026-03-08T00:00:00-05:00'));
    expect(midnightAfter('2026-03-08', 'America/New_York')).toBe(Date.parse('2026-03-09T00:00:00-04:00'));
  });

  it('keys periods by day, ISO week, month and year, across year boundaries', () => {
    expect(periodKey('2026-01-01', 'week')).toBe('2026-W01');
    expect(periodKey('2027-01-01', 'week')).toBe('2026-W53');
    expect(periodKey('2026-03-01', 'month')).toBe('2026-03');
    expect(periodRange('2026-W01', 'week')).toEqual({ from: '2025-12-29', to: '2026-01-05' });
    expect(periodRange('2026-12', 'month')).toEqual({ from: '2026-12-01', to: '2027-01-01' });
    expect(previousPeriod('2026-01', 'month')).toBe('2025-12');
    expect(previousPeriod('2026-W01', 'week')).toBe('2025-W52');
    expect(previousPeriod('2026', 'year')).toBe('2025');
  });

  it('parses report periods and refuses bad ones naming the field', () => {
    expect(parsePeriod({ period: '2026-03' })).toEqual({
      from: '2026-03-01',
      to: '2026-04-01',
      key: '2026-03',
      unit: 'month',
    });
    expect(parsePeriod({ from: '2026-03-01', to: '2026-03-08' })).toEqual({
      from: '2026-03-01',
      to: '2026-03-08',
      key: null,
      unit: null,
    });
    expect(previousWindow(parsePeriod({ from: '2026-03-01', to: '2026-03-08' }))).toMatchObject({
      from: '2026-02-22',
      to: '2026-03-01',
    });
    const field = (input: Parameters<typeof parsePeriod>[0]) => {
      try {
        parsePeriod(input);
        return null;
      } catch (error) {
        return error instanceof PeriodError ? error.field : 'other';
      }
    };
    expect(field({ period: '2026-13' })).toBe('period');
    expect(field({ period: '2026-W54' })).toBe('period');
    expect(field({ period: '2026-02-30' })).toBe('period');
    expect(field({ from: '2026-03-01' })).toBe('to');
    expect(field({ from: '2026-03-08', to: '2026-03-01' })).toBe('to');
  });
});
