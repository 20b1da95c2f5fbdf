import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff } from '../helpers/factories';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

describe('console walkthrough: customer service redeems a voucher by its code (核销)', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let service: Staff, doctor: Staff;

  beforeAll(async () => {
    // A database of its own: the workbench lists every open case, and other files file complaints too.
    t = await createTestContext({ env: BROWSER_ENV, isolatedDatabase: true });
    service = await createStaff(t, 'customer_service', { displayName: '孙客服' });
    doctor = await createStaff(t, 'doctor');
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  async function issuedVoucher(): Promise<{ code: string; clientId: number }> {
    const client = await createClient(t);
    await t.services.points.grant(null, { clientId: client.id, points: 300, reason: 'manual_adjust', reference: 'test', idempotencyKey: `seed:${randomUUID()}` });
    const item = await t.services.rewards.createItem(SYSTEM_ACTOR, { kind: 'care_product', title: '术后修护面膜', pointsPrice: 100, stock: 10 });
    const res = await t.http.post(`/api/mp/rewards/${item.id}/redeem`).set(bearer(await clientToken(t, client))).send({ requestId: randomUUID() });
    expect(res.status).toBe(201);
    return { code: res.body.code as string, clientId: client.id };
  }

  it('looks the code up (spaces as printed), sees what it is for, redeems it once for a double click; a second try says it is used', async () => {
    const { code, clientId } = await issuedVoucher();
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, service);
    await page.locator('[data-menu=vouchers]').click();
    await page.locator('input[data-test=voucher-code]').fill('12');
    await page.locator('[data-test=voucher-lookup]').click();
    await page.getByText('券码是 10 位字母或数字').waitFor();

    await page.locator('input[data-test=voucher-code]').fill(code.replace(/(.{4})/g, '$1 ').trim());
    await page.locator('[data-test=voucher-lookup]').click();
    await page.locator('[data-test=voucher]').getByText('术后修护面膜').waitFor();
    await page.locator('[data-test=voucher-redeem]').dblclick();
    await page.locator('[data-test=voucher-message]').getByText('核销成功').waitFor();
    const used = await t.deps.db.query("SELECT status FROM vouchers WHERE code = ?", [code.toUpperCase()]);
    expect(used).toEqual([{ status: 'used' }]);
    const audits = await t.deps.db.query("SELECT action FROM audit_log WHERE client_id = ? AND action LIKE 'voucher.%' ORDER BY id", [clientId]);
    expect(audits.map((a: { action: string }) => a.action)).toEqual(['voucher.lookup', 'voucher.redeem']);

    await page.locator('[data-test=voucher-lookup]').click();
    await page.locator('[data-test=voucher]').getByText('已核销').waitFor();
    expect(await page.locator('[data-test=voucher-redeem]').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('resolves a complaint from the workbench: the case with its deadline, the client’s text, a resolution written once', async () => {
    const client = await createClient(t);
    const filed = await t.http.post('/api/mp/complaints').set(bearer(await clientToken(t, client)))
      .send({ category: 'waiting', text: '等候时间太长了，预约了还等了一个小时 😞', requestId: randomUUID() });
    expect(filed.status).toBe(201);
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, service);
    const row = page.locator('[data-test=cases] .row', { has: page.locator(`a[href$="/clients/${client.publicId}"]`) });
    await row.waitFor();
    await expect(row.locator('[data-test=case-deadline]').innerText()).resolves.toMatch(/^还剩/);
    await row.locator('[data-test=case-open]').click();
    await page.locator('[data-test=case-text]').getByText('等候时间太长了').waitFor();
    await page.locator('[data-test=case-resolve]').click();
    await page.getByText('请写下处理结果').waitFor();
    await page.locator('textarea[data-test=case-resolution]').fill('已致电客户致歉，赠送一次免费护理');
    await page.locator('[data-test=case-resolve]').dblclick();
    await page.getByText('已处理：已致电客户致歉').waitFor();
    const cases = await t.deps.db.query('SELECT status FROM feedback_cases WHERE client_id = ?', [client.id]);
    expect(cases).toEqual([{ status: 'resolved' }]);
    expect(errors).toEqual([]);
  });

  it('the lookup is for the front desk only: a doctor is refused (403) and has no 核销 menu', async () => {
    const { code } = await issuedVoucher();
    const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
    await loginThroughPage(page, server.url, doctor);
    await page.locator('[data-test=menu]').waitFor();
    expect(await page.locator('[data-menu=vouchers]').count()).toBe(0);
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('meiyan.console.session')!).token as string);
    const res = await t.http.get(`/api/staff/vouchers/lookup?code=${code}`).set(bearer(token));
    expect(res.status).toBe(403);
  });
});
