import { deciderSpec, type GivenEvent, specMetadata } from '../testing/decider-spec';
import type { CommandMetadata } from '../shared/event';
import type { JourneyCommand, WardSnapshot } from './journey.commands';
import { decideJourney } from './journey.decider';
import type { InstitutionSnapshot, JourneyEvent } from './journey.events';
import { evolveJourney, initialJourneyState, type OpenedJourneyState } from './journey.state';
import { DEFAULT_DEADLINE_POLICY } from './referral-deadline';

/*
 * Given/when/then for every journey rule (issue 2; workflow states from docs/domain.md, "Referral workflow states").
 * The acting institution is metadata.institutionId; care time is metadata.occurredAt.
 */
const spec = deciderSpec({ decide: decideJourney, evolve: evolveJourney, initialState: initialJourneyState });

const snapshot = (
  institutionId: string,
  tier: InstitutionSnapshot['tier'],
  allianceId = 'CY-G1',
  regionCode = '110105',
): InstitutionSnapshot => ({ institutionId, tier, allianceId, regionCode });
const CHC = snapshot('CHC-CY-01', 'community');
const HOSP = snapshot('HOSP-CY-01', 'tertiary');
const HOSP2 = snapshot('HOSP-CY-02', 'tertiary');
const OTHER = snapshot('SEC-HD-01', 'secondary', 'HD-G1', '110108');

const at = (institution: InstitutionSnapshot, occurredAt: string): Partial<CommandMetadata> => ({
  institutionId: institution.institutionId,
  occurredAt,
});
const cmd = (
  type: JourneyCommand['type'],
  data: object,
  meta: Partial<CommandMetadata> = {},
): JourneyCommand => ({ type, data, metadata: specMetadata(meta) }) as JourneyCommand;
const past = (
  event: JourneyEvent,
  meta: Partial<CommandMetadata> = {},
  id?: string,
): GivenEvent<JourneyEvent> => ({
  event,
  metadata: meta,
  id,
});
const ward = (
  institution: InstitutionSnapshot,
  wardId: string,
  openBeds = 10,
  occupiedBeds = 0,
): WardSnapshot => ({
  institutionId: institution.institutionId,
  wardId,
  openBeds,
  occupiedBeds,
});

const opened = past({
  type: 'JourneyOpened',
  data: { journeyId: 'j-1', patientId: 'pt-7f3a9c21', residenceRegion: '110105' },
});
const firstVisit = past(
  {
    type: 'VisitRecorded',
    data: {
      visitId: 'v-1',
      institution: CHC,
      visitType: 'outpatient',
      diagnosisCode: 'I21.4',
      referralId: null,
    },
  },
  at(CHC, '2026-03-01T09:00:00+08:00'),
);
const requestData = (
  to: InstitutionSnapshot = HOSP,
  from: InstitutionSnapshot = CHC,
  referralId = 'r-1',
) => ({
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
const requested = past(
  { type: 'UpwardReferralRequested', data: requestData() },
  at(CHC, '2026-03-01T10:00:00+08:00'),
);
const accepted = past(
  { type: 'ReferralAccepted', data: { referralId: 'r-1' } },
  at(HOSP, '2026-03-01T11:00:00+08:00'),
);
const admittedAt = (
  institution: InstitutionSnapshot,
  admissionId: string,
  wardId: string,
  occurredAt: string,
  referralId: string | null = null,
) =>
  past(
    {
      type: 'PatientAdmitted',
      data: { admissionId, institution, wardId, bedId: null, extraBed: false, referralId },
    },
    at(institution, occurredAt),
    `evt-${admissionId}`,
  );
const communityStay = admittedAt(CHC, 'a-chc', 'rehab', '2026-03-01T12:00:00+08:00');
const onLeave = past(
  { type: 'LeaveStarted', data: { admissionId: 'a-chc', bedHeld: true } },
  at(CHC, '2026-03-02T08:00:00+08:00'),
);
const hospitalStay = admittedAt(HOSP, 'a-hosp', 'cardio-surg', '2026-03-02T09:30:00+08:00', 'r-1');

const requestReferral = (
  direction: 'up' | 'down',
  from: InstitutionSnapshot,
  to: InstitutionSnapshot,
  occurredAt = '2026-03-01T10:00:00+08:00',
  priority = 'urgent',
) =>
  cmd(
    'RequestReferral',
    {
      referralId: 'r-9',
      direction,
      from,
      to,
      department: 'cardiology',
      priority,
      setting: 'inpatient',
      reasonCode: 'I21.4',
      deadlinePolicy: DEFAULT_DEADLINE_POLICY,
    },
    at(from, occurredAt),
  );
const openJourney = (visitId: string, institution: InstitutionSnapshot) =>
  cmd(
    'OpenJourney',
    {
      journeyId: 'j-1',
      patientId: 'pt-7f3a9c21',
      residenceRegion: '110105',
      visitId,
      institution,
      visitType: 'outpatient',
      diagnosisCode: 'I21.4',
    },
    at(CHC, '2026-03-01T09:00:00+08:00'),
  );
const recordVisit = (diagnosisCode: string, referralId: string | null, occurredAt: string) =>
  cmd(
    'RecordVisit',
    { visitId: 'v-2', institution: HOSP, visitType: 'outpatient', diagnosisCode, referralId },
    at(HOSP, occurredAt),
  );
const rejectReferral = (
  reason: string,
  redirectTo: InstitutionSnapshot | null,
  redirectReferralId: string | null,
) =>
  cmd(
    'RejectReferral',
    { referralId: 'r-1', reason, redirectTo, redirectReferralId, deadlinePolicy: DEFAULT_DEADLINE_POLICY },
    at(HOSP, '2026-03-01T12:00:00+08:00'),
  );
const recordSurgery = (occurredAt: string) =>
  cmd(
    'RecordSurgery',
    { surgeryId: 's-1', institutionId: HOSP.institutionId, procedureCode: '36.06' },
    at(HOSP, occurredAt),
  );
const surgeryRecorded = (admissionId: string): JourneyEvent => ({
  type: 'SurgeryRecorded',
  data: { surgeryId: 's-1', admissionId, institutionId: HOSP.institutionId, procedureCode: '36.06' },
});
const discharged = (admissionId: string, institution: InstitutionSnapshot): JourneyEvent => ({
  type: 'PatientDischarged',
  data: {
    admissionId,
    institutionId: institution.institutionId,
    disposition: 'home',
    destinationInstitutionId: null,
  },
});
const dischargeHome = (admissionId: string, meta: Partial<CommandMetadata>) =>
  cmd('DischargePatient', { admissionId, disposition: 'home', destinationInstitutionId: null }, meta);
const correctEvent = (
  targetEventId: string,
  targetType: string,
  occurredAt: string,
  meta: Partial<CommandMetadata>,
  patch: Record<string, string | null> = {},
) => cmd('CorrectEvent', { targetEventId, targetType, occurredAt, patch }, meta);
const markEnteredInError = (targetEventId: string, reason: string, meta: Partial<CommandMetadata>) =>
  cmd('MarkEnteredInError', { targetEventId, reason }, meta);
const moveWard = (admissionId: string, toWard: WardSnapshot, occurredAt: string) =>
  cmd('MoveWard', { admissionId, toWard, bedId: null }, at(HOSP, occurredAt));
const admitPatient = (
  admissionId: string,
  institution: InstitutionSnapshot,
  toWard: WardSnapshot,
  occurredAt: string,
  more: object = {},
) =>
  cmd(
    'AdmitPatient',
    { admissionId, institution, ward: toWard, bedId: null, referralId: null, ...more },
    at(institution, occurredAt),
  );

describe('journey decider', () => {
  describe('opening', () => {
    it('opens with the journey and its first visit', () => {
      spec([]).when(openJourney('v-1', CHC)).then([opened.event, firstVisit.event]);
    });

    it('refuses to open twice', () => {
      spec([opened, firstVisit]).when(openJourney('v-2', CHC)).thenFails('JOURNEY_ALREADY_OPENED');
    });

    it('refuses any other command before the journey is opened', () => {
      spec([]).when(cmd('CloseJourney', {})).thenFails('JOURNEY_NOT_OPENED');
    });

    it('records a first visit only for the acting institution', () => {
      spec([]).when(openJourney('v-1', HOSP)).thenFails('ACTING_INSTITUTION_MISMATCH');
    });
  });

  describe('visits', () => {
    it('records a further visit anywhere, by that institution', () => {
      const data = {
        visitId: 'v-2',
        institution: OTHER,
        visitType: 'emergency',
        diagnosisCode: 'I10',
        referralId: null,
      };
      spec([opened, firstVisit])
        .when(cmd('RecordVisit', data, at(OTHER, '2026-03-03T09:00:00+08:00')))
        .then([{ type: 'VisitRecorded', data } as JourneyEvent]);
    });

    it('links a specialist visit to an accepted referral to that institution, which then is in progress', () => {
      const data = {
        visitId: 'v-2',
        institution: HOSP,
        visitType: 'outpatient',
        diagnosisCode: 'I21.4',
        referralId: 'r-1',
      };
      const given = spec([
        opened,
        firstVisit,
        requested,
        accepted,
        past({ type: 'VisitRecorded', data } as JourneyEvent, at(HOSP, '2026-03-01T15:00:00+08:00')),
      ]);
      expect((given.state as OpenedJourneyState).referrals['r-1']?.status).toBe('in-progress');
    });

    it('refuses to link a visit to a referral not yet accepted', () => {
      spec([opened, firstVisit, requested])
        .when(recordVisit('I21.4', 'r-1', '2026-03-01T15:00:00+08:00'))
        .thenFails('REFERRAL_NOT_ACCEPTED');
    });
  });

  describe('requesting a referral', () => {
    it('sends an upward referral to a higher tier with a deadline from its priority', () => {
      const [event] = spec([opened, firstVisit])
        .when(requestReferral('up', CHC, HOSP))
        .events();
      expect(event).toEqual({
        type: 'UpwardReferralRequested',
        data: expect.objectContaining({
          referralId: 'r-9',
          from: CHC,
          to: HOSP,
          deadline: '2026-03-02T10:00:00+08:00',
          redirectedFromReferralId: null,
        }),
      });
    });

    it('sends a downward referral to a lower tier', () => {
      const [event] = spec([opened, firstVisit])
        .when(requestReferral('down', HOSP, CHC, '2026-03-01T10:00:00+08:00', 'green-channel'))
        .events();
      expect(event).toMatchObject({
        type: 'DownwardReferralRequested',
        data: { deadline: '2026-03-01T12:00:00+08:00' },
      });
    });

    it('names the family doctor a patient coming down is signed with, when the shell found one', () => {
      const command = requestReferral('down', HOSP, CHC, '2026-03-01T10:00:00+08:00', 'routine');
      if (command.type !== 'RequestReferral') throw new Error('a referral request');
      const signed = {
        ...command,
        data: { ...command.data, signedDoctor: { doctorId: 'fd-wang', centreId: CHC.institutionId } },
      };
      const [event] = spec([opened, firstVisit]).when(signed).events();
      expect(event).toMatchObject({
        type: 'DownwardReferralRequested',
        data: { signedDoctorId: 'fd-wang', signedCentreId: CHC.institutionId },
      });
      const [unsigned] = spec([opened, firstVisit]).when(command).events();
      expect(unsigned?.data).not.toHaveProperty('signedDoctorId');
    });

    it('refuses an upward referral to the same or a lower tier', () => {
      spec([opened, firstVisit])
        .when(requestReferral('up', HOSP, HOSP2))
        .thenFails('REFERRAL_TIER_MISMATCH');
      spec([opened, firstVisit])
        .when(requestReferral('up', HOSP, OTHER))
        .thenFails('REFERRAL_TIER_MISMATCH');
    });

    it('refuses a downward referral to a higher tier', () => {
      spec([opened, firstVisit])
        .when(requestReferral('down', CHC, OTHER))
        .thenFails('REFERRAL_TIER_MISMATCH');
    });

    it('refuses a referral to the same institution', () => {
      spec([opened, firstVisit])
        .when(requestReferral('up', CHC, CHC))
        .thenFails('REFERRAL_SAME_INSTITUTION');
    });

    it('is requested by the referring institution only', () => {
      spec([opened, firstVisit])
        .when({
          ...requestReferral('up', CHC, HOSP),
          metadata: specMetadata(at(HOSP, '2026-03-01T10:00:00+08:00')),
        })
        .thenFails('ACTING_INSTITUTION_MISMATCH');
    });
  });

  describe('the referral workflow', () => {
    const receive = (institution = HOSP) =>
      cmd('ReceiveReferral', { referralId: 'r-1' }, at(institution, '2026-03-01T10:20:00+08:00'));
    const accept = (institution = HOSP) =>
      cmd('AcceptReferral', { referralId: 'r-1' }, at(institution, '2026-03-01T11:00:00+08:00'));
    const cancelled = past(
      { type: 'ReferralCancelled', data: { referralId: 'r-1', reason: 'patient-recovered' } },
      at(CHC, '2026-03-01T10:10:00+08:00'),
    );

    it('is received, then accepted, by the receiving institution', () => {
      spec([opened, firstVisit, requested])
        .when(receive())
        .then([{ type: 'ReferralReceived', data: { referralId: 'r-1' } }]);
      spec([opened, firstVisit, requested, past({ type: 'ReferralReceived', data: { referralId: 'r-1' } })])
        .when(accept())
        .then([{ type: 'ReferralAccepted', data: { referralId: 'r-1' } }]);
    });

    it('may be accepted straight from requested', () => {
      spec([opened, firstVisit, requested])
        .when(accept())
        .then([{ type: 'ReferralAccepted', data: { referralId: 'r-1' } }]);
    });

    it('refuses the requesting side acting for the receiving one', () => {
      spec([opened, firstVisit, requested]).when(accept(CHC)).thenFails('REFERRAL_WRONG_SIDE');
      spec([opened, firstVisit, requested]).when(receive(CHC)).thenFails('REFERRAL_WRONG_SIDE');
    });

    it('refuses to accept a cancelled referral', () => {
      spec([opened, firstVisit, requested, cancelled])
        .when(accept())
        .thenFails('REFERRAL_INVALID_TRANSITION');
    });

    it('refuses to accept twice and to receive after a decision, in care time', () => {
      spec([opened, firstVisit, requested, accepted]).when(accept()).thenFails('REFERRAL_INVALID_TRANSITION');
      spec([opened, firstVisit, requested, accepted])
        .when(cmd('ReceiveReferral', { referralId: 'r-1' }, at(HOSP, '2026-03-01T11:30:00+08:00')))
        .thenFails('REFERRAL_INVALID_TRANSITION');
      // Typed in after the decision, but received before it in care: a late entry, and a possible timeline.
      spec([opened, firstVisit, requested, accepted])
        .when(receive())
        .then([{ type: 'ReferralReceived', data: { referralId: 'r-1' } }]);
    });

    it('answers an unknown referral with REFERRAL_NOT_FOUND', () => {
      spec([opened, firstVisit]).when(accept()).thenFails('REFERRAL_NOT_FOUND');
    });

    it('rejects with a reason', () => {
      spec([opened, firstVisit, requested])
        .when(rejectReferral('not-indicated', null, null))
        .then([
          {
            type: 'ReferralRejected',
            data: {
              referralId: 'r-1',
              reason: 'not-indicated',
              redirectedToInstitutionId: null,
              redirectReferralId: null,
            },
          },
        ]);
    });

    it('redirects a capacity-full rejection to another member of the alliance, with a fresh deadline', () => {
      spec([opened, firstVisit, requested])
        .when(rejectReferral('capacity-full', HOSP2, 'r-2'))
        .then([
          {
            type: 'ReferralRejected',
            data: {
              referralId: 'r-1',
              reason: 'capacity-full',
              redirectedToInstitutionId: HOSP2.institutionId,
              redirectReferralId: 'r-2',
            },
          },
          {
            type: 'UpwardReferralRequested',
            data: {
              ...requestData(HOSP2, CHC, 'r-2'),
              deadline: '2026-03-02T12:00:00+08:00',
              redirectedFromReferralId: 'r-1',
            },
          },
        ]);
    });

    it('redirects only for capacity, and only inside the alliance', () => {
      const reject = (reason: string, to: InstitutionSnapshot) => rejectReferral(reason, to, 'r-2');
      spec([opened, firstVisit, requested])
        .when(reject('not-indicated', HOSP2))
        .thenFails('REDIRECT_REQUIRES_CAPACITY_REASON');
      spec([opened, firstVisit, requested])
        .when(reject('capacity-full', OTHER))
        .thenFails('REDIRECT_OUTSIDE_ALLIANCE');
      spec([opened, firstVisit, requested])
        .when(reject('capacity-full', HOSP))
        .thenFails('REFERRAL_SAME_INSTITUTION');
    });

    it('is completed by the receiving side once accepted or in progress', () => {
      spec([opened, firstVisit, requested, accepted])
        .when(cmd('CompleteReferral', { referralId: 'r-1' }, at(HOSP, '2026-03-05T10:00:00+08:00')))
        .then([{ type: 'ReferralCompleted', data: { referralId: 'r-1' } }]);
      spec([opened, firstVisit, requested])
        .when(cmd('CompleteReferral', { referralId: 'r-1' }, at(HOSP, '2026-03-05T10:00:00+08:00')))
        .thenFails('REFERRAL_INVALID_TRANSITION');
    });

    it('is cancelled by the requester only, before care has started', () => {
      const cancel = (institution: InstitutionSnapshot) =>
        cmd(
          'CancelReferral',
          { referralId: 'r-1', reason: 'patient-declined' },
          at(institution, '2026-03-01T12:00:00+08:00'),
        );
      spec([opened, firstVisit, requested, accepted])
        .when(cancel(CHC))
        .then([{ type: 'ReferralCancelled', data: { referralId: 'r-1', reason: 'patient-declined' } }]);
      spec([opened, firstVisit, requested]).when(cancel(HOSP)).thenFails('REFERRAL_WRONG_SIDE');
      spec([opened, firstVisit, requested, accepted, hospitalStay])
        .when(
          cmd(
            'CancelReferral',
            { referralId: 'r-1', reason: 'patient-declined' },
            at(CHC, '2026-03-02T12:00:00+08:00'),
          ),
        )
        .thenFails('REFERRAL_INVALID_TRANSITION');
      // Cancelled before the admission that answered it: that admission would have no accepted referral.
      spec([opened, firstVisit, requested, accepted, hospitalStay])
        .when(cancel(CHC))
        .thenFails('REFERRAL_NOT_ACCEPTED');
    });

    it('expires only at or after its deadline, and only while undecided', () => {
      const expire = (occurredAt: string) =>
        cmd('ExpireReferral', { referralId: 'r-1' }, at(HOSP, occurredAt));
      spec([opened, firstVisit, requested])
        .when(expire('2026-03-02T09:59:59+08:00'))
        .thenFails('REFERRAL_NOT_OVERDUE');
      spec([opened, firstVisit, requested])
        .when(expire('2026-03-02T10:00:00+08:00'))
        .then([
          { type: 'ReferralExpired', data: { referralId: 'r-1', deadline: '2026-03-02T10:00:00+08:00' } },
        ]);
      spec([opened, firstVisit, requested, accepted])
        .when(expire('2026-03-03T10:00:00+08:00'))
        .thenFails('REFERRAL_INVALID_TRANSITION');
    });
  });

  describe('admissions and the sequential ward', () => {
    const admit = (
      institution: InstitutionSnapshot,
      wardSnapshot: WardSnapshot,
      referralId: string | null = null,
      occurredAt = '2026-03-02T09:30:00+08:00',
    ) =>
      cmd(
        'AdmitPatient',
        { admissionId: 'a-new', institution, ward: wardSnapshot, bedId: '7', referralId },
        at(institution, occurredAt),
      );

    it('admits to a ward, and marks an extra bed (加床) when every open bed is taken', () => {
      expect(
        spec([opened, firstVisit])
          .when(admit(HOSP, ward(HOSP, 'icu', 4, 3)))
          .events(),
      ).toEqual([
        {
          type: 'PatientAdmitted',
          data: {
            admissionId: 'a-new',
            institution: HOSP,
            wardId: 'icu',
            bedId: '7',
            extraBed: false,
            referralId: null,
          },
        },
      ]);
      expect(
        spec([opened, firstVisit])
          .when(admit(HOSP, ward(HOSP, 'icu', 4, 4)))
          .events()[0],
      ).toMatchObject({ data: { extraBed: true } });
    });

    it('refuses a second bed while admitted', () => {
      spec([opened, firstVisit, communityStay])
        .when(admit(HOSP, ward(HOSP, 'icu')))
        .thenFails('ALREADY_ADMITTED');
    });

    it('admits upstairs while the community bed is held (序贯病房)', () => {
      const given = spec([opened, firstVisit, requested, accepted, communityStay, onLeave]);
      expect(given.when(admit(HOSP, ward(HOSP, 'cardio-surg'), 'r-1')).events()).toHaveLength(1);
      const state = spec([opened, firstVisit, requested, accepted, communityStay, onLeave, hospitalStay])
        .state as OpenedJourneyState;
      expect(state.admissions['a-chc']?.status).toBe('on-leave');
      expect(state.admissions['a-hosp']?.status).toBe('in-bed');
      expect(state.referrals['r-1']?.status).toBe('in-progress');
    });

    it('admits on a referral only when accepted and addressed to the admitting institution', () => {
      spec([opened, firstVisit, requested])
        .when(admit(HOSP, ward(HOSP, 'icu'), 'r-1'))
        .thenFails('REFERRAL_NOT_ACCEPTED');
      spec([opened, firstVisit, requested, accepted])
        .when(admit(HOSP2, ward(HOSP2, 'icu'), 'r-1'))
        .thenFails('REFERRAL_WRONG_SIDE');
    });

    it('refuses a ward of another institution', () => {
      spec([opened, firstVisit])
        .when(admit(HOSP, ward(HOSP2, 'icu')))
        .thenFails('WARD_NOT_IN_INSTITUTION');
    });

    it('starts and ends leave from a held bed', () => {
      spec([opened, firstVisit, communityStay])
        .when(
          cmd('StartLeave', { admissionId: 'a-chc', holdBed: true }, at(CHC, '2026-03-02T08:00:00+08:00')),
        )
        .then([{ type: 'LeaveStarted', data: { admissionId: 'a-chc', bedHeld: true } }]);
      spec([opened, firstVisit, communityStay, onLeave])
        .when(
          cmd('StartLeave', { admissionId: 'a-chc', holdBed: true }, at(CHC, '2026-03-02T09:00:00+08:00')),
        )
        .thenFails('ALREADY_ON_LEAVE');
      spec([opened, firstVisit, communityStay])
        .when(cmd('EndLeave', { admissionId: 'a-chc' }, at(CHC, '2026-03-02T09:00:00+08:00')))
        .thenFails('NOT_ON_LEAVE');
    });

    it('refuses the return to the held bed while the patient is still in a bed upstairs', () => {
      spec([opened, firstVisit, requested, accepted, communityStay, onLeave, hospitalStay])
        .when(cmd('EndLeave', { admissionId: 'a-chc' }, at(CHC, '2026-03-05T09:00:00+08:00')))
        .thenFails('ALREADY_ADMITTED');
    });

    it('moves ward within the institution', () => {
      const move = (toWard: WardSnapshot) => moveWard('a-hosp', toWard, '2026-03-03T09:00:00+08:00');
      spec([opened, firstVisit, requested, accepted, hospitalStay])
        .when(move(ward(HOSP, 'icu', 4, 4)))
        .then([
          {
            type: 'PatientMovedWard',
            data: {
              admissionId: 'a-hosp',
              fromWardId: 'cardio-surg',
              toWardId: 'icu',
              bedId: null,
              extraBed: true,
            },
          },
        ]);
      spec([opened, firstVisit, requested, accepted, hospitalStay])
        .when(move(ward(HOSP, 'cardio-surg')))
        .thenFails('SAME_WARD');
      spec([opened, firstVisit, requested, accepted, hospitalStay])
        .when(move(ward(HOSP2, 'icu')))
        .thenFails('WARD_NOT_IN_INSTITUTION');
    });
  });

  describe('surgery, rehab and discharge', () => {
    it('records surgery against the current admission at that institution', () => {
      spec([opened, firstVisit, requested, accepted, hospitalStay])
        .when(recordSurgery('2026-03-03T10:00:00+08:00'))
        .then([surgeryRecorded('a-hosp')]);
    });

    it('refuses surgery without an admission at that institution', () => {
      spec([opened, firstVisit, communityStay])
        .when(recordSurgery('2026-03-03T10:00:00+08:00'))
        .thenFails('SURGERY_WITHOUT_ADMISSION');
    });

    it('links a rehab session to the current stay there, or to none (outpatient rehab)', () => {
      const rehab = cmd(
        'RecordRehabSession',
        { sessionId: 'rh-1', institutionId: CHC.institutionId, therapyCode: 'cardiac-rehab-1' },
        at(CHC, '2026-03-10T09:00:00+08:00'),
      );
      expect(spec([opened, firstVisit, communityStay]).when(rehab).events()[0]).toMatchObject({
        data: { admissionId: 'a-chc' },
      });
      expect(spec([opened, firstVisit]).when(rehab).events()[0]).toMatchObject({
        data: { admissionId: null },
      });
    });

    it('discharges with a disposition, naming the destination of a transfer', () => {
      const discharge = (
        disposition: string,
        destinationInstitutionId: string | null,
        occurredAt = '2026-03-05T10:00:00+08:00',
      ) =>
        cmd(
          'DischargePatient',
          { admissionId: 'a-hosp', disposition, destinationInstitutionId },
          at(HOSP, occurredAt),
        );
      const given = [opened, firstVisit, requested, accepted, hospitalStay];
      spec(given)
        .when(discharge('other-institution', CHC.institutionId))
        .then([
          {
            type: 'PatientDischarged',
            data: {
              admissionId: 'a-hosp',
              institutionId: HOSP.institutionId,
              disposition: 'other-institution',
              destinationInstitutionId: CHC.institutionId,
            },
          },
        ]);
      spec(given).when(discharge('other-institution', null)).thenFails('DESTINATION_REQUIRED');
      spec(given).when(discharge('home', CHC.institutionId)).thenFails('DESTINATION_NOT_ALLOWED');
      spec(given)
        .when(discharge('home', null, '2026-03-02T09:00:00+08:00'))
        .thenFails('OCCURRED_BEFORE_ADMISSION');
    });

    it('refuses a discharge when not admitted', () => {
      const chcDischarged = past(discharged('a-chc', CHC), at(CHC, '2026-03-03T10:00:00+08:00'));
      const dischargeChc = dischargeHome('a-chc', at(CHC, '2026-03-03T11:00:00+08:00'));
      spec([opened, firstVisit, communityStay, chcDischarged]).when(dischargeChc).thenFails('NOT_ADMITTED');
      spec([opened, firstVisit]).when(dischargeChc).thenFails('ADMISSION_NOT_FOUND');
    });
  });

  describe('closing', () => {
    const close = cmd('CloseJourney', {}, at(CHC, '2026-03-20T11:00:00+08:00'));
    const closed = past(
      { type: 'JourneyClosed', data: { journeyId: 'j-1' } },
      at(CHC, '2026-03-20T11:00:00+08:00'),
    );

    it('closes a journey with nobody in a bed and no referral open', () => {
      spec([opened, firstVisit])
        .when(close)
        .then([{ type: 'JourneyClosed', data: { journeyId: 'j-1' } }]);
    });

    it('refuses to close with an active admission or an open referral', () => {
      spec([opened, firstVisit, communityStay, onLeave])
        .when(close)
        .thenFails('JOURNEY_HAS_ACTIVE_ADMISSION');
      spec([opened, firstVisit, requested]).when(close).thenFails('JOURNEY_HAS_PENDING_REFERRALS');
    });

    it('refuses everything after closing, except corrections', () => {
      spec([opened, firstVisit, closed])
        .when(requestReferral('up', CHC, HOSP, '2026-03-21T10:00:00+08:00'))
        .thenFails('JOURNEY_CLOSED');
      // A late entry before the closing would leave a referral open when the journey closed.
      spec([opened, firstVisit, closed])
        .when(requestReferral('up', CHC, HOSP))
        .thenFails('JOURNEY_HAS_PENDING_REFERRALS');
      spec([opened, firstVisit, closed])
        .when(
          correctEvent(
            'evt-1',
            'VisitRecorded',
            '2026-03-01T09:30:00+08:00',
            at(CHC, '2026-03-21T09:00:00+08:00'),
            {
              diagnosisCode: 'I21.9',
            },
          ),
        )
        .then([
          {
            type: 'EventCorrected',
            data: {
              targetEventId: 'evt-1',
              targetType: 'VisitRecorded',
              occurredAt: '2026-03-01T09:30:00+08:00',
              data: { diagnosisCode: 'I21.9' },
            },
          },
        ]);
    });
  });

  describe('corrections: nothing is deleted', () => {
    const correctAdmission = (
      institution = CHC,
      patch: Record<string, string | null> = { bedId: '9' },
      targetType = 'PatientAdmitted',
    ) =>
      correctEvent(
        'evt-a-chc',
        targetType,
        '2026-03-01T08:00:00+08:00',
        at(institution, '2026-03-04T09:00:00+08:00'),
        patch,
      );

    it('a correction replaces the fields and the care time in the state', () => {
      const corrected = past(
        {
          type: 'EventCorrected',
          data: {
            targetEventId: 'evt-a-chc',
            targetType: 'PatientAdmitted',
            occurredAt: '2026-03-01T08:00:00+08:00',
            data: { bedId: '9' },
          },
        },
        at(CHC, '2026-03-04T09:00:00+08:00'),
      );
      const state = spec([opened, firstVisit, communityStay, corrected]).state as OpenedJourneyState;
      expect(state.admissions['a-chc']).toMatchObject({
        admittedAt: '2026-03-01T08:00:00+08:00',
        bedId: '9',
        status: 'in-bed',
      });
      expect(state.facts.find((f) => f.eventId === 'evt-a-chc')).toMatchObject({ status: 'corrected' });
    });

    it('entered-in-error removes the fact from the state and allows it to be recorded again', () => {
      const voided = past(
        {
          type: 'EventEnteredInError',
          data: { targetEventId: 'evt-a-chc', targetType: 'PatientAdmitted', reason: 'wrong-patient' },
        },
        at(CHC, '2026-03-04T09:00:00+08:00'),
      );
      const given = spec([opened, firstVisit, communityStay, voided]);
      expect((given.state as OpenedJourneyState).admissions['a-chc']).toBeUndefined();
      expect(
        given.when(admitPatient('a-2', HOSP, ward(HOSP, 'icu'), '2026-03-04T10:00:00+08:00')).events(),
      ).toHaveLength(1);
      given
        .when(markEnteredInError('evt-a-chc', 'duplicate-entry', at(CHC, '2026-03-04T10:00:00+08:00')))
        .thenFails('EVENT_ALREADY_ENTERED_IN_ERROR');
    });

    it('refuses unknown targets, wrong types, uncorrectable events and other institutions', () => {
      const given = [opened, firstVisit, communityStay];
      spec(given)
        .when(
          correctEvent(
            'nope',
            'PatientAdmitted',
            '2026-03-01T08:00:00+08:00',
            at(CHC, '2026-03-04T09:00:00+08:00'),
          ),
        )
        .thenFails('EVENT_NOT_FOUND');
      spec(given)
        .when(correctAdmission(CHC, {}, 'SurgeryRecorded'))
        .thenFails('CORRECTION_TYPE_MISMATCH');
      spec(given)
        .when(correctAdmission(CHC, { wardId: 'icu' }))
        .thenFails('EVENT_NOT_CORRECTABLE');
      spec(given).when(correctAdmission(HOSP)).thenFails('CORRECTION_BY_OTHER_INSTITUTION');
      spec([opened, firstVisit, requested])
        .when(
          correctEvent(
            'evt-2',
            'VisitRecorded',
            '2026-03-01T08:00:00+08:00',
            at(CHC, '2026-03-04T09:00:00+08:00'),
          ),
        )
        .thenFails('EVENT_NOT_CORRECTABLE');
    });
  });

  describe('facts an older version stored with an unreadable care time (docs/robustness.md)', () => {
    const unreadableOpening = past(opened.event, { occurredAt: '20260301T100000Z' }, 'e-open');
    const unreadableVisit = past(firstVisit.event, { occurredAt: '2026-03-01T10:00:00,5Z' }, 'e-visit');

    it('an unreadable visit shapes nothing and holds up every command but its repair', () => {
      const given = spec([opened, unreadableVisit]);
      expect(given.state.status === 'open' && Object.keys(given.state.visits)).toEqual([]);
      given
        .when(cmd('CloseJourney', {}, at(CHC, '2026-03-02T09:00:00+08:00')))
        .thenFails('JOURNEY_NEEDS_REPAIR');
      given.when(markEnteredInError('e-visit', 'other', at(CHC, '2026-03-05T00:00:00Z'))).then([
        {
          type: 'EventEnteredInError',
          data: { targetEventId: 'e-visit', targetType: 'VisitRecorded', reason: 'other' },
        },
      ]);
    });

    it('voided, the journey takes commands again', () => {
      spec([
        opened,
        unreadableVisit,
        past({
          type: 'EventEnteredInError',
          data: { targetEventId: 'e-visit', targetType: 'VisitRecorded', reason: 'other' },
        }),
      ])
        .when(cmd('CloseJourney', {}, at(CHC, '2026-03-02T09:00:00+08:00')))
        .then([{ type: 'JourneyClosed', data: { journeyId: 'j-1' } }]);
    });

    it('an unreadable opening still opens the journey, and a correction of its care time repairs it', () => {
      const given = spec([unreadableOpening]);
      expect(given.state.status).toBe('open');
      given
        .when(cmd('CloseJourney', {}, at(CHC, '2026-03-02T09:00:00+08:00')))
        .thenFails('JOURNEY_NEEDS_REPAIR');
      const repaired = spec([
        unreadableOpening,
        past({
          type: 'EventCorrected',
          data: {
            targetEventId: 'e-open',
            targetType: 'JourneyOpened',
            occurredAt: '2026-03-01T10:00:00Z',
            data: {},
          },
        }),
      ]);
      expect(repaired.state.status === 'open' && repaired.state.openedAt).toBe('2026-03-01T10:00:00Z');
      repaired
        .when(cmd('CloseJourney', {}, at(CHC, '2026-03-02T09:00:00+08:00')))
        .then([{ type: 'JourneyClosed', data: { journeyId: 'j-1' } }]);
    });

    it('the opening is never voided: it frames the stream', () => {
      spec([unreadableOpening])
        .when(markEnteredInError('e-open', 'other', at(CHC, '2026-03-05T00:00:00Z')))
        .thenFails('EVENT_NOT_CORRECTABLE');
    });
  });

  describe('care time is the truth: every command judged at its occurredAt (issue 16, docs/care-time.md)', () => {
    // Emergency visit, ICU 21 Apr 10:00 to 24 Apr 10:00 at the hospital; everything else typed in afterwards.
    const icuOpened = past(opened.event, at(HOSP, '2026-04-01T08:00:00+08:00'), 'e-open');
    const erVisit = past(
      { ...firstVisit.event, data: { ...firstVisit.event.data, institution: HOSP } } as JourneyEvent,
      at(HOSP, '2026-04-01T08:00:00+08:00'),
    );
    const icu = admittedAt(HOSP, 'a-icu', 'icu', '2026-04-21T10:00:00+08:00');
    const icuDischarged = past(discharged('a-icu', HOSP), at(HOSP, '2026-04-24T10:00:00+08:00'), 'e-icu-out');
    const stayed = [icuOpened, erVisit, icu, icuDischarged];

    it('a surgery typed in after the discharge attaches to the stay it happened in', () => {
      spec(stayed)
        .when(recordSurgery('2026-04-22T09:00:00+08:00'))
        .then([surgeryRecorded('a-icu')]);
    });

    it('a ward move and an inpatient rehab session inside the past stay are accepted and attach to it', () => {
      spec(stayed)
        .when(moveWard('a-icu', ward(HOSP, 'cardio-surg'), '2026-04-23T12:00:00+08:00'))
        .then([
          {
            type: 'PatientMovedWard',
            data: {
              admissionId: 'a-icu',
              fromWardId: 'icu',
              toWardId: 'cardio-surg',
              bedId: null,
              extraBed: false,
            },
          },
        ]);
      const [session] = spec(stayed)
        .when(
          cmd(
            'RecordRehabSession',
            { sessionId: 'rs-1', institutionId: HOSP.institutionId, therapyCode: 'pt-1' },
            at(HOSP, '2026-04-23T09:00:00+08:00'),
          ),
        )
        .events();
      expect(session?.data).toMatchObject({ admissionId: 'a-icu' });
    });

    it('an earlier stay elsewhere that overlaps nothing is accepted, even after a readmission', () => {
      const readmitted = [...stayed, admittedAt(HOSP, 'a-re', 'icu', '2026-04-26T10:00:00+08:00')];
      spec(readmitted)
        .when(
          admitPatient('a-early', HOSP2, ward(HOSP2, 'cardio-surg'), '2026-04-15T10:00:00+08:00', {
            discharge: {
              occurredAt: '2026-04-18T10:00:00+08:00',
              disposition: 'home',
              destinationInstitutionId: null,
            },
          }),
        )
        .then([
          {
            type: 'PatientAdmitted',
            data: {
              admissionId: 'a-early',
              institution: HOSP2,
              wardId: 'cardio-surg',
              bedId: null,
              extraBed: false,
              referralId: null,
            },
          },
          { ...discharged('a-early', HOSP2), occurredAt: '2026-04-18T10:00:00+08:00' },
        ]);
      // Without its discharge, a stay from 15 Apr would still be running when the patient came to the ICU.
      spec(readmitted)
        .when(admitPatient('a-early', HOSP2, ward(HOSP2, 'cardio-surg'), '2026-04-15T10:00:00+08:00'))
        .thenFails('ALREADY_ADMITTED');
    });

    it('refuses what cannot have happened, naming the conflict', () => {
      // Accepted at 09:30 when requested at 10:00 the same day.
      spec([opened, firstVisit, requested])
        .when(cmd('AcceptReferral', { referralId: 'r-1' }, at(HOSP, '2026-03-01T09:30:00+08:00')))
        .thenFails('DECISION_BEFORE_REQUEST');
      // A correction moving the admission after its own discharge: the discharge would come before it.
      spec(stayed)
        .when(
          correctEvent(
            'evt-a-icu',
            'PatientAdmitted',
            '2026-04-25T10:00:00+08:00',
            at(HOSP, '2026-04-30T09:00:00+08:00'),
          ),
        )
        .thenFails('OCCURRED_BEFORE_ADMISSION');
      // Discharge before admission, a move or surgery outside any stay, a care time before the journey opened.
      spec(stayed)
        .when(moveWard('a-icu', ward(HOSP, 'cardio-surg'), '2026-04-25T12:00:00+08:00'))
        .thenFails('NOT_ADMITTED');
      spec(stayed).when(recordSurgery('2026-04-25T09:00:00+08:00')).thenFails('SURGERY_WITHOUT_ADMISSION');
      spec(stayed)
        .when(
          cmd('StartLeave', { admissionId: 'a-icu', holdBed: true }, at(HOSP, '2026-04-21T09:00:00+08:00')),
        )
        .thenFails('OCCURRED_BEFORE_ADMISSION');
      spec(stayed)
        .when(recordVisit('I10', null, '2026-03-31T09:00:00+08:00'))
        .thenFails('BEFORE_JOURNEY_OPENED');
      // A void that would leave the discharge without its stay.
      spec(stayed)
        .when(markEnteredInError('evt-a-icu', 'other', at(HOSP, '2026-04-30T09:00:00+08:00')))
        .thenFails('OCCURRED_BEFORE_ADMISSION');
    });
  });
});
