import type { EventStore } from '@carepath/event-store';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import { bodies, CHC, HOSP, HOSP2, openJourney, seedAlliance } from '../support/fixtures';
import { as, startTestApp, type TestApp } from '../support/test-app';

type Body = Record<string, any>;

/**
 * Issue 16 as a new user tried it, in April 2026 (+08:00), through the real app: late entries land in the stay
 * they happened in, an earlier stay elsewhere is recorded whole, and what cannot have happened is refused.
 */
describe('Care time is the truth', () => {
  let t: TestApp;
  let journeyId: string;
  let icu: string;

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
  });
  afterAll(async () => t.close());

  const post = (path: string, institution: string, body: Body) =>
    t.http().post(`/journeys/${journeyId}${path}`).set(as(institution)).send(body);
  // Journey streams only: reads are recorded in the access log, which moves the log's head.
  const head = () => t.app.get<EventStore>(EVENT_STORE).headPosition({ streamPrefixes: ['journey-'] });
  /** An admission of the journey to `wardId` at `institution`; `more` adds to its body (a discharge with it). */
  const admission = (institution: string, wardId: string, occurredAt: string, more: Body = {}) =>
    post('/admissions', institution, { institutionId: institution, wardId, occurredAt, ...more });
  const state = async () => ((await t.read(`/journeys/${journeyId}`, HOSP).expect(200)).body as Body).state;

  it('an ICU stay, then typed in after the discharge: a surgery, a ward move and a rehab session inside it', async () => {
    journeyId = await openJourney(t, { occurredAt: '2026-04-01T09:00:00+08:00' });
    const admitted = await admission(HOSP, 'icu', '2026-04-21T10:00:00+08:00').expect(201);
    icu = (admitted.body as Body).admissionId as string;
    const discharged = { disposition: 'home', occurredAt: '2026-04-24T10:00:00+08:00' };
    await post(`/admissions/${icu}/discharge`, HOSP, discharged).expect(201);

    const typedIn: [string, Body][] = [
      [
        '/surgeries',
        { institutionId: HOSP, procedureCode: '36.06', occurredAt: '2026-04-22T09:00:00+08:00' },
      ],
      [`/admissions/${icu}/move`, { toWardId: 'cardio-surg', occurredAt: '2026-04-23T12:00:00+08:00' }],
      [
        '/rehab-sessions',
        { institutionId: HOSP, therapyCode: 'pt-1', occurredAt: '2026-04-23T09:00:00+08:00' },
      ],
    ];
    for (const [path, body] of typedIn) await post(path, HOSP, body).expect(201);

    const s = await state();
    expect(Object.values(s.surgeries as Body)).toEqual([expect.objectContaining({ admissionId: icu })]);
    expect(Object.values(s.rehabSessions as Body)).toEqual([expect.objectContaining({ admissionId: icu })]);
    expect(s.admissions[icu]).toMatchObject({ status: 'discharged', wardId: 'cardio-surg' });
  });

  it('after a readmission, an earlier stay elsewhere that overlaps nothing is recorded whole', async () => {
    await admission(HOSP, 'icu', '2026-04-26T10:00:00+08:00').expect(201);
    // Its discharge unknown, a stay from 15 Apr would still be running on 21 Apr: refused, naming the conflict.
    const open = await admission(HOSP2, 'cardio-surg', '2026-04-15T10:00:00+08:00').expect(422);
    expect(open.body).toMatchObject({ code: 'ALREADY_ADMITTED' });
    const whole = await admission(HOSP2, 'cardio-surg', '2026-04-15T10:00:00+08:00', {
      discharge: { disposition: 'home', occurredAt: '2026-04-18T10:00:00+08:00' },
    }).expect(201);
    expect((whole.body as Body).events.map((e: Body) => e.type)).toEqual([
      'PatientAdmitted',
      'PatientDischarged',
    ]);
    const history = ((await t.read(`/journeys/${journeyId}/events`, HOSP).expect(200)).body as Body)
      .events as Body[];
    expect(history.at(-1)!.metadata.occurredAt).toBe('2026-04-18T10:00:00+08:00');
  });

  it('refuses what cannot have happened with a code naming the conflict, and writes nothing', async () => {
    const referral = await post(
      '/referrals',
      CHC,
      bodies.referUp({
        toInstitutionId: HOSP2,
        priority: 'routine',
        setting: 'outpatient',
        occurredAt: '2026-04-27T10:00:00+08:00',
      }),
    ).expect(201);
    const referralId = (referral.body as Body).referralId as string;
    const before = await head();
    const early = await post(`/referrals/${referralId}/accept`, HOSP2, {
      occurredAt: '2026-04-27T08:00:00+08:00',
    }).expect(422);
    expect(early.body).toMatchObject({ code: 'DECISION_BEFORE_REQUEST' });

    const events = ((await t.read(`/journeys/${journeyId}/events`, HOSP).expect(200)).body as Body)
      .events as Body[];
    const admission = events.find((e) => e.type === 'PatientAdmitted' && e.data.admissionId === icu)!;
    const moved = await post(`/events/${admission.id}/corrections`, HOSP, {
      targetType: 'PatientAdmitted',
      occurredAt: '2026-04-25T10:00:00+08:00',
    }).expect(422);
    expect(moved.body.code).toBe('OCCURRED_BEFORE_ADMISSION');
    expect(await head()).toBe(before);
  });

  it('who is on an extra bed follows the census now, not the moment the admission was recorded', async () => {
    // cardio-surg at HOSP has 2 open beds (fixtures): the third patient takes an extra bed (加床).
    const admit = async (patientId: string, occurredAt: string) => {
      const id = await openJourney(t, { patientId, occurredAt: '2026-05-01T08:00:00+08:00' });
      const res = await t
        .http()
        .post(`/journeys/${id}/admissions`)
        .set(as(HOSP))
        .send({ institutionId: HOSP, wardId: 'cardio-surg', occurredAt })
        .expect(201);
      return { journeyId: id, admissionId: (res.body as Body).admissionId as string };
    };
    const first = await admit('pt-extra-001', '2026-05-01T09:00:00+08:00');
    await admit('pt-extra-002', '2026-05-01T10:00:00+08:00');
    await admit('pt-extra-003', '2026-05-01T11:00:00+08:00');
    const worklist = async () =>
      ((await t.http().get(`/worklists/${HOSP}`).set(as(HOSP, 'coordinator')).expect(200)).body as Body)
        .inpatients as Body[];
    const onExtra = async () =>
      (await worklist()).filter((s) => s.wardId === 'cardio-surg' && s.extraBed).map((s) => s.patientId);
    await expectEventually(onExtra, ['pt-extra-003']);
    await t
      .http()
      .post(`/journeys/${first.journeyId}/admissions/${first.admissionId}/discharge`)
      .set(as(HOSP))
      .send({ disposition: 'home', occurredAt: '2026-05-02T09:00:00+08:00' })
      .expect(201);
    await expectEventually(onExtra, []);
  });
});

/** Projections follow the log asynchronously: wait for the read model to say it, without sleeping. */
async function expectEventually<T>(probe: () => Promise<T>, expected: T): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (JSON.stringify(value) === JSON.stringify(expected) || Date.now() > deadline) {
      expect(value).toEqual(expected);
      return;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
