import { as, startTestApp, type TestApp, type TestStore, asReaderOf } from '../support/test-app';
import { bodies, CHC, HOSP, openJourney, REGION, referUp, seedAlliance } from '../support/fixtures';

type Body = Record<string, any>;

describe.each<TestStore>(['sqlite', 'esdb'])(
  'Concurrency and idempotency through the real API (%s store)',
  (store) => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({}, store);
      await seedAlliance(t);
    });
    afterAll(async () => t.close());

    const history = async (journeyId: string) =>
      ((await t.read(`/journeys/${journeyId}/events`).expect(200)).body as Body).events as Body[];

    it('concurrent conflicting writes on one journey: exactly one wins, the others get 409 with the current revision', async () => {
      const journeyId = await openJourney(t, { patientId: 'pt-race00001' });
      const referralId = await referUp(t, journeyId);
      const before = await history(journeyId);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          t
            .http()
            .post(`/journeys/${journeyId}/referrals/${referralId}/${i % 2 === 0 ? 'accept' : 'reject'}`)
            .set(as(HOSP))
            // Each client read revision 2 and says so: whoever lands second, by a hair or by a mile, gets 409.
            .set('If-Match', '"2"')
            .send(
              i % 2 === 0
                ? { occurredAt: '2026-03-01T11:00:00+08:00' }
                : { reason: 'not-indicated', occurredAt: '2026-03-01T11:00:00+08:00' },
            ),
        ),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(9);
      const winner = answers.find((a) => a.status === 201)!;
      for (const loser of answers.filter((a) => a.status === 409)) {
        expect(loser.body).toMatchObject({
          code: 'REVISION_CONFLICT',
          currentRevision: winner.body.revision,
        });
        expect(loser.headers.etag).toBe(`"${winner.body.revision}"`);
      }
      expect(await history(journeyId)).toHaveLength(before.length + 1);
    });

    it('If-Match with a stale revision is a 409 carrying the current one; the current one succeeds', async () => {
      const journeyId = await openJourney(t, { patientId: 'pt-ifmatch01' });
      const current = await t.read(`/journeys/${journeyId}`).expect(200);
      expect(current.headers.etag).toBe('"1"');
      const visit = {
        institutionId: HOSP,
        visitType: 'outpatient',
        diagnosisCode: 'I10',
        occurredAt: '2026-03-02T09:00:00+08:00',
      };
      const stale = await t
        .http()
        .post(`/journeys/${journeyId}/visits`)
        .set(as(HOSP))
        .set('If-Match', '"0"')
        .send(visit)
        .expect(409);
      expect(stale.body).toMatchObject({ code: 'REVISION_CONFLICT', currentRevision: 1 });
      const ok = await t
        .http()
        .post(`/journeys/${journeyId}/visits`)
        .set(as(HOSP))
        .set('If-Match', '"1"')
        .send(visit)
        .expect(201);
      expect(ok.body.revision).toBe(2);
      expect(ok.headers.etag).toBe('"2"');
    });

    it('the same Idempotency-Key sent 20 times at once writes one journey and answers all 20 alike', async () => {
      const body = {
        patientId: 'pt-idem00001',
        residenceRegion: REGION,
        institutionId: CHC,
        visitType: 'emergency',
        diagnosisCode: 'I21.4',
        occurredAt: '2026-03-01T09:00:00+08:00',
      };
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.http().post('/journeys').set(as(CHC)).set('Idempotency-Key', 'open-7f3a9c21-001').send(body),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
      const first = answers[0]!.body as Body;
      for (const a of answers) expect(a.body).toEqual(first);
      // The embedded store knows which of the twins wrote; EventStoreDB de-duplicates the racing twins on the
      // server and answers them as plain successes, so only the body (and the single write) is promised there.
      const replayed = answers.filter((a) => a.headers['idempotent-replayed'] === 'true').length;
      if (store === 'sqlite') expect(replayed).toBeGreaterThanOrEqual(19);
      const events = await history(first.journeyId);
      expect(events.map((e) => e.type)).toEqual(['JourneyOpened', 'VisitRecorded']);
      expect(events.map((e) => e.id)).toEqual(first.eventIds);
    });

    it('a retried command on an existing journey appends nothing and replays the first answer', async () => {
      const journeyId = await openJourney(t, { patientId: 'pt-idem00002' });
      const send = () =>
        t
          .http()
          .post(`/journeys/${journeyId}/referrals`)
          .set(as(CHC))
          .set('Idempotency-Key', 'refer-002')
          .send(bodies.outpatientReferUp());
      const first = await send().expect(201);
      const again = await send().expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.body.referralId).toEqual(expect.any(String));
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await history(journeyId)).toHaveLength(3);
    });

    it('a reused Idempotency-Key with a different body is a 422 and writes nothing', async () => {
      const journeyId = await openJourney(t, { patientId: 'pt-idem00003' });
      const visit = {
        institutionId: HOSP,
        visitType: 'outpatient',
        diagnosisCode: 'I10',
        occurredAt: '2026-03-02T09:00:00+08:00',
      };
      await t
        .http()
        .post(`/journeys/${journeyId}/visits`)
        .set(as(HOSP))
        .set('Idempotency-Key', 'visit-003')
        .send(visit)
        .expect(201);
      const res = await t
        .http()
        .post(`/journeys/${journeyId}/visits`)
        .set(as(HOSP))
        .set('Idempotency-Key', 'visit-003')
        .send({ ...visit, diagnosisCode: 'I11' })
        .expect(422);
      expect(res.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await history(journeyId)).toHaveLength(3);
    });

    it('corrections and entered-in-error keep the original in the log and change the state', async () => {
      const journeyId = await openJourney(t, { patientId: 'pt-correct01' });
      const admitted = await t
        .http()
        .post(`/journeys/${journeyId}/admissions`)
        .set(as(CHC))
        .send({ institutionId: CHC, wardId: 'rehab', occurredAt: '2026-03-05T10:00:00+08:00' })
        .expect(201);
      const admissionEvent = admitted.body.eventIds[0] as string;
      await t
        .http()
        .post(`/journeys/${journeyId}/events/${admissionEvent}/corrections`)
        .set(as(CHC))
        .send({
          targetType: 'PatientAdmitted',
          occurredAt: '2026-03-04T22:00:00+08:00',
          patch: { bedId: '7' },
        })
        .expect(201);
      let state = (await t.read(`/journeys/${journeyId}`).expect(200)).body as Body;
      expect(state.state.admissions[admitted.body.admissionId]).toMatchObject({
        admittedAt: '2026-03-04T22:00:00+08:00',
        bedId: '7',
      });

      await t
        .http()
        .post(`/journeys/${journeyId}/events/${admissionEvent}/entered-in-error`)
        .set(as(CHC))
        .send({ reason: 'wrong-patient' })
        .expect(201);
      state = (await t.read(`/journeys/${journeyId}`).expect(200)).body as Body;
      expect(state.state.admissions[admitted.body.admissionId]).toBeUndefined();
      // Voided: a new admission is allowed again.
      await t
        .http()
        .post(`/journeys/${journeyId}/admissions`)
        .set(as(HOSP))
        .send({ institutionId: HOSP, wardId: 'icu', occurredAt: '2026-03-05T11:00:00+08:00' })
        .expect(201);
      const types = (await history(journeyId)).map((e) => e.type);
      expect(types).toEqual([
        'JourneyOpened',
        'VisitRecorded',
        'PatientAdmitted',
        'EventCorrected',
        'EventEnteredInError',
        'PatientAdmitted',
      ]);
    });
  },
);

describe('API surface', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('serves its OpenAPI document at /docs', async () => {
    const doc = (await t.http().get('/docs/json').expect(200)).body as Body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/journeys', '/journeys/{journeyId}/referrals', '/institutions', '/health']),
    );
    await t.http().get('/docs').expect(200);
  });

  it('lists institutions it has just registered (read-your-writes)', async () => {
    await seedAlliance(t);
    const list = (
      await t.http().get('/institutions?tier=tertiary').set(asReaderOf('/institutions')).expect(200)
    ).body as Body[];
    expect(list.map((i) => i.institutionId)).toEqual(['HOSP-CY-01', 'HOSP-CY-02']);
    await t.http().get('/institutions?tier=quaternary').set(asReaderOf('/institutions')).expect(400);
    const changed = await t
      .http()
      .post(`/institutions/${HOSP}/wards/icu/bed-count`)
      .set(as(HOSP, 'admin'))
      .send({ openBeds: 6, occurredAt: '2026-02-01T00:00:00+08:00' })
      .expect(201);
    expect(changed.body.revision).toBe(3);
    const one = (await t.http().get(`/institutions/${HOSP}`).set(asReaderOf('/institutions')).expect(200))
      .body as Body;
    expect(one.wards.icu).toMatchObject({
      openBeds: 6,
      bedCountHistory: [{ openBeds: 4 }, { openBeds: 6, from: '2026-02-01T00:00:00+08:00' }],
    });
    const again = await t
      .http()
      .post(`/institutions/${HOSP}/wards/icu/bed-count`)
      .set(as(HOSP, 'admin'))
      .send({ openBeds: 6, occurredAt: '2026-02-02T00:00:00+08:00' })
      .expect(422);
    expect(again.body.code).toBe('BED_COUNT_UNCHANGED');
  });
});
