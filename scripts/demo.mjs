// Records a short journey against a running API and prints each request and answer, as shown in the README.
// Usage: `npm start` in one terminal, then `node scripts/demo.mjs [base-url]` (default http://127.0.0.1:3000).
const api = process.argv[2] ?? 'http://127.0.0.1:3000';
const run = Date.now().toString(36).toUpperCase();
const CHC = `CHC-DEMO-${run}`;
const HOSP = `HOSP-DEMO-${run}`;
const ALLIANCE = `G-DEMO-${run}`;
const as = (institution, role = 'doctor') => ({
  'X-Actor-Id': `${role}-${institution.toLowerCase()}`,
  'X-Actor-Role': role,
  'X-Institution-Id': institution,
});

async function call(method, path, headers = {}, body, { quiet = false } = {}) {
  const res = await fetch(api + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!quiet) {
    const extra = Object.entries(headers).filter(
      ([k]) => !k.startsWith('X-Actor') && k !== 'X-Institution-Id',
    );
    console.log(`> ${method} ${path}${extra.map(([k, v]) => `  ${k}: ${v}`).join('')}`);
    console.log(`< ${res.status} ${JSON.stringify(json)}\n`);
  }
  return json;
}

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
  admin,
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
// Reading a journey is recorded in its access log, so the reader says who they are and why (README, "Audit").
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
await call('GET', `/analytics/ward-occupancy/live?institutionId=${HOSP}`);
await call('GET', `/analytics/referrals?period=2026-03&institutionId=${HOSP}&groupBy=direction,setting`);
await call('GET', `/analytics/local-treatment?period=2026-03&groupBy=alliance&allianceId=${ALLIANCE}`);
const worklist = await call('GET', `/worklists/${HOSP}`, {}, undefined, { quiet: true });
console.log(`> GET /worklists/${HOSP}`);
console.log(
  `< inpatients: ${worklist.inpatients.map((s) => `${s.wardId}/${s.bedId} since ${s.admittedAt}`).join(', ')}`,
);

// Auditors: who read the journey, and the hash chain over the whole log.
const access = await call('GET', `/audit/access?journeyId=${journeyId}`, as(HOSP, 'admin'), undefined, {
  quiet: true,
});
console.log(`> GET /audit/access?journeyId=${journeyId}`);
console.log(
  `< ${access.records.map((r) => `${r.resource} read by ${r.actorId} (${r.actorRole}, ${r.institutionId}) for ${r.reason}`).join('; ')}`,
);
await call('GET', '/audit/verify', as(HOSP, 'admin'));
