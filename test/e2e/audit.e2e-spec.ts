import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointSignatureValid } from '@carepath/event-store';
import { as, startTestApp, type TestApp, asReaderOf } from '../support/test-app';
import { CHC, HOSP, openJourney, seedAlliance } from '../support/fixtures';

type Body = Record<string, any>;

/** Auditors through the real API (issue 5): time travel, corrections shown, the access log, the hash chain. */
describe('Audit through the real API', () => {
  let t: TestApp;
  let keys: string;
  let publicKey: string;

  beforeAll(async () => {
    keys = mkdtempSync(join(tmpdir(), 'carepath-keys-'));
    const pair = generateKeyPairSync('ed25519');
    writeFileSync(join(keys, 'audit.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    t = await startTestApp({ auditSigningKeyFile: join(keys, 'audit.pem') });
    await seedAlliance(t);
  });
  afterAll(async () => {
    await t.close();
    rmSync(keys, { recursive: true, force: true });
  });

  it('answers what was known at a time (asOf) and what was true in care at a time (validAt)', async () => {
    const id = await openJourney(t, { patientId: 'pt-audit0001' });
    const admitted = await t
      .http()
      .post(`/journeys/${id}/admissions`)
      .set(as(CHC))
      .send({ institutionId: CHC, wardId: 'rehab', bedId: '4', occurredAt: '2026-03-05T10:00:00+08:00' })
      .expect(201);
    const history = (await t.read(`/journeys/${id}/events`).expect(200)).body as Body;
    const admittedRecordedAt = history.events.at(-1).metadata.recordedAt as string;
    // A correction recorded later moves the admission to the evening before.
    await t
      .http()
      .post(`/journeys/${id}/events/${admitted.body.eventIds[0]}/corrections`)
      .set(as(CHC))
      .send({ targetType: 'PatientAdmitted', occurredAt: '2026-03-04T20:00:00+08:00', patch: { bedId: '6' } })
      .expect(201);

    const now = (await t.read(`/journeys/${id}`).expect(200)).body as Body;
    expect(now.state.admissions[admitted.body.admissionId]).toMatchObject({
      admittedAt: '2026-03-04T20:00:00+08:00',
      bedId: '6',
    });
    // As recorded before the correction: the original admission.
    const then = (await t.read(`/journeys/${id}?asOf=${encodeURIComponent(admittedRecordedAt)}`).expect(200))
      .body as Body;
    expect(then).toMatchObject({ asOf: admittedRecordedAt, revision: 2 });
    expect(then.state.admissions[admitted.body.admissionId]).toMatchObject({
      admittedAt: '2026-03-05T10:00:00+08:00',
      bedId: '4',
    });
    // In care at 4 March 22:00, with the correction applied: already admitted; at 4 March 12:00: not yet.
    const evening = (
      await t.read(`/journeys/${id}?validAt=${encodeURIComponent('2026-03-04T22:00:00+08:00')}`).expect(200)
    ).body as Body;
    expect(evening.state.admissions[admitted.body.admissionId]).toMatchObject({
      status: 'in-bed',
      bedId: '6',
    });
    const noon = (
      await t.read(`/journeys/${id}?validAt=${encodeURIComponent('2026-03-04T12:00:00+08:00')}`).expect(200)
    ).body as Body;
    expect(noon.state.admissions).toEqual({});
    // The history shows the correction on the event it amends; the original stays.
    const full = (await t.read(`/journeys/${id}/events`).expect(200)).body as Body;
    const original = full.events.find((e: Body) => e.id === admitted.body.eventIds[0]);
    expect(original).toMatchObject({
      data: { bedId: '4' },
      amendedBy: { correctedBy: [expect.any(String)], enteredInErrorBy: null },
    });
    await t.read(`/journeys/${id}?asOf=yesterday`).expect(400);
  });

  it('logs every read of a journey record: who (verified), when, for which institution, on what basis and why', async () => {
    const id = await openJourney(t, { patientId: 'pt-audit0002' });
    // The hospital takes no part in this journey: refused, and nothing is logged for it.
    const refused = await t.read(`/journeys/${id}`, HOSP).expect(403);
    expect(refused.body.code).toBe('NO_CARE_RELATIONSHIP');
    const emergency = () => t.http().get(`/journeys/${id}`).set(as(HOSP)).set('X-Access-Reason', 'emergency');
    expect((await emergency().expect(400)).body.message.join(' ')).toContain('X-Access-Justification');
    await emergency().set('X-Access-Justification', 'ED-2026-0042 unconscious on arrival').expect(200);
    await t
      .http()
      .get(`/journeys/${id}/events`)
      .set(as(CHC, 'coordinator'))
      .set('X-Access-Reason', 'care-coordination')
      .expect(200);
    await t.read(`/journeys/${id}/timeline`).expect(200);
    const missing = await t.http().get(`/journeys/${id}`).set(as(CHC)).expect(400);
    expect(missing.body.message.join(' ')).toContain('X-Access-Reason');
    await t.http().get(`/journeys/${id}`).set(as(CHC)).set('X-Access-Reason', 'curiosity').expect(400);

    const access = async (query: string) =>
      ((await t.http().get(`/audit/access?${query}`).set(asReaderOf('/audit')).expect(200)).body as Body)
        .records as Body[];
    const log = await access(`journeyId=${id}`);
    expect(log.map((r) => [r.resource, r.institutionId, r.actorRole, r.reason, r.basis, r.flagged])).toEqual([
      ['state', HOSP, 'doctor', 'emergency', 'break-glass', true],
      ['history', CHC, 'coordinator', 'care-coordination', 'care-relationship', false],
      ['timeline', CHC, 'doctor', 'treatment', 'care-relationship', false],
    ]);
    expect(log[0]).toMatchObject({
      issuer: 'urn:carepath:dev-issuer',
      actorId: 'dr-hosp-cy-01',
      justification: 'ED-2026-0042 unconscious on arrival',
    });
    // Filters: by actor, by acting institution, flagged for review, by period.
    expect((await access(`journeyId=${id}&actorId=dr-hosp-cy-01`)).map((r) => r.resource)).toEqual(['state']);
    expect((await access(`institutionId=${HOSP}&flagged=true`)).map((r) => r.journeyId)).toContain(id);
    expect((await access(`institutionId=${CHC}&flagged=true`)).length).toBe(0);
    const later = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect(await access(`journeyId=${id}&from=${later}`)).toEqual([]);
    expect((await access(`journeyId=${id}&to=${later}`)).length).toBe(3);
    expect((await access(`journeyId=${id}&limit=2`)).length).toBe(2);
    // Never mixed with care events.
    const care = (await t.read(`/journeys/${id}/events`).expect(200)).body as Body;
    expect(care.events.map((e: Body) => e.type)).toEqual(['JourneyOpened', 'VisitRecorded']);
    await t.http().get('/audit/access?journeyId=nope').set(asReaderOf('/audit')).expect(400);
    await t.http().get('/audit/access?from=yesterday').set(asReaderOf('/audit')).expect(400);
  });

  it('verifies the hash chain and signs a checkpoint that checks out with the public key', async () => {
    // Only auditors walk the chain; an admin signs checkpoints but does not read the audit routes.
    const refused = (await t.http().get('/audit/verify').set(as('HC-CY', 'admin')).expect(403)).body as Body;
    expect(refused.code).toBe('ROLE_NOT_ALLOWED');
    const result = (await t.http().get('/audit/verify').set(asReaderOf('/audit')).expect(200)).body as Body;
    expect(result).toMatchObject({
      ok: true,
      checked: expect.any(Number),
      headHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const checkpoint = (await t.http().get('/audit/checkpoint').set(asReaderOf('/audit')).expect(200))
      .body as Body;
    expect(checkpoint).toMatchObject({
      position: expect.any(String),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      signature: expect.any(String),
    });
    expect(checkpointSignatureValid(checkpoint as never, publicKey)).toBe(true);
  });
});

describe('Audit on EventStoreDB', () => {
  it('verifies the stream hash chains carried in metadata', async () => {
    const t = await startTestApp({}, 'esdb');
    try {
      await seedAlliance(t);
      await openJourney(t, { patientId: 'pt-auditesdb1' });
      const res = await t.http().get('/audit/verify').set(asReaderOf('/audit')).expect(200);
      expect(res.body).toMatchObject({
        ok: true,
        checked: expect.any(Number),
        headHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(res.body.checked).toBeGreaterThanOrEqual(10);
    } finally {
      await t.close();
    }
  });
});
