import type { Browser } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { createStaff } from '../helpers/factories';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

describe('console walkthrough: new work reaches the workbench without a reload (server-sent events), the poll takes over when the stream breaks', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let consultant: Staff;

  beforeAll(async () => {
    t = await createTestContext({ env: { ...BROWSER_ENV, STAFF_STREAM_POLL_MS: '300' } });
    consultant = await createStaff(t, 'consultant', { displayName: '林咨询' });
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  const task = (title: string) => t.services.worklist.create(null, { kind: 'callback', dedupeKey: `wb:${title}`, assigneeRole: 'consultant', assigneeId: consultant.id, title });

  it('shows a task created while the page is open within seconds (the 30 s poll is off while the stream is live), on the same page', async () => {
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    const errors = watchErrors(page);
    const listReads: number[] = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/staff/tasks') listReads.push(Date.now()); });
    await loginThroughPage(page, server.url, consultant);
    await page.locator('[data-test=live]').getByText('实时更新').waitFor();
    // A mark on this page: a reload would lose it.
    await page.evaluate(() => { (window as unknown as { mark: number }).mark = 42; });

    const createdAt = Date.now();
    await task('术后第 3 天回访：王女士 🌸');
    await page.locator('[data-test=tasks]').getByText('术后第 3 天回访：王女士 🌸').waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { mark?: number }).mark)).toBe(42);
    // The lists were read again after the task existed, asked for by the stream's event well before
    // the 30 s poll could. (The read the stream's 'ready' asks for may itself have seen the task when
    // its query ran just after the insert: so "at least one after", not "exactly one".)
    const deadline = Date.now() + 15_000;
    while (!listReads.some((at) => at >= createdAt) && Date.now() < deadline) await page.waitForTimeout(50);
    expect(listReads.filter((at) => at >= createdAt).length).toBeGreaterThanOrEqual(1);
    expect(Date.now() - createdAt).toBeLessThan(25_000);
    expect(errors).toEqual([]);
  });

  it('falls back to the poll when the stream cannot be opened, and says so', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    await context.route('**/api/staff/me/stream', (route) => route.abort('connectionreset'));
    const page = await context.newPage();
    await loginThroughPage(page, server.url, consultant);
    await page.locator('[data-test=tasks]').waitFor();
    await page.locator('[data-test=live]').getByText('每 30 秒自动刷新').waitFor();
    await page.locator('[data-test=tasks]').getByText('术后第 3 天回访').waitFor();
  });
});
