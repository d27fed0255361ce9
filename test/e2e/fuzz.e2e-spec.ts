import { Logger, type LoggerService } from '@nestjs/common';
import type { EventStore } from '@carepath/event-store';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import {
  type BadRequest,
  badRequests,
  prototypeIdRequests,
  type RouteBase,
} from '../support/bad-request-generator';
import {
  bodies,
  CHC,
  HOSP,
  HOSP2,
  OTHER,
  openJourney,
  REGION,
  referUp,
  seedAlliance,
} from '../support/fixtures';
import { LOGIN_LINK_AUDIENCE, LOGIN_LINK_PURPOSE } from '@carepath/runtime';
import { as, startTestApp, type TestApp, token } from '../support/test-app';

/**
 * Property-based fuzzing of every route (issue 15, "The checks stay in CI"): thousands of generated bad requests
 * (wrong types, missing fields, prototype-named keys and ids, odd dates, deep nesting, huge strings, control
 * characters, wrong media types and encodings, invalid JSON) against the real app on a seeded log. For each one:
 * no 5xx; a refusal writes nothing (the log head stays); a request no reading of the grammar accepts is not
 * accepted; a command naming a ward or institution that does not exist is not accepted. Afterwards the engine must
 * still work: one accepted request must not poison later loads.
 *
 * Every failure is collected rather than stopping at the first: the app keeps state, so once one request has
 * poisoned it every later one fails too, and fast-check's shrinking would replay other requests against a poisoned
 * app and blame them. The report lists each distinct failure with its first request, in order, so the first is the
 * cause. FUZZ_SEED and FUZZ_RUNS replay or widen a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 15_2026);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const T = '2026-03-02T10:00:00+08:00';
/** An id no proposal, follow-up or visit of the seeded journeys has. */
const FUZZ_SUBJECT = '5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f';

type Body = Record<string, any>;

interface Failure {
  readonly index: number;
  readonly check: string;
  readonly request: BadRequest;
  readonly status: number | null;
  readonly error: string;
}

/** Routes the app serves, from the router and the OpenAPI document (a route Swagger hides is still fuzzed). */
async function servedRoutes(t: TestApp): Promise<string[]> {
  const routes = new Set<string>();
  const instance = t.app.getHttpAdapter().getInstance() as {
    router?: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  };
  for (const layer of instance.router?.stack ?? []) {
    if (!layer.route) continue;
    for (const method of Object.keys(layer.route.methods))
      routes.add(`${method.toUpperCase()} ${layer.route.path}`);
  }
  const openApi = (await t.http().get('/docs/json').expect(200)).body as { paths: Record<string, object> };
  for (const [path, operations] of Object.entries(openApi.paths)) {
    for (const method of Object.keys(operations)) {
      routes.add(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
    }
  }
  // Swagger UI's own pages are static files, not CarePath's API.
  return [...routes].filter((r) => !/^\w+ \/docs/.test(r)).sort();
}

/** Errors the app logs while a request runs: the cause of a 5xx, for the report. */
class CapturingLogger implements LoggerService {
  readonly errors: string[] = [];
  log(): void {}
  warn(): void {}
  debug(): void {}
  verbose(): void {}
  error(message: unknown): void {
    const error = (message as { error?: unknown })?.error ?? message;
    this.errors.push(String(typeof error === 'string' ? error : JSON.stringify(error)).split('\n')[0]!);
  }
}

function send(
  port: number,
  agent: Agent,
  req: BadRequest,
  retried = false,
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body) headers['content-length'] = String(req.body.length);
    let answered = false;
    const outgoing = httpRequest(
      { host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent },
      (res) => {
        answered = true;
        // An accepted event stream never ends (GET /notifications/stream): its status and first chunk answer.
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.once('data', () => {
            resolve({ status: res.statusCode ?? 0, body: '' });
            res.destroy();
          });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (e) => resolve({ status: res.statusCode ?? 0, body: `(answer cut: ${e.message})` }));
      },
    );
    // A hang detector, not a speed check: a request nobody answers would otherwise stall the whole suite.
    outgoing.setTimeout(30_000, () => outgoing.destroy(new Error('no answer within 30 s')));
    outgoing.on('error', (e) => {
      if (answered) return;
      // Fastify answers a request whose headers overflow (431) and closes the socket without `Connection: close`,
      // so the agent may reuse it before it sees the close: that request never reached the app. Node's advice
      // (http.ClientRequest#reusedSocket) is to send it again, once, on a fresh socket.
      if (outgoing.reusedSocket && !retried && (e as NodeJS.ErrnoException).code === 'ECONNRESET')
        resolve(send(port, agent, req, true));
      else resolve({ error: e.message });
    });
    outgoing.end(req.body ?? undefined);
  });
}

const showRequest = (r: BadRequest) => {
  const body = r.body
    ? r.body.length > 160
      ? `${r.body.subarray(0, 160).toString('latin1')}… (${r.body.length} bytes)`
      : r.body.toString('latin1')
    : '';
  const path = r.path.length > 160 ? `${r.path.slice(0, 160)}… (${r.path.length} chars)` : r.path;
  const headers = Object.entries(r.headers)
    .map(([k, v]) => `${k}: ${v.length > 40 ? `${v.slice(0, 40)}… (${v.length})` : v}`)
    .join('; ');
  return `${r.method} ${path} [${headers}] ${JSON.stringify(body)}`;
};

describe('fuzz: no generated bad request gets a 5xx, writes on refusal, or breaks the engine', () => {
  let t: TestApp;
  let port: number;
  let store: EventStore;
  let keys: string | undefined;
  const logger = new CapturingLogger();
  // Each route is called by a role its policy allows (apps/api/src/auth/access-policy.ts), for an institution that
  // may act there, so a request is refused for what is wrong in it rather than for who sends it.
  const hospitalAdmin = as(HOSP, 'admin', 'admin-hosp');
  // CHC opened every seeded journey: its doctor has a care relationship with each.
  const reader = { ...as(CHC), 'X-Access-Reason': 'treatment' };
  const analyst = as(HOSP, 'analyst', 'analyst-hosp');
  const auditor = as(HOSP, 'auditor', 'auditor-hosp');
  // Contracts and bookings: a family doctor of the centre; sessions: the hospital's outpatient office.
  const familyDoctor = as(CHC, 'family-doctor', 'fd-wang');
  const outpatientOffice = as(HOSP, 'coordinator', 'office-hosp');
  // Population figures are the health commission's reference data, like institutions' registrations.
  const statistician = as('HC-CY', 'admin');
  let catalog: Record<string, RouteBase>;
  /** Wards (institution → wards) that exist: seeded, plus any a generated request opened with a 2xx. */
  const wards = new Map<string, Set<string>>([
    [CHC, new Set(['rehab'])],
    [HOSP, new Set(['cardio-surg', 'icu'])],
    [HOSP2, new Set(['cardio-surg'])],
    [OTHER, new Set()],
  ]);
  const admissionInstitution = new Map<string, string>();
  let routes: string[];
  /** Routes with a generator (the first test fails on any without one; the others fuzz the rest meanwhile). */
  const covered = () => routes.filter((r) => catalog[r]);

  beforeAll(async () => {
    // A signing key, so GET /audit/checkpoint signs rather than answering 501 "not offered".
    keys = mkdtempSync(join(tmpdir(), 'carepath-fuzz-keys-'));
    const pair = generateKeyPairSync('ed25519');
    writeFileSync(join(keys, 'audit.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    t = await startTestApp({ auditSigningKeyFile: join(keys, 'audit.pem') });
    store = t.app.get<EventStore>(EVENT_STORE, { strict: false });
    await seedAlliance(t);
    const created = async (path: string, headers: Record<string, string>, body: Body) =>
      (await t.http().post(path).set(headers).send(body).expect(201)).body as Body;
    const post = (path: string, institution: string, body: Body) => created(path, as(institution), body);
    // A journey with a referral waiting, one admitted upstairs on an accepted referral, one on leave at home.
    const waiting = await openJourney(t);
    const waitingReferral = await referUp(t, waiting);
    const upstairs = await openJourney(t, { patientId: 'pt-fuzz0002' });
    const accepted = await referUp(t, upstairs);
    await post(`/journeys/${upstairs}/referrals/${accepted}/accept`, HOSP, {
      occurredAt: '2026-03-01T11:00:00+08:00',
    });
    const upstairsAdmission = await post(`/journeys/${upstairs}/admissions`, HOSP, {
      institutionId: HOSP,
      wardId: 'cardio-surg',
      referralId: accepted,
      occurredAt: '2026-03-01T12:00:00+08:00',
    });
    const home = await openJourney(t, { patientId: 'pt-fuzz0003' });
    const homeAdmission = await post(`/journeys/${home}/admissions`, CHC, {
      institutionId: CHC,
      wardId: 'rehab',
      bedId: '3',
      occurredAt: '2026-03-01T12:00:00+08:00',
    });
    await post(`/journeys/${home}/admissions/${homeAdmission.admissionId}/leave`, CHC, {
      holdBed: true,
      occurredAt: '2026-03-01T18:00:00+08:00',
    });
    // A ward fact to void (a bed-count change: voiding it leaves the ward in place for the checks afterwards).
    const bedCount = (
      await t
        .http()
        .post(`/institutions/${HOSP}/wards/icu/bed-count`)
        .set(hospitalAdmin)
        .send({ openBeds: 5, occurredAt: '2026-02-01T00:00:00+08:00' })
        .expect(201)
    ).body as Body;
    admissionInstitution
      .set(upstairsAdmission.admissionId as string, HOSP)
      .set(homeAdmission.admissionId as string, CHC);
    const eventIds = ((await t.read(`/journeys/${upstairs}/events`).expect(200)).body as Body).events.map(
      (e: Body) => e.eventId ?? e.id,
    ) as string[];
    const projections = (
      (await t.http().get('/projections').set(hospitalAdmin).expect(200)).body as Body
    ).projections.map((p: Body) => p.name) as string[];
    // A signed resident booked on a released session (docs/family-doctors.md, "Specialist slots"). With the default
    // release policy the catalog's care times fall after the priority share lapses (2 March 08:30) and before the
    // cancel cutoff (3 March 08:30); the clinic's outcomes from the session's start.
    const signed = 'rs-fuzz0001';
    const { contractId } = await created('/family-doctors/contracts', familyDoctor, {
      residentId: signed,
      residenceRegion: REGION,
      centreId: CHC,
      startDate: '2026-03-01',
      keyGroups: ['hypertension'],
      occurredAt: '2026-03-01T09:00:00+08:00',
    });
    const { blockId } = await created('/slot-blocks', outpatientOffice, {
      hospitalId: HOSP,
      department: 'cardiology',
      clinicianGrade: 'chief',
      date: '2026-03-04',
      startTime: '08:30',
      count: 20,
      occurredAt: '2026-03-01T09:00:00+08:00',
    });
    await created(`/slot-blocks/${blockId}/releases`, outpatientOffice, {
      count: 10,
      occurredAt: '2026-03-01T09:30:00+08:00',
    });
    const { bookingId } = await created(`/slot-blocks/${blockId}/bookings`, familyDoctor, {
      residentId: signed,
      occurredAt: '2026-03-01T12:00:00+08:00',
    });
    // A resident nobody signed, whom the centre is seeing: booked through the journey.
    const seen = await openJourney(t, { patientId: 'rs-fuzz0002' });
    // The region's population from the new year: the denominators of coverage (docs/family-doctors.md, "Coverage").
    await created(`/regions/${REGION}/population`, statistician, {
      effectiveOn: '2026-01-01',
      residents: 900_000,
      keyGroupResidents: 300_000,
      source: 'Chaoyang statistical yearbook 2025',
      occurredAt: '2026-01-02T09:00:00+08:00',
    });

    const journeys = [waiting, upstairs, home];
    const institutions = [CHC, HOSP, HOSP2, OTHER];
    const referral = { journeyId: [waiting], referralId: [waitingReferral] };
    const admission = { journeyId: [upstairs], admissionId: [upstairsAdmission.admissionId as string] };
    const leave = { journeyId: [home], admissionId: [homeAdmission.admissionId as string] };
    const period = {
      query: { period: '2026-03' },
      queryKeys: ['period', 'from', 'to', 'format', 'asOf', 'groupBy'],
    };
    const sessionStarted = '2026-03-04T09:00:00+08:00';
    const writeAs = (institution: string, role = 'doctor') => ({
      headers: as(institution, role),
      context: true,
    });
    // A webhook endpoint of the hospital for the routes naming one, and one to remove.
    const webhookAdmin = as(HOSP, 'admin', 'admin-hosp');
    const webhookIds: string[] = [];
    for (const path of ['/fuzz-kept', '/fuzz-removed']) {
      const res = await t
        .http()
        .post('/webhooks')
        .set(webhookAdmin)
        .send({ url: `https://his.example${path}` })
        .expect(201);
      webhookIds.push((res.body as { webhookId: string }).webhookId);
    }
    catalog = {
      'POST /institutions': {
        ...writeAs('HC-CY', 'admin'),
        body: {
          institutionId: 'FUZZ-SEC-01',
          name: 'Fuzz Secondary Hospital',
          tier: 'secondary',
          allianceId: 'CY-G1',
          regionCode: REGION,
          occurredAt: T,
        },
        optional: ['allianceId'],
      },
      'GET /institutions': {
        headers: as(HOSP),
        query: { tier: 'tertiary' },
        queryKeys: ['tier', 'allianceId', 'regionCode'],
      },
      'GET /institutions/:institutionId': { headers: as(HOSP), params: { institutionId: institutions } },
      // Own-institution routes: the hospital's admin on the hospital (another institution in the path is a 403).
      'GET /institutions/:institutionId/events': {
        headers: hospitalAdmin,
        params: { institutionId: [HOSP] },
      },
      'POST /institutions/:institutionId/events/:eventId/entered-in-error': {
        ...writeAs(HOSP, 'admin'),
        params: { institutionId: [HOSP], eventId: bedCount.eventIds as string[] },
        body: { reason: 'wrong-entry' },
      },
      'POST /institutions/:institutionId/wards': {
        ...writeAs(HOSP, 'admin'),
        params: { institutionId: [HOSP] },
        body: { wardId: 'fuzz-ward', specialty: 'general-medicine', openBeds: 12, occurredAt: T },
      },
      'POST /institutions/:institutionId/wards/:wardId/bed-count': {
        ...writeAs(HOSP, 'admin'),
        params: { institutionId: [HOSP], wardId: ['cardio-surg', 'icu'] },
        body: { openBeds: 6, occurredAt: T },
      },
      'POST /journeys': {
        ...writeAs(CHC),
        body: {
          patientId: 'pt-fuzz0004',
          residenceRegion: REGION,
          institutionId: CHC,
          visitType: 'outpatient',
          diagnosisCode: 'I21.4',
          occurredAt: T,
        },
      },
      'GET /journeys': { headers: reader, context: true, query: { patientId: 'pt-7f3a9c21' } },
      'GET /journeys/:journeyId': {
        params: { journeyId: journeys },
        headers: reader,
        context: true,
        query: {},
        queryKeys: ['asOf', 'validAt'],
      },
      'GET /journeys/:journeyId/timeline': {
        params: { journeyId: journeys },
        headers: reader,
        context: true,
      },
      'GET /journeys/:journeyId/events': {
        params: { journeyId: journeys },
        headers: reader,
        context: true,
        query: {},
        queryKeys: ['asOf'],
      },
      'POST /journeys/:journeyId/visits': {
        ...writeAs(HOSP),
        params: { journeyId: [upstairs] },
        body: {
          institutionId: HOSP,
          visitType: 'outpatient',
          diagnosisCode: 'I21.4',
          referralId: accepted,
          occurredAt: T,
        },
        optional: ['referralId'],
      },
      'POST /journeys/:journeyId/referrals': {
        ...writeAs(CHC),
        params: { journeyId: journeys },
        body: bodies.referUp({ occurredAt: T }),
      },
      'POST /journeys/:journeyId/referrals/:referralId/receive': {
        ...writeAs(HOSP),
        params: referral,
        body: { occurredAt: T },
      },
      'POST /journeys/:journeyId/referrals/:referralId/accept': {
        ...writeAs(HOSP),
        params: referral,
        body: { occurredAt: T },
      },
      'POST /journeys/:journeyId/referrals/:referralId/reject': {
        ...writeAs(HOSP),
        params: referral,
        body: { reason: 'capacity-full', redirectToInstitutionId: HOSP2, occurredAt: T },
        optional: ['redirectToInstitutionId'],
      },
      'POST /journeys/:journeyId/referrals/:referralId/complete': {
        ...writeAs(HOSP),
        params: { journeyId: [upstairs], referralId: [accepted] },
        body: { occurredAt: T },
      },
      'POST /journeys/:journeyId/referrals/:referralId/cancel': {
        ...writeAs(CHC),
        params: referral,
        body: { reason: 'patient-declined', occurredAt: T },
      },
      'POST /journeys/:journeyId/referrals/:referralId/expire': {
        ...writeAs(HOSP, 'coordinator'),
        params: referral,
        body: { occurredAt: T },
      },
      // The care processes' human acts: the seeded referral is still open (422), no proposal or follow-up is seeded
      // under these ids (404); the bodies' grammar is what is fuzzed.
      'POST /journeys/:journeyId/referrals/:referralId/acknowledge': {
        ...writeAs(CHC, 'coordinator'),
        params: referral,
        body: { occurredAt: T },
      },
      'POST /journeys/:journeyId/proposals/:proposalId/accept': {
        ...writeAs(HOSP),
        params: { journeyId: [upstairs], proposalId: [FUZZ_SUBJECT] },
        body: {
          department: 'rehabilitation',
          priority: 'routine',
          setting: 'inpatient',
          reasonCode: 'Z50.1',
          occurredAt: T,
        },
      },
      'POST /journeys/:journeyId/proposals/:proposalId/decline': {
        ...writeAs(HOSP),
        params: { journeyId: [upstairs], proposalId: [FUZZ_SUBJECT] },
        body: { reason: 'not-stable', occurredAt: T },
      },
      'POST /journeys/:journeyId/follow-ups/:followUpId/complete': {
        ...writeAs(CHC, 'nurse'),
        params: { journeyId: [home], followUpId: [FUZZ_SUBJECT] },
        body: { visitId: FUZZ_SUBJECT, occurredAt: T },
        optional: ['visitId'],
      },
      'POST /journeys/:journeyId/admissions': {
        ...writeAs(HOSP),
        params: { journeyId: [waiting] },
        body: { institutionId: HOSP, wardId: 'icu', bedId: '2', occurredAt: T },
        optional: ['bedId', 'referralId'],
      },
      'POST /journeys/:journeyId/admissions/:admissionId/leave': {
        ...writeAs(HOSP),
        params: admission,
        body: { holdBed: true, occurredAt: T },
        optional: ['holdBed'],
      },
      'POST /journeys/:journeyId/admissions/:admissionId/return': {
        ...writeAs(CHC),
        params: leave,
        body: { occurredAt: T },
      },
      'POST /journeys/:journeyId/admissions/:admissionId/move': {
        ...writeAs(HOSP),
        params: admission,
        body: { toWardId: 'icu', bedId: '1', occurredAt: T },
        optional: ['bedId'],
      },
      'POST /journeys/:journeyId/admissions/:admissionId/discharge': {
        ...writeAs(HOSP),
        params: admission,
        body: { disposition: 'rehab', destinationInstitutionId: CHC, occurredAt: T },
        optional: ['destinationInstitutionId'],
      },
      'POST /journeys/:journeyId/surgeries': {
        ...writeAs(HOSP),
        params: { journeyId: [upstairs] },
        body: { institutionId: HOSP, procedureCode: '36.06', occurredAt: T },
      },
      'POST /journeys/:journeyId/rehab-sessions': {
        ...writeAs(CHC),
        params: { journeyId: [home] },
        body: { institutionId: CHC, therapyCode: 'cardiac-rehab-1', occurredAt: T },
      },
      'POST /journeys/:journeyId/close': {
        ...writeAs(CHC),
        params: { journeyId: journeys },
        body: { occurredAt: T },
      },
      'POST /journeys/:journeyId/events/:eventId/entered-in-error': {
        ...writeAs(HOSP),
        params: { journeyId: [upstairs], eventId: eventIds },
        body: { reason: 'duplicate-entry' },
      },
      'POST /journeys/:journeyId/events/:eventId/corrections': {
        ...writeAs(HOSP),
        params: { journeyId: [upstairs], eventId: eventIds },
        body: { targetType: 'PatientAdmitted', occurredAt: T, patch: { bedId: '4' } },
        optional: ['patch'],
      },
      'GET /analytics/ward-occupancy': {
        headers: analyst,
        ...period,
        queryKeys: [...period.queryKeys, 'institutionId', 'wardId', 'allianceId'],
      },
      'GET /analytics/ward-occupancy/live': {
        headers: analyst,
        query: { institutionId: HOSP },
        queryKeys: ['institutionId', 'allianceId', 'format'],
      },
      'GET /analytics/referrals': {
        headers: analyst,
        ...period,
        queryKeys: [...period.queryKeys, 'direction', 'setting', 'institutionId', 'allianceId', 'unit'],
      },
      'GET /analytics/referrals/transfer-proposals': {
        headers: analyst,
        ...period,
        queryKeys: [...period.queryKeys, 'institutionId', 'allianceId', 'unit'],
      },
      'GET /analytics/referrals/follow-ups': {
        headers: analyst,
        ...period,
        queryKeys: [...period.queryKeys, 'institutionId', 'allianceId', 'unit'],
      },
      'GET /analytics/referrals/downward-kpi': {
        headers: analyst,
        query: { year: '2026' },
        queryKeys: ['year', 'institutionId', 'format'],
      },
      'GET /analytics/local-treatment': {
        headers: analyst,
        ...period,
        queryKeys: [...period.queryKeys, 'region', 'allianceId'],
      },
      'GET /analytics/family-doctor-coverage': {
        headers: analyst,
        ...period,
        queryKeys: [...period.queryKeys, 'region', 'centreId', 'allianceId'],
      },
      'GET /analytics/slot-use': {
        headers: analyst,
        ...period,
        queryKeys: ['period', 'from', 'to', 'format', 'asOf', 'hospitalId', 'allianceId'],
      },
      // The centre's coordinator signs for a doctor it must name (a family doctor may leave themselves out).
      'POST /family-doctors/contracts': {
        ...writeAs(CHC, 'coordinator'),
        body: {
          residentId: 'rs-fuzz0003',
          residenceRegion: REGION,
          doctorId: 'fd-wang',
          centreId: CHC,
          startDate: '2026-03-02',
          termMonths: 12,
          keyGroups: ['type-2-diabetes', 'age-60-plus'],
          occurredAt: T,
        },
        optional: ['termMonths'],
        fresh: ['residentId'],
      },
      'POST /family-doctors/contracts/:residentId/renew': {
        headers: familyDoctor,
        context: true,
        params: { residentId: [signed] },
        body: { contractId, termMonths: 12, occurredAt: T },
        optional: ['termMonths'],
      },
      'POST /family-doctors/contracts/:residentId/transfer': {
        headers: familyDoctor,
        context: true,
        params: { residentId: [signed] },
        body: { contractId, toDoctorId: 'fd-li', toCentreId: CHC, occurredAt: T },
      },
      'POST /family-doctors/contracts/:residentId/key-groups': {
        headers: familyDoctor,
        context: true,
        params: { residentId: [signed] },
        body: { contractId, keyGroups: ['hypertension', 'age-60-plus'], occurredAt: T },
      },
      'POST /family-doctors/contracts/:residentId/end': {
        headers: familyDoctor,
        context: true,
        params: { residentId: [signed] },
        body: { contractId, reason: 'moved-away', occurredAt: T },
      },
      'GET /family-doctors/residents/:residentId': {
        headers: familyDoctor,
        params: { residentId: [signed] },
        query: {},
        queryKeys: ['on'],
      },
      'POST /slot-blocks': {
        headers: outpatientOffice,
        context: true,
        body: {
          hospitalId: HOSP,
          department: 'cardiology',
          clinicianGrade: 'attending',
          date: '2026-03-20',
          startTime: '14:00',
          utcOffsetMinutes: 480,
          count: 12,
          occurredAt: T,
        },
        optional: ['utcOffsetMinutes'],
        ranges: { utcOffsetMinutes: [-720, 840] },
      },
      'POST /slot-blocks/:blockId/releases': {
        headers: outpatientOffice,
        context: true,
        params: { blockId: [blockId] },
        body: { count: 1, occurredAt: T },
      },
      'POST /slot-blocks/:blockId/bookings': {
        headers: familyDoctor,
        context: true,
        params: { blockId: [blockId] },
        body: { residentId: 'rs-fuzz0002', doctorId: 'fd-wang', journeyId: seen, occurredAt: T },
        optional: ['doctorId', 'journeyId'],
      },
      'POST /slot-blocks/:blockId/bookings/:bookingId/cancel': {
        headers: familyDoctor,
        context: true,
        params: { blockId: [blockId], bookingId: [bookingId] },
        body: { reason: 'patient-recovered', occurredAt: T },
      },
      'POST /slot-blocks/:blockId/bookings/:bookingId/attended': {
        ...writeAs(HOSP, 'nurse'),
        params: { blockId: [blockId], bookingId: [bookingId] },
        body: { occurredAt: sessionStarted },
      },
      'POST /slot-blocks/:blockId/bookings/:bookingId/no-show': {
        ...writeAs(HOSP, 'nurse'),
        params: { blockId: [blockId], bookingId: [bookingId] },
        body: { occurredAt: sessionStarted },
      },
      'GET /slot-blocks/:blockId': {
        headers: outpatientOffice,
        context: true,
        params: { blockId: [blockId] },
        query: {},
        queryKeys: ['at'],
      },
      'GET /family-doctors/:doctorId/panel': {
        headers: familyDoctor,
        params: { doctorId: ['fd-wang', 'fd-li'] },
        query: {},
        queryKeys: ['on'],
      },
      'GET /family-doctors/:doctorId/bookings': {
        headers: familyDoctor,
        params: { doctorId: ['fd-wang', 'fd-li'] },
        query: { from: '2026-03-01', to: '2026-04-01' },
      },
      'GET /slots/available': {
        headers: familyDoctor,
        query: { date: '2026-03-04' },
        queryKeys: ['date', 'department', 'hospitalId', 'allianceId'],
      },
      'POST /regions/:regionCode/population': {
        headers: statistician,
        context: true,
        params: { regionCode: [REGION, '110108'] },
        body: {
          effectiveOn: '2026-03-01',
          residents: 910_000,
          keyGroupResidents: 305_000,
          byKeyGroup: { hypertension: 150_000, 'type-2-diabetes': 60_000 },
          centres: [{ centreId: CHC, residents: 60_000, keyGroupResidents: 21_000 }],
          source: 'Chaoyang statistical bulletin 2026-Q1',
          occurredAt: T,
        },
        optional: ['byKeyGroup', 'centres', 'occurredAt'],
        ranges: { residents: [0, 100_000_000], keyGroupResidents: [0, 910_000] },
      },
      'GET /calendars/:calendarId': { headers: analyst, params: { calendarId: ['CN'] } },
      'PUT /calendars/:calendarId/years/:year': {
        headers: statistician,
        context: true,
        params: { calendarId: ['CN'], year: ['2030', '2031'] },
        body: {
          holidays: ['2030-01-01'],
          workingWeekendDays: [],
          source: 'fuzz',
          occurredAt: T,
        },
        optional: ['occurredAt'],
      },
      'GET /worklists/:institutionId': {
        headers: as(HOSP, 'coordinator'),
        context: true,
        params: { institutionId: [HOSP] },
        query: {},
        queryKeys: ['department', 'priority', 'status', 'overdue', 'direction', 'section', 'limit', 'cursor'],
      },
      'GET /worklists/:institutionId/action-required': {
        headers: as(HOSP, 'coordinator'),
        context: true,
        params: { institutionId: [HOSP] },
        query: {},
        queryKeys: ['kind', 'limit', 'cursor'],
      },
      'GET /notifications': { headers: outpatientOffice, query: {}, queryKeys: ['since', 'limit'] },
      'GET /notifications/stream': { headers: outpatientOffice, query: {}, queryKeys: ['since'] },
      'GET /webhooks': { headers: outpatientOffice },
      'POST /webhooks': {
        headers: webhookAdmin,
        context: true,
        body: { url: 'https://his.example/fuzz', kinds: ['referral-requested'] },
        optional: ['kinds'],
      },
      'GET /webhooks/:webhookId/deliveries': {
        headers: outpatientOffice,
        params: { webhookId: [webhookIds[0]!] },
        query: {},
        queryKeys: ['failing', 'before', 'limit'],
      },
      'POST /webhooks/:webhookId/rotate-secret': {
        headers: webhookAdmin,
        context: true,
        params: { webhookId: [webhookIds[0]!] },
      },
      'DELETE /webhooks/:webhookId': {
        headers: webhookAdmin,
        context: true,
        params: { webhookId: [webhookIds[1]!] },
      },
      'GET /projections': { headers: hospitalAdmin },
      'GET /processes': { headers: hospitalAdmin },
      'POST /projections/:name/rebuild': {
        headers: hospitalAdmin,
        params: { name: projections },
        query: {},
        queryKeys: ['wait'],
      },
      'POST /projections/:name/resume': { headers: hospitalAdmin, params: { name: projections } },
      'GET /audit/verify': { headers: auditor, context: true },
      'GET /audit/checkpoint': { headers: auditor, context: true },
      'GET /audit/access': {
        headers: auditor,
        context: true,
        query: { journeyId: upstairs },
        queryKeys: ['journeyId'],
      },
      'GET /health': {},
      'GET /health/live': {},
      'GET /health/ready': {},
      // The console's sign-in (docs/console.md): a login link's token, spent by the first request that is valid.
      'GET /console/auth/config': {},
      'GET /console/auth/session': { headers: reader },
      'POST /console/auth/sessions': {
        body: {
          token: token({
            sub: 'coord-fuzz',
            role: 'coordinator',
            institutionId: HOSP,
            audience: LOGIN_LINK_AUDIENCE,
            ttlSeconds: 600,
            extra: { purpose: LOGIN_LINK_PURPOSE },
          }),
        },
      },
      'POST /console/auth/oidc/start': {},
      'POST /console/auth/oidc/callback': { body: { query: '?code=fuzz&state=fuzz' } },
      'POST /console/auth/logout': {},
    };
    routes = await servedRoutes(t);
    await t.app.listen(0, '127.0.0.1');
    port = ((t.app.getHttpServer() as Server).address() as AddressInfo).port;
    Logger.overrideLogger(logger);
  }, 60_000);

  afterAll(async () => {
    Logger.overrideLogger(false);
    await t?.close();
    if (keys) rmSync(keys, { recursive: true, force: true });
  });

  it('has a generator for every route the app serves', () => {
    expect(routes.length).toBeGreaterThanOrEqual(40);
    expect(routes.filter((route) => !catalog[route])).toEqual([]);
  });

  it(`${RUNS} bad requests: no 5xx, no write on a refusal, nothing the grammar refuses accepted (seed ${SEED})`, async () => {
    expect(RUNS).toBeGreaterThanOrEqual(2_000);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const failures: Failure[] = [];
    const statuses = new Map<number, number>();
    let index = 0;
    try {
      await fc.assert(
        fc.asyncProperty(badRequests(catalog, covered()), async (req) => {
          await exercise(index++, req, agent, failures, statuses);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    } finally {
      agent.destroy();
    }
    expect(index).toBe(RUNS);
    // Most requests are refused (bodies sent to routes that read none are ignored, rightly): a generator that made
    // mostly valid requests would prove little.
    const refused = [...statuses].filter(([s]) => s >= 400 && s < 500).reduce((n, [, c]) => n + c, 0);
    expect(report(failures)).toEqual([]);
    expect(refused).toBeGreaterThan(RUNS * 0.6);
  }, 300_000);

  it('every Object.prototype name as every id of every route: no 5xx, no write on a refusal, no unknown ward', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const failures: Failure[] = [];
    const requests = prototypeIdRequests(catalog, covered());
    try {
      for (const [i, req] of requests.entries()) await exercise(i, req, agent, failures, new Map());
    } finally {
      agent.destroy();
    }
    expect(requests.length).toBeGreaterThan(500);
    expect(report(failures)).toEqual([]);
  }, 300_000);

  it('still works afterwards: institutions, an admission in every ward, read models and health answer', async () => {
    const list = (await t.http().get('/institutions').set(as(HOSP)).expect(200)).body as Body[];
    expect(list.map((i) => i.institutionId)).toEqual(expect.arrayContaining([CHC, HOSP, HOSP2, OTHER]));
    for (const institution of [CHC, HOSP, HOSP2, OTHER])
      await t.http().get(`/institutions/${institution}`).set(as(HOSP)).expect(200);
    let n = 0;
    for (const [institution, wardId] of [
      [CHC, 'rehab'],
      [HOSP, 'cardio-surg'],
      [HOSP, 'icu'],
      [HOSP2, 'cardio-surg'],
    ] as const) {
      const journeyId = await openJourney(t, { patientId: `pt-after-fuzz-${n++}`, occurredAt: T });
      // `projected`: answered only once every read model has taken the admission in.
      await t
        .http()
        .post(`/journeys/${journeyId}/admissions`)
        .set(as(institution))
        .set('X-Consistency', 'projected')
        .send({ institutionId: institution, wardId, occurredAt: T })
        .expect(201);
      await t.read(`/journeys/${journeyId}`, institution).expect(200);
    }
    const projections = ((await t.http().get('/projections').set(hospitalAdmin).expect(200)).body as Body)
      .projections as Body[];
    expect(projections.filter((p) => p.state === 'failed').map((p) => [p.name, p.lastError])).toEqual([]);
    await t
      .http()
      .get('/analytics/ward-occupancy/live')
      .set(analyst)
      .query({ institutionId: HOSP })
      .expect(200);
    await t.http().get('/analytics/referrals').set(analyst).query({ period: '2026-03' }).expect(200);
    await t
      .http()
      .get('/analytics/local-treatment')
      .set(analyst)
      .query({ period: '2026-03', region: REGION })
      .expect(200);
    await t
      .http()
      .get('/analytics/family-doctor-coverage')
      .set(analyst)
      .query({ period: '2026-03' })
      .expect(200);
    await t.http().get('/slots/available').set(familyDoctor).query({ date: '2026-03-04' }).expect(200);
    for (const route of routes.filter((r) => /^GET \/health/.test(r))) {
      await t.http().get(route.slice(4)).expect(200);
    }
    expect(((await t.http().get('/audit/verify').set(auditor).expect(200)).body as Body).ok).toBe(true);
  }, 60_000);

  /** Sends one request and records what is wrong with the answer. */
  async function exercise(
    index: number,
    req: BadRequest,
    agent: Agent,
    failures: Failure[],
    statuses: Map<number, number>,
  ): Promise<void> {
    const fail = (check: string, status: number | null, error: string) =>
      failures.push({ index, check, request: req, status, error });
    const before = await store.headPosition();
    const logged = logger.errors.length;
    const answer = await send(port, agent, req);
    const after = await store.headPosition();
    if ('error' in answer) return void fail('no answer', null, answer.error);
    const { status } = answer;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const ok = status >= 200 && status < 300;
    if (status >= 500)
      fail('5xx', status, logger.errors.slice(logged).join(' | ') || answer.body.slice(0, 200));
    if (!ok && after !== before) fail('refused but wrote', status, `log head ${before} -> ${after}`);
    if (ok && req.mustRefuse) fail('accepted what the grammar refuses', status, answer.body.slice(0, 200));
    if (ok) {
      const unknown = unknownName(req);
      if (unknown) fail('accepted a command naming what does not exist', status, unknown);
      remember(req);
    }
  }

  /** A 2xx command that names an institution or ward nobody registered: the issue's `constructor` ward, or centre. */
  function unknownName(req: BadRequest): string | null {
    const { params, json } = req;
    const ward = (institution: unknown, wardId: unknown) =>
      typeof institution === 'string' && typeof wardId === 'string' && !wards.get(institution)?.has(wardId)
        ? `ward ${wardId} of ${institution} does not exist`
        : null;
    const institution = (id: unknown) =>
      typeof id === 'string' && !wards.has(id) ? `institution ${id} does not exist` : null;
    switch (req.route) {
      case 'POST /family-doctors/contracts':
        return institution(json?.centreId);
      case 'POST /family-doctors/contracts/:residentId/transfer':
        return institution(json?.toCentreId);
      case 'POST /slot-blocks':
        return institution(json?.hospitalId);
      case 'POST /institutions/:institutionId/wards':
        return wards.has(params.institutionId!) ? null : `institution ${params.institutionId} does not exist`;
      case 'POST /institutions/:institutionId/wards/:wardId/bed-count':
        return ward(params.institutionId, params.wardId);
      case 'POST /journeys/:journeyId/admissions':
        return ward(json?.institutionId, json?.wardId);
      case 'POST /journeys/:journeyId/admissions/:admissionId/move':
        return ward(admissionInstitution.get(params.admissionId!), json?.toWardId);
      default:
        return null;
    }
  }

  /** What an accepted request created that later requests may name. */
  function remember(req: BadRequest): void {
    if (req.route === 'POST /institutions' && typeof req.json?.institutionId === 'string') {
      if (!wards.has(req.json.institutionId)) wards.set(req.json.institutionId, new Set());
    }
    if (req.route === 'POST /institutions/:institutionId/wards' && typeof req.json?.wardId === 'string') {
      wards.get(req.params.institutionId!)?.add(req.json.wardId);
    }
  }

  /**
   * One line per distinct failure: the check, the status, the kind of input and (for errors) the cause, with the
   * routes it hit, a few of the inputs, and the first request in full.
   */
  function report(failures: readonly Failure[]): string[] {
    const groups = new Map<string, Failure[]>();
    for (const f of failures) {
      const cause = f.check.startsWith('accepted')
        ? ''
        : ` | ${f.error
            .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>')
            .replace(/\d+/g, 'N')
            .slice(0, 120)}`;
      const key = `${f.check} | ${f.status ?? '-'} | ${f.request.kind}${cause}`;
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    return [...groups].map(([key, all]) => {
      const first = all[0]!;
      const routesHit = [...new Set(all.map((f) => f.request.route))];
      const inputs = [...new Set(all.map((f) => f.request.what))];
      return (
        `${key} — ${all.length}x on ${routesHit.length} route(s): ${routesHit.slice(0, 6).join(', ')}` +
        `${routesHit.length > 6 ? ', …' : ''}; inputs: ${inputs.slice(0, 4).join(' / ')}` +
        `${inputs.length > 4 ? ' / …' : ''}; first (#${first.index}, seed ${SEED}): ` +
        `${showRequest(first.request)} -> ${first.status ?? 'no answer'} ${first.error.slice(0, 160)}`
      );
    });
  }
});
