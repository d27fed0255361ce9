import { referralDeadline } from './care-rules';
import {
  expiryTruth,
  followUpTruth,
  plannedFollowUps,
  plannedProposals,
  proposalTruth,
} from './care-process.truth';
import type { FamilyDoctorPlan, PlannedContract } from './family-doctor.plan';
import { groundTruth } from './ground-truth';
import {
  DAY,
  HOUR,
  type Plan,
  type PlannedInstitution,
  type PlannedJourney,
  type PlannedReferral,
  type PlannedStay,
  type PlannedVisit,
} from './simulation.plan';
import { chaoyangPlan, plannedReferral, plannedStay } from '../../../test/support/planned-care';

/*
 * What the care processes do with a recorded plan (issue 20), worked out by hand: each undecided referral of an open
 * journey expired once at its deadline (working days of the holiday calendar for routine ones), and each discharge
 * home or to rehab owing a follow-up to the centre the rule names, done by a visit there in the window.
 */

const at = (local: string) => Date.parse(`${local}+08:00`);

const institution = (
  institutionId: string,
  tier: PlannedInstitution['tier'],
  allianceId: string,
  regionCode = '110105',
): PlannedInstitution => ({ institutionId, name: institutionId, tier, allianceId, regionCode, wards: [] });

const INSTITUTIONS = [
  institution('CHC-A', 'community', 'G1'),
  institution('CHC-B', 'community', 'G1'),
  institution('HOSP', 'tertiary', 'G1'),
  // Alliance G2: its centre in the patient's region comes before its lower id elsewhere.
  institution('CHC-10', 'community', 'G2', '999999'),
  institution('CHC-9', 'community', 'G2'),
  institution('HOSP-2', 'tertiary', 'G2'),
];

function referral(
  requestedAt: number,
  priority: PlannedReferral['priority'],
  decision: PlannedReferral['decision'] = null,
  end: PlannedReferral['end'] = null,
): PlannedReferral {
  return plannedReferral({
    name: 'up',
    direction: 'up',
    from: 'CHC-A',
    to: 'HOSP',
    priority,
    setting: 'inpatient',
    requestedAt,
    decision,
    end,
  });
}

function stay(
  institutionId: string,
  dischargedAt: number,
  extra: Partial<Pick<PlannedStay, 'surgeryAt' | 'disposition' | 'destination'>> = {},
): PlannedStay {
  return plannedStay({
    name: `stay-${institutionId}`,
    institutionId,
    wardId: 'general',
    admittedAt: dischargedAt - 3 * DAY,
    dischargedAt,
    ...extra,
  });
}

const visit = (institutionId: string, when: number): PlannedVisit => ({
  institutionId,
  visitType: 'outpatient',
  at: when,
  referral: null,
  recordedAs: null,
  duplicated: false,
  lateBy: 0,
});

function journey(patientId: string, parts: Partial<PlannedJourney>): PlannedJourney {
  return {
    shape: 'up',
    patientId,
    residenceRegion: '110105',
    visits: [visit('CHC-A', at('2023-01-02T09:00:00'))],
    referrals: [],
    stays: [],
    closedAt: null,
    ...parts,
  };
}

const plan = (journeys: PlannedJourney[], contracts: PlannedContract[] = []): Plan =>
  chaoyangPlan({
    institutions: INSTITUTIONS,
    journeys,
    months: [
      '2023-01',
      '2023-02',
      '2023-03',
      '2023-04',
      '2023-05',
      '2023-06',
      '2023-07',
      '2023-08',
      '2023-09',
      '2023-10',
      '2023-11',
      '2023-12',
    ],
    // The follow-up rule reads the contracts only.
    familyDoctors:
      contracts.length === 0
        ? null
        : { population: null as unknown as FamilyDoctorPlan['population'], contracts, blocks: [] },
  });

describe('care rules: the decision deadline a referral is expired at', () => {
  it('counts routine referrals in working days of the holiday calendar, the others in hours', () => {
    // Friday 29 December 2023: the weekend and New Year's Day are off; Tuesday 2 and Wednesday 3 January count.
    expect(referralDeadline(at('2023-12-29T10:00:00'), 'routine')).toBe(at('2024-01-03T10:00:00'));
    // Friday 20 January 2023, the eve of Spring Festival: 21 to 27 off, the make-up Saturday and Sunday worked.
    expect(referralDeadline(at('2023-01-20T09:00:00'), 'routine')).toBe(at('2023-01-29T09:00:00'));
    expect(referralDeadline(at('2023-01-20T09:00:00'), 'urgent')).toBe(at('2023-01-21T09:00:00'));
    expect(referralDeadline(at('2023-01-20T09:00:00'), 'green-channel')).toBe(at('2023-01-20T11:00:00'));
  });

  it('refuses a year the calendar does not cover, as the API does', () => {
    expect(() => referralDeadline(at('2019-12-30T09:00:00'), 'routine')).toThrow('does not cover 2019');
  });
});

describe('ground truth: expiries by the deadline process', () => {
  const accepted = { kind: 'accepted' as const, at: at('2023-03-01T12:00:00'), rejectedInErrorFirst: false };
  const journeys = [
    // Meant to expire: the plan's `at` is the deadline; the process expires it there.
    journey('pt-expired', {
      referrals: [
        referral(at('2023-12-29T10:00:00'), 'routine', null, {
          kind: 'expired',
          at: at('2024-01-03T10:00:00'),
        }),
      ],
    }),
    // Undecided when the period ended: expired at its deadline all the same, once the plan is recorded.
    journey('pt-undecided', { referrals: [referral(at('2023-12-31T20:00:00'), 'urgent')] }),
    // Decided, or cancelled before a decision: nothing to expire.
    journey('pt-accepted', { referrals: [referral(at('2023-03-01T10:00:00'), 'urgent', accepted)] }),
    journey('pt-cancelled', {
      referrals: [
        referral(at('2023-03-01T10:00:00'), 'urgent', null, {
          kind: 'cancelled',
          at: at('2023-03-01T11:00:00'),
        }),
      ],
    }),
  ];

  it('expires each undecided referral of an open journey once, at its deadline', () => {
    expect(expiryTruth(plan(journeys))).toEqual({
      up: { '2024-01-03T10:00:00+08:00': 1, '2024-01-01T20:00:00+08:00': 1 },
    });
  });

  it('counts them as expired in the referral figures, none pending', () => {
    const { outcomes } = groundTruth(plan(journeys)).referrals.byDirection.up!;
    expect(outcomes).toMatchObject({ expired: 2, pending: 0, accepted: 1, cancelled: 1 });
  });

  it('expires nothing in a closed journey: the process acts on open ones only', () => {
    const closed = { ...journeys[1]!, closedAt: at('2023-12-31T23:00:00') };
    expect(expiryTruth(plan([closed]))).toEqual({});
  });
});

describe('ground truth: follow-ups owed at discharges home or to rehab', () => {
  const out = at('2023-03-01T10:00:00');
  const up = referral(at('2023-02-25T10:00:00'), 'urgent', {
    kind: 'accepted',
    at: at('2023-02-25T12:00:00'),
    rejectedInErrorFirst: false,
  });
  const journeys = [
    // Home from hospital after an upward referral: owed by the referring centre in 14 days, done by a visit there
    // exactly on the due date (the window includes it).
    journey('pt-home', {
      referrals: [up],
      stays: [stay('HOSP', out)],
      visits: [visit('CHC-A', out + 14 * DAY)],
    }),
    // To rehab at CHC-B after surgery: owed by the destination in 7 days; a visit elsewhere in the window and one
    // there a day late do not do it.
    journey('pt-rehab', {
      stays: [stay('HOSP', out, { surgeryAt: out - 2 * DAY, disposition: 'rehab', destination: 'CHC-B' })],
      visits: [visit('CHC-A', out + DAY), visit('CHC-B', out + 8 * DAY)],
    }),
    // Home from a community centre: owed by the centre itself; done by a visit there the same day.
    journey('pt-centre', { stays: [stay('CHC-B', out)], visits: [visit('CHC-B', out + HOUR)] }),
    // Home from HOSP-2 with no centre in the journey: its alliance's centre in the patient's region.
    journey('pt-alliance', { stays: [stay('HOSP-2', out)] }),
    // A journey closed before the processes acted owes nothing.
    journey('pt-closed', { stays: [stay('HOSP', out)], closedAt: out + DAY }),
  ];

  it('names the owing centre, the basis and the due date, and whether a visit there in the window did it', () => {
    expect(
      plannedFollowUps(plan(journeys)).map((f) => [
        f.patientId,
        f.owedBy,
        f.basis,
        f.dueBy - f.dischargedAt,
        f.done,
      ]),
    ).toEqual([
      ['pt-home', 'CHC-A', 'standard', 14 * DAY, true],
      ['pt-rehab', 'CHC-B', 'after-surgery', 7 * DAY, false],
      ['pt-centre', 'CHC-B', 'standard', 14 * DAY, true],
      ['pt-alliance', 'CHC-9', 'standard', 14 * DAY, false],
    ]);
  });

  it('owes it to the signed family doctor’s centre, within the priority days for a key-group resident', () => {
    const signed: PlannedContract = {
      residentId: 'pt-signed',
      doctorId: 'doc-1',
      centreId: 'CHC-10',
      regionCode: '110105',
      startDate: '2022-06-01',
      signedAt: at('2022-06-01T09:00:00'),
      keyGroups: ['hypertension'],
    };
    const followUps = plannedFollowUps(
      plan([journey('pt-signed', { referrals: [up], stays: [stay('HOSP', out)] })], [signed]),
    );
    expect(followUps.map((f) => [f.owedBy, f.basis, f.dueBy - f.dischargedAt])).toEqual([
      ['CHC-10', 'key-group', 7 * DAY],
    ]);
  });

  it('counts them per owing centre and month of discharge, and per basis, all fallen due', () => {
    const truth = followUpTruth(plan(journeys));
    expect(truth.byInstitution['CHC-B']).toEqual({
      '2023-03': {
        owed: 2,
        doneInTime: 1,
        doneLate: 0,
        doneRecorded: 0,
        overdue: 1,
        notYetDue: 0,
        completionRate: 50,
      },
    });
    expect(Object.keys(truth.byInstitution).sort()).toEqual(['CHC-9', 'CHC-A', 'CHC-B']);
    expect(truth.byBasis['after-surgery']).toMatchObject({
      owed: 1,
      doneInTime: 0,
      overdue: 1,
      completionRate: 0,
    });
    expect(truth.byBasis.standard).toMatchObject({
      owed: 3,
      doneInTime: 2,
      overdue: 1,
      completionRate: 66.67,
    });
  });
});

describe('ground truth: downward transfer proposals after surgery', () => {
  const surgery = at('2023-12-10T09:00:00');
  const open = (institutionId: string) => ({
    ...stay(institutionId, 0, { surgeryAt: surgery }),
    dischargedAt: null,
  });
  const downAccepted: PlannedReferral = {
    ...referral(at('2023-12-12T09:00:00'), 'routine', {
      kind: 'accepted',
      at: at('2023-12-12T12:00:00'),
      rejectedInErrorFirst: false,
    }),
    direction: 'down',
    from: 'HOSP',
    to: 'CHC-B',
  };
  const downUndecided: PlannedReferral = { ...downAccepted, decision: null };
  const laterDown: PlannedReferral = { ...downUndecided, requestedAt: at('2023-12-14T09:00:00') };
  const secondAfterExpiry = (r: PlannedReferral) => referralDeadline(r.requestedAt, r.priority) + 1000;
  const journeys = [
    // Still in hospital after surgery, referred up from CHC-A: proposed to it, three days after the surgery.
    journey('pt-upstairs', {
      referrals: [
        referral(at('2023-12-08T09:00:00'), 'urgent', {
          kind: 'accepted',
          at: at('2023-12-08T10:00:00'),
          rejectedInErrorFirst: false,
        }),
      ],
      stays: [open('HOSP')],
    }),
    // No centre in the journey: HOSP-2's alliance centre in the patient's region.
    journey('pt-alliance', { stays: [open('HOSP-2')] }),
    // A downward referral left undecided is expired first; the proposal comes a second after the expiry, since the
    // decider judges it at its care time, when the referral was still open three days after the surgery.
    journey('pt-expired-down', { referrals: [downUndecided], stays: [open('HOSP')] }),
    // Requested after the stable period (and expired): the processes act once the whole plan is recorded, and wait
    // for every downward referral that ended after the surgery, so this proposal follows it too and does not lapse.
    journey('pt-later-down', { referrals: [laterDown], stays: [open('HOSP')] }),
    // One accepted and not over is under way: no proposal. Nor in a closed journey, nor for a community stay.
    journey('pt-down', { referrals: [downAccepted], stays: [open('HOSP')] }),
    journey('pt-closed', { stays: [open('HOSP')], closedAt: at('2023-12-20T09:00:00') }),
    journey('pt-centre', { stays: [open('CHC-B')] }),
  ];

  it('proposes once per open stay after surgery with no downward referral under way, to the alliance centre', () => {
    expect(
      plannedProposals(plan(journeys)).map((p) => [
        p.patientId,
        p.from,
        p.to,
        p.basis,
        p.proposedAt,
        p.lapsed,
      ]),
    ).toEqual([
      ['pt-upstairs', 'HOSP', 'CHC-A', 'alliance-centre', surgery + 3 * DAY, false],
      ['pt-alliance', 'HOSP-2', 'CHC-9', 'alliance-centre', surgery + 3 * DAY, false],
      ['pt-expired-down', 'HOSP', 'CHC-A', 'alliance-centre', secondAfterExpiry(downUndecided), false],
      ['pt-later-down', 'HOSP', 'CHC-A', 'alliance-centre', secondAfterExpiry(laterDown), false],
    ]);
  });

  it('counts them open or lapsed, none answered, per hospital and month and per centre', () => {
    const truth = proposalTruth(plan(journeys));
    const reasons = {
      'not-stable': 0,
      'needs-specialist-care': 0,
      'patient-declined': 0,
      'community-capacity': 0,
      other: 0,
    };
    const made = (open: number, lapsed = 0) => ({
      made: open + lapsed,
      accepted: 0,
      declined: 0,
      declinedByReason: reasons,
      lapsed,
      open,
      acceptanceRate: null,
    });
    expect(truth).toEqual({
      byFromInstitution: { HOSP: { '2023-12': made(3) }, 'HOSP-2': { '2023-12': made(1) } },
      byToInstitution: { 'CHC-A': made(3), 'CHC-9': made(1) },
    });
  });
});
