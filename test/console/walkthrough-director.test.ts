import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { createClient, createStaff } from '../helpers/factories';
import { recordOrder, seededProject, staffActor } from '../helpers/orders';
import { BROWSER_ENV, ensureConsoleBuilt, launchBrowser, listen, loginThroughPage, watchErrors } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

describe('console walkthrough: the director reads the reports (real API, real database, Chromium)', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let director: Staff, consultant: Staff, doctor: Staff;
  const at = (iso: string) => new Date(iso);

  beforeAll(async () => {
    ensureConsoleBuilt();
    // Its own database: the reports count every client and order of the hospital.
    t = await createTestContext({ now: '2026-12-01T01:00:00Z', isolatedDatabase: true, env: { ...BROWSER_ENV, ORDER_MAX_BACKDATE_DAYS: '400' } });
    [director, consultant, doctor] = await Promise.all([
      createStaff(t, 'director', { displayName: '王院长' }), createStaff(t, 'consultant', { displayName: '李咨询' }), createStaff(t, 'doctor', { displayName: '周医生' }),
    ]);
    const project = await seededProject(t, 'photorejuvenation');
    const lead = async (channel: string, createdAt: string, paidAt: string | null, amountFen = 0) => {
      const c = await createClient(t, { sourceChannel: channel });
      await t.deps.db.query('UPDATE clients SET created_at = ? WHERE id = ?', [at(createdAt), c.id]);
      if (paidAt) await recordOrder(t, { client: c, doctor, paidAt: at(paidAt), items: [{ projectId: project.id, amountFen }], treated: false });
    };
    // 小红书: three leads, two paying ¥3,000 and ¥5,000 on ¥4,000 of spend; 抖音: two leads, one paying ¥1,000 on ¥2,000.
    await lead('xiaohongshu', '2026-10-03T03:00:00Z', '2026-10-08T03:00:00Z', 300_000);
    await lead('xiaohongshu', '2026-11-03T03:00:00Z', '2026-11-09T03:00:00Z', 500_000);
    await lead('xiaohongshu', '2026-11-04T03:00:00Z', null);
    await lead('douyin', '2026-10-05T03:00:00Z', '2026-11-20T03:00:00Z', 100_000);
    await lead('douyin', '2026-11-06T03:00:00Z', null);
    await t.services.marketing.addSpend(staffActor(director), { channel: 'xiaohongshu', month: '2026-10', amountFen: 150_000 });
    await t.services.marketing.addSpend(staffActor(director), { channel: 'xiaohongshu', month: '2026-11', amountFen: 250_000 });
    await t.services.marketing.addSpend(staffActor(director), { channel: 'douyin', month: '2026-11', amountFen: 200_000 });
    server = await listen(t);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  async function pageFor(staff: Staff, path: string): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, staff, path);
    return { page, errors };
  }
  const cellsOf = (page: Page, table: string) =>
    page.locator(`[data-test=${table}] .el-table__body tr`).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));

  it('the monthly summary link opens channel ROI for the months it names: totals, a trend chart and a funnel each with its table, the channel table', async () => {
    const { page, errors } = await pageFor(director, '/console/reports/roi?from=2026-10&to=2026-11');
    await page.locator('[data-test=roi-table] .el-table__row').first().waitFor();

    expect(await cellsOf(page, 'roi-table')).toEqual([
      ['抖音', '¥2,000.00', '2', '0', '0', '1', '50.0%', '¥1,000.00', '¥1,000.00', '¥1,000.00', '¥2,000.00', '-0.50'],
      ['小红书', '¥4,000.00', '3', '0', '0', '2', '66.7%', '¥8,000.00', '¥4,000.00', '¥1,333.33', '¥2,000.00', '1.00'],
    ]);
    expect(await cellsOf(page, 'roi-trend-table')).toEqual([
      ['2026-10', '¥1,500.00', '¥3,000.00', '1.00'],
      ['2026-11', '¥4,500.00', '¥6,000.00', '0.33'],
    ]);
    // Charts are drawn (a canvas each), and the funnel of the channel with most leads is shown beside its table.
    expect(await page.locator('[data-test=roi-trend-chart] canvas').count()).toBe(1);
    expect(await page.locator('[data-test=roi-funnel-chart] canvas').count()).toBe(1);
    expect((await cellsOf(page, 'roi-funnel-table')).map((r) => r.slice(0, 2))).toEqual([['新线索', '3'], ['完成问卷', '0'], ['已出方案', '0'], ['首单', '2']]);
    await page.locator('[data-test=roi-funnel-channel]').click();
    await page.locator('.el-select-dropdown__item', { hasText: '抖音' }).click();
    await expect(cellsOf(page, 'roi-funnel-table').then((rows) => rows[0].slice(0, 2))).resolves.toEqual(['新线索', '2']);
    expect(errors).toEqual([]);
  });

  it('the director downloads the report as CSV (UTF-8 with a BOM, Chinese headers); the download is audited', async () => {
    const { page, errors } = await pageFor(director, '/console/reports/roi?from=2026-10&to=2026-11');
    await page.locator('[data-test=roi-table] .el-table__row').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=roi-csv]').click()]);
    const file = fs.readFileSync((await download.path())!);
    expect([...file.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(file.toString('utf8').slice(1).split('\r\n')[0]).toMatch(/^渠道,月份,投放\(元\)/);
    const audited = await t.deps.db.query("SELECT actor_id AS actorId FROM audit_log WHERE action = 'report.roi.export'");
    expect(audited).toEqual([{ actorId: director.id }]);
    expect(errors).toEqual([]);
  });

  it('a consultant has no report in the menu, and the page opened by its address says the director is needed', async () => {
    const { page } = await pageFor(consultant, '/console/reports/roi?from=2026-10&to=2026-11');
    const menu = await page.locator('[data-test=menu] [data-menu]').evaluateAll((els) => els.map((e) => e.getAttribute('data-menu')));
    expect(menu).not.toContain('report-roi');
    await expect(page.locator('[data-test=roi-error]').innerText()).resolves.toContain('院长');
  });
});
