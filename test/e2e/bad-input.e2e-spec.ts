import { randomUUID } from 'node:crypto';
import { as, asReaderOf, startTestApp, type TestApp, token } from '../support/test-app';
import { CHC, HOSP, HOSP2, OTHER, openJourney, REGION, referUp, seedAlliance } from '../support/fixtures';

type Body = Record<string, any>;

describe('Bad input gets a clear answer and writes nothing', () => {
  let t: TestApp;
  let journeyId: string;

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
    journeyId = await openJourney(t);
  });
  afterAll(async () => t.close());

  const eventCount = async (id = journeyId) =>
    ((await t.read(`/journeys/${id}/events`).expect(200)).body as Body).events.length as number;

  const validOpen = {
    patientId: 'pt-7f3a9c21',
    residenceRegion: REGION,
    institutionId: CHC,
    visitType: 'outpatient',
    diagnosisCode: 'I21.4',
    occurredAt: '2026-03-01T09:00:00+08:00',
  };

  describe('every field of "open a journey" wrong in turn is a 400 naming that field', () => {
    const cases: [string, unknown][] = [
      ['patientId', ''],
      ['patientId', '110105199001011234'],
      ['patientId', '13800138000'],
      ['patientId', 'Zhang San'],
      ['residenceRegion', 'Chaoyang'],
      ['institutionId', 'has space'],
      ['visitType', 'telephone'],
      ['diagnosisCode', 'heart attack'],
      ['occurredAt', 'yesterday'],
      ['occurredAt', '2026-03-01T09:00:00'],
      ['occurredAt', 42],
    ];
    it.each(cases)('%s = %j', async (field, value) => {
      const res = await t
        .http()
        .post('/journeys')
        .set(as(CHC))
        .send({ ...validOpen, [field]: value })
        .expect(400);
      expect(res.body.message.join(' ')).toContain(field);
    });

    it.each(Object.keys(validOpen))('missing %s', async (field) => {
      const body: Body = { ...validOpen };
      delete body[field];
      const res = await t.http().post('/journeys').set(as(CHC)).send(body).expect(400);
      expect(res.body.message.join(' ')).toContain(field);
    });

    it('an unknown field is refused, not ignored', async () => {
      const res = await t
        .http()
        .post('/journeys')
        .set(as(CHC))
        .send({ ...validOpen, patientName: 'Zhang San' })
        .expect(400);
      expect(res.body.message.join(' ')).toContain('patientName');
    });

    it('a care time in the future is refused', async () => {
      const res = await t
        .http()
        .post('/journeys')
        .set(as(CHC))
        .send({ ...validOpen, occurredAt: '2099-01-01T00:00:00Z' })
        .expect(400);
      expect(res.body.message.join(' ')).toContain('occurredAt');
    });
  });

  describe('every field of a referral request wrong in turn', () => {
    const valid = {
      direction: 'up',
      fromInstitutionId: CHC,
      toInstitutionId: HOSP,
      department: 'cardiology',
      priority: 'urgent',
      setting: 'inpatient',
      reasonCode: 'I21.4',
      occurredAt: '2026-03-01T10:00:00+08:00',
    };
    it.each([
      ['direction', 'sideways'],
      ['fromInstitutionId', ''],
      ['toInstitutionId', 'a b'],
      ['department', 'heart & lungs'],
      ['priority', 'asap'],
      ['setting', 'home'],
      ['reasonCode', ''],
      ['occurredAt', '2026-13-01T10:00:00+08:00'],
    ])('%s = %j', async (field, value) => {
      const before = await eventCount();
      const res = await t
        .http()
        .post(`/journeys/${journeyId}/referrals`)
        .set(as(CHC))
        .send({ ...valid, [field]: value })
        .expect(400);
      expect(res.body.message.join(' ')).toContain(field);
      expect(await eventCount()).toBe(before);
    });
  });

  describe('headers', () => {
    it('the identity headers of old, without a token, are a 401 and write nothing', async () => {
      const before = await eventCount();
      const res = await t
        .http()
        .post(`/journeys/${journeyId}/visits`)
        .set({ 'X-Actor-Id': 'dr-1', 'X-Actor-Role': 'doctor', 'X-Institution-Id': CHC })
        .send({
          institutionId: CHC,
          visitType: 'outpatient',
          diagnosisCode: 'I10',
          occurredAt: '2026-03-02T09:00:00+08:00',
        })
        .expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(res.body.code).toBe('TOKEN_MISSING');
      expect(await eventCount()).toBe(before);
    });

    it('a service account that names no institution to act for is a 400 naming X-Institution-Id', async () => {
      const system = { Authorization: `Bearer ${token({ sub: 'his-gateway', role: 'system' })}` };
      const res = await t.http().post('/journeys').set(system).send(validOpen).expect(400);
      expect(res.body.message.join(' ')).toContain('X-Institution-Id');
    });

    it('an unreadable If-Match is a 400', async () => {
      const res = await t
        .http()
        .post(`/journeys/${journeyId}/close`)
        .set(as(CHC))
        .set('If-Match', 'yesterday')
        .send({ occurredAt: '2026-03-01T10:00:00+08:00' })
        .expect(400);
      expect(res.body.message.join(' ')).toContain('If-Match');
    });
  });

  describe('bodies', () => {
    it('malformed JSON is a 400', async () => {
      await t
        .http()
        .post('/journeys')
        .set(as(CHC))
        .set('Content-Type', 'application/json')
        .send('{"patientId":')
        .expect(400);
    });

    it('a body over the limit is a 413', async () => {
      const res = await t
        .http()
        .post('/journeys')
        .set(as(CHC))
        .send({ ...validOpen, padding: 'x'.repeat(100_000) });
      expect(res.status).toBe(413);
    });

    it('a correction patch with a bad value names patch.<field>', async () => {
      const events = ((await t.read(`/journeys/${journeyId}/events`).expect(200)).body as Body)
        .events as Body[];
      const visit = events.find((e) => e.type === 'VisitRecorded')!;
      const res = await t
        .http()
        .post(`/journeys/${journeyId}/events/${visit.id}/corrections`)
        .set(as(CHC))
        .send({
          targetType: 'VisitRecorded',
          occurredAt: '2026-03-01T08:30:00+08:00',
          patch: { diagnosisCode: 'flu' },
        })
        .expect(400);
      expect(res.body.message.join(' ')).toContain('patch.diagnosisCode');
    });
  });

  describe('unknown ids are 404', () => {
    it('an unknown journey', async () => {
      const res = await t.read(`/journeys/${randomUUID()}`).expect(404);
      expect(res.body.code).toBe('JOURNEY_NOT_FOUND');
      await t
        .http()
        .post(`/journeys/${randomUUID()}/visits`)
        .set(as(CHC))
        .send({
          institutionId: CHC,
          visitType: 'outpatient',
          diagnosisCode: 'I10',
          occurredAt: '2026-03-02T09:00:00+08:00',
        })
        .expect(404);
    });

    it('a journey id that is not a UUID is a 400', async () => {
      const res = await t.read('/journeys/not-a-uuid').expect(400);
      expect(res.body.message.join(' ')).toContain('journeyId');
    });

    it('an unknown institution, named by its field', async () => {
      const res = await t
        .http()
        .post('/journeys')
        .set(as(CHC))
        .send({ ...validOpen, institutionId: 'CHC-NOWHERE' })
        .expect(404);
      expect(res.body).toMatchObject({ code: 'INSTITUTION_NOT_FOUND' });
      expect(res.body.message).toContain('institutionId');
      await t.http().get('/institutions/CHC-NOWHERE').set(asReaderOf('/institutions')).expect(404);
    });

    it('an unknown ward or referral', async () => {
      const before = await eventCount();
      const ward = await t
        .http()
        .post(`/journeys/${journeyId}/admissions`)
        .set(as(CHC))
        .send({ institutionId: CHC, wardId: 'no-such-ward', occurredAt: '2026-03-01T12:00:00+08:00' })
        .expect(404);
      expect(ward.body.code).toBe('WARD_NOT_FOUND');
      const ref = await t
        .http()
        .post(`/journeys/${journeyId}/referrals/${randomUUID()}/accept`)
        .set(as(CHC))
        .send({ occurredAt: '2026-03-01T12:00:00+08:00' })
        .expect(404);
      expect(ref.body.code).toBe('REFERRAL_NOT_FOUND');
      expect(await eventCount()).toBe(before);
    });
  });

  describe('illegal transitions are 422 with a domain code, and write nothing', () => {
    const expect422 = async (
      path: string,
      institution: string,
      body: Body,
      code: string,
      id = journeyId,
      role = 'doctor',
    ) => {
      const before = await eventCount(id);
      const res = await t.http().post(path).set(as(institution, role)).send(body).expect(422);
      expect(res.body.code).toBe(code);
      expect(await eventCount(id)).toBe(before);
    };

    it('an upward referral to a lower or equal tier', async () => {
      // The hospital takes part in the journey (a visit there), so its request reaches the decider.
      await t
        .http()
        .post(`/journeys/${journeyId}/visits`)
        .set(as(HOSP))
        .send({
          institutionId: HOSP,
          visitType: 'outpatient',
          diagnosisCode: 'I10',
          occurredAt: '2026-03-01T09:30:00+08:00',
        })
        .expect(201);
      await expect422(
        `/journeys/${journeyId}/referrals`,
        HOSP,
        {
          direction: 'up',
          fromInstitutionId: HOSP,
          toInstitutionId: HOSP2,
          department: 'x',
          priority: 'routine',
          setting: 'outpatient',
          reasonCode: 'I10',
          occurredAt: '2026-03-01T10:00:00+08:00',
        },
        'REFERRAL_TIER_MISMATCH',
      );
    });

    it('a downward referral to a higher tier', async () => {
      await expect422(
        `/journeys/${journeyId}/referrals`,
        CHC,
        {
          direction: 'down',
          fromInstitutionId: CHC,
          toInstitutionId: HOSP,
          department: 'x',
          priority: 'routine',
          setting: 'outpatient',
          reasonCode: 'I10',
          occurredAt: '2026-03-01T10:00:00+08:00',
        },
        'REFERRAL_TIER_MISMATCH',
      );
    });

    it('accepting a cancelled referral', async () => {
      const id = await openJourney(t, { patientId: 'pt-cancelled1' });
      const referral = await referUp(t, id);
      await t
        .http()
        .post(`/journeys/${id}/referrals/${referral}/cancel`)
        .set(as(CHC))
        .send({ reason: 'patient-recovered', occurredAt: '2026-03-01T10:10:00+08:00' })
        .expect(201);
      await expect422(
        `/journeys/${id}/referrals/${referral}/accept`,
        HOSP,
        { occurredAt: '2026-03-01T10:20:00+08:00' },
        'REFERRAL_INVALID_TRANSITION',
        id,
      );
    });

    it('accepting on behalf of another institution', async () => {
      const id = await openJourney(t, { patientId: 'pt-wrongside1' });
      const referral = await referUp(t, id);
      await expect422(
        `/journeys/${id}/referrals/${referral}/accept`,
        CHC,
        { occurredAt: '2026-03-01T10:20:00+08:00' },
        'REFERRAL_WRONG_SIDE',
        id,
      );
    });

    it('a redirect outside the alliance', async () => {
      const id = await openJourney(t, { patientId: 'pt-redirect01' });
      const referral = await referUp(t, id);
      await expect422(
        `/journeys/${id}/referrals/${referral}/reject`,
        HOSP,
        { reason: 'capacity-full', redirectToInstitutionId: OTHER, occurredAt: '2026-03-01T10:20:00+08:00' },
        'REDIRECT_OUTSIDE_ALLIANCE',
        id,
      );
    });

    it('expiring a referral before its deadline', async () => {
      const id = await openJourney(t, { patientId: 'pt-expire001' });
      const referral = await referUp(t, id, { priority: 'urgent' });
      await expect422(
        `/journeys/${id}/referrals/${referral}/expire`,
        HOSP,
        { occurredAt: '2026-03-01T12:00:00+08:00' },
        'REFERRAL_NOT_OVERDUE',
        id,
        'coordinator',
      );
      await t
        .http()
        .post(`/journeys/${id}/referrals/${referral}/expire`)
        .set(as(HOSP, 'coordinator'))
        .send({ occurredAt: '2026-03-02T10:00:01+08:00' })
        .expect(201);
    });

    it('surgery without an admission, discharge when not admitted, a second bed while admitted', async () => {
      const id = await openJourney(t, { patientId: 'pt-rules0001' });
      // Referred up, the hospital takes part in the journey; its refused commands reach the decider.
      await referUp(t, id);
      await expect422(
        `/journeys/${id}/surgeries`,
        HOSP,
        { institutionId: HOSP, procedureCode: '36.06', occurredAt: '2026-03-02T10:00:00+08:00' },
        'SURGERY_WITHOUT_ADMISSION',
        id,
      );
      const admitted = await t
        .http()
        .post(`/journeys/${id}/admissions`)
        .set(as(CHC))
        .send({ institutionId: CHC, wardId: 'rehab', occurredAt: '2026-03-02T10:00:00+08:00' })
        .expect(201);
      await expect422(
        `/journeys/${id}/admissions`,
        HOSP,
        { institutionId: HOSP, wardId: 'icu', occurredAt: '2026-03-02T11:00:00+08:00' },
        'ALREADY_ADMITTED',
        id,
      );
      await expect422(
        `/journeys/${id}/surgeries`,
        HOSP,
        { institutionId: HOSP, procedureCode: '36.06', occurredAt: '2026-03-02T12:00:00+08:00' },
        'SURGERY_WITHOUT_ADMISSION',
        id,
      );
      await t
        .http()
        .post(`/journeys/${id}/admissions/${admitted.body.admissionId}/discharge`)
        .set(as(CHC))
        .send({ disposition: 'home', occurredAt: '2026-03-03T10:00:00+08:00' })
        .expect(201);
      await expect422(
        `/journeys/${id}/admissions/${admitted.body.admissionId}/discharge`,
        CHC,
        { disposition: 'home', occurredAt: '2026-03-03T11:00:00+08:00' },
        'NOT_ADMITTED',
        id,
      );
    });
  });

  it('admissions above the open beds are allowed and recorded as extra beds (加床)', async () => {
    const admitted: Body[] = [];
    for (const patient of ['pt-extra0001', 'pt-extra0002', 'pt-extra0003']) {
      const id = await openJourney(t, { patientId: patient });
      const res = await t
        .http()
        .post(`/journeys/${id}/admissions`)
        .set(as(HOSP))
        .send({ institutionId: HOSP, wardId: 'cardio-surg', occurredAt: '2026-03-04T10:00:00+08:00' })
        .expect(201);
      const events = ((await t.read(`/journeys/${id}/events`).expect(200)).body as Body).events as Body[];
      admitted.push(events.find((e) => e.id === res.body.eventIds[0])!);
    }
    // cardio-surg at HOSP has 2 open beds.
    expect(admitted.map((e) => e.data.extraBed)).toEqual([false, false, true]);
  });
});
