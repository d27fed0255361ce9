import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOGIN_LINK_AUDIENCE, LOGIN_LINK_PURPOSE, type Role, ROLES } from '@carepath/runtime';
import { POLICY, routeKey } from '../../apps/api/src/auth/access-policy';
import { bodies, CHC, HOSP, openJourney, OTHER, referUp, seedAlliance } from '../support/fixtures';
import { oweFollowUpAtCentre, proposeTransferToCentre } from '../support/process-fixtures';
import { as, startTestApp, type TestApp, token } from '../support/test-app';

type Body = Record<string, any>;

/**
 * The access matrix (issue 17): every route of the OpenAPI document x every role x the actor's own institution
 * or another, against the status the policy table and the scoping rules say, stated here independently of the
 * guard: 401 without a token, 403 for a role the table does not name, for another institution's path, for a
 * journey the actor's institution takes no part in (auditors excepted for reads; a visit, an admission or a
 * rehab session bring their own institution in), and the route's success status otherwise. A route the table
 * does not know fails here (and stops the app).
 */
let beds = 0;
const WARD: Record<string, string> = { [CHC]: 'rehab', [HOSP]: 'icu', [OTHER]: 'gen' };
const AT = (day: number, hour = 10) =>
  `2026-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+08:00`;

/** Commands that bring the acting institution into a journey, or need none. */
const JOINING = new Set([
  'POST /journeys',
  'POST /journeys/:journeyId/visits',
  'POST /journeys/:journeyId/admissions',
  'POST /journeys/:journeyId/rehab-sessions',
]);

/**
 * Family-doctor and slot writes: their paths name no institution, so the role alone lets a request in, and the
 * decider refuses an institution that is not the centre or hospital responsible (422 ACTING_INSTITUTION_MISMATCH).
 */
const DECIDER_SCOPED = new Set([
  'POST /family-doctors/contracts',
  'POST /family-doctors/contracts/:residentId/renew',
  'POST /family-doctors/contracts/:residentId/transfer',
  'POST /family-doctors/contracts/:residentId/key-groups',
  'POST /family-doctors/contracts/:residentId/end',
  'POST /slot-blocks',
  'POST /slot-blocks/:blockId/releases',
  'POST /slot-blocks/:blockId/bookings',
  'POST /slot-blocks/:blockId/bookings/:bookingId/cancel',
  'POST /slot-blocks/:blockId/bookings/:bookingId/attended',
  'POST /slot-blocks/:blockId/bookings/:bookingId/no-show',
]);
/** The console's sign-in at an identity provider: with the development issuer there is none to go to (404). */
const OIDC_ONLY = new Set(['POST /console/auth/oidc/start', 'POST /console/auth/oidc/callback']);
/** A slot session on 11 May 2026, booked inside its window after the priority period. */
const SLOT_AT = (day: number, time = '10:00') => `2026-05-${String(day).padStart(2, '0')}T${time}:00+08:00`;
const SLOT_BLOCK = {
  hospitalId: HOSP,
  department: 'cardiology',
  clinicianGrade: 'chief',
  date: '2026-05-11',
  startTime: '08:30',
  count: 5,
  occurredAt: SLOT_AT(1),
};

interface Case {
  readonly path: string;
  readonly body?: Body;
  readonly headers?: Record<string, string>;
  /** An event stream: the answer is read up to its first chunk (its status and headers), then closed. */
  readonly stream?: boolean;
}

describe('access matrix: every route x every role x own or other institution', () => {
  let t: TestApp;
  const keyFile = join(tmpdir(), `carepath-matrix-${randomUUID()}.pem`);

  beforeAll(async () => {
    writeFileSync(
      keyFile,
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      { mode: 0o600 },
    );
    t = await startTestApp({ auditSigningKeyFile: keyFile });
    await seedAlliance(t);
    await t
      .http()
      .post(`/institutions/${HOSP}/wards`)
      .set(as(HOSP, 'admin'))
      .send({ wardId: 'icu2', specialty: 'icu', openBeds: 50, occurredAt: AT(1, 0) })
      .expect(201);
    await t
      .http()
      .post(`/institutions/${OTHER}/wards`)
      .set(as(OTHER, 'admin'))
      .send({ wardId: 'gen', specialty: 'general', openBeds: 50, occurredAt: AT(1, 0) })
      .expect(201);
  }, 60_000);
  afterAll(() => t.close());

  const post = async (path: string, institution: string, body: Body, role = 'doctor') =>
    (await t.http().post(path).set(as(institution, role)).send(body).expect(201)).body as Body;

  /** A journey opened at CHC, referred up to HOSP, optionally accepted and admitted there. */
  async function journey(stage: 'opened' | 'referred' | 'accepted' | 'admitted' | 'on-leave') {
    const id = await openJourney(t, { patientId: `pt-${randomUUID().slice(0, 8)}` });
    if (stage === 'opened') return { id };
    const referralId = await referUp(t, id);
    if (stage === 'referred') return { id, referralId };
    await post(`/journeys/${id}/referrals/${referralId}/accept`, HOSP, { occurredAt: AT(1, 11) });
    if (stage === 'accepted') return { id, referralId };
    const { admissionId } = await post(`/journeys/${id}/admissions`, HOSP, {
      institutionId: HOSP,
      wardId: 'icu',
      referralId,
      occurredAt: AT(1, 12),
    });
    if (stage === 'admitted') return { id, referralId, admissionId: admissionId as string };
    await post(`/journeys/${id}/admissions/${admissionId}/leave`, HOSP, { holdBed: true, occurredAt: AT(2) });
    return { id, referralId, admissionId: admissionId as string };
  }

  /** Admitted at HOSP and operated, with the downward transfer proposal the process would make (docs/domain.md). */
  async function proposed() {
    const j = await journey('admitted');
    const { surgeryId } = await post(`/journeys/${j.id}/surgeries`, HOSP, {
      institutionId: HOSP,
      procedureCode: '36.06',
      occurredAt: AT(2),
    });
    return { journeyId: j.id, proposalId: await proposeTransferToCentre(t, j.id, HOSP, AT(5), surgeryId) };
  }

  /** Discharged home from HOSP, with the follow-up CHC owes as the process would record it. */
  async function owed() {
    const j = await journey('admitted');
    await post(`/journeys/${j.id}/admissions/${j.admissionId}/discharge`, HOSP, {
      disposition: 'home',
      occurredAt: AT(10),
    });
    const admission = { admissionId: j.admissionId!, dueBy: AT(17) };
    return { journeyId: j.id, followUpId: await oweFollowUpAtCentre(t, j.id, HOSP, AT(10), admission) };
  }

  /** A resident signed at CHC from 1 June 2025 for a year, with the family doctor `doctorId`. */
  async function contract(doctorId = 'family-doctor-chc-cy-01') {
    const residentId = `rs-${randomUUID().slice(0, 8)}`;
    const { contractId } = await post(
      '/family-doctors/contracts',
      CHC,
      {
        residentId,
        residenceRegion: '110105',
        doctorId,
        centreId: CHC,
        startDate: '2025-06-01',
        keyGroups: [],
        occurredAt: '2025-06-01T09:00:00+08:00',
      },
      'coordinator',
    );
    return { residentId, contractId: contractId as string };
  }

  /** A slot block at HOSP with slots released, and optionally one booked by CHC for a signed resident. */
  async function slots(booked: boolean) {
    const { blockId } = await post('/slot-blocks', HOSP, { ...SLOT_BLOCK, count: 10 }, 'coordinator');
    await post(
      `/slot-blocks/${blockId}/releases`,
      HOSP,
      { count: 10, occurredAt: SLOT_AT(1, '11:00') },
      'coordinator',
    );
    if (!booked) return { blockId: blockId as string, bookingId: '' };
    // `post` acts as the institution's default actor: the family doctor who signed the resident.
    const { residentId } = await contract('dr-chc-cy-01');
    const { bookingId } = await post(
      `/slot-blocks/${blockId}/bookings`,
      CHC,
      { residentId, occurredAt: SLOT_AT(9) },
      'family-doctor',
    );
    return { blockId: blockId as string, bookingId: bookingId as string };
  }

  /** One webhook endpoint per institution (its admin registers it), for the routes that name one. */
  const webhooks = new Map<string, string>();
  const registerWebhook = async (institution: string) =>
    (
      await post(
        '/webhooks',
        institution,
        { url: `http://127.0.0.1:9/matrix-${randomUUID().slice(0, 8)}` },
        'admin',
      )
    ).webhookId as string;
  async function webhookOf(institution: string): Promise<string> {
    const known = webhooks.get(institution);
    if (known) return known;
    const webhookId = await registerWebhook(institution);
    webhooks.set(institution, webhookId);
    return webhookId;
  }
  /** An endpoint of `institution` that may be removed: one left over, or a new one (the limit is 10 each). */
  async function spareWebhook(institution: string): Promise<string> {
    const listed = await t.http().get('/webhooks').set(as(institution, 'admin')).expect(200);
    const spare = (listed.body as { items: { webhookId: string }[] }).items.find(
      (w) => w.webhookId !== webhooks.get(institution),
    );
    return spare?.webhookId ?? registerWebhook(institution);
  }

  /** The institution whose staff may act on the route (own), and a fresh request for it acting for `actor`. */
  type Scenario = { own: string; make: (actor: string) => Case | Promise<Case> };
  type Ids = Record<string, string | undefined>;
  /** A request that is the same for every actor and every time it is made. */
  const same = (own: string, path: string, body?: Body): Scenario => ({ own, make: () => ({ path, body }) });
  /**
   * A request on the route's own path, its parameters filled in from what `setup` made for it afresh; a read of a
   * journey gives treatment as its reason.
   */
  const after =
    (own: string, setup: (actor: string) => Promise<Ids>, body?: (ids: Ids, actor: string) => Body) =>
    (key: string): Scenario => ({
      own,
      make: async (actor) => {
        const ids = await setup(actor);
        const path = key.slice(key.indexOf(' ') + 1).replace(/:(\w+)/g, (_, name: string) => {
          const id = ids[name];
          if (id === undefined) throw new Error(`${key}: the scenario made no ${name}`);
          return id;
        });
        const headers = key.startsWith('GET /journeys/') ? { 'X-Access-Reason': 'treatment' } : undefined;
        return { path, body: body?.(ids, actor), headers };
      },
    });
  /** On a fresh journey at `stage`, with a body fixed or made for the actor. */
  const onJourney = (
    own: string,
    stage: Parameters<typeof journey>[0],
    body?: Body | ((actor: string) => Body),
  ) =>
    after(
      own,
      async () => {
        const { id, ...ids } = await journey(stage);
        return { journeyId: id, ...ids };
      },
      body === undefined ? undefined : (_, actor) => (typeof body === 'function' ? body(actor) : body),
    );
  /** On a fresh journey with a visit recorded at CHC: `eventId` is the visit's event. */
  const onVisit = (body: Body) =>
    after(
      CHC,
      async () => {
        const { id } = await journey('opened');
        const { eventIds } = await post(`/journeys/${id}/visits`, CHC, bodies.visit(CHC, AT(1, 13)));
        return { journeyId: id, eventId: eventIds[0] as string };
      },
      () => body,
    );
  /** On a fresh contract at CHC, which the body names. */
  const onContract = (body: Body) =>
    after(
      CHC,
      () => contract(),
      ({ contractId }) => ({ contractId, ...body }),
    );
  /** On a fresh booking by CHC of a slot at HOSP. */
  const onBooking = (own: string, body: Body) =>
    after(
      own,
      () => slots(true),
      () => body,
    );
  /** A referral decided at HOSP an hour after it was asked for. */
  const DECIDED = { occurredAt: AT(1, 11) };
  const REJECTED = { reason: 'not-indicated', ...DECIDED };

  /** The routes whose request needs something made first, which the route's path names. */
  const AFTER: Record<string, (key: string) => Scenario> = {
    'POST /institutions/:institutionId/events/:eventId/entered-in-error': after(
      HOSP,
      async () => {
        const ward = {
          wardId: `w-${randomUUID().slice(0, 8)}`,
          specialty: 'general',
          openBeds: 1,
          occurredAt: AT(1),
        };
        const { eventIds } = await post(`/institutions/${HOSP}/wards`, HOSP, ward, 'admin');
        return { institutionId: HOSP, eventId: eventIds[0] as string };
      },
      () => ({ reason: 'wrong-entry' }),
    ),
    'GET /journeys/:journeyId': onJourney(CHC, 'opened'),
    'GET /journeys/:journeyId/timeline': onJourney(CHC, 'opened'),
    'GET /journeys/:journeyId/events': onJourney(CHC, 'opened'),
    'POST /journeys/:journeyId/visits': onJourney(CHC, 'opened', (actor) => bodies.visit(actor, AT(1, 13))),
    'POST /journeys/:journeyId/referrals': onJourney(CHC, 'opened', bodies.referUp({ reasonCode: 'I10' })),
    'POST /journeys/:journeyId/referrals/:referralId/receive': onJourney(HOSP, 'referred', DECIDED),
    'POST /journeys/:journeyId/referrals/:referralId/accept': onJourney(HOSP, 'referred', DECIDED),
    'POST /journeys/:journeyId/referrals/:referralId/reject': onJourney(HOSP, 'referred', REJECTED),
    'POST /journeys/:journeyId/referrals/:referralId/complete': onJourney(HOSP, 'accepted', {
      occurredAt: AT(1, 12),
    }),
    'POST /journeys/:journeyId/referrals/:referralId/cancel': onJourney(CHC, 'referred', {
      reason: 'patient-declined',
      occurredAt: AT(1, 11),
    }),
    'POST /journeys/:journeyId/referrals/:referralId/expire': onJourney(HOSP, 'referred', {
      occurredAt: AT(3, 12),
    }),
    'POST /journeys/:journeyId/referrals/:referralId/acknowledge': after(
      CHC,
      async () => {
        const { id, referralId } = await journey('referred');
        await post(`/journeys/${id}/referrals/${referralId}/reject`, HOSP, REJECTED);
        return { journeyId: id, referralId };
      },
      () => ({ occurredAt: AT(3, 12) }),
    ),
    'POST /journeys/:journeyId/proposals/:proposalId/accept': after(HOSP, proposed, () => ({
      department: 'rehabilitation',
      priority: 'routine',
      setting: 'inpatient',
      reasonCode: 'Z50.1',
      occurredAt: AT(5, 11),
    })),
    'POST /journeys/:journeyId/proposals/:proposalId/decline': after(HOSP, proposed, () => ({
      reason: 'patient-declined',
      occurredAt: AT(5, 11),
    })),
    'POST /journeys/:journeyId/follow-ups/:followUpId/complete': after(CHC, owed, () => ({
      occurredAt: AT(12),
    })),
    'POST /journeys/:journeyId/admissions': onJourney(HOSP, 'accepted', (actor) => ({
      institutionId: actor,
      wardId: WARD[actor],
      occurredAt: AT(1, 12),
    })),
    'POST /journeys/:journeyId/admissions/:admissionId/leave': onJourney(HOSP, 'admitted', {
      holdBed: true,
      occurredAt: AT(2),
    }),
    'POST /journeys/:journeyId/admissions/:admissionId/return': onJourney(HOSP, 'on-leave', {
      occurredAt: AT(3),
    }),
    'POST /journeys/:journeyId/admissions/:admissionId/move': onJourney(HOSP, 'admitted', {
      toWardId: 'icu2',
      occurredAt: AT(2),
    }),
    'POST /journeys/:journeyId/admissions/:admissionId/discharge': onJourney(HOSP, 'admitted', {
      disposition: 'home',
      occurredAt: AT(3),
    }),
    'POST /journeys/:journeyId/surgeries': onJourney(HOSP, 'admitted', {
      institutionId: HOSP,
      procedureCode: '36.06',
      occurredAt: AT(2),
    }),
    'POST /journeys/:journeyId/rehab-sessions': onJourney(CHC, 'opened', (actor) => ({
      institutionId: actor,
      therapyCode: 'rehab-1',
      occurredAt: AT(1, 14),
    })),
    'POST /journeys/:journeyId/close': onJourney(CHC, 'opened', { occurredAt: AT(1, 15) }),
    'POST /journeys/:journeyId/events/:eventId/entered-in-error': onVisit({ reason: 'duplicate-entry' }),
    'POST /journeys/:journeyId/events/:eventId/corrections': onVisit({
      targetType: 'VisitRecorded',
      occurredAt: AT(1, 14),
    }),
    'POST /family-doctors/contracts/:residentId/renew': onContract({
      occurredAt: '2026-04-01T09:00:00+08:00',
    }),
    'POST /family-doctors/contracts/:residentId/transfer': onContract({
      toDoctorId: 'fd-new',
      toCentreId: CHC,
      occurredAt: AT(1),
    }),
    'POST /family-doctors/contracts/:residentId/key-groups': onContract({
      keyGroups: ['type-2-diabetes'],
      occurredAt: AT(1),
    }),
    'POST /family-doctors/contracts/:residentId/end': onContract({ reason: 'moved-away', occurredAt: AT(1) }),
    'GET /family-doctors/residents/:residentId': after(CHC, () => contract()),
    'POST /slot-blocks/:blockId/releases': after(
      HOSP,
      async () => ({
        blockId: (await post('/slot-blocks', HOSP, SLOT_BLOCK, 'coordinator')).blockId as string,
      }),
      () => ({ count: 5, occurredAt: SLOT_AT(1, '11:00') }),
    ),
    'POST /slot-blocks/:blockId/bookings': after(
      CHC,
      async (actor) => {
        const [{ blockId }, { residentId }] = await Promise.all([
          slots(false),
          contract(`family-doctor-${actor.toLowerCase()}`),
        ]);
        return { blockId, residentId };
      },
      ({ residentId }, actor) => ({
        residentId,
        doctorId: `family-doctor-${actor.toLowerCase()}`,
        occurredAt: SLOT_AT(9),
      }),
    ),
    'POST /slot-blocks/:blockId/bookings/:bookingId/cancel': onBooking(CHC, {
      reason: 'patient-declined',
      occurredAt: SLOT_AT(9, '12:00'),
    }),
    'POST /slot-blocks/:blockId/bookings/:bookingId/attended': onBooking(HOSP, {
      occurredAt: SLOT_AT(11, '09:00'),
    }),
    'POST /slot-blocks/:blockId/bookings/:bookingId/no-show': onBooking(HOSP, {
      occurredAt: SLOT_AT(11, '12:00'),
    }),
    'GET /slot-blocks/:blockId': after(HOSP, () => slots(false)),
  };

  const SCENARIOS: Record<string, Scenario> = {
    ...Object.fromEntries(Object.entries(AFTER).map(([key, scenario]) => [key, scenario(key)])),
    'POST /institutions': {
      own: 'HC-CY',
      make: () => ({
        path: '/institutions',
        body: {
          institutionId: `NEW-${randomUUID().slice(0, 8)}`,
          name: 'New',
          tier: 'community',
          allianceId: 'CY-G1',
          regionCode: '110105',
          occurredAt: AT(1),
        },
      }),
    },
    'GET /institutions': same(CHC, '/institutions'),
    'GET /institutions/:institutionId': same(CHC, `/institutions/${HOSP}`),
    'GET /institutions/:institutionId/events': same(HOSP, `/institutions/${HOSP}/events`),
    'POST /institutions/:institutionId/wards': {
      own: HOSP,
      make: () => ({
        path: `/institutions/${HOSP}/wards`,
        body: {
          wardId: `w-${randomUUID().slice(0, 8)}`,
          specialty: 'general',
          openBeds: 3,
          occurredAt: AT(1),
        },
      }),
    },
    'POST /institutions/:institutionId/wards/:wardId/bed-count': {
      own: HOSP,
      make: () => ({
        path: `/institutions/${HOSP}/wards/icu2/bed-count`,
        body: { openBeds: 50 + ++beds, occurredAt: AT(1, 1) },
      }),
    },
    'POST /journeys': {
      own: CHC,
      make: (actor) => ({
        path: '/journeys',
        body: bodies.openJourney({
          patientId: `pt-${randomUUID().slice(0, 8)}`,
          institutionId: actor,
          diagnosisCode: 'I10',
          occurredAt: AT(1, 9),
        }),
      }),
    },
    // Patient search answers 200 on either side: a journey outside the care relationship is left out, not refused.
    'GET /journeys': {
      own: CHC,
      make: async () => {
        const patientId = `pt-${randomUUID().slice(0, 8)}`;
        await openJourney(t, { patientId });
        return { path: `/journeys?patientId=${patientId}`, headers: { 'X-Access-Reason': 'treatment' } };
      },
    },
    'POST /family-doctors/contracts': {
      own: CHC,
      make: (actor) => ({
        path: '/family-doctors/contracts',
        body: {
          residentId: `rs-${randomUUID().slice(0, 8)}`,
          residenceRegion: '110105',
          // A family doctor signs as themselves (the matrix's actor id); others name them.
          doctorId: `family-doctor-${actor.toLowerCase()}`,
          centreId: CHC,
          startDate: '2026-03-01',
          keyGroups: ['hypertension'],
          occurredAt: AT(1),
        },
      }),
    },
    'POST /slot-blocks': same(HOSP, '/slot-blocks', SLOT_BLOCK),
    'GET /worklists/:institutionId': same(HOSP, `/worklists/${HOSP}`),
    'GET /worklists/:institutionId/action-required': same(HOSP, `/worklists/${HOSP}/action-required`),
    'GET /analytics/ward-occupancy': same(HOSP, '/analytics/ward-occupancy?period=2026-03'),
    'GET /analytics/ward-occupancy/live': same(HOSP, `/analytics/ward-occupancy/live?institutionId=${HOSP}`),
    'GET /analytics/referrals': same(HOSP, '/analytics/referrals?period=2026-03'),
    'GET /analytics/referrals/downward-kpi': same(
      HOSP,
      `/analytics/referrals/downward-kpi?year=2026&institutionId=${HOSP}`,
    ),
    'GET /analytics/referrals/transfer-proposals': same(
      HOSP,
      '/analytics/referrals/transfer-proposals?period=2026-03',
    ),
    'GET /analytics/referrals/follow-ups': same(HOSP, '/analytics/referrals/follow-ups?period=2026-03'),
    'GET /analytics/local-treatment': same(HOSP, '/analytics/local-treatment?period=2026-03&region=110105'),
    'GET /analytics/family-doctor-coverage': same(HOSP, '/analytics/family-doctor-coverage?period=2026-03'),
    'GET /analytics/slot-use': same(HOSP, '/analytics/slot-use?period=2026-05'),
    // A family doctor reads their own panel (the matrix's actor id); a coordinator that of its centre.
    'GET /family-doctors/:doctorId/panel': {
      own: CHC,
      make: (actor) => ({ path: `/family-doctors/family-doctor-${actor.toLowerCase()}/panel?on=2026-03-01` }),
    },
    'GET /family-doctors/:doctorId/bookings': {
      own: CHC,
      make: (actor) => ({
        path: `/family-doctors/family-doctor-${actor.toLowerCase()}/bookings?from=2026-05-01&to=2026-06-01`,
      }),
    },
    'GET /slots/available': same(CHC, '/slots/available?date=2026-05-11'),
    'POST /regions/:regionCode/population': same(HOSP, '/regions/110105/population', {
      effectiveOn: '2026-01-01',
      residents: 10,
      keyGroupResidents: 2,
      source: 'access matrix',
    }),
    'GET /calendars/:calendarId': same(HOSP, '/calendars/CN'),
    // The first allowed request records 2030; the same arrangement again is answered 200 unchanged.
    'PUT /calendars/:calendarId/years/:year': same(HOSP, '/calendars/CN/years/2030', {
      holidays: ['2030-01-01'],
      workingWeekendDays: [],
      source: 'access matrix',
    }),
    // Notifications and webhooks are the acting institution's own, whichever it is (docs/notifications.md).
    'GET /notifications': same(HOSP, '/notifications?limit=5'),
    'GET /notifications/stream': { own: HOSP, make: () => ({ path: '/notifications/stream', stream: true }) },
    'GET /webhooks': same(HOSP, '/webhooks'),
    'POST /webhooks': {
      own: HOSP,
      make: () => ({
        path: '/webhooks',
        body: { url: `https://his.example/matrix-${randomUUID().slice(0, 8)}` },
      }),
    },
    'GET /webhooks/:webhookId/deliveries': {
      own: HOSP,
      make: async (actor) => ({ path: `/webhooks/${await webhookOf(actor)}/deliveries` }),
    },
    'POST /webhooks/:webhookId/rotate-secret': {
      own: HOSP,
      make: async (actor) => ({ path: `/webhooks/${await webhookOf(actor)}/rotate-secret` }),
    },
    'DELETE /webhooks/:webhookId': {
      own: HOSP,
      make: async (actor) => ({ path: `/webhooks/${await spareWebhook(actor)}` }),
    },
    'GET /projections': same(HOSP, '/projections'),
    'GET /processes': same(HOSP, '/processes'),
    'POST /projections/:name/rebuild': same(HOSP, '/projections/local-treatment/rebuild?wait=true'),
    'POST /projections/:name/resume': same(HOSP, '/projections/local-treatment/resume'),
    'GET /audit/verify': same(HOSP, '/audit/verify'),
    'GET /audit/access': same(HOSP, '/audit/access?limit=5'),
    'GET /audit/checkpoint': same(HOSP, '/audit/checkpoint'),
    'GET /health': same(HOSP, '/health'),
    'GET /health/live': same(HOSP, '/health/live'),
    'GET /health/ready': same(HOSP, '/health/ready'),
    'GET /console/auth/config': same(HOSP, '/console/auth/config'),
    // Each request redeems a login link of its own: a link works once (docs/console.md, "Sign-in").
    'POST /console/auth/sessions': {
      own: HOSP,
      make: () => ({
        path: '/console/auth/sessions',
        body: {
          token: token({
            sub: 'coord-matrix',
            role: 'coordinator',
            institutionId: HOSP,
            audience: LOGIN_LINK_AUDIENCE,
            ttlSeconds: 60,
            extra: { purpose: LOGIN_LINK_PURPOSE },
          }),
        },
      }),
    },
    'POST /console/auth/oidc/start': same(HOSP, '/console/auth/oidc/start'),
    'POST /console/auth/oidc/callback': same(HOSP, '/console/auth/oidc/callback', {
      query: '?code=matrix&state=matrix',
    }),
    'POST /console/auth/logout': same(HOSP, '/console/auth/logout'),
    'GET /console/auth/session': same(HOSP, '/console/auth/session'),
  };

  /** The answer the rules call for, derived from the table and the scoping rules, not from the app. */
  function expected(key: string, role: Role | null, side: 'own' | 'other'): number {
    const policy = POLICY[key]!;
    const success = key.startsWith('POST /projections') ? 202 : key.startsWith('POST') ? 201 : 200;
    if (OIDC_ONLY.has(key)) return 404;
    if (policy.scope === 'public') return success;
    if (role === null) return 401;
    if (!policy.roles.includes(role)) return 403;
    if (policy.scope === 'own-institution') return side === 'own' ? success : 403;
    if (policy.scope === 'journey-read') return side === 'own' || role === 'auditor' ? success : 403;
    if (policy.scope === 'journey-write') return side === 'own' || JOINING.has(key) ? success : 403;
    if (DECIDER_SCOPED.has(key)) return side === 'own' ? success : 422;
    return success;
  }

  it('knows a scenario and a policy for every route of the OpenAPI document, and nothing more', async () => {
    const doc = (await t.http().get('/docs/json').expect(200)).body as Body;
    const routes = Object.entries(doc.paths as Body).flatMap(([path, item]) =>
      Object.keys(item as Body).map((method) => routeKey(method, path.replace(/\{([^}]+)\}/g, ':$1'))),
    );
    expect(routes.sort()).toEqual(Object.keys(POLICY).sort());
    expect(Object.keys(SCENARIOS).sort()).toEqual(Object.keys(POLICY).sort());
  });

  it.each(Object.keys(POLICY))(
    '%s',
    async (key) => {
      const scenario = SCENARIOS[key]!;
      const method = key.split(' ')[0]!.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
      const mismatches: string[] = [];
      const sides = [
        ['own', scenario.own],
        ['other', scenario.own === OTHER ? CHC : OTHER],
      ] as const;
      for (const role of [null, ...ROLES]) {
        for (const [side, institution] of role === null ? [sides[0]] : sides) {
          const want = expected(key, role, side);
          const c = await scenario.make(institution);
          let req = t.http()[method](c.path);
          if (role !== null) req = req.set(as(institution, role, `${role}-${institution.toLowerCase()}`));
          if (c.headers) req = req.set(c.headers);
          if (c.stream)
            req = req.buffer(false).parse((res, done) => {
              res.once('data', () => {
                (res as unknown as { destroy(): void }).destroy();
                done(null, null);
              });
              res.once('end', () => done(null, null));
            });
          const res = await (c.body === undefined ? req : req.send(c.body));
          if (res.status !== want)
            mismatches.push(
              `${role ?? 'no token'} of ${side} ${institution}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)} (expected ${want})`,
            );
        }
      }
      expect(mismatches).toEqual([]);
    },
    120_000,
  );
});

/**
 * The cross-institution sweep (issue 17): many institutions and journeys, each touching a few of them (a first
 * visit, a referral from it to a hospital, sometimes a visit at a third); every institution's coordinator reads
 * every journey's state, history and timeline. Zero reads outside the care relationship: each answer is 200
 * exactly when the reader's institution takes part, and the access log holds no read by any other.
 */
describe('cross-institution sweep', () => {
  let t: TestApp;
  const centres = Array.from({ length: 6 }, (_, i) => `CHC-SW-${i}`);
  const hospitals = ['HOSP-SW-0', 'HOSP-SW-1'];
  const all = [...centres, ...hospitals];
  const journeys: { id: string; takingPart: Set<string> }[] = [];
  const send = (path: string, institution: string, body: Body) =>
    t.http().post(path).set(as(institution)).send(body).expect(201);

  beforeAll(async () => {
    t = await startTestApp();
    const tiers = [...centres.map((c) => [c, 'community']), ...hospitals.map((h) => [h, 'tertiary'])];
    for (const [institutionId, tier] of tiers) {
      await t
        .http()
        .post('/institutions')
        .set(as('HC-SW', 'admin'))
        .send({
          institutionId,
          name: institutionId,
          tier,
          allianceId: 'SW-G1',
          regionCode: '110105',
          occurredAt: AT(1, 0),
        })
        .expect(201);
    }
    for (let n = 0; n < 24; n++) {
      const centre = centres[n % centres.length]!;
      const hospital = hospitals[n % 2]!;
      const takingPart = new Set([centre]);
      const opened = await send(
        '/journeys',
        centre,
        bodies.openJourney({
          patientId: `pt-sweep${String(n).padStart(4, '0')}`,
          institutionId: centre,
          diagnosisCode: 'I10',
          occurredAt: AT(1, 9),
        }),
      );
      const id = (opened.body as Body).journeyId as string;
      if (n % 3 !== 0) {
        const referral = { fromInstitutionId: centre, toInstitutionId: hospital, priority: 'routine' };
        await send(
          `/journeys/${id}/referrals`,
          centre,
          bodies.referUp({ ...referral, setting: 'outpatient', reasonCode: 'I10', occurredAt: AT(1, 10) }),
        );
        takingPart.add(hospital);
      }
      if (n % 4 === 0) {
        const third = centres[(n + 1) % centres.length]!;
        await send(`/journeys/${id}/visits`, third, bodies.visit(third, AT(2, 9)));
        takingPart.add(third);
      }
      journeys.push({ id, takingPart });
    }
  }, 120_000);
  afterAll(() => t.close());

  it('answers each institution exactly the journeys it takes part in, and logs no other read', async () => {
    const wrong: string[] = [];
    for (const { id, takingPart } of journeys) {
      for (const institution of all) {
        for (const suffix of ['', '/events', '/timeline']) {
          const res = await t
            .http()
            .get(`/journeys/${id}${suffix}`)
            .set(as(institution, 'coordinator'))
            .set('X-Access-Reason', 'care-coordination');
          const want = takingPart.has(institution) ? 200 : 403;
          if (res.status !== want)
            wrong.push(`${institution} GET ${suffix || 'state'} of ${id}: ${res.status}`);
        }
      }
      const log = (
        await t.http().get(`/audit/access?journeyId=${id}`).set(as('HC-SW', 'auditor')).expect(200)
      ).body as Body;
      const records = log.records as Body[];
      expect([...new Set(records.map((r) => r.institutionId as string))].sort()).toEqual(
        [...takingPart].sort(),
      );
      expect(records.length).toBe(takingPart.size * 3);
    }
    expect(wrong).toEqual([]);
    // Worklists: one's own institution only.
    for (const [i, institution] of all.entries()) {
      await t.http().get(`/worklists/${institution}`).set(as(institution, 'coordinator')).expect(200);
      const other = all[(i + 1) % all.length]!;
      await t.http().get(`/worklists/${other}`).set(as(institution, 'coordinator')).expect(403);
    }
  }, 180_000);

  it('holds no patient or journey id in any analytics answer, JSON or CSV; analysts read no patient data', async () => {
    const analyst = as('HC-SW', 'analyst');
    const paths = [
      '/analytics/ward-occupancy?period=2026-03&groupBy=institution',
      '/analytics/ward-occupancy/live?institutionId=HOSP-SW-0',
      '/analytics/referrals?period=2026-03&groupBy=direction,setting,priority,fromInstitution,toInstitution,alliance,period',
      '/analytics/referrals/downward-kpi?year=2026',
      '/analytics/local-treatment?period=2026-03&region=110105',
      '/analytics/local-treatment?period=2026-03&groupBy=alliance&allianceId=SW-G1',
    ];
    for (const path of paths) {
      for (const format of ['json', 'csv']) {
        const res = await t.http().get(`${path}&format=${format}`).set(analyst).expect(200);
        expect(res.text).not.toMatch(/pt-sweep/);
        expect(res.text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
      }
    }
    const { id } = journeys[0]!;
    for (const suffix of ['', '/events', '/timeline']) {
      await t
        .http()
        .get(`/journeys/${id}${suffix}`)
        .set(analyst)
        .set('X-Access-Reason', 'quality-review')
        .expect(403);
    }
    await t.http().get(`/worklists/${centres[0]}`).set(as(centres[0]!, 'analyst')).expect(403);
  });
});
