import {
  CHC,
  HOSP,
  openJourney,
  REGION,
  referUp,
  seedAlliance,
  CHC2,
  seedSecondCentre,
} from '../support/fixtures';
import { fakeClock } from '../support/fake-clock';
import { processesOn, runProcesses } from '../support/processes';
import { as, asReaderOf, startTestApp, type TestApp, type TestStore } from '../support/test-app';

type Body = Record<string, any>;

/**
 * The process manager on the real app (issue 20, item 1): a fake clock moves care time, the spec fires the timer
 * (runProcesses) instead of sleeping, and the log shows what the processes did, through the one write path.
 */
describe.each<[TestStore]>([['sqlite'], ['esdb']])('care processes on the real app (%s store)', (store) => {
  const clock = fakeClock('2026-03-01T08:00:00+08:00');
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(processesOn(), store, { clock });
    await seedAlliance(t);
  });
  afterAll(async () => t.close());

  const post = async (path: string, institution: string, body: Body, status = 201): Promise<Body> => {
    const res = await t.http().post(path).set(as(institution)).send(body);
    expect({ path, status: res.status, body: res.body }).toMatchObject({ path, status });
    return res.body as Body;
  };
  const events = async (journeyId: string): Promise<Body[]> =>
    ((await t.read(`/journeys/${journeyId}/events`).expect(200)).body as Body).events as Body[];
  const ofType = async (journeyId: string, type: string) =>
    (await events(journeyId)).filter((e) => e.type === type);

  it('reminds an urgent referral at 80% of its time to decision, then expires it at the deadline and escalates it to the alliance', async () => {
    clock.set('2026-03-01T10:00:30+08:00');
    const journeyId = await openJourney(t);
    const referralId = await referUp(t, journeyId); // urgent, 10:00: deadline 24 h later
    await runProcesses(t);
    expect(await ofType(journeyId, 'ReferralDueSoon')).toEqual([]);

    // 80% of 24 h after 10:00 is 05:12 the next morning.
    clock.set('2026-03-02T05:11:00+08:00');
    await runProcesses(t);
    expect(await ofType(journeyId, 'ReferralDueSoon')).toEqual([]);
    clock.set('2026-03-02T05:13:00+08:00');
    await runProcesses(t);
    const [reminder, ...moreReminders] = await ofType(journeyId, 'ReferralDueSoon');
    expect(moreReminders).toEqual([]);
    expect(reminder).toMatchObject({
      data: { referralId, deadline: '2026-03-02T10:00:00+08:00' },
      metadata: {
        occurredAt: '2026-03-02T05:12:00+08:00',
        actorRole: 'system',
        actorId: 'process:referral-deadlines',
        idempotencyKey: `process:referral-reminder:${referralId}`,
      },
    });

    clock.set('2026-03-02T10:00:05+08:00');
    await runProcesses(t);
    const log = await events(journeyId);
    const expired = log.filter((e) => e.type === 'ReferralExpired');
    const escalated = log.filter((e) => e.type === 'ReferralEscalated');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({
      data: { referralId },
      metadata: { occurredAt: '2026-03-02T10:00:00+08:00', actorId: 'process:referral-deadlines' },
    });
    // Both sides are in CY-G1: the coordinators of that alliance see it.
    expect(escalated).toEqual([
      expect.objectContaining({ data: { referralId, allianceId: 'CY-G1', reason: 'expired' } }),
    ]);
    const state = ((await t.read(`/journeys/${journeyId}`).expect(200)).body as Body).state as Body;
    expect(state.referrals[referralId]).toMatchObject({
      status: 'expired',
      dueSoonAt: '2026-03-02T05:12:00+08:00',
      escalatedToAllianceId: 'CY-G1',
    });

    // Firing again acts no more.
    await runProcesses(t);
    expect(await ofType(journeyId, 'ReferralExpired')).toHaveLength(1);
  });

  it('reminds and expires a routine referral by its working-day deadline', async () => {
    clock.set('2026-03-03T09:00:30+08:00');
    const journeyId = await openJourney(t, { occurredAt: '2026-03-03T09:00:00+08:00' });
    const referralId = await referUp(t, journeyId, {
      priority: 'routine',
      occurredAt: '2026-03-03T09:00:00+08:00',
    });
    const state = ((await t.read(`/journeys/${journeyId}`).expect(200)).body as Body).state as Body;
    const deadline = state.referrals[referralId].deadline as string;
    const start = Date.parse('2026-03-03T09:00:00+08:00');
    const span = Date.parse(deadline) - start;
    expect(span).toBeGreaterThan(0);

    clock.set(new Date(start + span * 0.8 + 60_000));
    await runProcesses(t);
    expect(await ofType(journeyId, 'ReferralDueSoon')).toHaveLength(1);
    expect(await ofType(journeyId, 'ReferralExpired')).toEqual([]);

    clock.set(new Date(Date.parse(deadline) + 1_000));
    await runProcesses(t);
    expect(await ofType(journeyId, 'ReferralExpired')).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ occurredAt: deadline }) }),
    ]);
  });

  it('proposes a downward transfer after surgery and the stable days, then owes a follow-up at the discharge home', async () => {
    clock.set('2026-03-05T10:00:30+08:00');
    const journeyId = await openJourney(t, { occurredAt: '2026-03-05T09:00:00+08:00' });
    const j = `/journeys/${journeyId}`;
    const up = await referUp(t, journeyId, { occurredAt: '2026-03-05T10:00:00+08:00' });
    await post(`${j}/referrals/${up}/accept`, HOSP, { occurredAt: '2026-03-05T10:00:00+08:00' });
    clock.set('2026-03-06T10:00:30+08:00');
    const admission = await post(`${j}/admissions`, HOSP, {
      institutionId: HOSP,
      wardId: 'cardio-surg',
      bedId: '1',
      referralId: up,
      occurredAt: '2026-03-05T12:00:00+08:00',
    });
    await post(`${j}/surgeries`, HOSP, {
      institutionId: HOSP,
      procedureCode: '36.06',
      occurredAt: '2026-03-06T10:00:00+08:00',
    });
    await runProcesses(t);
    expect(await ofType(journeyId, 'DownwardTransferProposed')).toEqual([]);

    // Three stable days after the surgery.
    clock.set('2026-03-09T10:00:30+08:00');
    await runProcesses(t);
    const proposals = await ofType(journeyId, 'DownwardTransferProposed');
    expect(proposals).toHaveLength(1);
    expect(proposals[0]).toMatchObject({
      data: {
        admissionId: admission.admissionId,
        from: { institutionId: HOSP },
        // No family-doctor contract: the alliance's community centre, the one that referred the patient up.
        to: { institutionId: CHC },
        basis: 'alliance-centre',
        signedDoctorId: null,
      },
      metadata: {
        occurredAt: '2026-03-09T10:00:00+08:00',
        actorRole: 'system',
        actorId: 'process:transfer-proposals',
        institutionId: HOSP,
      },
    });

    clock.set('2026-03-10T11:00:30+08:00');
    await post(`${j}/admissions/${admission.admissionId as string}/discharge`, HOSP, {
      disposition: 'home',
      occurredAt: '2026-03-10T11:00:00+08:00',
    });
    await runProcesses(t);
    const owed = await ofType(journeyId, 'FollowUpOwed');
    expect(owed).toHaveLength(1);
    expect(owed[0]).toMatchObject({
      data: {
        admissionId: admission.admissionId,
        dischargedAt: '2026-03-10T11:00:00+08:00',
        owedBy: { institutionId: CHC },
        signedDoctorId: null,
        // After surgery in the stay: FOLLOW_UP_PRIORITY_DAYS (7).
        dueBy: '2026-03-17T11:00:00+08:00',
        basis: 'after-surgery',
      },
      metadata: { occurredAt: '2026-03-10T11:00:00+08:00', actorId: 'process:discharge-follow-ups' },
    });

    await runProcesses(t);
    expect(await ofType(journeyId, 'FollowUpOwed')).toHaveLength(1);
    expect(await ofType(journeyId, 'DownwardTransferProposed')).toHaveLength(1);
  });

  it('reports each process: checkpoint, due now, acted, skipped, failed', async () => {
    await runProcesses(t);
    const res = await t.http().get('/processes').set(asReaderOf('/projections')).expect(200);
    const byName = Object.fromEntries(
      ((res.body as Body).processes as Body[]).map((p) => [p.name as string, p]),
    );
    expect(Object.keys(byName).sort()).toEqual([
      'discharge-follow-ups',
      'referral-deadlines',
      'transfer-proposals',
    ]);
    expect(byName['referral-deadlines']!).toMatchObject({
      enabled: true,
      actorId: 'process:referral-deadlines',
      dueNow: 0,
      failed: 0,
      lastError: null,
    });
    // Two reminders and two expiries above, and the third journey's urgent referral was accepted in time.
    expect(byName['referral-deadlines']!.acted).toBeGreaterThanOrEqual(4);
    expect(byName['transfer-proposals']!.acted).toBe(1);
    expect(byName['discharge-follow-ups']!.acted).toBe(1);
    expect(byName['referral-deadlines']!.checkpoint).toMatchObject({ lag: '0' });
    await t.http().get('/processes').set(as(CHC, 'coordinator')).expect(403);
  });

  it('proposes to the signed family doctor’s centre, and owes a key-group resident’s follow-up within the priority days', async () => {
    const resident = 'pt-signed01';
    clock.set('2026-03-11T08:00:00+08:00');
    await seedSecondCentre(t);
    await t
      .http()
      .post('/family-doctors/contracts')
      .set(as(CHC2, 'family-doctor', 'fd-zhao'))
      .send({
        residentId: resident,
        residenceRegion: REGION,
        centreId: CHC2,
        startDate: '2025-06-01',
        keyGroups: ['hypertension'],
        occurredAt: '2025-06-01T09:00:00+08:00',
      })
      .expect(201);

    // A stay with surgery at the hospital: the proposal goes to the centre of the doctor the patient is signed with.
    const operated = await openJourney(t, { patientId: resident, occurredAt: '2026-03-11T07:00:00+08:00' });
    const stay = await post(`/journeys/${operated}/admissions`, HOSP, {
      institutionId: HOSP,
      wardId: 'cardio-surg',
      bedId: '2',
      occurredAt: '2026-03-11T07:30:00+08:00',
    });
    await post(`/journeys/${operated}/surgeries`, HOSP, {
      institutionId: HOSP,
      procedureCode: '36.06',
      occurredAt: '2026-03-11T07:45:00+08:00',
    });
    clock.set('2026-03-14T08:00:00+08:00');
    await runProcesses(t);
    expect(await ofType(operated, 'DownwardTransferProposed')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          admissionId: stay.admissionId,
          to: expect.objectContaining({ institutionId: CHC2 }),
          basis: 'signed-doctor',
          signedDoctorId: 'fd-zhao',
        }),
      }),
    ]);

    // A stay without surgery, discharged home: the resident is in a key group, so the priority days apply.
    const medical = await openJourney(t, { patientId: resident, occurredAt: '2026-03-14T07:00:00+08:00' });
    const ward = await post(`/journeys/${medical}/admissions`, HOSP, {
      institutionId: HOSP,
      wardId: 'icu',
      bedId: '1',
      occurredAt: '2026-03-14T07:10:00+08:00',
    });
    await post(`/journeys/${medical}/admissions/${ward.admissionId as string}/discharge`, HOSP, {
      disposition: 'home',
      occurredAt: '2026-03-14T07:50:00+08:00',
    });
    await runProcesses(t);
    expect(await ofType(medical, 'FollowUpOwed')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          owedBy: expect.objectContaining({ institutionId: CHC2 }),
          signedDoctorId: 'fd-zhao',
          basis: 'key-group',
          dueBy: '2026-03-21T07:50:00+08:00',
        }),
      }),
    ]);
  });
});
