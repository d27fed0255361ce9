// Records a short journey against a running API and prints each request and answer, as shown in docs/api.md.
// Usage: `npm start` in one terminal, then `node scripts/demo.mjs [base-url]` (default http://127.0.0.1:3000), from
// the same folder and with the same DATABASE_FILE as the API: the demo signs its bearer tokens with the development
// issuer's key beside that file, exactly as `npm run cli -- token` does (docs/api.md, "Authentication"). Against an API
// that trusts an identity provider (AUTH_ISSUER) it cannot run.
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const api = process.argv[2] ?? 'http://127.0.0.1:3000';
const run = Date.now().toString(36).toUpperCase();
const CHC = `CHC-DEMO-${run}`;
const HOSP = `HOSP-DEMO-${run}`;
const ALLIANCE = `G-DEMO-${run}`;

const keyFile =
  process.env.AUTH_DEV_KEY_FILE ||
  join(dirname(process.env.DATABASE_FILE ?? 'data/carepath.db'), 'dev-issuer.ed25519.pem');
const privateKey = createPrivateKey(readFileSync(keyFile, 'utf8'));
const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
const kid = createHash('sha256')
  .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
  .digest('base64url');
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A bearer token of the development issuer: the actor, its role and the institution it acts for, for 1 h. */
function token(sub, role, institution) {
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'urn:carepath:dev-issuer',
    aud: process.env.AUTH_AUDIENCE || 'carepath-api',
    sub,
    role,
    institution_id: institution,
    iat,
    nbf: iat,
    exp: iat + 3600,
    jti: randomUUID(),
  };
  const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid })}.${b64(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}
const as = (institution, role = 'doctor') => ({
  Authorization: `Bearer ${token(`${role}-${institution.toLowerCase()}`, role, institution)}`,
});

async function call(method, path, headers = {}, body, { quiet = false } = {}) {
  const res = await fetch(api + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!quiet) {
    const extra = Object.entries(headers).filter(([k]) => k !== 'Authorization');
    console.log(`> ${method} ${path}${extra.map(([k, v]) => `  ${k}: ${v}`).join('')}`);
    console.log(`< ${res.status} ${JSON.stringify(json)}\n`);
  }
  return json;
}

// The health commission's admin registers the institutions; the hospital's own admin opens its ward.
const admin = as('HC-DEMO', 'admin');
const at = '2026-01-01T00:00:00+08:00';
await call(
  'POST',
  '/institutions',
  admin,
  {
    institutionId: CHC,
    name: 'Demo Community Health Centre',
    tier: 'community',
    allianceId: ALLIANCE,
    regionCode: '110105',
    occurredAt: at,
  },
  { quiet: true },
);
await call(
  'POST',
  '/institutions',
  admin,
  {
    institutionId: HOSP,
    name: 'Demo Tertiary Hospital',
    tier: 'tertiary',
    allianceId: ALLIANCE,
    regionCode: '110105',
    occurredAt: at,
  },
  { quiet: true },
);
await call(
  'POST',
  `/institutions/${HOSP}/wards`,
  as(HOSP, 'admin'),
  { wardId: 'cardio-surg', specialty: 'cardiac-surgery', openBeds: 20, occurredAt: at },
  { quiet: true },
);

const { journeyId } = await call('POST', '/journeys', as(CHC), {
  patientId: 'pt-7f3a9c21',
  residenceRegion: '110105',
  institutionId: CHC,
  visitType: 'outpatient',
  diagnosisCode: 'I21.4',
  occurredAt: '2026-03-01T09:00:00+08:00',
});
const j = `/journeys/${journeyId}`;
const { referralId } = await call('POST', `${j}/referrals`, as(CHC), {
  direction: 'up',
  fromInstitutionId: CHC,
  toInstitutionId: HOSP,
  department: 'cardiology',
  priority: 'urgent',
  setting: 'inpatient',
  reasonCode: 'I21.4',
  occurredAt: '2026-03-01T10:00:00+08:00',
});
await call('POST', `${j}/referrals/${referralId}/accept`, as(HOSP), {
  occurredAt: '2026-03-01T11:00:00+08:00',
});
await call('POST', `${j}/referrals/${referralId}/accept`, as(HOSP), {
  occurredAt: '2026-03-01T11:05:00+08:00',
});
await call(
  'POST',
  `${j}/admissions`,
  { ...as(HOSP), 'If-Match': '"1"' },
  {
    institutionId: HOSP,
    wardId: 'cardio-surg',
    bedId: '12',
    referralId,
    occurredAt: '2026-03-01T12:00:00+08:00',
  },
);
await call(
  'POST',
  `${j}/admissions`,
  { ...as(HOSP), 'If-Match': '"3"' },
  {
    institutionId: HOSP,
    wardId: 'cardio-surg',
    bedId: '12',
    referralId,
    occurredAt: '2026-03-01T12:00:00+08:00',
  },
);
await call('POST', '/journeys', as(CHC), {
  patientId: '13800138000',
  residenceRegion: '110105',
  institutionId: CHC,
  visitType: 'walk-in',
  diagnosisCode: 'flu',
  occurredAt: '2026-03-01 09:00',
});
// Reading a journey is recorded in its access log, so the reader says who they are and why (docs/audit.md).
const view = await call(
  'GET',
  j,
  { ...as(HOSP, 'coordinator'), 'X-Access-Reason': 'care-coordination' },
  undefined,
  { quiet: true },
);
const referral = view.state.referrals[referralId];
console.log(`> GET ${j}`);
console.log(
  `< revision ${view.revision}, journey ${view.state.status}, referral ${referral.status} (deadline ${referral.deadline}), admissions ${Object.keys(view.state.admissions).length}`,
);

// Read models: the last write waited for them (X-Consistency: projected), so they already show it.
const coordinator = as(HOSP, 'coordinator');
await call('GET', `/analytics/ward-occupancy/live?institutionId=${HOSP}`, coordinator);
await call(
  'GET',
  `/analytics/referrals?period=2026-03&institutionId=${HOSP}&groupBy=direction,setting`,
  coordinator,
);
await call(
  'GET',
  `/analytics/local-treatment?period=2026-03&groupBy=alliance&allianceId=${ALLIANCE}`,
  coordinator,
);
const worklist = await call('GET', `/worklists/${HOSP}`, coordinator, undefined, { quiet: true });
console.log(`> GET /worklists/${HOSP}`);
console.log(
  `< inpatients: ${worklist.inpatients.map((s) => `${s.wardId}/${s.bedId} since ${s.admittedAt}`).join(', ')}`,
);

// Auditors: who read the journey, and the hash chain over the whole log.
const auditor = as('HC-DEMO', 'auditor');
const access = await call('GET', `/audit/access?journeyId=${journeyId}`, auditor, undefined, {
  quiet: true,
});
console.log(`> GET /audit/access?journeyId=${journeyId}`);
console.log(
  `< ${access.records.map((r) => `${r.resource} read by ${r.actorId} (${r.actorRole}, ${r.institutionId}) for ${r.reason}`).join('; ')}`,
);
await call('GET', '/audit/verify', auditor);
