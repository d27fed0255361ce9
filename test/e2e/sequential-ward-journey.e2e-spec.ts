import { as, startTestApp, type TestApp, type TestStore } from '../support/test-app';
import { CHC, HOSP, openJourney, REGION, referUp, seedAlliance } from '../support/fixtures';

type Body = Record<string, any>;

describe.each<[TestStore, string]>([
  ['sqlite', 'sqlite'],
  ['esdb', 'eventstoredb'],
])('A sequential-ward journey through the real API (%s store)', (store, kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({}, store);
    await seedAlliance(t);
  });
  afterAll(async () => t.close());

  it('records community → tertiary → community with a held bed, survives a restart, and keeps every event', async () => {
    const post = async (path: string, institution: string, body: Body, status = 201): Promise<Body> => {
      const res = await t.http().post(path).set(as(institution)).send(body);
      expect({ path, status: res.status, body: res.body }).toMatchObject({ path, status });
      return res.body as Body;
    };

    // Community first visit (基层首诊), then an urgent upward referral (上转).
    const journeyId = await openJourney(t);
    const j = `/journeys/${journeyId}`;
    const up = await referUp(t, journeyId);
    await post(`${j}/referrals/${up}/receive`, HOSP, { occurredAt: '2026-03-01T10:20:00+08:00' });
    await post(`${j}/referrals/${up}/accept`, HOSP, { occurredAt: '2026-03-01T11:00:00+08:00' });

    // Admitted to the community ward first; the bed is held while the patient goes up (序贯病房).
    const community = await post(`${j}/admissions`, CHC, {
      institutionId: CHC,
      wardId: 'rehab',
      bedId: '3',
      occurredAt: '2026-03-01T12:00:00+08:00',
    });
    const communityAdmission = community.admissionId as string;
    await post(`${j}/admissions/${communityAdmission}/leave`, CHC, {
      holdBed: true,
      occurredAt: '2026-03-02T08:00:00+08:00',
    });

    const tertiary = await post(`${j}/admissions`, HOSP, {
      institutionId: HOSP,
      wardId: 'cardio-surg',
      bedId: '1',
      referralId: up,
      occurredAt: '2026-03-02T09:30:00+08:00',
    });
    const tertiaryAdmission = tertiary.admissionId as string;
    await post(`${j}/surgeries`, HOSP, {
      institutionId: HOSP,
      procedureCode: '36.06',
      occurredAt: '2026-03-03T10:00:00+08:00',
    });

    // Downward transfer (下转) back to the community for rehab.
    const down = await post(`${j}/referrals`, HOSP, {
      direction: 'down',
      fromInstitutionId: HOSP,
      toInstitutionId: CHC,
      department: 'rehab',
      priority: 'routine',
      setting: 'inpatient',
      reasonCode: 'Z50.0',
      occurredAt: '2026-03-08T09:00:00+08:00',
    });
    const downId = down.referralId as string;
    await post(`${j}/referrals/${downId}/accept`, CHC, { occurredAt: '2026-03-08T11:00:00+08:00' });
    await post(`${j}/admissions/${tertiaryAdmission}/discharge`, HOSP, {
      disposition: 'rehab',
      destinationInstitutionId: CHC,
      occurredAt: '2026-03-09T10:00:00+08:00',
    });
    await post(`${j}/referrals/${up}/complete`, HOSP, { occurredAt: '2026-03-09T10:05:00+08:00' });
    await post(`${j}/admissions/${communityAdmission}/return`, CHC, {
      occurredAt: '2026-03-09T15:00:00+08:00',
    });
    for (const day of ['10', '11']) {
      await post(`${j}/rehab-sessions`, CHC, {
        institutionId: CHC,
        therapyCode: 'cardiac-rehab-1',
        occurredAt: `2026-03-${day}T09:00:00+08:00`,
      });
    }
    await post(`${j}/admissions/${communityAdmission}/discharge`, CHC, {
      disposition: 'home',
      occurredAt: '2026-03-20T10:00:00+08:00',
    });
    await post(`${j}/referrals/${downId}/complete`, CHC, { occurredAt: '2026-03-20T10:05:00+08:00' });
    const closed = await post(`${j}/close`, CHC, { occurredAt: '2026-03-20T11:00:00+08:00' });

    const expectedTypes = [
      'JourneyOpened',
      'VisitRecorded',
      'UpwardReferralRequested',
      'ReferralReceived',
      'ReferralAccepted',
      'PatientAdmitted',
      'LeaveStarted',
      'PatientAdmitted',
      'SurgeryRecorded',
      'DownwardReferralRequested',
      'ReferralAccepted',
      'PatientDischarged',
      'ReferralCompleted',
      'LeaveEnded',
      'RehabSessionRecorded',
      'RehabSessionRecorded',
      'PatientDischarged',
      'ReferralCompleted',
      'JourneyClosed',
    ];
    expect(closed.revision).toBe(expectedTypes.length - 1);

    const state = (await t.read(j).expect(200)).body as Body;
    expect(state.revision).toBe(expectedTypes.length - 1);
    expect(state.state).toMatchObject({
      status: 'closed',
      patientId: 'pt-7f3a9c21',
      residenceRegion: REGION,
    });
    expect(state.state.referrals[up]).toMatchObject({ status: 'completed', direction: 'up' });
    expect(state.state.referrals[downId]).toMatchObject({ status: 'completed', direction: 'down' });
    expect(state.state.admissions[communityAdmission]).toMatchObject({
      status: 'discharged',
      disposition: 'home',
    });
    expect(state.state.admissions[tertiaryAdmission]).toMatchObject({
      status: 'discharged',
      disposition: 'rehab',
    });

    const history = (await t.read(`${j}/events`).expect(200)).body as Body;
    expect(history.events.map((e: Body) => e.type)).toEqual(expectedTypes);
    for (const event of history.events as Body[]) {
      expect(event.metadata).toEqual(
        expect.objectContaining({
          occurredAt: expect.any(String),
          recordedAt: expect.any(String),
          actorId: expect.any(String),
          actorRole: 'doctor',
          institutionId: expect.any(String),
          correlationId: expect.any(String),
          causationId: expect.any(String),
        }),
      );
      expect(JSON.stringify(event)).not.toMatch(/Jianwai|name/i);
    }
    expect(history.events[8].metadata).toMatchObject({
      institutionId: HOSP,
      occurredAt: '2026-03-03T10:00:00+08:00',
    });

    // A process restart on the same file finds every event, byte for byte.
    t = await t.restart();
    const after = (await t.read(`${j}/events`).expect(200)).body as Body;
    expect(after).toEqual(history);
    expect((await t.read(j).expect(200)).body).toEqual(state);
    const health = (await t.http().get('/health').expect(200)).body as Body;
    expect(health).toMatchObject({ status: 'ok', info: { store: { status: 'up', kind } } });
  });

  it('transfers down into a fresh community admission answering the referral', async () => {
    const journeyId = await openJourney(t, { patientId: 'pt-00c0ffee' });
    const j = `/journeys/${journeyId}`;
    const up = await referUp(t, journeyId, { priority: 'green-channel', setting: 'inpatient' });
    await t
      .http()
      .post(`${j}/referrals/${up}/accept`)
      .set(as(HOSP))
      .send({ occurredAt: '2026-03-01T10:30:00+08:00' })
      .expect(201);
    const admitted = await t
      .http()
      .post(`${j}/admissions`)
      .set(as(HOSP))
      .send({ institutionId: HOSP, wardId: 'icu', referralId: up, occurredAt: '2026-03-01T11:00:00+08:00' })
      .expect(201);
    const down = await t
      .http()
      .post(`${j}/referrals`)
      .set(as(HOSP))
      .send({
        direction: 'down',
        fromInstitutionId: HOSP,
        toInstitutionId: CHC,
        department: 'rehab',
        priority: 'routine',
        setting: 'inpatient',
        reasonCode: 'Z50.0',
        occurredAt: '2026-03-05T09:00:00+08:00',
      })
      .expect(201);
    await t
      .http()
      .post(`${j}/referrals/${down.body.referralId}/accept`)
      .set(as(CHC))
      .send({ occurredAt: '2026-03-05T10:00:00+08:00' })
      .expect(201);
    await t
      .http()
      .post(`${j}/admissions/${admitted.body.admissionId}/discharge`)
      .set(as(HOSP))
      .send({
        disposition: 'other-institution',
        destinationInstitutionId: CHC,
        occurredAt: '2026-03-06T09:00:00+08:00',
      })
      .expect(201);
    const community = await t
      .http()
      .post(`${j}/admissions`)
      .set(as(CHC))
      .send({
        institutionId: CHC,
        wardId: 'rehab',
        referralId: down.body.referralId,
        occurredAt: '2026-03-06T14:00:00+08:00',
      })
      .expect(201);
    const state = (await t.read(j).expect(200)).body as Body;
    expect(state.state.referrals[down.body.referralId].status).toBe('in-progress');
    expect(state.state.admissions[community.body.admissionId]).toMatchObject({
      status: 'in-bed',
      institutionId: CHC,
    });
  });
});
