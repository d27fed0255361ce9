import { deciderSpec, type GivenEvent, specMetadata } from '../testing/decider-spec';
import type { CommandMetadata } from '../shared/event';
import type { JourneyCommand } from './journey.commands';
import { decideJourney } from './journey.decider';
import type { InstitutionSnapshot, JourneyEvent } from './journey.events';
import { evolveJourney, initialJourneyState, type OpenedJourneyState } from './journey.state';
import { DEFAULT_DEADLINE_POLICY } from './referral-deadline';

/*
 * Given/when/then for the care processes' rules on a journey (issue 20, docs/domain.md "Care processes"): the
 * deadline reminder, expiry with escalation, acknowledging an outcome, downward transfer proposals and the follow-up
 * owed after a discharge. Processes act with the `system` role for one of the institutions concerned.
 */
const journey = deciderSpec({
  decide: decideJourney,
  evolve: evolveJourney,
  initialState: initialJourneyState,
});

const centre = (institutionId: string): InstitutionSnapshot => ({
  institutionId,
  tier: 'community',
  allianceId: 'CY-G1',
  regionCode: '110105',
});
const CHC = centre('CHC-CY-01');
const CHC2 = centre('CHC-CY-02');
const HOSP: InstitutionSnapshot = { ...CHC, institutionId: 'HOSP-CY-01', tier: 'tertiary' };
const HOSP2: InstitutionSnapshot = { ...HOSP, institutionId: 'HOSP-CY-02' };
const FAR: InstitutionSnapshot = { ...CHC, institutionId: 'CHC-HD-01', allianceId: 'HD-G1' };

const on = (
  institution: InstitutionSnapshot,
  occurredAt: string,
  more: Partial<CommandMetadata> = {},
): Partial<CommandMetadata> => ({ institutionId: institution.institutionId, occurredAt, ...more });
const system = (institution: InstitutionSnapshot, occurredAt: string) =>
  on(institution, occurredAt, { actorId: 'carepath-processes', actorRole: 'system' });
const command = (type: JourneyCommand['type'], data: object, meta: Partial<CommandMetadata>) =>
  ({ type, data, metadata: specMetadata(meta) }) as JourneyCommand;
const given = (
  event: JourneyEvent,
  meta: Partial<CommandMetadata>,
  id?: string,
): GivenEvent<JourneyEvent> => ({
  event,
  metadata: meta,
  id,
});
const stateOf = (events: readonly GivenEvent<JourneyEvent>[]) => journey(events).state as OpenedJourneyState;

const visitAt = (visitId: string, institution: InstitutionSnapshot, occurredAt: string) =>
  given(
    {
      type: 'VisitRecorded',
      data: { visitId, institution, visitType: 'outpatient', diagnosisCode: 'I21.4', referralId: null },
    },
    on(institution, occurredAt),
    `evt-${visitId}`,
  );
const opening = [
  given(
    {
      type: 'JourneyOpened',
      data: { journeyId: 'j-1', patientId: 'pt-7f3a9c21', residenceRegion: '110105' },
    },
    on(CHC, '2026-03-01T09:00:00+08:00'),
  ),
  visitAt('v-1', CHC, '2026-03-01T09:00:00+08:00'),
];
const referralTo = (to: InstitutionSnapshot, referralId = 'r-1', from = CHC) => ({
  referralId,
  from,
  to,
  department: 'cardiology',
  priority: 'urgent' as const,
  setting: 'inpatient' as const,
  reasonCode: 'I21.4',
  deadline: '2026-03-02T10:00:00+08:00',
  redirectedFromReferralId: null,
});
const requested = given(
  { type: 'UpwardReferralRequested', data: referralTo(HOSP) },
  on(CHC, '2026-03-01T10:00:00+08:00'),
);
const decided = (type: 'ReferralAccepted' | 'ReferralReceived', occurredAt: string) =>
  given({ type, data: { referralId: 'r-1' } }, on(HOSP, occurredAt));
const rejected = given(
  {
    type: 'ReferralRejected',
    data: {
      referralId: 'r-1',
      reason: 'not-indicated',
      redirectedToInstitutionId: null,
      redirectReferralId: null,
    },
  },
  on(HOSP, '2026-03-01T12:00:00+08:00'),
);
const expired = given(
  { type: 'ReferralExpired', data: { referralId: 'r-1', deadline: '2026-03-02T10:00:00+08:00' } },
  system(HOSP, '2026-03-02T10:00:00+08:00'),
);
const escalated = given(
  { type: 'ReferralEscalated', data: { referralId: 'r-1', allianceId: 'CY-G1', reason: 'expired' } },
  system(HOSP, '2026-03-02T10:00:00+08:00'),
);

describe('care processes on a journey (issue 20)', () => {
  describe('the deadline reminder', () => {
    const remind = (institution = HOSP, occurredAt = '2026-03-02T05:12:00+08:00') =>
      command('RemindReferral', { referralId: 'r-1' }, system(institution, occurredAt));
    const reminded = given(
      { type: 'ReferralDueSoon', data: { referralId: 'r-1', deadline: '2026-03-02T10:00:00+08:00' } },
      system(HOSP, '2026-03-02T05:12:00+08:00'),
    );

    it('reminds an undecided referral of its deadline, once, and the state says when', () => {
      journey([...opening, requested])
        .when(remind())
        .then([
          { type: 'ReferralDueSoon', data: { referralId: 'r-1', deadline: '2026-03-02T10:00:00+08:00' } },
        ]);
      journey([...opening, requested, decided('ReferralReceived', '2026-03-01T11:00:00+08:00')])
        .when(remind(CHC))
        .then([
          { type: 'ReferralDueSoon', data: { referralId: 'r-1', deadline: '2026-03-02T10:00:00+08:00' } },
        ]);
      expect(stateOf([...opening, requested, reminded]).referrals['r-1']).toMatchObject({
        dueSoonAt: '2026-03-02T05:12:00+08:00',
        status: 'requested',
      });
      journey([...opening, requested, reminded])
        .when(remind())
        .thenFails('REMINDER_ALREADY_SENT');
      // Entered with an earlier care time, it is still the same reminder.
      journey([...opening, requested, reminded])
        .when(remind(HOSP, '2026-03-01T20:00:00+08:00'))
        .thenFails('REMINDER_ALREADY_SENT');
    });

    it('refuses a decided referral, an unknown one and an institution that is neither side', () => {
      journey([...opening, requested, decided('ReferralAccepted', '2026-03-01T11:00:00+08:00')])
        .when(remind())
        .thenFails('REFERRAL_INVALID_TRANSITION');
      journey([...opening, requested])
        .when(command('RemindReferral', { referralId: 'r-x' }, system(HOSP, '2026-03-02T05:12:00+08:00')))
        .thenFails('REFERRAL_NOT_FOUND');
      journey([...opening, requested])
        .when(remind(HOSP2))
        .thenFails('REFERRAL_WRONG_SIDE');
    });

    it('does not stand in the way of a decision entered late from before it', () => {
      const lateAccept = command(
        'AcceptReferral',
        { referralId: 'r-1' },
        on(HOSP, '2026-03-01T11:00:00+08:00'),
      );
      expect(
        journey([...opening, requested, reminded])
          .when(lateAccept)
          .events(),
      ).toEqual([{ type: 'ReferralAccepted', data: { referralId: 'r-1' } }]);
    });
  });

  describe('expiry and escalation', () => {
    const expire = (escalateToAllianceId?: string | null) =>
      command(
        'ExpireReferral',
        escalateToAllianceId === undefined
          ? { referralId: 'r-1' }
          : { referralId: 'r-1', escalateToAllianceId },
        system(HOSP, '2026-03-02T10:00:00+08:00'),
      );

    it('expires at the deadline and escalates to the alliance named, in the same decision', () => {
      journey([...opening, requested])
        .when(expire('CY-G1'))
        .then([expired.event, escalated.event]);
      expect(stateOf([...opening, requested, expired, escalated]).referrals['r-1']).toMatchObject({
        status: 'expired',
        escalatedToAllianceId: 'CY-G1',
        acknowledgedAt: null,
      });
    });

    it('without an alliance (or with null) only expires', () => {
      journey([...opening, requested])
        .when(expire())
        .then([expired.event]);
      journey([...opening, requested])
        .when(expire(null))
        .then([expired.event]);
      expect(stateOf([...opening, requested, expired]).referrals['r-1']).toMatchObject({
        escalatedToAllianceId: null,
      });
    });

    it('escalates only to the alliance of either side', () => {
      journey([...opening, requested])
        .when(expire('HD-G1'))
        .thenFails('ESCALATION_OUTSIDE_ALLIANCE');
    });
  });

  describe('acknowledging a rejected or expired referral', () => {
    const acknowledge = (
      institution: InstitutionSnapshot,
      actingAllianceId: string | null = institution.allianceId,
      actorRole = 'coordinator',
      occurredAt = '2026-03-03T09:00:00+08:00',
    ) =>
      command(
        'AcknowledgeReferral',
        { referralId: 'r-1', actingAllianceId },
        on(institution, occurredAt, { actorRole }),
      );
    const acknowledged = given(
      { type: 'ReferralOutcomeAcknowledged', data: { referralId: 'r-1' } },
      on(CHC, '2026-03-03T09:00:00+08:00'),
    );
    const ack: JourneyEvent[] = [{ type: 'ReferralOutcomeAcknowledged', data: { referralId: 'r-1' } }];

    it('is done by the referring institution, for a rejection or an expiry, and the state says when', () => {
      journey([...opening, requested, rejected])
        .when(acknowledge(CHC, null, 'doctor'))
        .then(ack);
      journey([...opening, requested, expired])
        .when(acknowledge(CHC))
        .then(ack);
      expect(stateOf([...opening, requested, rejected, acknowledged]).referrals['r-1']).toMatchObject({
        status: 'rejected',
        acknowledgedAt: '2026-03-03T09:00:00+08:00',
      });
    });

    it('once escalated, may be done by a coordinator of an institution in that alliance', () => {
      journey([...opening, requested, expired, escalated])
        .when(acknowledge(CHC2))
        .then(ack);
      journey([...opening, requested, expired, escalated])
        .when(acknowledge(CHC2, 'CY-G1', 'doctor'))
        .thenFails('NOT_REFERRING_SIDE');
      journey([...opening, requested, expired, escalated])
        .when(acknowledge(FAR))
        .thenFails('NOT_REFERRING_SIDE');
      journey([...opening, requested, expired])
        .when(acknowledge(CHC2))
        .thenFails('NOT_REFERRING_SIDE');
    });

    it('is still taken once the journey is closed', () => {
      const closed = given(
        { type: 'JourneyClosed', data: { journeyId: 'j-1' } },
        on(CHC, '2026-03-02T18:00:00+08:00'),
      );
      journey([...opening, requested, rejected, closed])
        .when(acknowledge(CHC))
        .then(ack);
    });

    it('refuses the receiving side, an open referral, and a second acknowledgement', () => {
      journey([...opening, requested, rejected])
        .when(acknowledge(HOSP))
        .thenFails('NOT_REFERRING_SIDE');
      journey([...opening, requested])
        .when(acknowledge(CHC))
        .thenFails('REFERRAL_NOT_RESOLVED');
      journey([...opening, requested, rejected, acknowledged])
        .when(acknowledge(CHC))
        .thenFails('ALREADY_ACKNOWLEDGED');
      journey([...opening, requested, rejected, acknowledged])
        .when(acknowledge(CHC, null, 'doctor', '2026-03-02T09:00:00+08:00'))
        .thenFails('ALREADY_ACKNOWLEDGED');
    });
  });

  describe('downward transfer proposals', () => {
    const upstairs = [
      ...opening,
      requested,
      decided('ReferralAccepted', '2026-03-01T11:00:00+08:00'),
      given(
        {
          type: 'PatientAdmitted',
          data: {
            admissionId: 'a-hosp',
            institution: HOSP,
            wardId: 'cardio-surg',
            bedId: null,
            extraBed: false,
            referralId: 'r-1',
          },
        },
        on(HOSP, '2026-03-02T09:30:00+08:00'),
      ),
    ];
    const surgery = (surgeryId: string, occurredAt: string) =>
      given(
        {
          type: 'SurgeryRecorded',
          data: {
            surgeryId,
            admissionId: 'a-hosp',
            institutionId: HOSP.institutionId,
            procedureCode: '36.06',
          },
        },
        on(HOSP, occurredAt),
      );
    const operated = [...upstairs, surgery('s-1', '2026-03-03T08:00:00+08:00')];
    const propose = (
      more: Record<string, unknown> = {},
      institution = HOSP,
      occurredAt = '2026-03-06T08:00:00+08:00',
    ) =>
      command(
        'ProposeDownwardTransfer',
        {
          proposalId: 'p-1',
          surgeryId: 's-1',
          to: CHC,
          basis: 'signed-doctor',
          signedDoctorId: 'doc-1',
          ...more,
        },
        system(institution, occurredAt),
      );
    const proposedEvent: JourneyEvent = {
      type: 'DownwardTransferProposed',
      data: {
        proposalId: 'p-1',
        admissionId: 'a-hosp',
        surgeryId: 's-1',
        from: HOSP,
        to: CHC,
        basis: 'signed-doctor',
        signedDoctorId: 'doc-1',
      },
    };
    const proposed = [
      ...operated,
      given(proposedEvent, system(HOSP, '2026-03-06T08:00:00+08:00'), 'evt-p-1'),
    ];
    const discharged = given(
      {
        type: 'PatientDischarged',
        data: {
          admissionId: 'a-hosp',
          institutionId: HOSP.institutionId,
          disposition: 'home',
          destinationInstitutionId: null,
        },
      },
      on(HOSP, '2026-03-08T10:00:00+08:00'),
    );
    const declined = given(
      { type: 'DownwardTransferProposalDeclined', data: { proposalId: 'p-1', reason: 'not-stable' } },
      on(HOSP, '2026-03-06T09:00:00+08:00'),
    );
    const accept = (
      more: Record<string, unknown> = {},
      institution = HOSP,
      occurredAt = '2026-03-06T10:00:00+08:00',
    ) =>
      command(
        'AcceptTransferProposal',
        {
          proposalId: 'p-1',
          referralId: 'r-down',
          department: 'rehabilitation',
          priority: 'routine',
          setting: 'inpatient',
          reasonCode: 'Z50.1',
          deadlinePolicy: DEFAULT_DEADLINE_POLICY,
          ...more,
        },
        on(institution, occurredAt),
      );
    const decline = (
      reason = 'patient-declined',
      institution = HOSP,
      occurredAt = '2026-03-06T10:00:00+08:00',
    ) => command('DeclineTransferProposal', { proposalId: 'p-1', reason }, on(institution, occurredAt));

    it('is made for the hospital holding the stay, after its surgery, and is open', () => {
      journey(operated).when(propose()).then([proposedEvent]);
      journey(operated)
        .when(propose({ to: CHC2, basis: 'alliance-centre', signedDoctorId: null }))
        .then([
          {
            ...proposedEvent,
            data: { ...proposedEvent.data, to: CHC2, basis: 'alliance-centre', signedDoctorId: null },
          },
        ] as JourneyEvent[]);
      expect(stateOf(proposed).proposals['p-1']).toEqual({
        ...proposedEvent.data,
        proposedAt: '2026-03-06T08:00:00+08:00',
        status: 'open',
        decidedAt: null,
        declineReason: null,
        referralId: null,
      });
    });

    it('refuses another institution, a wrong target or basis, and a surgery not (yet) recorded', () => {
      journey(operated).when(propose({}, HOSP2)).thenFails('ACTING_INSTITUTION_MISMATCH');
      journey(operated)
        .when(propose({ to: HOSP2 }))
        .thenFails('PROPOSAL_NOT_TO_COMMUNITY');
      journey(operated)
        .when(propose({ signedDoctorId: null }))
        .thenFails('PROPOSAL_BASIS_MISMATCH');
      journey(operated)
        .when(propose({ basis: 'alliance-centre' }))
        .thenFails('PROPOSAL_BASIS_MISMATCH');
      journey(operated)
        .when(propose({ surgeryId: 's-x' }))
        .thenFails('SURGERY_NOT_FOUND');
      journey(operated)
        .when(propose({}, HOSP, '2026-03-03T07:00:00+08:00'))
        .thenFails('OCCURRED_BEFORE_SURGERY');
    });

    it('is made only while the stay is open and no downward referral is under way', () => {
      journey([...operated, discharged])
        .when(propose({}, HOSP, '2026-03-09T08:00:00+08:00'))
        .thenFails('NOT_ADMITTED');
      const goingDown = given(
        { type: 'DownwardReferralRequested', data: referralTo(CHC, 'r-2', HOSP) },
        on(HOSP, '2026-03-05T10:00:00+08:00'),
      );
      journey([...operated, goingDown])
        .when(propose())
        .thenFails('DOWNWARD_REFERRAL_OPEN');
    });

    it('is made once per surgery, and one at a time per stay', () => {
      for (const occurredAt of ['2026-03-07T08:00:00+08:00', '2026-03-05T08:00:00+08:00']) {
        journey([...proposed, declined])
          .when(propose({ proposalId: 'p-2' }, HOSP, occurredAt))
          .thenFails('PROPOSAL_ALREADY_EXISTS');
      }
      const again = [...proposed, surgery('s-2', '2026-03-06T09:30:00+08:00')];
      const second = propose({ proposalId: 'p-2', surgeryId: 's-2' }, HOSP, '2026-03-09T08:00:00+08:00');
      journey(again).when(second).thenFails('PROPOSAL_ALREADY_OPEN');
      expect(
        journey([...again, declined])
          .when(second)
          .events(),
      ).toHaveLength(1);
    });

    it('accepted, becomes a downward referral in the same decision, to the signed doctor', () => {
      const events = journey(proposed).when(accept()).events();
      expect(events).toEqual([
        { type: 'DownwardTransferProposalAccepted', data: { proposalId: 'p-1', referralId: 'r-down' } },
        {
          type: 'DownwardReferralRequested',
          data: {
            referralId: 'r-down',
            from: HOSP,
            to: CHC,
            department: 'rehabilitation',
            priority: 'routine',
            setting: 'inpatient',
            reasonCode: 'Z50.1',
            // Friday 10:00 plus two working days.
            deadline: '2026-03-10T10:00:00+08:00',
            redirectedFromReferralId: null,
            signedDoctorId: 'doc-1',
            signedCentreId: CHC.institutionId,
          },
        },
      ]);
      const signedOnTheDay = { doctorId: 'doc-9', centreId: CHC.institutionId };
      expect(
        journey(proposed)
          .when(accept({ signedDoctor: signedOnTheDay }))
          .events()[1],
      ).toMatchObject({
        data: { signedDoctorId: 'doc-9', signedCentreId: CHC.institutionId },
      });
      const state = stateOf([
        ...proposed,
        ...events.map((event) => given(event, on(HOSP, '2026-03-06T10:00:00+08:00'))),
      ]);
      expect(state.proposals['p-1']).toMatchObject({
        status: 'accepted',
        decidedAt: '2026-03-06T10:00:00+08:00',
        referralId: 'r-down',
      });
      expect(state.referrals['r-down']).toMatchObject({ direction: 'down', status: 'requested' });
    });

    it('on the alliance-centre basis, the referral names no signed doctor', () => {
      const toCentre = [
        ...operated,
        given(
          {
            ...proposedEvent,
            data: { ...proposedEvent.data, basis: 'alliance-centre', signedDoctorId: null },
          },
          system(HOSP, '2026-03-06T08:00:00+08:00'),
        ),
      ] as GivenEvent<JourneyEvent>[];
      const referral = journey(toCentre).when(accept()).events()[1]!;
      expect(referral.data).not.toHaveProperty('signedDoctorId');
    });

    it('declined, with a reason, by the holding hospital', () => {
      journey(proposed)
        .when(decline())
        .then([
          {
            type: 'DownwardTransferProposalDeclined',
            data: { proposalId: 'p-1', reason: 'patient-declined' },
          },
        ]);
      expect(stateOf([...proposed, declined]).proposals['p-1']).toMatchObject({
        status: 'declined',
        decidedAt: '2026-03-06T09:00:00+08:00',
        declineReason: 'not-stable',
      });
    });

    it('refuses another institution, an unknown proposal, and a decided one', () => {
      journey(proposed).when(accept({}, CHC)).thenFails('ACTING_INSTITUTION_MISMATCH');
      journey(proposed).when(decline('other', CHC)).thenFails('ACTING_INSTITUTION_MISMATCH');
      journey(proposed)
        .when(accept({ proposalId: 'p-x' }))
        .thenFails('PROPOSAL_NOT_FOUND');
      journey(proposed)
        .when(decline('other', HOSP, '2026-03-05T10:00:00+08:00'))
        .thenFails('OCCURRED_BEFORE_PROPOSAL');
      journey([...proposed, declined])
        .when(accept())
        .thenFails('PROPOSAL_NOT_OPEN');
      journey([...proposed, declined])
        .when(decline())
        .thenFails('PROPOSAL_NOT_OPEN');
      // A decision entered late, from before the one recorded, is a second decision.
      journey([...proposed, declined])
        .when(decline('other', HOSP, '2026-03-06T08:30:00+08:00'))
        .thenFails('PROPOSAL_NOT_OPEN');
      journey(proposed)
        .when(accept({ referralId: 'r-1' }))
        .thenFails('REFERRAL_ALREADY_EXISTS');
    });

    it('lapses when the stay ends or a downward referral is requested otherwise', () => {
      expect(stateOf([...proposed, discharged]).proposals['p-1']).toMatchObject({
        status: 'lapsed',
        decidedAt: '2026-03-08T10:00:00+08:00',
      });
      const otherwise = given(
        { type: 'DownwardReferralRequested', data: referralTo(CHC2, 'r-2', HOSP) },
        on(HOSP, '2026-03-07T10:00:00+08:00'),
      );
      expect(stateOf([...proposed, otherwise]).proposals['p-1']).toMatchObject({ status: 'lapsed' });
      journey([...proposed, discharged])
        .when(accept({}, HOSP, '2026-03-09T10:00:00+08:00'))
        .thenFails('PROPOSAL_NOT_OPEN');
    });

    it('a decision entered late, from before the lapse, replaces the lapse', () => {
      const late = journey([...proposed, discharged]).when(
        decline('not-stable', HOSP, '2026-03-06T09:00:00+08:00'),
      );
      expect(late.events()).toEqual([declined.event]);
      expect(stateOf([...proposed, discharged, declined]).proposals['p-1']).toMatchObject({
        status: 'declined',
      });
    });

    it('is voidable like any workflow event: the proposal is gone, and may be made again', () => {
      const voided = given(
        {
          type: 'EventEnteredInError',
          data: {
            targetEventId: 'evt-p-1',
            targetType: 'DownwardTransferProposed',
            reason: 'never-happened',
          },
        },
        system(HOSP, '2026-03-06T11:00:00+08:00'),
      );
      expect(stateOf([...proposed, voided]).proposals['p-1']).toBeUndefined();
      expect(
        journey([...proposed, voided])
          .when(propose({ proposalId: 'p-2' }, HOSP, '2026-03-06T12:00:00+08:00'))
          .events(),
      ).toHaveLength(1);
    });
  });

  describe('the follow-up owed after a discharge', () => {
    const stay = [
      ...opening,
      given(
        {
          type: 'PatientAdmitted',
          data: {
            admissionId: 'a-hosp',
            institution: HOSP,
            wardId: 'icu',
            bedId: null,
            extraBed: false,
            referralId: null,
          },
        },
        on(HOSP, '2026-03-02T09:30:00+08:00'),
      ),
    ];
    const dischargedTo = (disposition: string, destinationInstitutionId: string | null = null) =>
      given(
        {
          type: 'PatientDischarged',
          data: {
            admissionId: 'a-hosp',
            institutionId: HOSP.institutionId,
            disposition,
            destinationInstitutionId,
          },
        } as JourneyEvent,
        on(HOSP, '2026-03-10T10:00:00+08:00'),
      );
    const home = [...stay, dischargedTo('home')];
    const owe = (more: Record<string, unknown> = {}, institution = HOSP) =>
      command(
        'OweFollowUp',
        {
          followUpId: 'f-1',
          admissionId: 'a-hosp',
          owedBy: CHC,
          signedDoctorId: 'doc-1',
          dueBy: '2026-03-17T10:00:00+08:00',
          basis: 'after-surgery',
          ...more,
        },
        system(institution, '2026-03-10T10:00:00+08:00'),
      );
    const owedEvent: JourneyEvent = {
      type: 'FollowUpOwed',
      data: {
        followUpId: 'f-1',
        admissionId: 'a-hosp',
        dischargedAt: '2026-03-10T10:00:00+08:00',
        owedBy: CHC,
        signedDoctorId: 'doc-1',
        dueBy: '2026-03-17T10:00:00+08:00',
        basis: 'after-surgery',
      },
    };
    const owed = given(owedEvent, system(HOSP, '2026-03-10T10:00:00+08:00'), 'evt-f-1');
    const followUpAfter = (...events: GivenEvent<JourneyEvent>[]) =>
      stateOf([...home, owed, ...events]).followUps['f-1'];
    const complete = (
      visitId: string | null = null,
      institution = CHC,
      occurredAt = '2026-03-20T09:00:00+08:00',
    ) => command('CompleteFollowUp', { followUpId: 'f-1', visitId }, on(institution, occurredAt));

    it('is owed by a community centre at a discharge home or to rehab, once per stay', () => {
      journey(home).when(owe()).then([owedEvent]);
      journey([...stay, dischargedTo('rehab', CHC.institutionId)])
        .when(owe())
        .then([owedEvent]);
      expect(followUpAfter()).toEqual({
        ...owedEvent.data,
        status: 'owed',
        completedAt: null,
        completedBy: null,
        visitId: null,
      });
      journey([...home, owed])
        .when(owe({ followUpId: 'f-2' }))
        .thenFails('FOLLOW_UP_ALREADY_OWED');
    });

    it('refuses a stay not discharged home or to rehab, a non-community centre and a due date before the discharge', () => {
      journey(stay).when(owe()).thenFails('FOLLOW_UP_NEEDS_DISCHARGE');
      journey([...stay, dischargedTo('other-institution', HOSP2.institutionId)])
        .when(owe())
        .thenFails('FOLLOW_UP_NEEDS_DISCHARGE');
      journey(home)
        .when(owe({ owedBy: HOSP2 }))
        .thenFails('FOLLOW_UP_NOT_COMMUNITY');
      journey(home)
        .when(owe({ dueBy: '2026-03-09T10:00:00+08:00' }))
        .thenFails('FOLLOW_UP_DUE_BEFORE_DISCHARGE');
      journey(home)
        .when(owe({ admissionId: 'a-x' }))
        .thenFails('ADMISSION_NOT_FOUND');
      journey(home).when(owe({}, CHC)).thenFails('ACTING_INSTITUTION_MISMATCH');
    });

    it('is done by a visit at the owing centre between the discharge and the due date', () => {
      expect(followUpAfter(visitAt('v-2', CHC, '2026-03-12T09:00:00+08:00'))).toMatchObject({
        status: 'done',
        completedAt: '2026-03-12T09:00:00+08:00',
        completedBy: 'visit',
        visitId: 'v-2',
      });
      expect(followUpAfter(visitAt('v-2', CHC2, '2026-03-12T09:00:00+08:00'))).toMatchObject({
        status: 'owed',
      });
      expect(followUpAfter(visitAt('v-2', CHC, '2026-03-18T09:00:00+08:00'))).toMatchObject({
        status: 'owed',
      });
      // Recorded before the process owed it, the visit still counts: the window is the care time.
      const visitFirst = stateOf([...home, visitAt('v-2', CHC, '2026-03-11T09:00:00+08:00'), owed]);
      expect(visitFirst.followUps['f-1']).toMatchObject({ status: 'done', visitId: 'v-2' });
    });

    it('is owed and completed even when the journey was closed at the discharge', () => {
      const closed = given(
        { type: 'JourneyClosed', data: { journeyId: 'j-1' } },
        on(HOSP, '2026-03-10T11:00:00+08:00'),
      );
      // Owed at the discharge, which comes before the closing in care time.
      journey([...home, closed])
        .when(owe())
        .then([owedEvent]);
      journey([...home, owed, closed])
        .when(complete())
        .then([{ type: 'FollowUpCompleted', data: { followUpId: 'f-1', visitId: null } }]);
      // Nothing else is: a visit after the closing belongs to another journey.
      journey([...home, owed, closed])
        .when(
          command(
            'RecordVisit',
            {
              visitId: 'v-9',
              institution: CHC,
              visitType: 'outpatient',
              diagnosisCode: 'Z09',
              referralId: null,
            },
            on(CHC, '2026-03-12T09:00:00+08:00'),
          ),
        )
        .thenFails('JOURNEY_CLOSED');
    });

    it('is owed again when its visit is voided, or corrected out of the window', () => {
      const visit = visitAt('v-2', CHC, '2026-03-12T09:00:00+08:00');
      const voided = given(
        {
          type: 'EventEnteredInError',
          data: { targetEventId: 'evt-v-2', targetType: 'VisitRecorded', reason: 'wrong-patient' },
        },
        on(CHC, '2026-03-13T09:00:00+08:00'),
      );
      expect(followUpAfter(visit, voided)).toMatchObject({ status: 'owed', visitId: null });
      const moved = given(
        {
          type: 'EventCorrected',
          data: {
            targetEventId: 'evt-v-2',
            targetType: 'VisitRecorded',
            occurredAt: '2026-03-19T09:00:00+08:00',
            data: {},
          },
        },
        on(CHC, '2026-03-19T10:00:00+08:00'),
      );
      expect(followUpAfter(visit, moved)).toMatchObject({ status: 'owed' });
    });

    it('is recorded as done by the owing centre, naming its visit or none', () => {
      journey([...home, owed])
        .when(complete())
        .then([{ type: 'FollowUpCompleted', data: { followUpId: 'f-1', visitId: null } }]);
      const late = visitAt('v-late', CHC, '2026-03-19T09:00:00+08:00');
      journey([...home, owed, late])
        .when(complete('v-late'))
        .then([{ type: 'FollowUpCompleted', data: { followUpId: 'f-1', visitId: 'v-late' } }]);
      const recorded = given(
        { type: 'FollowUpCompleted', data: { followUpId: 'f-1', visitId: 'v-late' } },
        on(CHC, '2026-03-20T09:00:00+08:00'),
      );
      expect(followUpAfter(late, recorded)).toMatchObject({
        status: 'done',
        completedAt: '2026-03-20T09:00:00+08:00',
        completedBy: 'recorded',
        visitId: 'v-late',
      });
    });

    it('refuses another institution, an unknown follow-up or visit, a visit not its own, and a follow-up done', () => {
      journey([...home, owed])
        .when(complete(null, HOSP))
        .thenFails('ACTING_INSTITUTION_MISMATCH');
      journey([...home, owed])
        .when(
          command(
            'CompleteFollowUp',
            { followUpId: 'f-x', visitId: null },
            on(CHC, '2026-03-20T09:00:00+08:00'),
          ),
        )
        .thenFails('FOLLOW_UP_NOT_FOUND');
      journey([...home, owed])
        .when(complete(null, CHC, '2026-03-09T09:00:00+08:00'))
        .thenFails('OCCURRED_BEFORE_FOLLOW_UP');
      journey([...home, owed])
        .when(complete('v-x'))
        .thenFails('VISIT_NOT_FOUND');
      journey([...home, owed, visitAt('v-3', CHC2, '2026-03-12T09:00:00+08:00')])
        .when(complete('v-3'))
        .thenFails('FOLLOW_UP_VISIT_MISMATCH');
      journey([...home, owed])
        .when(complete('v-1'))
        .thenFails('FOLLOW_UP_VISIT_MISMATCH');
      journey([...home, owed, visitAt('v-2', CHC, '2026-03-12T09:00:00+08:00')])
        .when(complete())
        .thenFails('FOLLOW_UP_ALREADY_DONE');
      const recorded = given(
        { type: 'FollowUpCompleted', data: { followUpId: 'f-1', visitId: null } },
        on(CHC, '2026-03-20T09:00:00+08:00'),
      );
      journey([...home, owed, recorded])
        .when(complete())
        .thenFails('FOLLOW_UP_ALREADY_DONE');
      journey([...home, owed, recorded])
        .when(complete(null, CHC, '2026-03-15T09:00:00+08:00'))
        .thenFails('FOLLOW_UP_ALREADY_DONE');
    });
  });
});
