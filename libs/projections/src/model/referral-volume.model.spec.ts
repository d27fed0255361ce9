import type { OpenedJourneyState } from '@carepath/domain';
import type { Fact } from './facts';
import {
  deriveReferral,
  type FollowUpOutcomeRow,
  followUpFigures,
  journeyFollowUps,
  journeyTransferProposals,
  type ProposalOutcomeRow,
  quantile,
  referralFigures,
  type ReferralRow,
  transferProposalFigures,
} from './referral-volume.model';

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

/* Downward transfer proposals and follow-up completion (docs/analytics.md, "Transfer proposals", "Follow-up completion"). */
describe('care process outcomes', () => {
  const at = (iso: string) => Date.parse(iso);
  const proposal = (status: ProposalOutcomeRow['status'], declineReason: string | null = null) => ({
    proposalId: `p-${++seq}`,
    journeyId: 'j-1',
    admissionId: 'a-1',
    fromInstitutionId: HOSP.institutionId,
    fromAllianceId: 'CY-G1',
    toInstitutionId: CHC.institutionId,
    toAllianceId: 'CY-G1',
    basis: 'signed-doctor',
    proposedAt: at('2026-03-05T10:00:00+08:00'),
    status,
    decidedAt: status === 'accepted' || status === 'declined' ? at('2026-03-05T12:00:00+08:00') : null,
    declineReason,
    referralId: status === 'accepted' ? 'r-9' : null,
  });

  it('counts proposals made, accepted, declined by reason, lapsed and open; the rate is of those answered', () => {
    const figures = transferProposalFigures([
      proposal('accepted'),
      proposal('accepted'),
      proposal('accepted'),
      proposal('declined', 'not-stable'),
      proposal('lapsed'),
      proposal('open'),
    ]);
    expect(figures).toEqual({
      made: 6,
      accepted: 3,
      declined: 1,
      declinedByReason: {
        'not-stable': 1,
        'needs-specialist-care': 0,
        'patient-declined': 0,
        'community-capacity': 0,
        other: 0,
      },
      lapsed: 1,
      open: 1,
      acceptanceRate: 75,
    });
    expect(transferProposalFigures([proposal('open'), proposal('lapsed')]).acceptanceRate).toBeNull();
  });

  // Discharged 2 March, due by 16 March 23:59; judged on 20 March unless said otherwise.
  const followUp = (
    status: 'owed' | 'done',
    completedAt: string | null = null,
    completedBy: 'visit' | 'recorded' | null = null,
    dueBy = '2026-03-16T23:59:59+08:00',
  ): FollowUpOutcomeRow => ({
    followUpId: `f-${++seq}`,
    journeyId: 'j-1',
    admissionId: 'a-1',
    owedByInstitutionId: CHC.institutionId,
    owedByAllianceId: 'CY-G1',
    basis: 'standard',
    dischargedAt: at('2026-03-02T10:00:00+08:00'),
    dueBy: at(dueBy),
    status,
    completedAt: completedAt === null ? null : at(completedAt),
    completedBy,
  });
  const now = at('2026-03-20T09:00:00+08:00');

  it('splits follow-ups owed into done in time, done late, overdue and not yet due; the rate leaves out the last', () => {
    const figures = followUpFigures(
      [
        followUp('done', '2026-03-09T10:00:00+08:00', 'visit'),
        followUp('done', '2026-03-16T18:00:00+08:00', 'recorded'),
        followUp('done', '2026-03-18T10:00:00+08:00', 'recorded'),
        followUp('owed'),
        followUp('owed', null, null, '2026-03-30T23:59:59+08:00'),
      ],
      now,
    );
    expect(figures).toEqual({
      owed: 5,
      doneInTime: 2,
      doneLate: 1,
      doneRecorded: 2,
      overdue: 1,
      notYetDue: 1,
      // 2 done in time of the 4 that have fallen due.
      completionRate: 50,
    });
  });

  it('judges a follow-up at the instant asked: one done later was still owed then', () => {
    const rows = [followUp('done', '2026-03-09T10:00:00+08:00', 'visit')];
    expect(followUpFigures(rows, at('2026-03-08T00:00:00+08:00'))).toMatchObject({
      doneInTime: 0,
      notYetDue: 1,
      completionRate: null,
    });
    expect(followUpFigures([], now).completionRate).toBeNull();
  });

  it('takes one row per proposal and per follow-up from the journey state', () => {
    const snapshot = (s: typeof CHC) => ({ ...s, regionCode: '110105' });
    const state = {
      journeyId: 'j-1',
      proposals: {
        'p-1': {
          proposalId: 'p-1',
          admissionId: 'a-1',
          surgeryId: 's-1',
          from: snapshot(HOSP),
          to: snapshot(CHC),
          basis: 'alliance-centre',
          signedDoctorId: null,
          proposedAt: '2026-03-05T10:00:00+08:00',
          status: 'declined',
          decidedAt: '2026-03-05T11:00:00+08:00',
          declineReason: 'patient-declined',
          referralId: null,
        },
      },
      followUps: {
        'f-1': {
          followUpId: 'f-1',
          admissionId: 'a-1',
          dischargedAt: '2026-03-10T10:00:00+08:00',
          owedBy: snapshot(CHC),
          signedDoctorId: null,
          dueBy: '2026-03-24T23:59:59+08:00',
          basis: 'standard',
          status: 'done',
          completedAt: '2026-03-12T09:00:00+08:00',
          completedBy: 'visit',
          visitId: 'v-1',
        },
      },
    } as unknown as OpenedJourneyState;
    expect(journeyTransferProposals(state)).toEqual([
      expect.objectContaining({
        proposalId: 'p-1',
        fromInstitutionId: HOSP.institutionId,
        toInstitutionId: CHC.institutionId,
        status: 'declined',
        declineReason: 'patient-declined',
        decidedAt: at('2026-03-05T11:00:00+08:00'),
      }),
    ]);
    expect(journeyFollowUps(state)).toEqual([
      expect.objectContaining({
        followUpId: 'f-1',
        owedByInstitutionId: CHC.institutionId,
        dueBy: at('2026-03-24T23:59:59+08:00'),
        completedAt: at('2026-03-12T09:00:00+08:00'),
        completedBy: 'visit',
      }),
    ]);
  });
});
