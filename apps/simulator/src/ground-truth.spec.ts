import { groundTruth, type HeldBedRule } from './ground-truth';
import type {
  Plan,
  PlannedInstitution,
  PlannedJourney,
  PlannedReferral,
  PlannedStay,
} from './simulation.plan';
import { chaoyangPlan, plannedReferral, plannedStay } from '../../../test/support/planned-care';

/*
 * The ground truth on a hand-made plan, every figure worked out by hand: the census under both held-bed rules
 * (docs/analytics.md, "Held-bed rule": a patient is never in two censuses on one night), stays and
 * referrals still open at the end of the period, and the outcome buckets they fall in.
 */

/** Beijing time. */
const at = (local: string) => Date.parse(`2023-12-${local}+08:00`);

const INSTITUTIONS: PlannedInstitution[] = [
  {
    institutionId: 'CHC',
    name: 'community centre',
    tier: 'community',
    allianceId: 'G1',
    regionCode: '110105',
    wards: [{ wardId: 'rehab', beds: 10, bedChange: null }],
  },
  {
    institutionId: 'HOSP',
    name: 'tertiary hospital',
    tier: 'tertiary',
    allianceId: 'G1',
    regionCode: '110105',
    wards: [{ wardId: 'surgery', beds: 20, bedChange: null }],
  },
];

function stay(
  name: string,
  where: 'CHC/rehab' | 'HOSP/surgery',
  admittedAt: number,
  dischargedAt: number | null,
  leave: PlannedStay['leave'] = null,
): PlannedStay {
  const [institutionId, wardId] = where.split('/') as [string, string];
  return plannedStay({ name, institutionId, wardId, admittedAt, leave, dischargedAt });
}

function referral(
  direction: 'up' | 'down',
  requestedAt: number,
  decision: PlannedReferral['decision'],
  end: PlannedReferral['end'],
  setting: PlannedReferral['setting'] = 'inpatient',
): PlannedReferral {
  return plannedReferral({
    name: direction,
    direction,
    from: direction === 'up' ? 'CHC' : 'HOSP',
    to: direction === 'up' ? 'HOSP' : 'CHC',
    priority: 'urgent',
    setting,
    requestedAt,
    receivedAt: requestedAt + 10 * 60_000,
    decision,
    end,
  });
}

const accepted = (when: number) => ({ kind: 'accepted' as const, at: when, rejectedInErrorFirst: false });

function journey(id: string, referrals: PlannedReferral[], stays: PlannedStay[]): PlannedJourney {
  return {
    shape: stays.length > 1 ? 'sequential' : 'up',
    patientId: id,
    residenceRegion: '110105',
    visits: [],
    referrals,
    stays,
    closedAt: null,
  };
}

const JOURNEYS: PlannedJourney[] = [
  // Sequential ward, over by the end: in the rehab bed the nights of the 1st and 2nd; away from the held bed from
  // the 3rd at 10:00 to the 7th at 01:00, upstairs from the 3rd at 11:00 to the 6th at 22:00 (so at the midnight
  // ending the 6th in no bed at all); back in the rehab bed the night of the 7th; home on the 8th.
  journey(
    'pt-done',
    [
      referral('up', at('03T09:00:00'), accepted(at('03T09:30:00')), {
        kind: 'completed',
        at: at('06T22:05:00'),
      }),
      referral('down', at('05T22:00:00'), accepted(at('06T00:00:00')), {
        kind: 'completed',
        at: at('08T10:05:00'),
      }),
    ],
    [
      stay('community', 'CHC/rehab', at('01T10:00:00'), at('08T10:00:00'), {
        from: at('03T10:00:00'),
        to: at('07T01:00:00'),
      }),
      stay('upstairs', 'HOSP/surgery', at('03T11:00:00'), at('06T22:00:00')),
    ],
  ),
  // Sequential ward, under way at the end of the period: in the rehab bed the nights of the 28th and 29th, away
  // from the held bed since the 30th at 09:00, upstairs since 10:00; the up referral accepted, its care not over.
  journey(
    'pt-away',
    [referral('up', at('30T08:00:00'), accepted(at('30T08:30:00')), null)],
    [
      stay('community', 'CHC/rehab', at('28T10:00:00'), null, { from: at('30T09:00:00'), to: null }),
      stay('upstairs', 'HOSP/surgery', at('30T10:00:00'), null),
    ],
  ),
  // Requested on the last afternoon, received, not yet decided: the deadline process expires it (issue 20).
  journey('pt-pending-up', [referral('up', at('31T14:00:00'), null, null)], []),
  // Accepted, then cancelled by the patient: accepted for the acceptance rate, counted as cancelled.
  journey(
    'pt-cancelled',
    [
      referral('up', at('10T10:00:00'), accepted(at('10T12:00:00')), {
        kind: 'cancelled',
        at: at('11T09:00:00'),
      }),
    ],
    [],
  ),
  // Down: one not yet decided, one accepted for outpatient rehab whose visit is still to come.
  journey(
    'pt-down',
    [
      referral('down', at('31T09:00:00'), null, null),
      referral('down', at('30T10:00:00'), accepted(at('30T12:00:00')), null, 'outpatient'),
    ],
    [],
  ),
];

const PLAN: Plan = chaoyangPlan({
  institutions: INSTITUTIONS,
  journeys: JOURNEYS,
  months: ['2023-12'],
  familyDoctors: null,
});

const wards = (rule: HeldBedRule) => {
  const truth = groundTruth(PLAN, rule);
  return {
    rehab: truth.wards['CHC/rehab']!['2023-12'],
    surgery: truth.wards['HOSP/surgery']!['2023-12'],
  };
};

describe('ground truth: the midnight census of a patient away from a held bed', () => {
  it('physical: counted in the bed they lie in, nowhere on a night in no bed, and a stay still open every night to the end', () => {
    expect(wards('physical')).toEqual({
      // pt-done: nights of the 1st, 2nd and 7th; pt-away: 28th and 29th.
      rehab: { occupiedBedDays: 5, openBedDays: 310, discharges: 1, dischargedBedDays: 3 },
      // pt-done: 3rd, 4th, 5th; pt-away: 30th and 31st (still upstairs at 24:00 on the 31st).
      surgery: { occupiedBedDays: 5, openBedDays: 620, discharges: 1, dischargedBedDays: 3 },
    });
  });

  it('held-bed: counted at the held bed every night away, gap included, and not in the bed upstairs', () => {
    expect(wards('held-bed')).toEqual({
      // pt-done: every night from the 1st to the 7th; pt-away: the 28th to the 31st.
      rehab: { occupiedBedDays: 11, openBedDays: 310, discharges: 1, dischargedBedDays: 7 },
      // Never in the upstairs census; a discharged stay has at least one bed-day.
      surgery: { occupiedBedDays: 0, openBedDays: 620, discharges: 1, dischargedBedDays: 1 },
    });
  });

  it('says which rule its ward figures are for', () => {
    expect(groundTruth(PLAN).census).toEqual({ timeZone: 'Asia/Shanghai', heldBedRule: 'physical' });
    expect(groundTruth(PLAN, 'held-bed').census.heldBedRule).toBe('held-bed');
  });
});

describe('ground truth: referrals as they stand at the end of the period', () => {
  const { referrals } = groundTruth(PLAN);
  const none = { rejected: 0, redirected: 0, expired: 0 };

  it('counts the undecided as expired by the deadline process and the accepted whose care is not over as accepted', () => {
    expect(referrals.byDirection.up).toEqual({
      total: 4,
      outcomes: { ...none, expired: 1, pending: 0, accepted: 1, cancelled: 1, completed: 1 },
      // Completed, still accepted and cancelled after acceptance: 3 of 3 decided.
      accepted: 3,
      acceptanceRate: 100,
      // 0.5 h, 0.5 h and 2 h; the pending request has no decision yet.
      timeToDecisionHours: { median: 0.5, p90: 2 },
    });
    expect(referrals.byDirection.down).toEqual({
      total: 3,
      outcomes: { ...none, expired: 1, pending: 0, accepted: 1, cancelled: 0, completed: 1 },
      accepted: 2,
      acceptanceRate: 100,
      timeToDecisionHours: { median: 2, p90: 2 },
    });
  });

  it('counts a downward transfer accepted but not yet over as one that happened (下转患者人次数)', () => {
    expect(referrals.downwardKpi['2023']).toEqual({
      HOSP: {
        outpatient: 1,
        inpatient: 1,
        total: 2,
        requested: 3,
        previousYearTotal: 0,
        growth: null,
        meetsGrowthTarget: null,
      },
    });
  });
});
