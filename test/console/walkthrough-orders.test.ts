import type { Browser, Page } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken } from '../helpers/factories';
import { createProject, externalNo } from '../helpers/orders';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

/** Picks an option of an Element Plus select: opens it, types when it searches, clicks the option. */
async function choose(page: Page, testId: string, option: string, typed?: string): Promise<void> {
  await page.locator(`[data-test=${testId}]`).click();
  if (typed) await page.keyboard.type(typed);
  await page.locator('.el-select-dropdown__item:visible', { hasText: option }).first().click();
}

describe('console walkthrough: the desk records an order, refunds part of it; the director voids one', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let consultant: Staff, director: Staff;
  let clientId: string;
  let projectName: string;

  beforeAll(async () => {
    t = await createTestContext({ env: BROWSER_ENV });
    consultant = await createStaff(t, 'consultant', { displayName: '李咨询' });
    director = await createStaff(t, 'director', { displayName: '周院长' });
    await createStaff(t, 'doctor', { displayName: '张医生' });
    projectName = `光子嫩肤 ${externalNo('').slice(0, 6)}`;
    await createProject(t, { name: projectName, listPriceFen: 128_000 });
    const created = await t.http.post('/api/staff/clients').set(bearer(await staffToken(t, consultant)))
      .send({ name: '欧阳娜娜', phone: `139${String(Date.now()).slice(-8)}`, gender: 'female', sourceChannel: 'walk_in' });
    expect(created.status).toBe(201);
    clientId = created.body.id;
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  const ordersOf = () => t.deps.db.query(
    'SELECT o.order_no AS orderNo, o.amount_paid_fen AS paid, o.amount_refunded_fen AS refunded, o.status FROM orders o JOIN clients c ON c.id = o.client_id WHERE c.public_id = ? ORDER BY o.id',
    [clientId],
  ) as Promise<{ orderNo: string; paid: number; refunded: number; status: string }[]>;

  it('checks the form before sending, records one order for a double click and for a retry after a lost answer, then refunds part of it', async () => {
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, consultant);
    await page.locator('[data-menu=orders]').click();
    await page.locator('[data-test=order-new]').click();
    await page.locator('[data-test=order-submit]').click();
    await page.getByText('请选择客户').waitFor();
    await page.getByText('请选择医师').waitFor();
    await page.getByText('请选择项目').waitFor();

    await choose(page, 'order-client', '欧阳娜娜', '欧阳娜娜');
    await choose(page, 'order-doctor', '张医生');
    await choose(page, 'order-project-0', projectName);
    // The list price fills in, and the desk may change it (a discount).
    await expect(page.locator('input[data-test=order-amount-0]').inputValue()).resolves.toBe('1280.00');
    await page.locator('input[data-test=order-amount-0]').fill('1,000.5');
    await page.locator('[data-test=order-total]').getByText('¥1,000.50').waitFor();

    // The first answer is lost on the way back: the API recorded it, the desk sees a network error and tries again.
    let dropped = false;
    await page.route('**/api/staff/orders', async (route) => {
      if (route.request().method() !== 'POST' || dropped) return route.continue();
      dropped = true;
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.locator('[data-test=order-submit]').dblclick();
    await page.locator('[data-test=order-message]').getByText('网络异常').waitFor();
    expect(await ordersOf()).toHaveLength(1);
    await page.locator('[data-test=order-submit]').dblclick();
    await page.getByText('该单号已记录过，未重复记账').waitFor();
    const [order] = await ordersOf();
    expect(await ordersOf()).toEqual([{ orderNo: order.orderNo, paid: 100_050, refunded: 0, status: 'paid' }]);
    expect(order.orderNo).toMatch(/^C\d{14}[0-9A-Z]{8}$/);

    const row = page.locator('[data-test=orders] .el-table__row', { hasText: order.orderNo });
    await row.getByText('已付款').waitFor();
    // A consultant refunds; voiding is the director's.
    expect(await row.locator('[data-test=order-void]').count()).toBe(0);
    await row.locator('[data-test=order-refund]').click();
    await page.locator('input[data-test=refund-amount]').fill('2000');
    await page.locator('[data-test=refund-submit]').click();
    await page.getByText('最多可退 ¥1,000.50').waitFor();
    await page.locator('input[data-test=refund-amount]').fill('100');
    await page.locator('textarea[data-test=refund-reason]').fill('客户放弃一次补打 🙏');
    await page.locator('[data-test=refund-submit]').dblclick();
    await row.getByText('部分退款').waitFor();
    expect(await ordersOf()).toEqual([{ orderNo: order.orderNo, paid: 100_050, refunded: 10_000, status: 'partially_refunded' }]);
    const refunds = await t.deps.db.query('SELECT COUNT(*) AS n FROM order_refunds r JOIN orders o ON o.id = r.order_id WHERE o.order_no = ?', [order.orderNo]);
    expect(Number(refunds[0].n)).toBe(1);
    expect(errors).toEqual([]);
  });

  it('the director voids an untouched order with a reason; a doctor has no 记录订单 button and the API refuses (403)', async () => {
    const doctor = await createStaff(t, 'doctor');
    const [project] = (await t.services.orders.listProjects()).filter((p) => p.name === projectName);
    const orderNo = externalNo('V');
    const recorded = await t.http.post('/api/staff/orders').set(bearer(await staffToken(t, consultant)))
      .send({ orderNo, clientId, doctorId: doctor.publicId, paidAt: new Date(Date.now() - 60_000).toISOString(), items: [{ projectId: project.id, amountFen: 50_000 }] });
    expect(recorded.status).toBe(201);

    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, director, `/console/orders?client=${clientId}`);
    const row = page.locator('[data-test=orders] .el-table__row', { hasText: orderNo });
    await row.locator('[data-test=order-void]').click();
    await page.locator('[data-test=refund-submit]').click();
    await page.getByText('请写明原因（至少 2 个字）').waitFor();
    await page.locator('textarea[data-test=refund-reason]').fill('收银录错，重新开单');
    await page.locator('[data-test=refund-submit]').click();
    await row.getByText('已作废').waitFor();
    expect((await ordersOf()).find((o) => o.orderNo === orderNo)?.status).toBe('voided');
    expect(errors).toEqual([]);

    const doctorPage = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
    await loginThroughPage(doctorPage, server.url, doctor, '/console/orders');
    await doctorPage.locator('[data-test=orders]').waitFor();
    expect(await doctorPage.locator('[data-test=order-new]').count()).toBe(0);
    const res = await t.http.post('/api/staff/orders').set(bearer(await staffToken(t, doctor))).send({ orderNo: externalNo(), clientId, doctorId: doctor.publicId, paidAt: new Date().toISOString(), items: [{ projectId: project.id, amountFen: 1 }] });
    expect(res.status).toBe(403);
  });

  it('lists active colleagues by role for pickers, to every staff role, with no account details', async () => {
    const res = await t.http.get('/api/staff/colleagues?role=doctor').set(bearer(await staffToken(t, consultant)));
    expect(res.status).toBe(200);
    expect(res.body.items.map((s: { displayName: string }) => s.displayName)).toContain('张医生');
    expect(res.body.items.every((s: { role: string }) => s.role === 'doctor')).toBe(true);
    expect(Object.keys(res.body.items[0]).sort()).toEqual(['displayName', 'id', 'role']);
    const bad = await t.http.get('/api/staff/colleagues?role=boss').set(bearer(await staffToken(t, consultant)));
    expect(bad.status).toBe(400);
  });
});
