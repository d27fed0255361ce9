import { randomUUID } from 'node:crypto';
import { as, asReaderOf, startTestApp, type TestApp, token } from '../support/test-app';
import { bodies, CHC, HOSP, HOSP2, openJourney, OTHER, referUp, seedAlliance } from '../support/fixtures';

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

  const validOpen = bodies.openJourney();

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
    const valid = bodies.referUp();
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
        .send(bodies.visit(CHC, '2026-03-02T09:00:00+08:00'))
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
        .send(bodies.visit(CHC, '2026-03-02T09:00:00+08:00'))
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
    /** A routine outpatient referral of the shared journey, asked for by `from`. */
    const referral = (direction: string, from: string, to: string) =>
      bodies.referUp({
        direction,
        fromInstitutionId: from,
        toInstitutionId: to,
        department: 'x',
        priority: 'routine',
        setting: 'outpatient',
        reasonCode: 'I10',
      });

    it('an upward referral to a lower or equal tier', async () => {
      // The hospital takes part in the journey (a visit there), so its request reaches the decider.
      await t
        .http()
        .post(`/journeys/${journeyId}/visits`)
        .set(as(HOSP))
        .send(bodies.visit(HOSP, '2026-03-01T09:30:00+08:00'))
        .expect(201);
      const path = `/journeys/${journeyId}/referrals`;
      await expect422(path, HOSP, referral('up', HOSP, HOSP2), 'REFERRAL_TIER_MISMATCH');
    });

    it('a downward referral to a higher tier', async () => {
      const path = `/journeys/${journeyId}/referrals`;
      await expect422(path, CHC, referral('down', CHC, HOSP), 'REFERRAL_TIER_MISMATCH');
    });

    // Each on a journey of its own, referred up from CHC to HOSP (and cancelled by CHC first where it says so).
    it.each([
      {
        name: 'accepting a cancelled referral',
        patientId: 'pt-cancelled1',
        cancelled: true,
        action: 'accept',
        by: HOSP,
        code: 'REFERRAL_INVALID_TRANSITION',
      },
      {
        name: 'accepting on behalf of another institution',
        patientId: 'pt-wrongside1',
        action: 'accept',
        by: CHC,
        code: 'REFERRAL_WRONG_SIDE',
      },
      {
        name: 'a redirect outside the alliance',
        patientId: 'pt-redirect01',
        action: 'reject',
        by: HOSP,
        body: { reason: 'capacity-full', redirectToInstitutionId: OTHER },
        code: 'REDIRECT_OUTSIDE_ALLIANCE',
      },
    ])('$name', async ({ patientId, cancelled, action, by, body, code }) => {
      const id = await openJourney(t, { patientId });
      const path = `/journeys/${id}/referrals/${await referUp(t, id)}`;
      if (cancelled)
        await t
          .http()
          .post(`${path}/cancel`)
          .set(as(CHC))
          .send({ reason: 'patient-recovered', occurredAt: '2026-03-01T10:10:00+08:00' })
          .expect(201);
      await expect422(
        `${path}/${action}`,
        by,
        { ...body, occurredAt: '2026-03-01T10:20:00+08:00' },
        code,
        id,
      );
    });

    it('expiring a referral before its deadline', async () => {
      const id = await openJourney(t, { patientId: 'pt-expire001' });
      const referral = await referUp(t, id, { priority: 'urgent' });
      const expire = `/journeys/${id}/referrals/${referral}/expire`;
      await expect422(
        expire,
        HOSP,
        { occurredAt: '2026-03-01T12:00:00+08:00' },
        'REFERRAL_NOT_OVERDUE',
        id,
        'coordinator',
      );
      await t
        .http()
        .post(expire)
        .set(as(HOSP, 'coordinator'))
        .send({ occurredAt: '2026-03-02T10:00:01+08:00' })
        .expect(201);
    });

    it('surgery without an admission, discharge when not admitted, a second bed while admitted', async () => {
      const id = await openJourney(t, { patientId: 'pt-rules0001' });
      // Referred up, the hospital takes part in the journey; its refused commands reach the decider.
      await referUp(t, id);
      const surgery = (occurredAt: string) => ({ institutionId: HOSP, procedureCode: '36.06', occurredAt });
      const noAdmission = 'SURGERY_WITHOUT_ADMISSION';
      await expect422(
        `/journeys/${id}/surgeries`,
        HOSP,
        surgery('2026-03-02T10:00:00+08:00'),
        noAdmission,
        id,
      );
      const admitted = await t
        .http()
        .post(`/journeys/${id}/admissions`)
        .set(as(CHC))
        .send({ institutionId: CHC, wardId: 'rehab', occurredAt: '2026-03-02T10:00:00+08:00' })
        .expect(201);
      const secondBed = { institutionId: HOSP, wardId: 'icu', occurredAt: '2026-03-02T11:00:00+08:00' };
      await expect422(`/journeys/${id}/admissions`, HOSP, secondBed, 'ALREADY_ADMITTED', id);
      await expect422(
        `/journeys/${id}/surgeries`,
        HOSP,
        surgery('2026-03-02T12:00:00+08:00'),
        noAdmission,
        id,
      );
      const discharge = `/journeys/${id}/admissions/${admitted.body.admissionId}/discharge`;
      await t
        .http()
        .post(discharge)
        .set(as(CHC))
        .send({ disposition: 'home', occurredAt: '2026-03-03T10:00:00+08:00' })
        .expect(201);
      const again = { disposition: 'home', occurredAt: '2026-03-03T11:00:00+08:00' };
      await expect422(discharge, CHC, again, 'NOT_ADMITTED', id);
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
