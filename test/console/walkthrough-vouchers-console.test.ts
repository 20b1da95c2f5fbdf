import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { createClient, createStaff } from '../helpers/factories';
import { seededProject } from '../helpers/orders';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import { validUntil } from '../../src/modules/rewards';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(300_000);

// Screenshots for a person to look at (Chinese must render): SCREENSHOT_DIR, or a temporary folder.
const SHOTS = process.env.SCREENSHOT_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vouchers-console-'));

describe('console walkthrough: voucher rules, the project at 核销, and a client\'s vouchers', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let director: Staff, desk: Staff;

  beforeAll(async () => {
    // A database of its own: this file changes the shared voucher_rules rows.
    t = await createTestContext({ env: BROWSER_ENV, isolatedDatabase: true });
    director = await createStaff(t, 'director', { displayName: '陈院长' });
    desk = await createStaff(t, 'customer_service', { displayName: '何客服' });
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  async function pageAs(staff: Staff, at?: string): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1440, height: 900 } })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, staff, at);
    return { page, errors };
  }

  /** Picks an option of an Element Plus select by its text (the dropdown is teleported to the body). */
  async function choose(page: Page, select: string, option: string): Promise<void> {
    await page.locator(select).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: option }).first().click();
  }

  it('the director changes the birthday voucher in yuan: vouchers issued afterwards follow it, the one issued before keeps its own', async () => {
    const [before, after] = [await createClient(t), await createClient(t)];
    const filler = await seededProject(t, 'hyaluronic_filler');
    const [old] = await t.services.rewards.issueByRule(null, 'birthday', [{ clientId: before.id, period: '2026' }]);

    const { page, errors } = await pageAs(director);
    await page.locator('[data-menu=settings]').click();
    await page.locator('[data-settings=voucher-rules]').click();
    await page.locator('[data-test=rule-text-birthday]').getByText('8折券（最高减¥500）').waitFor();
    await page.locator('[data-test=rule-edit-birthday]').click();
    // Caught before sending: a percentage of 0 and a cap that is not an amount.
    await page.locator('input[data-test=rule-percent]').fill('0');
    await page.locator('input[data-test=rule-cap]').fill('八百');
    await page.locator('[data-test=rule-save]').click();
    await page.locator('[data-test=voucher-rule-form]').getByText('1–99 的整数').waitFor();
    await page.locator('[data-test=voucher-rule-form]').getByText('金额（元，最多两位小数，大于 0），或留空').waitFor();

    await page.locator('input[data-test=rule-percent]').fill('30');
    await page.locator('input[data-test=rule-cap]').fill('800.5');
    await page.locator('input[data-test=rule-days]').fill('45');
    await choose(page, '[data-test=rule-projects]', filler.name);
    await page.keyboard.press('Escape');
    await page.screenshot({ path: path.join(SHOTS, 'voucher-rule-dialog.png') });
    await page.locator('[data-test=rule-save]').dblclick();
    await page.locator('[data-test=rule-text-birthday]').getByText('7折券（最高减¥800.5）').waitFor();
    await page.locator('[data-test=voucher-rules-table] tr', { hasText: '生日特权' }).getByText(filler.name).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'voucher-rules.png'), fullPage: true });

    const [row] = await t.deps.db.query("SELECT percent, cap_fen, valid_days, projects FROM voucher_rules WHERE rule = 'birthday'");
    expect({ ...row, projects: typeof row.projects === 'string' ? JSON.parse(row.projects) : row.projects }).toEqual({ percent: 30, cap_fen: 80_050, valid_days: 45, projects: ['hyaluronic_filler'] });
    // One change, one audit row, for the double click.
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'voucher_rule.update'");
    expect(Number(n)).toBe(1);

    const [fresh] = await t.services.rewards.issueByRule(null, 'birthday', [{ clientId: after.id, period: '2026' }]);
    expect(fresh).toMatchObject({ percent: 30, capFen: 80_050, projects: ['hyaluronic_filler'] });
    const [kept] = await t.deps.db.query('SELECT percent, cap_fen, projects FROM vouchers WHERE public_id = ?', [old.id]);
    expect(kept).toEqual({ percent: 20, cap_fen: 50_000, projects: null });
    expect(errors).toEqual([]);
  });

  it('at 核销 the desk picks the project: another one is refused beside the picker, the allowed one redeems; the client page lists the vouchers', async () => {
    const client = await createClient(t);
    const filler = await seededProject(t, 'hyaluronic_filler');
    const skin = await seededProject(t, 'photorejuvenation');
    const limited = await t.services.rewards.issueVoucher(null, {
      rule: 'test_filler', benefit: { kind: 'amount_off', title: '玻尿酸复购券', valueFen: 30_000, projects: ['hyaluronic_filler'] }, expiresAt: validUntil(t.clock.now(), 30),
    }, { clientId: client.id, period: 'p' });
    const [expired] = await t.services.rewards.issueByRule(null, 'winback_care', [{ clientId: client.id, period: 'x' }]);
    await t.deps.db.query('UPDATE vouchers SET expires_at = ? WHERE public_id = ?', [new Date(t.clock.now().getTime() - 1000), expired.id]);
    const [open] = await t.services.rewards.issueByRule(null, 'leaderboard_month', [{ clientId: client.id, period: '2026-11' }]);

    const { page, errors } = await pageAs(desk, '/console/vouchers');
    await page.locator('input[data-test=voucher-code]').fill(limited.code);
    await page.locator('[data-test=voucher-lookup]').click();
    await page.locator('[data-test=voucher-projects]').getByText(filler.name).waitFor();
    // The one project it allows is chosen already; the desk picks another one.
    await page.locator('[data-test=voucher-project]').getByText(filler.name).waitFor();
    await choose(page, '[data-test=voucher-project]', skin.name);
    await page.locator('input[data-test=voucher-amount]').fill('1280');
    await page.locator('[data-test=voucher-redeem]').click();
    await page.getByText(`这张券不能用于「${skin.name}」，仅限：${filler.name}`).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'voucher-project-refused.png'), fullPage: true });
    expect(await t.deps.db.query('SELECT status FROM vouchers WHERE public_id = ?', [limited.id])).toEqual([{ status: 'issued' }]);

    await choose(page, '[data-test=voucher-project]', filler.name);
    await page.locator('[data-test=voucher-redeem]').click();
    await page.locator('[data-test=voucher-message]').getByText('核销成功').waitFor();
    await page.locator('[data-test=voucher]').getByText('¥300.00').waitFor();
    expect(await t.deps.db.query('SELECT status, used_project, discount_fen FROM vouchers WHERE public_id = ?', [limited.id]))
      .toEqual([{ status: 'used', used_project: 'hyaluronic_filler', discount_fen: 30_000 }]);

    await page.getByRole('link', { name: '查看客户档案' }).click();
    const list = page.locator('[data-test=vouchers]');
    await list.locator('[data-test=client-voucher]', { hasText: '玻尿酸复购券' }).getByText('已使用').waitFor();
    await list.locator('[data-test=client-voucher]', { hasText: '免费术后护理体验券' }).getByText('已过期').waitFor();
    const openRow = list.locator('[data-test=client-voucher]', { hasText: '月度推荐榜奖励券' });
    await openRow.getByText('可使用').waitFor();
    await openRow.getByText('¥500 代金券').waitFor();
    // Valid for 90 days from today (Shanghai), through the 90th day.
    const lastDay = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(open.expiresAt.getTime() - 1));
    await openRow.getByText(`有效期至 ${lastDay}`).waitFor();
    await list.screenshot({ path: path.join(SHOTS, 'client-vouchers.png') });
    expect(errors).toEqual([]);
  });
});
