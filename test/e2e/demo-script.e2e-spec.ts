import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The output in docs/api.md, "A longer example", comes from scripts/demo.mjs; running it against the real app keeps that output
 * true when the API changes (it once broke silently when reads began to need X-Access-Reason).
 */
describe('scripts/demo.mjs against the real app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
  });
  afterAll(async () => t.close());

  it('walks the journey and prints each answer with the status docs/api.md shows', async () => {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    // The demo signs its tokens with the development issuer's key beside the API's database file.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['scripts/demo.mjs', `http://127.0.0.1:${port}`],
      { env: { ...process.env, DATABASE_FILE: t.databaseFile } },
    );
    const statuses = [...stdout.matchAll(/^< (\d{3}) /gm)].map((m) => Number(m[1]));
    // The journey, its referral and the accept, the refused second accept, the stale If-Match, the retry, the request
    // with every field wrong, then the read models and the audit verification.
    expect(statuses).toEqual([201, 201, 201, 422, 409, 201, 400, 200, 200, 200, 200]);
    expect(stdout).toMatch(/< revision 4, journey open, referral in-progress/);
    expect(stdout).toMatch(/< inpatients: cardio-surg\/12/);
    expect(stdout).toMatch(
      /state read by coordinator-hosp-demo-\S+ \(coordinator, HOSP-DEMO-\S+\) for care-coordination/,
    );
    expect(stdout).toMatch(/"ok":true/);
  });
});
