import type { EventStore } from '@carepath/event-store';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import { bodies, CHC, HOSP, openJourney, REGION, seedAlliance } from '../support/fixtures';
import { as, startTestApp, type TestApp, asReaderOf } from '../support/test-app';

type Body = Record<string, any>;

/** Sends a compressed Buffer as it is (superagent would serialise it as JSON). */
const asIs = (body: unknown) => body as string;

/** Issue 15's reproductions, each a clear 4xx that writes nothing, or a request that keeps working. */
describe('No request can break CarePath', () => {
  let t: TestApp;
  let journeyId: string;
  const admin = as('HC-CY', 'admin', 'registrar-1');
  // Wards are opened and resized by an admin of their own institution (issue 17).
  const adminOf = (institutionId: string) =>
    as(institutionId, 'admin', `admin-${institutionId.toLowerCase()}`);
  const prototypeNames = [...Object.getOwnPropertyNames(Object.prototype), 'prototype'];
  // Names an institution or ward code may legally take (the id grammar refuses a leading underscore).
  const codeNames = prototypeNames.filter((name) => /^[A-Za-z0-9]/.test(name));

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
    journeyId = await openJourney(t);
  });
  afterAll(async () => t.close());

  const head = () => t.app.get<EventStore>(EVENT_STORE).headPosition();

  /** The request answers `status` and, when it is refused, the log does not move. */
  async function expectRefused(send: () => Promise<{ status: number; body: Body }>, status: number) {
    const before = await head();
    const res = await send();
    expect({ status: res.status, body: res.body }).toEqual({ status, body: expect.anything() });
    expect(await head()).toBe(before);
    return res.body;
  }

  describe('ids named like Object.prototype members are data', () => {
    it.each(codeNames)(
      'changing the bed count of an unknown ward %s is a 404 WARD_NOT_FOUND',
      async (name) => {
        const body = await expectRefused(
          () =>
            t
              .http()
              .post(`/institutions/${HOSP}/wards/${name}/bed-count`)
              .set(adminOf(HOSP))
              .send({ openBeds: 5, occurredAt: '2026-11-01T09:00:00+08:00' }),
          404,
        );
        expect(body.code).toBe('WARD_NOT_FOUND');
      },
    );

    it.each(codeNames)('an admission to an unknown ward %s is a 404 WARD_NOT_FOUND', async (name) => {
      const body = await expectRefused(
        () =>
          t
            .http()
            .post(`/journeys/${journeyId}/admissions`)
            .set(as(HOSP))
            .send({ institutionId: HOSP, wardId: name, occurredAt: '2026-03-02T10:00:00+08:00' }),
        404,
      );
      expect(body.code).toBe('WARD_NOT_FOUND');
    });

    it.each(codeNames)(
      '%s as an institution id is unknown (404) on every institution route',
      async (name) => {
        await t.http().get(`/institutions/${name}`).set(asReaderOf('/institutions')).expect(404);
        await expectRefused(
          () =>
            t.http().post(`/institutions/${name}/wards`).set(adminOf(name)).send({
              wardId: 'w1',
              specialty: 'general',
              openBeds: 5,
              occurredAt: '2026-11-01T09:00:00+08:00',
            }),
          404,
        );
      },
    );

    it.each([
      ['a zero-width space', '\u200b'],
      ['a direction override', '\u202e'],
      ['a no-break space', '\u00a0'],
      ['a lone surrogate', '\ud800'],
    ])('an institution name with %s is a 400: names are shown as given', async (_what, character) => {
      const body = await expectRefused(
        () =>
          t
            .http()
            .post('/institutions')
            .set(admin)
            .send({
              institutionId: 'NAME-TRICK-01',
              name: `朝阳${character}医院`,
              tier: 'tertiary',
              regionCode: REGION,
              occurredAt: '2026-01-01T00:00:00+08:00',
            }),
        400,
      );
      expect(body.message).toEqual(['name must be plain text']);
    });

    it('a ward and an institution called constructor are ordinary: opened, resized, admitted to, listed', async () => {
      await t
        .http()
        .post('/institutions')
        .set(admin)
        .send({
          institutionId: 'constructor',
          name: 'Constructor Hospital',
          tier: 'tertiary',
          allianceId: 'CY-G1',
          regionCode: REGION,
          occurredAt: '2026-01-01T00:00:00+08:00',
        })
        .expect(201);
      for (const wardId of ['constructor', 'valueOf', 'toString']) {
        await t
          .http()
          .post('/institutions/constructor/wards')
          .set(adminOf('constructor'))
          .send({ wardId, specialty: 'general', openBeds: 4, occurredAt: '2026-01-01T00:00:00+08:00' })
          .expect(201);
      }
      await t
        .http()
        .post('/institutions/constructor/wards/constructor/bed-count')
        .set(adminOf('constructor'))
        .send({ openBeds: 5, occurredAt: '2026-11-01T09:00:00+08:00' })
        .expect(201);
      const institution = (
        await t.http().get('/institutions/constructor').set(asReaderOf('/institutions')).expect(200)
      ).body as Body;
      expect(Object.keys(institution.wards).sort()).toEqual(['constructor', 'toString', 'valueOf']);
      expect(institution.wards.constructor.openBeds).toBe(5);
      const list = (await t.http().get('/institutions').set(asReaderOf('/institutions')).expect(200))
        .body as Body[];
      expect(list.map((i) => i.institutionId)).toContain('constructor');
      await t
        .http()
        .post(`/journeys/${journeyId}/admissions`)
        .set(as('constructor'))
        .send({ institutionId: 'constructor', wardId: 'valueOf', occurredAt: '2026-03-02T10:00:00+08:00' })
        .expect(201);
    });
  });

  describe('unknown body keys of any name are a 400', () => {
    const valid = { openBeds: 7, occurredAt: '2026-11-01T09:00:00+08:00' };
    it.each(prototypeNames)('key %s', async (key) => {
      const raw = `{"openBeds":7,"occurredAt":"2026-11-01T09:00:00+08:00",${JSON.stringify(key)}:"x"}`;
      const body = await expectRefused(
        () =>
          t
            .http()
            .post(`/institutions/${HOSP}/wards/icu/bed-count`)
            .set(adminOf(HOSP))
            .set('Content-Type', 'application/json')
            .send(raw),
        400,
      );
      expect(body.message.join(' ')).toContain(key);
      expect(valid.openBeds).toBe(7);
    });

    it('nested in a correction patch', async () => {
      const events = ((await t.read(`/journeys/${journeyId}/events`).expect(200)).body as Body)
        .events as Body[];
      const visit = events.find((e) => e.type === 'VisitRecorded')!;
      await expectRefused(
        () =>
          t
            .http()
            .post(`/journeys/${journeyId}/events/${visit.id}/corrections`)
            .set(as(CHC))
            .set('Content-Type', 'application/json')
            .send(
              `{"targetType":"VisitRecorded","occurredAt":"2026-03-01T09:00:00+08:00","patch":{"__proto__":{"visitType":"emergency"}}}`,
            ),
        400,
      );
    });
  });

  describe('query strings: prototype names, odd dates and impossible periods are a 400', () => {
    it.each(prototypeNames)('a query parameter named %s', async (name) => {
      for (const path of [
        `/institutions?tier=tertiary&${name}=x`,
        `/analytics/referrals?period=2026-03&${name}=x`,
      ]) {
        const res = await t.http().get(path).set(asReaderOf(path)).expect(400);
        expect(res.body.message.join(' ')).toContain(name);
      }
      const rebuild = `/projections/ward-occupancy/rebuild?${name}=true`;
      await t.http().post(rebuild).set(asReaderOf(rebuild)).expect(400);
    });

    it.each([
      '2026-W09-1T10:00:00Z',
      '2026-060T10:00:00Z',
      '20260301T100000Z',
      '2026-03-01T10:00:00,5Z',
      '2026-03-01T10Z',
    ])('analytics asOf=%s', async (asOf) => {
      const path = `/analytics/referrals?period=2026-03&asOf=${encodeURIComponent(asOf)}`;
      const res = await t.http().get(path).set(asReaderOf(path)).expect(400);
      expect(res.body.message.join(' ')).toContain('asOf');
    });

    it.each([
      'period=0000',
      'period=0001-03',
      'period=9999',
      'period=2026-03-00',
      'period=2026-13',
      'period=2026-W54',
      'from=0001-01-01&to=0001-02-01',
    ])('a period out of the calendar: %s', async (query) => {
      for (const route of [
        '/analytics/referrals',
        '/analytics/ward-occupancy',
        '/analytics/local-treatment',
      ]) {
        const path = `${route}?${query}`;
        await t.http().get(path).set(asReaderOf(path)).expect(400);
      }
    });

    it.each(['0000', '0004', '0999', '9999'])('downward-kpi year=%s', async (year) => {
      const path = `/analytics/referrals/downward-kpi?year=${year}`;
      await t.http().get(path).set(asReaderOf(path)).expect(400);
    });
  });

  describe('one timestamp grammar: RFC 3339 with an offset, in a plausible window', () => {
    const odd = [
      '2026-W09-1T10:00:00Z',
      '2026-060T10:00:00Z',
      '20260301T100000Z',
      '2026-03-01T10:00:00,5Z',
      '2026-02-30T10:00:00Z',
      '1900-01-01T00:00:00Z',
      '1999-12-31T23:59:59Z',
      '2999-01-01T00:00:00Z',
    ];
    it.each(odd)('%s is a 400 naming occurredAt on open, refer, accept and admit', async (occurredAt) => {
      const routes: [string, Body][] = [
        [
          '/journeys',
          {
            patientId: 'pt-7f3a9c21',
            residenceRegion: REGION,
            institutionId: CHC,
            visitType: 'outpatient',
            diagnosisCode: 'I21.4',
            occurredAt,
          },
        ],
        [`/journeys/${journeyId}/referrals`, bodies.referUp({ occurredAt })],
        [`/journeys/${journeyId}/admissions`, { institutionId: HOSP, wardId: 'icu', occurredAt }],
        [`/institutions/${HOSP}/wards/icu/bed-count`, { openBeds: 9, occurredAt }],
      ];
      for (const [path, send] of routes) {
        // Someone allowed on each route, so the refusal is the care time's (issue 17: roles are checked first).
        const actor = path.startsWith('/institutions') ? as(HOSP, 'admin') : as(CHC);
        const body = await expectRefused(() => t.http().post(path).set(actor).send(send), 400);
        expect(body.message.join(' ')).toContain('occurredAt');
      }
    });
  });

  describe('bodies are limited before objects are built', () => {
    const path = `/institutions/${HOSP}/wards/icu/bed-count`;
    const post = () => t.http().post(path).set(adminOf(HOSP)).set('Content-Type', 'application/json');

    it('5,000 nested objects and 20,000 nested arrays are a 400', async () => {
      await expectRefused(() => post().send(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`), 400);
      await expectRefused(() => post().send(`${'['.repeat(20000)}${']'.repeat(20000)}`), 400);
    });

    it('an unsupported Content-Encoding is a 415, an undecodable body a 400', async () => {
      const json = JSON.stringify({ openBeds: 11, occurredAt: '2026-11-01T09:00:00+08:00' });
      await expectRefused(() => post().set('Content-Encoding', 'compress').send(json), 415);
      await expectRefused(() => post().set('Content-Encoding', 'gzip').send(json), 400);
      await expectRefused(() => post().set('Content-Encoding', 'br').send(json), 400);
      await expectRefused(() => post().set('Content-Type', 'text/plain').send(json), 415);
      await expectRefused(() => post().send('{"openBeds":'), 400);
    });

    it('gzip and brotli bodies that decode are taken', async () => {
      const gz = gzipSync(JSON.stringify({ openBeds: 12, occurredAt: '2026-11-01T09:00:00+08:00' }));
      await post().set('Content-Encoding', 'gzip').serialize(asIs).send(gz).expect(201);
      const br = brotliCompressSync(
        JSON.stringify({ openBeds: 13, occurredAt: '2026-11-02T09:00:00+08:00' }),
      );
      await post().set('Content-Encoding', 'br').serialize(asIs).send(br).expect(201);
    });

    it('a small body that inflates past the limit is a 413', async () => {
      const bomb = gzipSync(`{"openBeds":1,"pad":"${'0'.repeat(10_000_000)}"}`);
      await expectRefused(() => post().set('Content-Encoding', 'gzip').serialize(asIs).send(bomb), 413);
    });
  });

  it('after all of it, every institution still answers and still admits', async () => {
    await t.http().get('/institutions').set(asReaderOf('/institutions')).expect(200);
    await t.http().get(`/institutions/${HOSP}`).set(asReaderOf('/institutions')).expect(200);
    const other = await openJourney(t, { patientId: 'pt-0000other' });
    await t
      .http()
      .post(`/journeys/${other}/admissions`)
      .set(as(HOSP))
      .send({ institutionId: HOSP, wardId: 'icu', occurredAt: '2026-03-02T10:00:00+08:00' })
      .expect(201);
  });
});
