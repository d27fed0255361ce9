import type { Fact } from './facts';
import { deriveReferral, quantile, referralFigures, type ReferralRow } from './referral-volume.model';

/* Referral volume, outcomes, acceptance rate and time to decision (docs/analytics.md, "Referral volume"). */
const CHC = { institutionId: 'CHC-CY-01', tier: 'community', allianceId: 'CY-G1' };
const HOSP = { institutionId: 'HOSP-CY-01', tier: 'tertiary', allianceId: 'CY-G1' };
let seq = 0;
const f = (type: string, occurredAt: string, data: Record<string, unknown> = {}, voided = false): Fact => ({
  eventId: `e-${++seq}`,
  type,
  occurredAt,
  data: { referralId: 'r-1', ...data },
  voided,
});
const request = (at = '2026-03-01T10:00:00+08:00') =>
  f('UpwardReferralRequested', at, {
    from: CHC,
    to: HOSP,
    priority: 'urgent',
    setting: 'inpatient',
    deadline: '2026-03-02T10:00:00+08:00',
    redirectedFromReferralId: null,
  });
const row = (...facts: Fact[]) => deriveReferral('j-1', facts)!;

describe('referral volume', () => {
  it('derives the outcome of each referral from its workflow', () => {
    expect(row(request(), f('ReferralAccepted', '2026-03-01T11:00:00+08:00'))).toMatchObject({
      status: 'accepted',
      outcome: 'accepted',
      direction: 'up',
      decidedAt: Date.parse('2026-03-01T11:00:00+08:00'),
    });
    // Care started on the referral: still counted as accepted.
    expect(
      row(
        request(),
        f('ReferralAccepted', '2026-03-01T11:00:00+08:00'),
        f('PatientAdmitted', '2026-03-02T09:00:00+08:00'),
      ),
    ).toMatchObject({ status: 'in-progress', outcome: 'accepted' });
    expect(
      row(
        request(),
        f('ReferralRejected', '2026-03-01T12:00:00+08:00', {
          reason: 'not-indicated',
          redirectReferralId: null,
        }),
      ),
    ).toMatchObject({ outcome: 'rejected' });
    expect(
      row(
        request(),
        f('ReferralRejected', '2026-03-01T12:00:00+08:00', {
          reason: 'capacity-full',
          redirectReferralId: 'r-2',
        }),
      ),
    ).toMatchObject({ outcome: 'redirected' });
    expect(
      row(request(), f('ReferralCancelled', '2026-03-01T10:30:00+08:00', { reason: 'patient-recovered' })),
    ).toMatchObject({ outcome: 'cancelled', decidedAt: null });
    expect(
      row(
        request(),
        f('ReferralExpired', '2026-03-02T10:00:00+08:00', { deadline: '2026-03-02T10:00:00+08:00' }),
      ),
    ).toMatchObject({ outcome: 'expired' });
    expect(
      row(
        request(),
        f('ReferralAccepted', '2026-03-01T11:00:00+08:00'),
        f('ReferralCompleted', '2026-03-09T10:00:00+08:00'),
      ),
    ).toMatchObject({ outcome: 'completed', closedAt: Date.parse('2026-03-09T10:00:00+08:00') });
    expect(row(request())).toMatchObject({ outcome: 'pending', status: 'requested' });
  });

  it('ignores a voided request and voided workflow steps', () => {
    expect(deriveReferral('j-1', [{ ...request(), voided: true }])).toBeNull();
    expect(row(request(), f('ReferralAccepted', '2026-03-01T11:00:00+08:00', {}, true))).toMatchObject({
      outcome: 'pending',
    });
  });

  it('gives the acceptance rate over decided referrals and decision times by nearest rank', () => {
    const hours = (h: number) =>
      new Date(Date.parse('2026-03-01T10:00:00+08:00') + h * 3_600_000).toISOString();
    const rows: ReferralRow[] = [
      row(request(), f('ReferralAccepted', hours(1))),
      row(request(), f('ReferralAccepted', hours(2)), f('ReferralCompleted', hours(100))),
      row(
        request(),
        f('ReferralAccepted', hours(3)),
        f('ReferralCancelled', hours(4), { reason: 'patient-declined' }),
      ),
      row(request(), f('ReferralRejected', hours(4), { reason: 'not-indicated', redirectReferralId: null })),
      row(
        request(),
        f('ReferralRejected', hours(10), { reason: 'capacity-full', redirectReferralId: 'r-9' }),
      ),
      row(request(), f('ReferralExpired', hours(24), { deadline: hours(24) })),
      row(request()),
    ];
    const figures = referralFigures(rows);
    // Accepted ever: 3 (accepted, completed, cancelled after acceptance); decided = 3 + 1 rejected + 1 redirected = 5;
    // acceptance 3/5 = 60%. Decision hours [1, 2, 3, 4, 10]: median rank ceil(2.5) = 3 → 3 h; p90 rank ceil(4.5) = 5 → 10 h.
    expect(figures).toEqual({
      total: 7,
      outcomes: {
        pending: 1,
        accepted: 1,
        rejected: 1,
        redirected: 1,
        cancelled: 1,
        expired: 1,
        completed: 1,
      },
      accepted: 3,
      acceptanceRate: 60,
      timeToDecisionHours: { median: 3, p90: 10 },
    });
  });

  it('takes quantiles by nearest rank, so every value reported was observed', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([5], 0.9)).toBe(5);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.9)).toBe(4);
  });
});
