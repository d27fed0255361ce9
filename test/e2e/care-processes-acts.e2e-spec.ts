import { randomUUID } from 'node:crypto';
import { CHC, HOSP, OTHER, REGION, referUp, openJourney, CHC2, startSeededApp } from '../support/fixtures';
import { writeAsProcess } from '../support/process-writes';
import { as, type TestApp } from '../support/test-app';

type Body = Record<string, any>;

/** A second community centre of the alliance CY-G1: a coordinator there sees escalations to the alliance. */
const snapshot = (institutionId: string) => ({
  institutionId,
  tier: institutionId.startsWith('CHC') ? 'community' : 'tertiary',
  allianceId: 'CY-G1',
  regionCode: REGION,
});

/**
 * The care processes' human acts over HTTP (issue 20, docs/domain.md "Care processes"): acknowledging a rejected or
 * expired referral, accepting or declining a downward transfer proposal, recording a follow-up as done. What the
 * processes write (an escalation, a proposal, a follow-up owed) is given here through the app's one write path, as
 * the process manager writes it: the `system` role acting for the institution concerned.
 */
describe('care processes: the human acts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startSeededApp({ secondCentre: true });
  });
  afterAll(() => t.close());

  const processWrites = (
    journeyId: string,
    institutionId: string,
    occurredAt: string,
    command: Parameters<typeof writeAsProcess>[4],
  ) => writeAsProcess(t, journeyId, institutionId, occurredAt, command);
  const post = (path: string, headers: Record<string, string>, body: Body) =>
    t.http().post(path).set(headers).send(body);
  const journey = async (journeyId: string) =>
    (await t.read(`/journeys/${journeyId}`).expect(200)).body as Body;
  const revisionOf = async (journeyId: string) =>
    (await t.read(`/journeys/${journeyId}`).expect(200)).headers.etag as string;

  describe('POST /journeys/:journeyId/referrals/:referralId/acknowledge', () => {
    const acknowledge = (
      journeyId: string,
      referralId: string,
      headers: Record<string, string>,
      body: Body = {},
    ) =>
      post(`/journeys/${journeyId}/referrals/${referralId}/acknowledge`, headers, {
        occurredAt: '2026-03-03T09:00:00+08:00',
        ...body,
      });

    it('the referring side acknowledges a rejected referral, once', async () => {
      const journeyId = await openJourney(t, { patientId: 'pt-ack00001' });
      const referralId = await referUp(t, journeyId);
      await post(`/journeys/${journeyId}/referrals/${referralId}/reject`, as(HOSP), {
        reason: 'not-indicated',
        occurredAt: '2026-03-01T12:00:00+08:00',
      }).expect(201);

      const bad = await acknowledge(journeyId, referralId, as(CHC), { occurredAt: 'yesterday' }).expect(400);
      expect(bad.body.message.join(' ')).toContain('occurredAt');
      const badId = await acknowledge(journeyId, 'r-1', as(CHC)).expect(400);
      expect(badId.body.message.join(' ')).toContain('referralId');
      expect((await acknowledge(journeyId, randomUUID(), as(CHC)).expect(404)).body).toMatchObject({
        code: 'REFERRAL_NOT_FOUND',
      });
      expect((await acknowledge(journeyId, referralId, as(HOSP)).expect(422)).body).toMatchObject({
        code: 'NOT_REFERRING_SIDE',
      });
      await acknowledge(journeyId, referralId, as(CHC)).set('If-Match', '"0"').expect(409);

      const done = await acknowledge(journeyId, referralId, as(CHC, 'coordinator'))
        .set('If-Match', await revisionOf(journeyId))
        .expect(201);
      expect(done.body.events).toEqual([expect.objectContaining({ type: 'ReferralOutcomeAcknowledged' })]);
      expect((await journey(journeyId)).state.referrals[referralId]).toMatchObject({
        status: 'rejected',
        acknowledgedAt: '2026-03-03T09:00:00+08:00',
      });
      expect((await acknowledge(journeyId, referralId, as(CHC)).expect(422)).body).toMatchObject({
        code: 'ALREADY_ACKNOWLEDGED',
      });
    });

    it('refuses a referral still awaiting its answer', async () => {
      const journeyId = await openJourney(t, { patientId: 'pt-ack00002' });
      const referralId = await referUp(t, journeyId);
      expect((await acknowledge(journeyId, referralId, as(CHC)).expect(422)).body).toMatchObject({
        code: 'REFERRAL_NOT_RESOLVED',
      });
    });

    it('once escalated, a coordinator of the alliance acknowledges it, from a centre outside the journey', async () => {
      const journeyId = await openJourney(t, { patientId: 'pt-ack00003' });
      const referralId = await referUp(t, journeyId);
      await processWrites(journeyId, HOSP, '2026-03-02T10:00:00+08:00', {
        type: 'ExpireReferral',
        data: { referralId, escalateToAllianceId: 'CY-G1' },
      });
      expect((await journey(journeyId)).state.referrals[referralId]).toMatchObject({
        status: 'expired',
        escalatedToAllianceId: 'CY-G1',
      });
      // Another role of that centre takes no part in the journey; a coordinator of another alliance is not its.
      await acknowledge(journeyId, referralId, as(CHC2, 'doctor')).expect(403);
      expect(
        (await acknowledge(journeyId, referralId, as(OTHER, 'coordinator')).expect(422)).body,
      ).toMatchObject({
        code: 'NOT_REFERRING_SIDE',
      });
      await acknowledge(journeyId, referralId, as(CHC2, 'coordinator')).expect(201);
    });
  });

  /** A journey upstairs: referred, accepted, admitted and operated at the hospital, then a proposal made. */
  const operatedWithProposal = async (patientId: string) => {
    const journeyId = await openJourney(t, { patientId });
    const referralId = await referUp(t, journeyId);
    await post(`/journeys/${journeyId}/referrals/${referralId}/accept`, as(HOSP), {
      occurredAt: '2026-03-01T11:00:00+08:00',
    }).expect(201);
    await post(`/journeys/${journeyId}/admissions`, as(HOSP), {
      institutionId: HOSP,
      wardId: 'cardio-surg',
      referralId,
      occurredAt: '2026-03-01T12:00:00+08:00',
    }).expect(201);
    const surgery = await post(`/journeys/${journeyId}/surgeries`, as(HOSP), {
      institutionId: HOSP,
      procedureCode: '36.06',
      occurredAt: '2026-03-02T10:00:00+08:00',
    }).expect(201);
    const proposalId = randomUUID();
    await processWrites(journeyId, HOSP, '2026-03-05T10:00:00+08:00', {
      type: 'ProposeDownwardTransfer',
      data: {
        proposalId,
        surgeryId: surgery.body.surgeryId,
        to: snapshot(CHC),
        basis: 'alliance-centre',
        signedDoctorId: null,
      },
    });
    return { journeyId, proposalId };
  };

  describe('POST /journeys/:journeyId/proposals/:proposalId/{accept,decline}', () => {
    const terms = {
      department: 'rehabilitation',
      priority: 'routine',
      setting: 'inpatient',
      reasonCode: 'Z50.1',
      occurredAt: '2026-03-05T11:00:00+08:00',
    };
    const accept = (
      journeyId: string,
      proposalId: string,
      headers: Record<string, string>,
      body: Body = terms,
    ) => post(`/journeys/${journeyId}/proposals/${proposalId}/accept`, headers, body);
    const decline = (
      journeyId: string,
      proposalId: string,
      headers: Record<string, string>,
      reason = 'not-stable',
    ) =>
      post(`/journeys/${journeyId}/proposals/${proposalId}/decline`, headers, {
        reason,
        occurredAt: '2026-03-05T11:00:00+08:00',
      });

    it('accepted by the holding hospital, it becomes a downward referral to the signed family doctor', async () => {
      // The patient is signed with a family doctor of the centre: the referral names them, as a direct one does.
      await post('/family-doctors/contracts', as(CHC, 'family-doctor', 'fd-wang'), {
        residentId: 'rs-prop0001',
        residenceRegion: REGION,
        centreId: CHC,
        startDate: '2026-01-01',
        keyGroups: [],
        occurredAt: '2026-01-01T09:00:00+08:00',
      }).expect(201);
      const { journeyId, proposalId } = await operatedWithProposal('rs-prop0001');
      expect((await journey(journeyId)).state.proposals[proposalId]).toMatchObject({
        status: 'open',
        from: { institutionId: HOSP },
        to: { institutionId: CHC },
      });

      const bad = await accept(journeyId, proposalId, as(HOSP), { ...terms, priority: 'soon' }).expect(400);
      expect(bad.body.message.join(' ')).toContain('priority');
      const noDepartment = await accept(journeyId, proposalId, as(HOSP), { ...terms, department: undefined });
      expect(noDepartment.status).toBe(400);
      expect(noDepartment.body.message.join(' ')).toContain('department');
      expect((await accept(journeyId, 'p-1', as(HOSP)).expect(400)).body.message.join(' ')).toContain(
        'proposalId',
      );
      expect((await accept(journeyId, randomUUID(), as(HOSP)).expect(404)).body).toMatchObject({
        code: 'PROPOSAL_NOT_FOUND',
      });
      expect((await accept(journeyId, proposalId, as(CHC)).expect(422)).body).toMatchObject({
        code: 'ACTING_INSTITUTION_MISMATCH',
      });
      await accept(journeyId, proposalId, as(HOSP)).set('If-Match', '"1"').expect(409);

      const accepted = await accept(journeyId, proposalId, as(HOSP, 'coordinator')).expect(201);
      expect(accepted.body.events.map((e: Body) => e.type)).toEqual([
        'DownwardTransferProposalAccepted',
        'DownwardReferralRequested',
      ]);
      const { referralId } = accepted.body as { referralId: string };
      const state = (await journey(journeyId)).state as Body;
      expect(state.proposals[proposalId]).toMatchObject({ status: 'accepted', referralId });
      expect(state.referrals[referralId]).toMatchObject({
        direction: 'down',
        status: 'requested',
        from: { institutionId: HOSP },
        to: { institutionId: CHC },
        // Thursday 11:00 plus two working days.
        deadline: '2026-03-09T11:00:00+08:00',
      });
      const events = (await t.read(`/journeys/${journeyId}/events`).expect(200)).body.events as Body[];
      expect(events.find((e) => e.type === 'DownwardReferralRequested')?.data).toMatchObject({
        signedDoctorId: 'fd-wang',
        signedCentreId: CHC,
      });
      expect((await accept(journeyId, proposalId, as(HOSP)).expect(422)).body).toMatchObject({
        code: 'PROPOSAL_NOT_OPEN',
      });
    });

    it('declined with a reason code, it is closed', async () => {
      const { journeyId, proposalId } = await operatedWithProposal('pt-prop0002');
      const bad = await decline(journeyId, proposalId, as(HOSP), 'too busy').expect(400);
      expect(bad.body.message.join(' ')).toContain('reason');
      expect((await decline(journeyId, randomUUID(), as(HOSP)).expect(404)).body).toMatchObject({
        code: 'PROPOSAL_NOT_FOUND',
      });
      expect((await decline(journeyId, proposalId, as(CHC)).expect(422)).body).toMatchObject({
        code: 'ACTING_INSTITUTION_MISMATCH',
      });
      await decline(journeyId, proposalId, as(HOSP)).set('If-Match', '"2"').expect(409);
      await decline(journeyId, proposalId, as(HOSP)).expect(201);
      expect((await journey(journeyId)).state.proposals[proposalId]).toMatchObject({
        status: 'declined',
        declineReason: 'not-stable',
      });
      expect((await decline(journeyId, proposalId, as(HOSP), 'other').expect(422)).body).toMatchObject({
        code: 'PROPOSAL_NOT_OPEN',
      });
    });

    it('a nurse may not answer a proposal (DECIDE roles)', async () => {
      const { journeyId, proposalId } = await operatedWithProposal('pt-prop0003');
      await decline(journeyId, proposalId, as(HOSP, 'nurse')).expect(403);
    });
  });

  describe('POST /journeys/:journeyId/follow-ups/:followUpId/complete', () => {
    /** A stay at the hospital, discharged home on 10 March, with the follow-up the centre owes by 17 March. */
    const dischargedWithFollowUp = async (patientId: string) => {
      const journeyId = await openJourney(t, { patientId });
      const admission = await post(`/journeys/${journeyId}/admissions`, as(HOSP), {
        institutionId: HOSP,
        wardId: 'icu',
        occurredAt: '2026-03-02T09:00:00+08:00',
      }).expect(201);
      await post(`/journeys/${journeyId}/admissions/${admission.body.admissionId}/discharge`, as(HOSP), {
        disposition: 'home',
        occurredAt: '2026-03-10T10:00:00+08:00',
      }).expect(201);
      const followUpId = randomUUID();
      await processWrites(journeyId, HOSP, '2026-03-10T10:00:00+08:00', {
        type: 'OweFollowUp',
        data: {
          followUpId,
          admissionId: admission.body.admissionId,
          owedBy: snapshot(CHC),
          signedDoctorId: null,
          dueBy: '2026-03-17T10:00:00+08:00',
          basis: 'standard',
        },
      });
      return { journeyId, followUpId };
    };
    const complete = (
      journeyId: string,
      followUpId: string,
      headers: Record<string, string>,
      body: Body = {},
    ) =>
      post(`/journeys/${journeyId}/follow-ups/${followUpId}/complete`, headers, {
        occurredAt: '2026-03-20T09:00:00+08:00',
        ...body,
      });

    it('the owing centre records it as done, late, without a visit', async () => {
      const { journeyId, followUpId } = await dischargedWithFollowUp('pt-follow01');
      expect((await journey(journeyId)).state.followUps[followUpId]).toMatchObject({
        status: 'owed',
        owedBy: { institutionId: CHC },
        dischargedAt: '2026-03-10T10:00:00+08:00',
      });
      const bad = await complete(journeyId, followUpId, as(CHC, 'nurse'), { visitId: 'v-1' }).expect(400);
      expect(bad.body.message.join(' ')).toContain('visitId');
      const badId = await complete(journeyId, 'f-1', as(CHC, 'nurse')).expect(400);
      expect(badId.body.message.join(' ')).toContain('followUpId');
      expect((await complete(journeyId, randomUUID(), as(CHC, 'nurse')).expect(404)).body).toMatchObject({
        code: 'FOLLOW_UP_NOT_FOUND',
      });
      expect(
        (await complete(journeyId, followUpId, as(CHC), { visitId: randomUUID() }).expect(404)).body,
      ).toMatchObject({
        code: 'VISIT_NOT_FOUND',
      });
      expect((await complete(journeyId, followUpId, as(HOSP, 'nurse')).expect(422)).body).toMatchObject({
        code: 'ACTING_INSTITUTION_MISMATCH',
      });
      await complete(journeyId, followUpId, as(CHC, 'nurse')).set('If-Match', '"0"').expect(409);

      await complete(journeyId, followUpId, as(CHC, 'family-doctor', 'fd-wang'), { visitId: null }).expect(
        201,
      );
      expect((await journey(journeyId)).state.followUps[followUpId]).toMatchObject({
        status: 'done',
        completedBy: 'recorded',
        completedAt: '2026-03-20T09:00:00+08:00',
        visitId: null,
      });
      expect((await complete(journeyId, followUpId, as(CHC, 'nurse')).expect(422)).body).toMatchObject({
        code: 'FOLLOW_UP_ALREADY_DONE',
      });
    });

    it('a visit at the owing centre in time does it: recording it again is refused', async () => {
      const { journeyId, followUpId } = await dischargedWithFollowUp('pt-follow02');
      const visit = await post(`/journeys/${journeyId}/visits`, as(CHC), {
        institutionId: CHC,
        visitType: 'outpatient',
        diagnosisCode: 'I21.4',
        occurredAt: '2026-03-12T09:00:00+08:00',
      }).expect(201);
      expect((await journey(journeyId)).state.followUps[followUpId]).toMatchObject({
        status: 'done',
        completedBy: 'visit',
        visitId: visit.body.visitId,
      });
      expect((await complete(journeyId, followUpId, as(CHC, 'nurse')).expect(422)).body).toMatchObject({
        code: 'FOLLOW_UP_ALREADY_DONE',
      });
    });
  });
});
