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
    };
    expect(computeDeadline('2026-03-02T10:00:00Z', 'green-channel', policy)).toBe(
      '2026-03-02T10:30:00+00:00',
    );
    expect(computeDeadline('2026-03-02T10:00:00Z', 'urgent', policy)).toBe('2026-03-02T18:00:00+00:00');
    expect(computeDeadline('2026-03-02T10:00:00Z', 'routine', policy)).toBe('2026-03-09T10:00:00+00:00');
  });
});
