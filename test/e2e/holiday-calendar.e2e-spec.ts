import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '@carepath/event-store';
import { run } from '../../apps/cli/src/main';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import { CHC, HOSP, openJourney, seedAlliance } from '../support/fixtures';
import { as, startTestApp, type TestApp } from '../support/test-app';

type Body = Record<string, any>;

const SHIPPED = JSON.parse(readFileSync('reference-data/holiday-calendars/CN.json', 'utf8')) as {
  years: { year: number }[];
};
const days = (from: string, to: string): string[] => {
  const out: string[] = [];
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += 86_400_000) {
    out.push(new Date(d).toISOString().slice(0, 10));
  }
  return out;
};
/** The State Council's arrangement for 2022, which the release does not ship (it begins with 2023). */
const YEAR_2022 = {
  holidays: [
    ...days('2022-01-01', '2022-01-03'),
    ...days('2022-01-31', '2022-02-06'),
    ...days('2022-04-03', '2022-04-05'),
    ...days('2022-04-30', '2022-05-04'),
    ...days('2022-06-03', '2022-06-05'),
    ...days('2022-09-10', '2022-09-12'),
    ...days('2022-10-01', '2022-10-07'),
  ],
  workingWeekendDays: [
    '2022-01-29',
    '2022-01-30',
    '2022-04-02',
    '2022-04-24',
    '2022-05-07',
    '2022-10-08',
    '2022-10-09',
  ],
  source: '国务院办公厅关于2022年部分节假日安排的通知',
};

/**
 * Routine referral deadlines count the holiday calendar recorded in the event store (docs/holidays.md): the years
 * shipped with the release are recorded at start-up, once; a year outside the calendar is a 422 the operator sees;
 * loading the year (route or CLI) makes the same request work.
 */
describe('holiday calendar', () => {
  let t: TestApp;
  const ops = as('HC-CY', 'admin', 'ops-1');
  const head = () => t.app.get<symbol, EventStore>(EVENT_STORE).headPosition();
  const refer = (journeyId: string, occurredAt: string, priority = 'routine') =>
    t.http().post(`/journeys/${journeyId}/referrals`).set(as(CHC)).send({
      direction: 'up',
      fromInstitutionId: CHC,
      toInstitutionId: HOSP,
      department: 'cardiology',
      priority,
      setting: 'outpatient',
      reasonCode: 'I10',
      occurredAt,
    });
  const deadlineOf = async (journeyId: string, referralId: string): Promise<string> => {
    const events = ((await t.read(`/journeys/${journeyId}/events`).expect(200)).body as Body)
      .events as Body[];
    return events.find((e) => e.type === 'UpwardReferralRequested' && e.data.referralId === referralId)!.data
      .deadline as string;
  };

  beforeAll(async () => {
    t = await startTestApp();
    await seedAlliance(t);
  });
  afterAll(() => t?.close());

  it('records the shipped years at start-up and shows them, with a warning for a missing year, in /health', async () => {
    const calendar = (await t.http().get('/calendars/CN').set(as(HOSP)).expect(200)).body as Body;
    const shipped = SHIPPED.years.map((y) => y.year);
    expect(calendar).toMatchObject({ calendarId: 'CN', inUse: true, yearsCovered: shipped });
    const spring = (calendar.years as Body[]).find((y) => y.year === 2026)!;
    expect(spring.holidays).toEqual(expect.arrayContaining(days('2026-02-15', '2026-02-23')));
    expect(spring.workingWeekendDays).toEqual(expect.arrayContaining(['2026-02-14', '2026-02-28']));

    const health = (await t.http().get('/health/ready').expect(200)).body as Body;
    const thisYear = new Date(Date.now() + 8 * 3_600_000).getUTCFullYear();
    const missing = [thisYear, thisYear + 1].filter((y) => !shipped.includes(y));
    expect(health.details.holidayCalendar).toMatchObject({
      status: 'up',
      calendarId: 'CN',
      yearsCovered: shipped,
    });
    expect(health.details.holidayCalendar.yearsMissing).toEqual(missing.length > 0 ? missing : undefined);
  });

  it('gives a routine referral made on the day before Spring Festival 2026 a deadline after the holiday', async () => {
    const journeyId = await openJourney(t, {
      patientId: 'pt-spring26',
      occurredAt: '2026-02-16T09:00:00+08:00',
    });
    // Monday 16 February (除夕): 15 to 23 February are off, so the two working days are Tuesday 24 and Wednesday 25.
    const res = await refer(journeyId, '2026-02-16T10:00:00+08:00').expect(201);
    expect(await deadlineOf(journeyId, res.body.referralId)).toBe('2026-02-25T10:00:00+08:00');
    // Friday 27 February: Saturday 28 is a make-up working day, so Monday 2 March is the second.
    const after = await refer(journeyId, '2026-02-27T10:00:00+08:00').expect(201);
    expect(await deadlineOf(journeyId, after.body.referralId)).toBe('2026-03-02T10:00:00+08:00');
  });

  it('refuses a routine deadline in a year not covered (422), writes nothing, and works once the year is loaded', async () => {
    const journeyId = await openJourney(t, {
      patientId: 'pt-year2022',
      occurredAt: '2022-12-28T09:00:00+08:00',
    });
    const before = await head();
    const refused = await refer(journeyId, '2022-12-29T10:00:00+08:00').expect(422);
    expect(refused.body).toMatchObject({
      code: 'CALENDAR_YEAR_NOT_COVERED',
      details: { year: 2022, calendarId: 'CN' },
    });
    expect(await head()).toBe(before);
    // Hours are counted without the calendar.
    await refer(journeyId, '2022-12-29T10:30:00+08:00', 'urgent').expect(201);

    // A year that cannot be true is refused before anything is written.
    const bad = await t
      .http()
      .put('/calendars/CN/years/2022')
      .set(ops)
      .send({ ...YEAR_2022, workingWeekendDays: ['2022-01-03'] })
      .expect(422);
    expect(bad.body.code).toBe('CALENDAR_INVALID');
    await t.http().put('/calendars/CN/years/2022').set(as(HOSP)).send(YEAR_2022).expect(403);

    const loaded = await t.http().put('/calendars/CN/years/2022').set(ops).send(YEAR_2022).expect(200);
    expect(loaded.body).toMatchObject({ calendarId: 'CN', year: 2022, unchanged: false });
    expect(loaded.body.yearsCovered).toContain(2022);
    const again = await t.http().put('/calendars/CN/years/2022').set(ops).send(YEAR_2022).expect(200);
    expect(again.body).toMatchObject({ unchanged: true, eventIds: [], revision: loaded.body.revision });
    // The same arrangement with an implausible date is refused, not answered "unchanged" (found by the fuzz spec).
    const odd = await t
      .http()
      .put('/calendars/CN/years/2022')
      .set(ops)
      .send({ ...YEAR_2022, occurredAt: '1970-01-01T00:00:00.004Z' })
      .expect(400);
    expect(JSON.stringify(odd.body)).toContain('occurredAt');

    // Thursday 29 December: Friday 30 counts; 31 December to 2 January are off; Tuesday 3 January 2023 is the second.
    const accepted = await refer(journeyId, '2022-12-29T10:00:00+08:00').expect(201);
    expect(await deadlineOf(journeyId, accepted.body.referralId)).toBe('2023-01-03T10:00:00+08:00');
  });

  it('a restart records nothing again and keeps a year an operator loaded', async () => {
    const before = await head();
    t = await t.restart();
    expect(await head()).toBe(before);
    const calendar = (await t.http().get('/calendars/CN').set(as(HOSP)).expect(200)).body as Body;
    expect(calendar.yearsCovered).toEqual([2022, ...SHIPPED.years.map((y) => y.year)]);
  });

  it('loads a year from a file with the CLI; loading it again changes nothing', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'carepath-calendar-'));
    const file = join(folder, 'CN-2021.json');
    writeFileSync(
      file,
      JSON.stringify({
        calendarId: 'CN',
        years: [{ year: 2021, holidays: ['2021-01-01'], workingWeekendDays: [], source: 'spec excerpt' }],
      }),
    );
    const env = { ...process.env };
    process.env.DATABASE_FILE = t.databaseFile;
    const out: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((m: unknown) => void out.push(String(m)));
    try {
      expect(await run(['calendar', 'load', file, '--actor', 'ops-1'])).toBe(0);
      expect(await run(['calendar', 'load', file, '--actor', 'ops-1'])).toBe(0);
    } finally {
      log.mockRestore();
      process.env = env;
      rmSync(folder, { recursive: true, force: true });
    }
    expect(out).toEqual([expect.stringMatching(/^CN 2021: recorded at revision \d+$/), 'CN 2021: unchanged']);
    // The API reads the stream at each request: the year counts without a restart.
    const calendar = (await t.http().get('/calendars/CN').set(as(HOSP)).expect(200)).body as Body;
    expect(calendar.yearsCovered).toContain(2021);
  });
});
