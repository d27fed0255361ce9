import { loadConfig } from '@carepath/runtime';
import { bodies, CHC, HOSP, REGION, CHC2, seedAlliance, startSeededApp } from '../support/fixtures';
import { as, startTestApp, type TestApp } from '../support/test-app';

type Body = Record<string, any>;

/** A second community centre of the alliance, for transfers. */
const FD = as(CHC, 'family-doctor', 'fd-wang');
/** The day this file's contracts start, signed that morning. */
const SIGNED_IN_JUNE_2025 = { startDate: '2025-06-01', occurredAt: '2025-06-01T09:00:00+08:00' };

/**
 * Family-doctor contracts through the HTTP API (docs/family-doctors.md, "Contracts"): signing, renewal inside its
 * window, transfer, key groups and end, each on the resident's stream, and the resident's doctor read back.
 */
describe('family-doctor contracts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startSeededApp({ secondCentre: true });
  });
  afterAll(() => t.close());

  const sign = (residentId: string, overrides: Body = {}, headers: Record<string, string> = FD) =>
    t
      .http()
      .post('/family-doctors/contracts')
      .set(headers)
      .send(
        bodies.contract(residentId, ['hypertension', 'age-60-plus'], {
          ...SIGNED_IN_JUNE_2025,
          ...overrides,
        }),
      );
  const change = (residentId: string, step: string, body: Body, headers: Record<string, string> = FD) =>
    t.http().post(`/family-doctors/contracts/${residentId}/${step}`).set(headers).send(body);
  const resident = (residentId: string, on: string) =>
    t.http().get(`/family-doctors/residents/${residentId}?on=${on}`).set(FD);

  it('signs a resident with the family doctor who acts, and answers their doctor and contract by date', async () => {
    const res = await sign('rs-sign0001').expect(201);
    expect(res.headers.location).toBe('/family-doctors/residents/rs-sign0001');
    expect(res.body).toMatchObject({ residentId: 'rs-sign0001', revision: 0 });
    expect(res.body.events).toEqual([expect.objectContaining({ type: 'FamilyDoctorContractSigned' })]);

    const read = (await resident('rs-sign0001', '2025-07-01').expect(200)).body as Body;
    expect(read).toMatchObject({
      standing: 'active',
      signed: {
        contractId: res.body.contractId,
        doctorId: 'fd-wang',
        centreId: CHC,
        keyGroups: ['age-60-plus', 'hypertension'],
      },
      contract: { startDate: '2025-06-01', expiresOn: '2026-06-01', termMonths: 12 },
      previous: [],
    });
    // Inside the 90 days before expiry the contract is expiring; after it, lapsed and nobody's.
    expect((await resident('rs-sign0001', '2026-04-01').expect(200)).body.standing).toBe('expiring');
    const lapsed = (await resident('rs-sign0001', '2026-06-01').expect(200)).body as Body;
    expect(lapsed).toMatchObject({ standing: 'lapsed', signed: null });
  });

  it('lets a coordinator sign for a doctor it names, never a family doctor for another one', async () => {
    const coordinator = as(CHC, 'coordinator', 'coord-chc');
    await sign('rs-sign0002', {}, coordinator).expect(400);
    // A null doctor is no doctor (the fuzz spec found it signed as one).
    await sign('rs-sign0002', { doctorId: null }, coordinator).expect(400);
    await sign('rs-sign0002', { doctorId: 'fd-li' }, coordinator).expect(201);
    const other = await sign('rs-sign0003', { doctorId: 'fd-li' }).expect(403);
    expect(JSON.stringify(other.body)).toMatch(/themselves/);
    expect((await resident('rs-sign0002', '2025-07-01').expect(200)).body.signed.doctorId).toBe('fd-li');
  });

  it('refuses malformed requests with 400 naming the field', async () => {
    const cases: [Body, RegExp][] = [
      [{ residentId: '110105199001011234' }, /ID-card or phone/],
      [{ keyGroups: ['hypertension', 'diabetes'] }, /keyGroups/],
      [{ startDate: '1 June 2025' }, /startDate/],
      [{ termMonths: 0 }, /termMonths/],
      [{ centreId: 'a centre' }, /centreId/],
      [{ occurredAt: '2025-06-01 09:00' }, /occurredAt/],
    ];
    for (const [overrides, message] of cases) {
      const res = await sign('rs-bad00001', overrides).expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
    }
    await t.http().get('/family-doctors/residents/x').set(FD).expect(400);
    await resident('rs-sign0001', '2025-13-01').expect(400);
    await change('rs-sign0001', 'renew', {
      contractId: 'nope',
      occurredAt: '2026-04-01T09:00:00+08:00',
    }).expect(400);
  });

  it('answers 404 for a resident never signed and a contract the resident does not have', async () => {
    const unknown = await resident('rs-nobody01', '2025-07-01').expect(404);
    expect(unknown.body.code).toBe('CONTRACT_NOT_FOUND');
    const renew = await change('rs-nobody01', 'renew', {
      contractId: '00000000-0000-4000-8000-000000000000',
      occurredAt: '2026-04-01T09:00:00+08:00',
    }).expect(404);
    expect(renew.body.code).toBe('CONTRACT_NOT_FOUND');
    const other = await change('rs-sign0001', 'end', {
      contractId: '00000000-0000-4000-8000-000000000000',
      reason: 'moved-away',
      occurredAt: '2025-08-01T09:00:00+08:00',
    }).expect(404);
    expect(other.body.code).toBe('CONTRACT_NOT_FOUND');
    const centre = await sign('rs-sign0004', { centreId: 'CHC-NONE-99' }).expect(404);
    expect(centre.body.code).toBe('INSTITUTION_NOT_FOUND');
  });

  it('refuses what the contract rules forbid with 422 and their codes', async () => {
    expect(
      (await sign('rs-rule0001', { centreId: HOSP }, as(HOSP, 'family-doctor', 'fd-wang'))).body.code,
    ).toBe('CONTRACT_CENTRE_NOT_COMMUNITY');
    expect((await sign('rs-rule0001', { startDate: '2025-05-31' }).expect(422)).body.code).toBe(
      'CONTRACT_START_BEFORE_SIGNING',
    );
    expect((await sign('rs-rule0001', { keyGroups: ['age-65-plus'] }).expect(422)).body.code).toBe(
      'KEY_GROUPS_INVALID',
    );
    // Another centre's staff cannot sign for this one.
    expect((await sign('rs-rule0001', {}, as(CHC2, 'family-doctor', 'fd-wang')).expect(422)).body.code).toBe(
      'ACTING_INSTITUTION_MISMATCH',
    );
    await sign('rs-rule0001').expect(201);
    expect(
      (
        await sign('rs-rule0001', {
          startDate: '2026-01-01',
          occurredAt: '2025-12-01T09:00:00+08:00',
        }).expect(422)
      ).body.code,
    ).toBe('CONTRACT_OVERLAP');
  });

  it('renews only inside the renewal window, and not once the contract has expired', async () => {
    const { contractId } = (await sign('rs-renew001').expect(201)).body as Body;
    const early = await change('rs-renew001', 'renew', {
      contractId,
      occurredAt: '2026-02-01T09:00:00+08:00',
    }).expect(422);
    expect(early.body).toMatchObject({
      code: 'CONTRACT_RENEWAL_TOO_EARLY',
      details: { renewalOpensOn: '2026-03-03', expiresOn: '2026-06-01' },
    });
    await change('rs-renew001', 'renew', { contractId, occurredAt: '2026-04-01T09:00:00+08:00' }).expect(201);
    const renewed = (await resident('rs-renew001', '2026-07-01').expect(200)).body as Body;
    expect(renewed).toMatchObject({ standing: 'active', contract: { expiresOn: '2027-06-01' } });

    const lapsing = (await sign('rs-renew002').expect(201)).body as Body;
    const expired = await change('rs-renew002', 'renew', {
      contractId: lapsing.contractId,
      occurredAt: '2026-06-02T09:00:00+08:00',
    }).expect(422);
    expect(expired.body.code).toBe('CONTRACT_NOT_ACTIVE');
  });

  it('takes the renewal window from the configuration (CONTRACT_RENEWAL_WINDOW_DAYS)', async () => {
    const narrow = await startTestApp({
      contractPolicy: loadConfig({ CONTRACT_RENEWAL_WINDOW_DAYS: '30' }).contractPolicy,
    });
    try {
      await seedAlliance(narrow);
      const signed = await narrow
        .http()
        .post('/family-doctors/contracts')
        .set(FD)
        .send(bodies.contract('rs-narrow01', [], SIGNED_IN_JUNE_2025))
        .expect(201);
      const early = await narrow
        .http()
        .post('/family-doctors/contracts/rs-narrow01/renew')
        .set(FD)
        .send({ contractId: signed.body.contractId, occurredAt: '2026-04-01T09:00:00+08:00' })
        .expect(422);
      expect(early.body.details.renewalOpensOn).toBe('2026-05-02');
    } finally {
      await narrow.close();
    }
    expect(() => loadConfig({ CONTRACT_RENEWAL_WINDOW_DAYS: '-1' })).toThrow(/CONTRACT_RENEWAL_WINDOW_DAYS/);
  });

  it('transfers to another doctor, changes key groups and ends, each by the centre holding the contract', async () => {
    const { contractId } = (await sign('rs-move0001').expect(201)).body as Body;
    const same = await change('rs-move0001', 'transfer', {
      contractId,
      toDoctorId: 'fd-wang',
      toCentreId: CHC,
      occurredAt: '2025-09-01T09:00:00+08:00',
    }).expect(422);
    expect(same.body.code).toBe('CONTRACT_TRANSFER_SAME_DOCTOR');
    const hospital = await change('rs-move0001', 'transfer', {
      contractId,
      toDoctorId: 'fd-zhao',
      toCentreId: HOSP,
      occurredAt: '2025-09-01T09:00:00+08:00',
    }).expect(422);
    expect(hospital.body.code).toBe('CONTRACT_CENTRE_NOT_COMMUNITY');
    await change('rs-move0001', 'transfer', {
      contractId,
      toDoctorId: 'fd-zhao',
      toCentreId: CHC2,
      occurredAt: '2025-09-01T09:00:00+08:00',
    }).expect(201);
    const moved = (await resident('rs-move0001', '2025-09-02').expect(200)).body as Body;
    expect(moved.signed).toMatchObject({ doctorId: 'fd-zhao', centreId: CHC2 });
    expect((await resident('rs-move0001', '2025-08-31').expect(200)).body.signed.doctorId).toBe('fd-wang');

    // From now on the new centre holds it: the old one may no longer change it.
    const newCentre = as(CHC2, 'family-doctor', 'fd-zhao');
    const stale = await change('rs-move0001', 'key-groups', {
      contractId,
      keyGroups: ['hypertension'],
      occurredAt: '2025-10-01T09:00:00+08:00',
    }).expect(422);
    expect(stale.body.code).toBe('ACTING_INSTITUTION_MISMATCH');
    const unchanged = await change(
      'rs-move0001',
      'key-groups',
      { contractId, keyGroups: ['age-60-plus', 'hypertension'], occurredAt: '2025-10-01T09:00:00+08:00' },
      newCentre,
    ).expect(422);
    expect(unchanged.body.code).toBe('KEY_GROUPS_UNCHANGED');
    await change(
      'rs-move0001',
      'key-groups',
      {
        contractId,
        keyGroups: ['age-60-plus', 'age-65-plus', 'hypertension', 'type-2-diabetes'],
        occurredAt: '2025-10-01T09:00:00+08:00',
      },
      newCentre,
    ).expect(201);
    expect((await resident('rs-move0001', '2025-10-02').expect(200)).body.signed.keyGroups).toEqual([
      'age-60-plus',
      'age-65-plus',
      'hypertension',
      'type-2-diabetes',
    ]);

    const late = await change(
      'rs-move0001',
      'end',
      { contractId, reason: 'moved-away', occurredAt: '2025-09-15T09:00:00+08:00' },
      newCentre,
    ).expect(422);
    expect(late.body.code).toBe('CONTRACT_CHANGE_OUT_OF_ORDER');
    await change(
      'rs-move0001',
      'end',
      { contractId, reason: 'bored' as string, occurredAt: '2025-11-01T09:00:00+08:00' },
      newCentre,
    ).expect(400);
    await change(
      'rs-move0001',
      'end',
      { contractId, reason: 'moved-away', occurredAt: '2025-11-01T09:00:00+08:00' },
      newCentre,
    ).expect(201);
    const ended = (await resident('rs-move0001', '2025-11-01').expect(200)).body as Body;
    expect(ended).toMatchObject({ standing: 'ended', signed: null, contract: { endedOn: '2025-11-01' } });
    // The ended contract is followed by a new one from its end date on.
    const again = await sign('rs-move0001', {
      startDate: '2025-11-02',
      occurredAt: '2025-11-02T09:00:00+08:00',
    });
    expect(again.status).toBe(201);
    const read = (await resident('rs-move0001', '2025-11-03').expect(200)).body as Body;
    expect(read.previous).toHaveLength(1);
    expect(read.signed.contractId).toBe(again.body.contractId);
  });

  it('signs once for retries with the same Idempotency-Key, and answers a stale If-Match with 409', async () => {
    const keyed = { ...FD, 'Idempotency-Key': 'sign-rs-keyed001' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => sign('rs-keyed001', {}, keyed)));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
    expect(new Set(answers.map((a) => a.body.contractId as string)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(5);
    const reused = await sign('rs-keyed001', { startDate: '2025-07-01' }, keyed).expect(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');

    const { contractId } = answers[0]!.body as Body;
    const conflict = await change(
      'rs-keyed001',
      'key-groups',
      { contractId, keyGroups: [], occurredAt: '2025-07-01T09:00:00+08:00' },
      { ...FD, 'If-Match': '"7"' },
    ).expect(409);
    expect(conflict.body).toMatchObject({ code: 'REVISION_CONFLICT', currentRevision: 0 });
  });

  it('decides two centres signing one resident at once one after the other: the second overlaps', async () => {
    const [a, b] = await Promise.all([
      sign('rs-race0001'),
      sign('rs-race0001', { centreId: CHC2 }, as(CHC2, 'family-doctor', 'fd-zhao')),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 422]);
    expect([a, b].find((r) => r.status === 422)!.body.code).toBe('CONTRACT_OVERLAP');
  });

  it('names the signed family doctor on a downward referral of their resident, and no one for an unsigned patient', async () => {
    await sign('rs-down0001').expect(201);
    const referDown = async (patientId: string) => {
      const opened = await t
        .http()
        .post('/journeys')
        .set(as(HOSP))
        .send({
          patientId,
          residenceRegion: REGION,
          institutionId: HOSP,
          visitType: 'outpatient',
          diagnosisCode: 'I21.4',
          occurredAt: '2026-03-01T09:00:00+08:00',
        })
        .expect(201);
      const journeyId = (opened.body as Body).journeyId as string;
      await t
        .http()
        .post(`/journeys/${journeyId}/referrals`)
        .set(as(HOSP))
        .send({
          direction: 'down',
          fromInstitutionId: HOSP,
          toInstitutionId: CHC,
          department: 'cardiology',
          priority: 'routine',
          setting: 'inpatient',
          reasonCode: 'I21.4',
          occurredAt: '2026-03-02T10:00:00+08:00',
        })
        .expect(201);
      const history = (await t.read(`/journeys/${journeyId}/events`).expect(200)).body as Body;
      return (history.events as Body[]).find((e) => e.type === 'DownwardReferralRequested')?.data as Body;
    };
    expect(await referDown('rs-down0001')).toMatchObject({ signedDoctorId: 'fd-wang', signedCentreId: CHC });
    expect(await referDown('rs-down0002')).not.toHaveProperty('signedDoctorId');
  });

  it('refuses roles that do not sign residents', async () => {
    await sign('rs-role0001', { doctorId: 'fd-wang' }, as(CHC, 'analyst', 'analyst-chc')).expect(403);
    await t.http().get('/family-doctors/residents/rs-sign0001').set(as(CHC, 'nurse')).expect(403);
    await t.http().get('/family-doctors/residents/rs-sign0001').expect(401);
  });
});
