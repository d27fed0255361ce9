import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { run } from '../../apps/cli/src/main';
import { loadConfig } from '@carepath/runtime';
import { as, startTestApp, type TestApp } from '../support/test-app';

// Callbacks of page.evaluate run in the page: they reach its document as `(globalThis as any).document`, since this
// file is compiled without the DOM library.

/*
 * The coordinator console in a real browser (issue 21; docs/console.md, "Tests"): Debian's Chromium driven by
 * playwright-core against the real app on a temporary database, the console built by Vite into a temporary folder.
 * Data is seeded through the API; people sign in with login links printed by the CLI. Screenshots go to
 * docs/screenshots/ for docs/console.md and the README.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(__dirname, '..', '..', 'docs', 'screenshots');
const CHC = 'CHC-CY-01';
const HOSP = 'HOSP-CY-01';
const HOSP2 = 'HOSP-CY-02';
const REGION = '110105';
const LONG_NAME = '北京市朝阳区建外街道社区卫生服务中心（永安里第二分中心·慢病管理与康复联合门诊）';
const HOUR = 3_600_000;

/** A care time `hoursAgo` before now, in UTC+8 as a coordinator would type it. */
const careTime = (hoursAgo: number) =>
  `${new Date(Date.now() - hoursAgo * HOUR + 8 * HOUR).toISOString().slice(0, 19)}+08:00`;

/** Form controls with no accessible name (a label, aria-label or aria-labelledby): there should be none. */
const unlabelled = (page: Page) =>
  page.evaluate(() =>
    [...(globalThis as any).document.querySelectorAll('input, select, textarea, button')]
      .filter((el: any) => !(el.labels?.length > 0 || el.getAttribute('aria-label') || el.textContent.trim()))
      .map((el: any) => el.outerHTML.slice(0, 80)),
  );
/** Whether the page is wider than its window: a layout that long names or small screens break. */
const overflows = (page: Page) =>
  page.evaluate(
    () => (globalThis as any).document.documentElement.scrollWidth > (globalThis as any).innerWidth,
  );

describe('the coordinator console in Chromium', () => {
  let t: TestApp;
  let origin: string;
  let browser: Browser;
  let consoleDir: string;
  let urgent: { journeyId: string; referralId: string };
  let overdue: { journeyId: string; referralId: string };

  jest.setTimeout(120_000);

  /** `npm run cli -- login-link …` against this app's database, as an operator would run it. */
  const loginLink = async (actor: string, role: string, institution: string): Promise<string> => {
    const out: string[] = [];
    const saved = { ...process.env };
    Object.assign(process.env, { DATABASE_FILE: t.databaseFile, LOG_FORMAT: 'pretty' });
    const log = jest.spyOn(console, 'log').mockImplementation((m: unknown) => void out.push(String(m)));
    try {
      expect(
        await run([
          'login-link',
          '--actor',
          actor,
          '--role',
          role,
          '--institution',
          institution,
          '--url',
          origin,
        ]),
      ).toBe(0);
    } finally {
      log.mockRestore();
      process.env = saved;
    }
    expect(out).toHaveLength(1);
    return out[0]!;
  };

  const signIn = async (
    actor: string,
    role: string,
    institution: string,
  ): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const page = await context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(await loginLink(actor, role, institution));
    await page.getByTestId('actor').waitFor();
    return { context, page };
  };

  const post = async (path: string, headers: Record<string, string>, body: object) =>
    (await t.http().post(path).set(headers).send(body).expect(201)).body as Record<string, string>;

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'carepath-console-'));
    const root = join(__dirname, '..', '..');
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/console/vite.config.mjs'],
      {
        cwd: root,
        env: { ...process.env, CONSOLE_OUT_DIR: consoleDir },
        stdio: 'pipe',
      },
    );
    const defaults = loadConfig({});
    t = await startTestApp({ console: { ...defaults.console, dir: consoleDir } });
    await t.app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;

    const admin = as('HC-CY', 'admin', 'admin-1');
    const institutions = [
      [CHC, LONG_NAME, 'community'],
      [HOSP, '首都医科大学附属北京朝阳医院', 'tertiary'],
      [HOSP2, '北京朝阳医院东院区', 'tertiary'],
    ] as const;
    for (const [institutionId, name, tier] of institutions) {
      await post('/institutions', admin, {
        institutionId,
        name,
        tier,
        allianceId: 'CY-G1',
        regionCode: REGION,
        occurredAt: '2026-01-01T00:00:00+08:00',
      });
    }
    await post(`/institutions/${HOSP}/wards`, as(HOSP, 'admin', 'admin-hosp'), {
      wardId: 'cardio',
      specialty: 'cardiology',
      openBeds: 20,
      occurredAt: '2026-01-01T00:00:00+08:00',
    });
    const journey = async (patientId: string, hoursAgo: number, priority: string) => {
      const { journeyId } = await post('/journeys', as(CHC, 'family-doctor', 'fd-wang'), {
        patientId,
        residenceRegion: REGION,
        institutionId: CHC,
        visitType: 'outpatient',
        diagnosisCode: 'I20.0',
        occurredAt: careTime(hoursAgo),
      });
      const { referralId } = await post(
        `/journeys/${journeyId}/referrals`,
        as(CHC, 'family-doctor', 'fd-wang'),
        {
          direction: 'up',
          fromInstitutionId: CHC,
          toInstitutionId: HOSP,
          department: 'cardiology',
          priority,
          setting: 'inpatient',
          reasonCode: 'I20.0',
          occurredAt: careTime(hoursAgo - 0.5),
        },
      );
      return { journeyId: journeyId!, referralId: referralId! };
    };
    urgent = await journey('pt-0a11c3', 3, 'urgent');
    overdue = await journey('pt-0b22d4', 30, 'green-channel');
    // An inpatient already on the ward, so the worklist and the bed-use chart have one.
    const admitted = await journey('pt-0c33e5', 10, 'urgent');
    await post(
      `/journeys/${admitted.journeyId}/referrals/${admitted.referralId}/accept`,
      as(HOSP, 'doctor', 'dr-li'),
      {
        occurredAt: careTime(9),
      },
    );
    await post(
      `/journeys/${admitted.journeyId}/admissions?consistency=projected`,
      as(HOSP, 'doctor', 'dr-li'),
      {
        institutionId: HOSP,
        wardId: 'cardio',
        bedId: '12',
        referralId: admitted.referralId,
        occurredAt: careTime(8),
      },
    );

    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rmSync(consoleDir, { recursive: true, force: true });
  });

  it('signs a coordinator in with a one-time link, keeps the session out of scripts, and refuses the link twice', async () => {
    const link = await loginLink('coord-zhao', 'coordinator', HOSP);
    expect(link).toMatch(new RegExp(`^${origin}/console/#login=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByTestId('actor').waitFor();
    expect(await page.getByTestId('actor').textContent()).toContain('coord-zhao');
    expect(page.url()).not.toContain('login=');
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'carepath_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000);
    expect(await page.evaluate(() => (globalThis as any).document.cookie)).not.toContain('carepath_session');
    // A write without the session's CSRF token is refused before any handler runs.
    const forged = await page.evaluate(async (path) => {
      const res = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      return { status: res.status, body: (await res.json()) as { code: string } };
    }, `/journeys/${urgent.journeyId}/referrals/${urgent.referralId}/accept`);
    expect(forged).toEqual({ status: 403, body: expect.objectContaining({ code: 'CSRF_TOKEN_INVALID' }) });

    const again = await browser.newContext();
    const second = await again.newPage();
    await second.goto(link);
    await second.getByRole('alert').waitFor();
    expect(await second.getByRole('alert').textContent()).toContain('LOGIN_LINK_USED');

    await page.getByRole('button', { name: '退出登录' }).click();
    await page.getByRole('heading', { name: '登录' }).waitFor();
    expect(await page.evaluate(async () => (await fetch('/console/auth/session')).status)).toBe(401);
    await context.close();
    await again.close();
  });

  it('works the worklist: countdown and overdue marking, accepting once on a double click, the timeline and worklist changing', async () => {
    const { context, page } = await signIn('coord-zhao', 'coordinator', HOSP);
    const incoming = page.locator('[data-section="incomingReferrals"]');
    await incoming.locator(`tr[data-referral="${urgent.referralId}"]`).waitFor();
    const late = incoming.locator(`tr[data-referral="${overdue.referralId}"]`);
    expect(await late.getAttribute('class')).toBe('overdue');
    expect(await late.getByTestId('countdown').textContent()).toMatch(/^已超时 /);
    const onTime = incoming.locator(`tr[data-referral="${urgent.referralId}"]`);
    expect(await onTime.getByTestId('countdown').textContent()).toMatch(/^剩余 \d+ 小时/);
    expect(await onTime.textContent()).toContain(LONG_NAME);
    expect(await page.locator('[data-section="inpatients"] tbody tr').count()).toBe(1);
    await page.getByTestId('filter-text').fill('pt-none');
    await page.locator('[data-section="inpatients"] .empty').waitFor();
    await page.getByTestId('filter-text').fill('');
    await page.screenshot({ path: join(SHOTS, 'worklist.png'), fullPage: true });
    expect(await unlabelled(page)).toEqual([]);
    expect(await overflows(page)).toBe(false);
    await page.setViewportSize({ width: 820, height: 1180 });
    expect(await overflows(page)).toBe(false);
    await page.setViewportSize({ width: 1280, height: 800 });
    // The keyboard reaches the actions: focus moves through the filters to the rows' buttons.
    await page.getByTestId('filter-text').focus();
    for (
      let i = 0;
      i < 40 && !(await page.evaluate(() => (globalThis as any).document.activeElement?.dataset?.action));
      i++
    )
      await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.dataset?.action)).toBe(
      'receive',
    );

    await onTime.locator('[data-action="accept"]').dblclick();
    await onTime.waitFor({ state: 'detached' });
    const history = await t.read(`/journeys/${urgent.journeyId}/events`, HOSP).expect(200);
    expect(
      (history.body.events as { type: string }[]).filter((e) => e.type === 'ReferralAccepted'),
    ).toHaveLength(1);
    expect(await incoming.locator('tbody tr').count()).toBe(1);

    await page.goto(`${origin}/console/#/journey/${urgent.journeyId}`);
    await page.getByTestId('reason-form').waitFor();
    await page.getByRole('button', { name: '继续' }).click();
    await page.getByTestId('timeline').waitFor();
    expect(await page.locator('.lane').count()).toBe(2);
    expect(
      await page.locator(`.lane[data-lane="${HOSP}"] .mark.referral.receiving`).getAttribute('data-status'),
    ).toBe('accepted');
    expect(await page.getByTestId('referral-status').first().textContent()).toBe('已接收');
    await page.getByTestId('admit-form').waitFor();
    await page.screenshot({ path: join(SHOTS, 'journey.png'), fullPage: true });
    expect(await unlabelled(page)).toEqual([]);

    // Admit from the journey: the timeline gains a stay and the worklist an inpatient.
    await page.getByTestId('admit-form').getByLabel('床号').fill('7');
    await page.getByTestId('admit-form').getByRole('button', { name: '保存' }).click();
    await page.locator(`.lane[data-lane="${HOSP}"] .bar.stay`).waitFor();

    // The API's own refusals: a bad field is shown with its message, and a journey changed meanwhile (409) offers
    // a reload that brings the other write in.
    const visit = page.getByTestId('visit-form');
    await visit.getByLabel('诊断编码（ICD-10）').fill('flu');
    await visit.getByRole('button', { name: '保存' }).click();
    await visit.getByRole('alert').waitFor();
    expect(await visit.getByRole('alert').textContent()).toContain('diagnosisCode must match');
    await post(`/journeys/${urgent.journeyId}/visits`, as(HOSP, 'doctor', 'dr-li'), {
      institutionId: HOSP,
      visitType: 'outpatient',
      diagnosisCode: 'I20.0',
      occurredAt: careTime(0.1),
    });
    await visit.getByLabel('诊断编码（ICD-10）').fill('I20.9');
    await visit.getByRole('button', { name: '保存' }).click();
    await visit.getByText('REVISION_CONFLICT').waitFor();
    const visits = () => page.locator('.lane .mark.visit').count();
    expect(await visits()).toBe(1);
    await visit.getByRole('button', { name: '数据已被他人更新，重新加载' }).click();
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('.lane .mark.visit').length === 2,
    );
    await page.goto(`${origin}/console/#/worklist`);
    await page.locator('[data-section="inpatients"] tbody tr').nth(1).waitFor();
    // The reason was asked once for this journey: opening it again goes straight to the timeline.
    await page.goto(`${origin}/console/#/journey/${urgent.journeyId}`);
    await page.getByTestId('timeline').waitFor();
    expect(await page.getByTestId('reason-form').count()).toBe(0);
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.screenshot({ path: join(SHOTS, 'journey-tablet.png'), fullPage: false });
    await context.close();
  });

  it('switches to English and back, every label following', async () => {
    const { context, page } = await signIn('coord-zhao', 'coordinator', HOSP);
    await page.getByRole('heading', { name: /^工作清单/ }).waitFor();
    await page.getByTestId('language').selectOption('en');
    await page.getByRole('heading', { name: /^Worklist/ }).waitFor();
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe('en');
    expect(await page.getByRole('heading', { name: /Incoming referrals/ }).count()).toBe(1);
    await page.reload();
    await page.getByRole('heading', { name: /^Worklist/ }).waitFor();
    await page.getByTestId('language').selectOption('zh-CN');
    await page.getByRole('heading', { name: /^工作清单/ }).waitFor();
    await context.close();
  });

  it('draws the dashboards from the analytics routes, with data in the series and a CSV per chart', async () => {
    const { context, page } = await signIn('analyst-qian', 'analyst', HOSP);
    // An analyst has no worklist: the console opens on the first screen the role may use.
    await page.getByRole('heading', { name: '统计看板' }).waitFor();
    expect(await page.getByRole('link', { name: '工作清单' }).count()).toBe(0);
    await page.goto(`${origin}/console/#/dashboards`);
    const referrals = page.getByTestId('echarts-referrals');
    await referrals.waitFor();
    const series = async (testId: string) =>
      page.waitForFunction(
        (id) => {
          const el = (globalThis as any).document.querySelector(`[data-testid="${id}"]`);
          const option = el && (globalThis as any).carepathChartOption(el);
          const data = (option?.series ?? []).flatMap((s: { data: unknown[] }) => s.data);
          return data.some((v: unknown) => typeof v === 'number' && v > 0) ? option.series : null;
        },
        testId,
        { timeout: 30_000 },
      );
    const volume = (await (await series('echarts-referrals')).jsonValue()) as {
      name: string;
      data: number[];
    }[];
    expect(volume[0]!.data.reduce((a, b) => a + b, 0)).toBe(3);
    await series('echarts-ward-occupancy');
    await series('echarts-community');
    const csv = await page.getByTestId('chart-referrals').getByRole('link').getAttribute('href');
    const download = await page.evaluate(async (href) => {
      const res = await fetch(href!);
      return { type: res.headers.get('content-type'), text: await res.text() };
    }, csv);
    expect(download.type).toContain('text/csv');
    expect(download.text.split('\r\n')[0]).toContain('group.direction');
    await page.screenshot({ path: join(SHOTS, 'dashboards.png'), fullPage: true });
    expect(await unlabelled(page)).toEqual([]);
    await context.close();
  });

  it('shows a nurse the receive action but not accept or reject, which the access policy denies her', async () => {
    const { context, page } = await signIn('nurse-sun', 'nurse', HOSP);
    const row = page.locator(`[data-section="incomingReferrals"] tr[data-referral="${overdue.referralId}"]`);
    await row.waitFor();
    expect(await row.locator('[data-action="receive"]').count()).toBe(1);
    expect(await row.locator('[data-action="accept"]').count()).toBe(0);
    expect(await row.locator('[data-action="reject"]').count()).toBe(0);
    expect(await page.getByRole('link', { name: '统计看板' }).count()).toBe(0);
    await context.close();
  });

  it("filters on the server, and takes a rejection from the hospital to the referrer's action-required list", async () => {
    const hospital = await signIn('coord-zhao', 'coordinator', HOSP);
    const incoming = hospital.page.locator('[data-section="incomingReferrals"]');
    await incoming.locator(`tr[data-referral="${overdue.referralId}"]`).waitFor();
    await hospital.page.getByTestId('filter-overdue').check();
    // Overdue is a referral's and a follow-up's field: the beds are not served under that filter.
    await hospital.page.locator('[data-section="inpatients"]').waitFor({ state: 'detached' });
    expect(await incoming.locator('tbody tr').count()).toBe(1);
    const row = incoming.locator(`tr[data-referral="${overdue.referralId}"]`);
    await row.locator('[data-action="reject"]').click();
    await row.getByLabel('拒绝原因').selectOption('not-indicated');
    await row.getByRole('button', { name: '确认拒绝' }).click();
    await row.waitFor({ state: 'detached' });
    await hospital.context.close();

    const centre = await signIn('fd-wang', 'family-doctor', CHC);
    const item = centre.page.locator('[data-section="actionRequired"] li[data-kind="referral-rejected"]');
    await item.waitFor();
    expect(await item.textContent()).toContain('无转诊指征');
    await centre.page.screenshot({ path: join(SHOTS, 'action-required.png'), fullPage: true });
    await item.locator('[data-action="acknowledge"]').click();
    await item.waitFor({ state: 'detached' });
    // The centre finds its patient's journey by the pseudonymous id (the search is logged with the reason given).
    const search = centre.page.getByTestId('patient-search');
    await search.getByLabel('患者编号（化名）').fill('pt-0a11c3');
    await search.getByRole('button', { name: '查找' }).click();
    await search.locator(`a[href="#/journey/${urgent.journeyId}"]`).waitFor();
    expect(await search.locator('li').count()).toBe(1);
    await centre.context.close();
  });

  it('gives an auditor the access log with filters and verifies the hash chain', async () => {
    const { context, page } = await signIn('auditor-sun', 'auditor', 'HC-CY');
    await page.goto(`${origin}/console/#/audit`);
    await page.getByTestId('access-log').waitFor();
    expect(await page.getByTestId('access-log').textContent()).toContain('coord-zhao');
    await page.getByLabel('操作人编号').fill('nurse-sun');
    await page.getByRole('button', { name: '查询' }).click();
    await page.waitForFunction(
      () =>
        !(globalThis as any).document
          .querySelector('[data-testid="access-log"]')
          ?.textContent?.includes('coord-zhao'),
    );
    await page.getByTestId('verify').click();
    await page.getByTestId('verify-result').waitFor();
    expect(await page.getByTestId('verify-result').textContent()).toMatch(/^校验通过/);
    await page.screenshot({ path: join(SHOTS, 'audit.png'), fullPage: true });
    await context.close();
  });
});
