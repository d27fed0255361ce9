import type { InstitutionSnapshot } from '@carepath/domain';
import { isJourneyProjection } from '../runtime/journey-projection';
import {
  accepted,
  admitted,
  at,
  CHC,
  discharged as dischargedOn,
  foldJourney,
  followUpOwed,
  type Given,
  HOSP,
  journeyOpened,
  referralRequested,
  snapshot,
  surgery as surgeryRecorded,
  transferProposed as proposed,
} from '../testing/journey-events';
import { worklistProjection } from './worklist.projection';

/*
 * Given a journey's events, when the worklist derives its rows, then each table holds what a coordinator acts on
 * (docs/worklists.md). Tables, in the projection's order: open referrals, current stays, referral outcomes, with
 * us upstairs, transfer proposals, follow-ups, patient index.
 */
const CHC2 = snapshot('CHC-CY-02', 'community');
const HOSP2 = snapshot('HOSP-CY-02', 'tertiary');

const derive = (...events: Given[]) => {
  const spec = isJourneyProjection(worklistProjection) ? worklistProjection.journey : null;
  const [openReferrals, stays, outcomes, upstairs, proposals, followUps, patients] = spec!.derive(
    foldJourney([journeyOpened, ...events], '2026-03-09T00:00:00.000Z'),
    'j-1',
  ) as unknown as Record<string, unknown>[][];
  return { openReferrals, stays, outcomes, upstairs, proposals, followUps, patients };
};

const referral = (
  referralId: string,
  direction: 'up' | 'down',
  from: InstitutionSnapshot,
  to: InstitutionSnapshot,
  day = 1,
) => referralRequested(referralId, from, to, direction, day);
const rejected = (referralId: string, redirectReferralId: string | null = null): Given => [
  {
    type: 'ReferralRejected',
    data: {
      referralId,
      reason: redirectReferralId ? 'capacity-full' : 'not-indicated',
      redirectedToInstitutionId: redirectReferralId ? HOSP2.institutionId : null,
      redirectReferralId,
    },
  },
  at(1, 12),
];
const discharged = (
  admissionId: string,
  institution: InstitutionSnapshot,
  disposition: 'home' | 'rehab' | 'other-institution' | 'deceased',
  destination: string | null = null,
  day = 5,
) => dischargedOn(admissionId, institution, disposition, destination, day);
const visitAtCentre = (visitId: string, day: number): Given => [
  {
    type: 'VisitRecorded',
    data: { visitId, institution: CHC, visitType: 'outpatient', diagnosisCode: 'I21.4', referralId: null },
  },
  at(day),
];
const up = [referral('r-up', 'up', CHC, HOSP), accepted('r-up')];

describe('worklist rows', () => {
  describe('open referrals', () => {
    it('keeps a referral awaiting a decision with the patient and the reminder, and lets it go once decided', () => {
      const requested = derive(referral('r-1', 'up', CHC, HOSP));
      expect(requested.openReferrals).toEqual([
        expect.objectContaining({
          referralId: 'r-1',
          patientId: 'pt-7f3a9c21',
          status: 'requested',
          dueSoonAt: null,
        }),
      ]);
      const reminded = derive(referral('r-1', 'up', CHC, HOSP), [
        { type: 'ReferralDueSoon', data: { referralId: 'r-1', deadline: at(2) } },
        at(1, 20),
      ]);
      expect(reminded.openReferrals?.[0]).toMatchObject({ dueSoonAt: at(1, 20) });
      expect(derive(referral('r-1', 'up', CHC, HOSP), rejected('r-1')).openReferrals).toEqual([]);
    });
  });

  describe('outcomes the referring side must act on', () => {
    it('lists a rejection until it is acknowledged', () => {
      const rows = derive(referral('r-1', 'up', CHC, HOSP), rejected('r-1')).outcomes;
      expect(rows).toEqual([
        expect.objectContaining({
          referralId: 'r-1',
          status: 'rejected',
          fromInstitutionId: CHC.institutionId,
          outcomeAt: at(1, 12),
          rejectionReason: 'not-indicated',
          escalatedToAllianceId: null,
        }),
      ]);
      const acknowledged = derive(referral('r-1', 'up', CHC, HOSP), rejected('r-1'), [
        { type: 'ReferralOutcomeAcknowledged', data: { referralId: 'r-1' } },
        at(1, 15),
      ]);
      expect(acknowledged.outcomes).toEqual([]);
    });

    it('leaves out a rejection that redirected the referral: the redirect carries the patient on', () => {
      expect(derive(referral('r-1', 'up', CHC, HOSP), rejected('r-1', 'r-2')).outcomes).toEqual([]);
    });

    it('names the alliance an expired referral was escalated to', () => {
      const rows = derive(
        referral('r-1', 'up', CHC, HOSP),
        [{ type: 'ReferralExpired', data: { referralId: 'r-1', deadline: at(2) } }, at(2)],
        [
          { type: 'ReferralEscalated', data: { referralId: 'r-1', allianceId: 'CY-G1', reason: 'expired' } },
          at(2),
        ],
      ).outcomes;
      expect(rows).toEqual([
        expect.objectContaining({ status: 'expired', outcomeAt: at(2), escalatedToAllianceId: 'CY-G1' }),
      ]);
    });
  });

  describe('with us upstairs', () => {
    it('keeps the referring centre’s patient once the upward referral is accepted, where they are now', () => {
      expect(derive(referral('r-up', 'up', CHC, HOSP)).upstairs).toEqual([]);
      expect(derive(...up).upstairs).toEqual([
        expect.objectContaining({
          institutionId: CHC.institutionId,
          referralId: 'r-up',
          referredToInstitutionId: HOSP.institutionId,
          acceptedAt: at(1, 11),
          whereInstitutionId: HOSP.institutionId,
          admitted: false,
          since: at(1, 11),
          returnReferralId: null,
        }),
      ]);
      expect(derive(...up, admitted('a-1', HOSP)).upstairs).toEqual([
        expect.objectContaining({
          whereInstitutionId: HOSP.institutionId,
          admitted: true,
          stayStatus: 'in-bed',
          wardId: 'icu',
          since: at(1, 13),
        }),
      ]);
    });

    it('follows a transfer to another hospital: still upstairs, there', () => {
      const moved = derive(
        ...up,
        admitted('a-1', HOSP),
        discharged('a-1', HOSP, 'other-institution', 'HOSP-CY-02'),
      );
      expect(moved.upstairs).toEqual([
        expect.objectContaining({ whereInstitutionId: 'HOSP-CY-02', admitted: false, since: at(5) }),
      ]);
    });

    it('shows a downward referral on its way back, and lets the patient go once it is accepted', () => {
      const coming = derive(...up, admitted('a-1', HOSP), referral('r-down', 'down', HOSP, CHC, 4));
      expect(coming.upstairs).toEqual([expect.objectContaining({ returnReferralId: 'r-down' })]);
      const back = derive(
        ...up,
        admitted('a-1', HOSP),
        referral('r-down', 'down', HOSP, CHC2, 4),
        accepted('r-down', 4),
      );
      expect(back.upstairs).toEqual([]);
    });

    it('lets the patient go at a discharge home, to rehab or deceased, or at the journey’s close', () => {
      for (const disposition of ['home', 'rehab', 'deceased'] as const)
        expect([
          disposition,
          derive(...up, admitted('a-1', HOSP), discharged('a-1', HOSP, disposition)).upstairs,
        ]).toEqual([disposition, []]);
      const closed = derive(...up, [{ type: 'JourneyClosed', data: { journeyId: 'j-1' } }, at(6)]);
      expect(closed.upstairs).toEqual([]);
      expect(closed.patients).toEqual([expect.objectContaining({ status: 'closed', closedAt: at(6) })]);
    });

    it('lets the patient go when seen at the centre again, and leaves out a centre holding a bed for them', () => {
      const seen = visitAtCentre('v-2', 3);
      expect(derive(...up, seen).upstairs).toEqual([]);
      const holding = derive(
        admitted('a-0', CHC, 1, 'rehab'),
        [{ type: 'LeaveStarted', data: { admissionId: 'a-0', bedHeld: true } }, at(1, 14)],
        referral('r-up', 'up', CHC, HOSP, 1),
        accepted('r-up', 1, 15),
      );
      expect(holding.upstairs).toEqual([]);
      expect(holding.stays).toEqual([expect.objectContaining({ admissionId: 'a-0', status: 'on-leave' })]);
    });
  });

  describe('transfer proposals and follow-ups', () => {
    const surgery: Given[] = [admitted('a-1', HOSP), surgeryRecorded('s-1', 'a-1', 2, 10, '36.10')];

    it('keeps an open proposal, and none once declined', () => {
      expect(derive(...surgery, proposed).proposals).toEqual([
        expect.objectContaining({
          proposalId: 'p-1',
          fromInstitutionId: HOSP.institutionId,
          toInstitutionId: CHC.institutionId,
          proposedAt: at(5),
        }),
      ]);
      const declined = derive(...surgery, proposed, [
        { type: 'DownwardTransferProposalDeclined', data: { proposalId: 'p-1', reason: 'not-stable' } },
        at(5, 12),
      ]);
      expect(declined.proposals).toEqual([]);
    });

    it('keeps a follow-up while owed, and none once a visit at the owing centre falls in its window', () => {
      const owed: Given[] = [
        discharged('a-1', HOSP, 'home', null, 6),
        followUpOwed('2026-03-13T10:00:00+08:00', 'after-surgery'),
      ];
      expect(derive(...surgery, ...owed).followUps).toEqual([
        expect.objectContaining({
          followUpId: 'f-1',
          owedByInstitutionId: CHC.institutionId,
          dueBy: '2026-03-13T10:00:00+08:00',
          basis: 'after-surgery',
        }),
      ]);
      const visited = visitAtCentre('v-9', 8);
      expect(derive(...surgery, ...owed, visited).followUps).toEqual([]);
    });
  });

  it('indexes the journey under its pseudonymous patient id', () => {
    expect(derive().patients).toEqual([
      { journeyId: 'j-1', patientId: 'pt-7f3a9c21', status: 'open', openedAt: at(1, 9), closedAt: null },
    ]);
  });
});
