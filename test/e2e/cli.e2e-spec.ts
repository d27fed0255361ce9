import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../apps/cli/src/main';
import { as, startTestApp, type TestApp } from '../support/test-app';
import { CHC, openJourney, seedAlliance } from '../support/fixtures';

/** The auditors' CLI (issue 5) on a log written through the real API, with its exit statuses. */
describe('carepath CLI', () => {
  let t: TestApp;
  let journeyId: string;
  const out: string[] = [];
  const env = { ...process.env };

  const cli = async (...argv: string[]) => {
    out.length = 0;
    const log = jest.spyOn(console, 'log').mockImplementation((m: unknown) => void out.push(String(m)));
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      return await run(argv);
    } finally {
      log.mockRestore();
      error.mockRestore();
      stderr.mockRestore();
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
    journeyId = await openJourney(t);
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

  it('exports a journey as JSON, and says FHIR is not built yet (2)', async () => {
    expect(await cli('export', journeyId, '--format', 'json')).toBe(0);
    const exported = JSON.parse(out.join('\n'));
    expect(exported).toMatchObject({ journeyId, revision: 2, state: { status: 'open' } });
    expect(exported.events.map((e: { type: string }) => e.type)).toEqual([
      'JourneyOpened',
      'VisitRecorded',
      'PatientAdmitted',
    ]);
    expect(await cli('export', journeyId, '--format', 'fhir')).toBe(2);
  });

  it('replays a figure as it stood at a position', async () => {
    expect(await cli('replay', '--to', '999999', '--report', 'ward-occupancy', '--period', '2026-03')).toBe(
      0,
    );
    const replayed = JSON.parse(out.join('\n'));
    const rehab = replayed.rows.find((r: { wardId: string }) => r.wardId === 'rehab');
    // In a bed from 2 March: nights of 2..31 March = 30 occupied bed-days.
    expect(rehab.figures).toMatchObject({ occupiedBedDays: 30 });
  });

  it('answers a wrong command with usage and status 2', async () => {
    expect(await cli('frobnicate')).toBe(2);
    expect(await cli()).toBe(2);
  });
});
