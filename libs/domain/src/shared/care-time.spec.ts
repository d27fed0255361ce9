import { parseCareTime } from './care-time';

describe('care time grammar (RFC 3339 with an offset)', () => {
  it.each([
    ['2026-03-01T10:00:00+08:00', Date.UTC(2026, 2, 1, 2)],
    ['2026-03-01T10:00Z', Date.UTC(2026, 2, 1, 10)],
    ['2026-03-01T10:00:00.5Z', Date.UTC(2026, 2, 1, 10, 0, 0, 500)],
    ['2026-03-01T10:00:00.123456789-05:30', Date.UTC(2026, 2, 1, 15, 30, 0, 123)],
    ['2024-02-29T23:59:59Z', Date.UTC(2024, 1, 29, 23, 59, 59)],
  ])('reads %s', (value, expected) => {
    expect(parseCareTime(value)).toBe(expected);
    expect(parseCareTime(value)).toBe(Date.parse(value));
  });

  it.each([
    '2026-W09-1T10:00:00Z',
    '2026-060T10:00:00Z',
    '20260301T100000Z',
    '2026-03-01T10:00:00,5Z',
    '2026-03-01T10:00:00',
    '2026-03-01 10:00:00Z',
    '2026-03-01',
    '2026-02-29T10:00:00Z',
    '2026-04-31T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-03-01T24:00:00Z',
    '2026-03-01T10:60:00Z',
    '2026-03-01T10:00:60Z',
    '2026-03-01T10:00:00+24:00',
    '2026-03-01T10:00:00+0800',
    '+002026-03-01T10:00:00Z',
    '2026-03-01t10:00:00z',
    ' 2026-03-01T10:00:00Z',
    '2026-03-01T10:00:00Z\n',
    '',
  ])('refuses %j', (value) => {
    expect(parseCareTime(value)).toBeNull();
  });

  it('refuses what is not a string', () => {
    for (const value of [null, undefined, 0, 1_700_000_000_000, {}, [], true])
      expect(parseCareTime(value)).toBeNull();
  });
});

describe('parseCareTime read again', () => {
  it('answers as the first time, past the number of readings it keeps', () => {
    const times = Array.from(
      { length: 10_000 },
      (_, i) =>
        `2026-03-01T08:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}+0${i % 10}:00`,
    );
    const first = times.map((t) => parseCareTime(t));
    expect(first.every((ms) => ms !== null)).toBe(true);
    expect(times.map((t) => parseCareTime(t))).toEqual(first);
    expect(parseCareTime('2026-02-30T08:00+08:00')).toBeNull();
    expect(parseCareTime('2026-02-30T08:00+08:00')).toBeNull();
    expect(parseCareTime('2026-03-01T08:00+08:00')).toBe(Date.parse('2026-03-01T00:00:00Z'));
  });
});
