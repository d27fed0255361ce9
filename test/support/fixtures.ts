import { as, startTestApp, type TestApp } from './test-app';

/**
 * A small medical alliance (医联体) in Chaoyang district: a community health centre, its lead tertiary
 * hospital and a second tertiary member (for redirects), plus a secondary hospital of another alliance.
 */
export const CHC = 'CHC-CY-01';
export const HOSP = 'HOSP-CY-01';
export const HOSP2 = 'HOSP-CY-02';
export const OTHER = 'SEC-HD-01';
/** A second community centre of the alliance (seedSecondCentre): another family doctor's, another place to go home to. */
export const CHC2 = 'CHC-CY-02';
export const REGION = '110105';

export async function seedAlliance(t: TestApp): Promise<void> {
  const admin = as('HC-CY', 'admin', 'registrar-1');
  const institutions = [
    {
      institutionId: CHC,
      name: 'Jianwai Community Health Centre',
      tier: 'community',
      allianceId: 'CY-G1',
      regionCode: REGION,
    },
    {
      institutionId: HOSP,
      name: 'Chaoyang Hospital',
      tier: 'tertiary',
      allianceId: 'CY-G1',
      regionCode: REGION,
    },
    {
      institutionId: HOSP2,
      name: 'Chaoyang East Hospital',
      tier: 'tertiary',
      allianceId: 'CY-G1',
      regionCode: REGION,
    },
    {
      institutionId: OTHER,
      name: 'Haidian Secondary Hospital',
      tier: 'secondary',
      allianceId: 'HD-G1',
      regionCode: '110108',
    },
  ];
  for (const body of institutions) {
    await t
      .http()
      .post('/institutions')
      .set(admin)
      .send({ ...body, occurredAt: '2026-01-01T00:00:00+08:00' })
      .expect(201);
  }
  const wards = [
    [CHC, 'rehab', 'rehabilitation', 10],
    [HOSP, 'cardio-surg', 'cardiac-surgery', 2],
    [HOSP, 'icu', 'intensive-care', 4],
    [HOSP2, 'cardio-surg', 'cardiac-surgery', 20],
  ] as const;
  for (const [institutionId, wardId, specialty, openBeds] of wards) {
    await t
      .http()
      .post(`/institutions/${institutionId}/wards`)
      .set(as(institutionId, 'admin', `admin-${institutionId.toLowerCase()}`))
      .send({ wardId, specialty, openBeds, occurredAt: '2026-01-01T00:00:00+08:00' })
      .expect(201);
  }
}

/** CHC as the care processes name a party: the community centre a transfer goes down to, a follow-up is owed by. */
export const CENTRE_PARTY = {
  institutionId: CHC,
  tier: 'community',
  allianceId: 'CY-G1',
  regionCode: REGION,
} as const;

type Body = Record<string, unknown>;

/** "Open a journey" at CHC for a patient with a myocardial infarction, on 1 March 2026. */
const OPEN_JOURNEY = {
  patientId: 'pt-7f3a9c21',
  residenceRegion: REGION,
  institutionId: CHC,
  visitType: 'outpatient',
  diagnosisCode: 'I21.4',
  occurredAt: '2026-03-01T09:00:00+08:00',
};
/** Its urgent upward referral from CHC to HOSP's cardiology, an hour later. */
const REFER_UP = {
  direction: 'up',
  fromInstitutionId: CHC,
  toInstitutionId: HOSP,
  department: 'cardiology',
  priority: 'urgent',
  setting: 'inpatient',
  reasonCode: 'I21.4',
  occurredAt: '2026-03-01T10:00:00+08:00',
};

/** Request bodies as the fixtures send them, a field or two changed by `overrides`. */
export const bodies = {
  openJourney: (overrides: Body = {}): Body => ({ ...OPEN_JOURNEY, ...overrides }),
  referUp: (overrides: Body = {}): Body => ({ ...REFER_UP, ...overrides }),
  /** As referUp, but routine, to the outpatient clinic, for hypertension (I10). */
  outpatientReferUp: (overrides: Body = {}): Body => ({
    ...REFER_UP,
    priority: 'routine',
    setting: 'outpatient',
    reasonCode: 'I10',
    ...overrides,
  }),
  /** A contract of `residentId` with a family doctor at CHC from 1 March 2026, in `keyGroups`. */
  contract: (residentId: string, keyGroups: readonly string[], overrides: Body = {}): Body => ({
    residentId,
    residenceRegion: REGION,
    centreId: CHC,
    startDate: '2026-03-01',
    keyGroups,
    occurredAt: '2026-03-01T09:00:00+08:00',
    ...overrides,
  }),
  /** An outpatient visit at `institutionId`. */
  visit: (institutionId: string, occurredAt: string, overrides: Body = {}): Body => ({
    institutionId,
    visitType: 'outpatient',
    diagnosisCode: 'I10',
    occurredAt,
    ...overrides,
  }),
};

/** The app with the alliance seeded (seedAlliance), and CHC2 too with `secondCentre`: where most e2e specs start. */
export async function startSeededApp({ secondCentre = false } = {}): Promise<TestApp> {
  const t = await startTestApp();
  await seedAlliance(t);
  if (secondCentre) await seedSecondCentre(t);
  return t;
}

export async function openJourney(t: TestApp, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await t.http().post('/journeys').set(as(CHC)).send(bodies.openJourney(overrides)).expect(201);
  return (res.body as { journeyId: string }).journeyId;
}

export async function referUp(
  t: TestApp,
  journeyId: string,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const res = await t
    .http()
    .post(`/journeys/${journeyId}/referrals`)
    .set(as(CHC))
    .send(bodies.referUp(overrides))
    .expect(201);
  return (res.body as { referralId: string }).referralId;
}

/** Registers CHC2, a second community centre of the alliance, as the health commission's registrar does. */
export async function seedSecondCentre(t: TestApp): Promise<void> {
  await t
    .http()
    .post('/institutions')
    .set(as('HC-CY', 'admin', 'registrar-1'))
    .send({
      institutionId: CHC2,
      name: 'Jinsong Community Health Centre',
      tier: 'community',
      allianceId: 'CY-G1',
      regionCode: REGION,
      occurredAt: '2026-01-01T00:00:00+08:00',
    })
    .expect(201);
}
