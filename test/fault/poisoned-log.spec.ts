import type { EventStore } from '@carepath/event-store';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import { CHC, HOSP, REGION, openJourney, seedAlliance } from '../support/fixtures';
import { as, startTestApp, type TestApp, asReaderOf } from '../support/test-app';
import { waitFor } from '../support/wait-for';

type Body = Record<string, any>;

/**
 * Logs written by earlier versions hold facts today's rules refuse (issue 15): a ward called `constructor` and care
 * times `Date.parse` cannot read. They are written straight into the store, as an older version would have, and the
 * API is started on that log: only the streams holding them wait for repair, and the repair is done in the model.
 */
// A loaded CI machine starts four projections slowly; the waits are on conditions, this only bounds them.
jest.setTimeout(30_000);

describe('A log holding facts an older version wrote', () => {
  let t: TestApp;
  const BAD = 'HOSP-OLD-01';
  const badJourney = randomUUID();
  const badVisitJourney = randomUUID();
  const ids = {
    bedCount: randomUUID(),
    opened: randomUUID(),
    openVisit: randomUUID(),
    lateVisit: randomUUID(),
  };
  const analytics = [
    '/analytics/local-treatment?period=2026-03&groupBy=region',
    '/analytics/ward-occupancy?period=2026-03&institutionId=HOSP-OLD-01',
    '/analytics/referrals?period=2026-03&groupBy=direction',
  ];

  const metadata = (occurredAt: string, institutionId: string) => ({
    occurredAt,
    recordedAt: '2026-03-05T00:00:00.000Z',
    actorId: 'legacy-import',
    actorRole: 'admin',
    institutionId,
    correlationId: randomUUID(),
    causationId: randomUUID(),
  });
  const snapshot = { institutionId: CHC, tier: 'community', allianceId: 'CY-G1', regionCode: REGION };

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
    const store = t.app.get<EventStore>(EVENT_STORE);
    const good = '2026-01-01T00:00:00+08:00';
    await store.append(
      `institution-${BAD}`,
      [
        {
          id: randomUUID(),
          type: 'InstitutionRegistered',
          schemaVersion: 1,
          data: {
            institutionId: BAD,
            name: 'Old Hospital',
            tier: 'tertiary',
            allianceId: 'CY-G1',
            regionCode: REGION,
          },
          metadata: metadata(good, BAD),
        },
        {
          id: randomUUID(),
          type: 'WardOpened',
          schemaVersion: 1,
          data: { institutionId: BAD, wardId: 'constructor', specialty: 'general', openBeds: 4 },
          metadata: metadata(good, BAD),
        },
        {
          id: ids.bedCount,
          type: 'WardBedCountChanged',
          schemaVersion: 1,
          data: { institutionId: BAD, wardId: 'constructor', openBeds: 5, previousOpenBeds: 4 },
          metadata: metadata('2026-W09-1T10:00:00Z', BAD),
        },
      ],
      { expectedRevision: 'no-stream' },
    );
    // POST /journeys with an ISO week date answered 201 in an older version: both events carry it.
    await store.append(
      `journey-${badJourney}`,
      [
        {
          id: ids.opened,
          type: 'JourneyOpened',
          schemaVersion: 1,
          data: { journeyId: badJourney, patientId: 'pt-legacy-001', residenceRegion: REGION },
          metadata: metadata('20260301T100000Z', CHC),
        },
        {
          id: ids.openVisit,
          type: 'VisitRecorded',
          schemaVersion: 1,
          data: {
            visitId: randomUUID(),
            institution: snapshot,
            visitType: 'outpatient',
            diagnosisCode: 'I10',
            referralId: null,
          },
          metadata: metadata('20260301T100000Z', CHC),
        },
      ],
      { expectedRevision: 'no-stream' },
    );
    await store.append(
      `journey-${badVisitJourney}`,
      [
        {
          id: randomUUID(),
          type: 'JourneyOpened',
          schemaVersion: 1,
          data: { journeyId: badVisitJourney, patientId: 'pt-legacy-002', residenceRegion: REGION },
          metadata: metadata('2026-03-02T09:00:00+08:00', CHC),
        },
        {
          id: ids.lateVisit,
          type: 'VisitRecorded',
          schemaVersion: 1,
          data: {
            visitId: randomUUID(),
            institution: snapshot,
            visitType: 'outpatient',
            diagnosisCode: 'I10',
            referralId: null,
          },
          metadata: metadata('2026-03-01T10:00:00,5Z', CHC),
        },
      ],
      { expectedRevision: 'no-stream' },
    );
    // The API starts on this log as it is.
    t = await t.restart();
  });
  afterAll(async () => t.close());

  const projectionsCaughtUp = async () => {
    const head = await t.app.get<EventStore>(EVENT_STORE).headPosition();
    const { projections } = (await t.http().get('/projections').set(asReaderOf('/projections')).expect(200))
      .body as { projections: Body[] };
    return projections.every((p) => p.state !== 'failed' && BigInt(p.position) >= head) ? projections : null;
  };

  it('starts, and every projection keeps running past the bad facts', async () => {
    const projections = (await waitFor(projectionsCaughtUp, (p) => p !== null, {
      what: 'projections',
      timeoutMs: 20_000,
    }))!;
    expect(projections.map((p) => p.lastError)).toEqual(projections.map(() => null));
    for (const path of analytics) await t.http().get(path).set(asReaderOf(path)).expect(200);
  });

  it('every other institution works: listed, admits, resizes', async () => {
    const list = (await t.http().get('/institutions').set(asReaderOf('/institutions')).expect(200))
      .body as Body[];
    expect(list.find((i) => i.institutionId === BAD)).toMatchObject({ needsRepair: true });
    expect(list.filter((i) => i.needsRepair)).toHaveLength(1);
    const journeyId = await openJourney(t, { patientId: 'pt-healthy-01' });
    await t
      .http()
      .post(`/journeys/${journeyId}/admissions`)
      .set(as(HOSP))
      .send({ institutionId: HOSP, wardId: 'icu', occurredAt: '2026-03-02T10:00:00+08:00' })
      .expect(201);
    await t
      .http()
      .post(`/institutions/${HOSP}/wards/icu/bed-count`)
      .set(as(HOSP, 'admin'))
      .send({ openBeds: 6, occurredAt: '2026-03-03T00:00:00+08:00' })
      .expect(201);
  });

  it('the bad streams answer a clear error naming the fact, and their history stays readable', async () => {
    const ward = await t
      .http()
      .post(`/institutions/${BAD}/wards`)
      .set(as(BAD, 'admin'))
      .send({ wardId: 'icu', specialty: 'icu', openBeds: 2, occurredAt: '2026-03-03T00:00:00+08:00' })
      .expect(422);
    expect(ward.body).toMatchObject({ code: 'INSTITUTION_NEEDS_REPAIR', details: { eventId: ids.bedCount } });
    const read = await t.read(`/journeys/${badJourney}`).expect(422);
    expect(read.body).toMatchObject({ code: 'JOURNEY_NEEDS_REPAIR', details: { eventId: ids.opened } });
    const write = await t
      .http()
      .post(`/journeys/${badVisitJourney}/close`)
      .set(as(CHC))
      .send({ occurredAt: '2026-03-03T00:00:00+08:00' })
      .expect(422);
    expect(write.body).toMatchObject({ code: 'JOURNEY_NEEDS_REPAIR', details: { eventId: ids.lateVisit } });
    const history = (await t.read(`/journeys/${badJourney}/events`).expect(200)).body as Body;
    expect(history.events.map((e: Body) => e.id)).toEqual([ids.opened, ids.openVisit]);
    const facts = (await t.http().get(`/institutions/${BAD}/events`).set(as(BAD, 'admin')).expect(200))
      .body as Body;
    expect(facts.facts.map((f: Body) => f.status)).toEqual(['as-recorded', 'unreadable']);
  });

  it('repaired through the API, everything recovers, and a rebuild equals live', async () => {
    const admin = as(BAD, 'admin');
    await t
      .http()
      .post(`/institutions/${BAD}/events/${ids.bedCount}/entered-in-error`)
      .set(admin)
      .send({ reason: 'unreadable-care-time' })
      .expect(201);
    for (const [eventId, targetType] of [
      [ids.opened, 'JourneyOpened'],
      [ids.openVisit, 'VisitRecorded'],
    ] as const) {
      await t
        .http()
        .post(`/journeys/${badJourney}/events/${eventId}/corrections`)
        .set(as(CHC))
        .send({ targetType, occurredAt: '2026-03-01T10:00:00Z' })
        .expect(201);
    }
    await t
      .http()
      .post(`/journeys/${badVisitJourney}/events/${ids.lateVisit}/entered-in-error`)
      .set(as(CHC))
      .send({ reason: 'other' })
      .expect(201);

    await t
      .http()
      .post(`/institutions/${BAD}/wards/constructor/bed-count`)
      .set(admin)
      .send({ openBeds: 6, occurredAt: '2026-03-03T00:00:00+08:00' })
      .expect(201);
    const journey = (await t.read(`/journeys/${badJourney}`).expect(200)).body as Body;
    expect(journey.state.openedAt).toBe('2026-03-01T10:00:00Z');
    expect(
      (
        (await t.http().get('/institutions').set(asReaderOf('/institutions')).expect(200)).body as Body[]
      ).some((i) => i.needsRepair),
    ).toBe(false);

    await waitFor(projectionsCaughtUp, (p) => p !== null, { what: 'projections', timeoutMs: 20_000 });
    const live = await Promise.all(
      analytics.map(async (path) => (await t.http().get(path).set(asReaderOf(path)).expect(200)).body),
    );
    const { projections } = (await t.http().get('/projections').set(asReaderOf('/projections')).expect(200))
      .body as { projections: Body[] };
    for (const p of projections)
      await t
        .http()
        .post(`/projections/${String(p.name)}/rebuild?wait=true`)
        .set(asReaderOf('/projections'))
        .expect(202);
    await waitFor(projectionsCaughtUp, (p) => p !== null, { what: 'projections', timeoutMs: 20_000 });
    const rebuilt = await Promise.all(
      analytics.map(async (path) => (await t.http().get(path).set(asReaderOf(path)).expect(200)).body),
    );
    expect(rebuilt).toEqual(live);
  });
});
