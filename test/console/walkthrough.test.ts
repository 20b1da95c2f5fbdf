import type { Browser, Page } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { clientToken, createClient, createStaff } from '../helpers/factories';
import { giveHealthConsent, intentAnswers, submitIntent } from '../helpers/questionnaires';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

/** Health answers of the A lead below, as the page would print them (DOMAIN.md: doctors and the director only). */
const HEALTH_TEXT = ['局部麻醉药', '抗凝'];

describe('console walkthroughs: consultant, customer service, doctor (real API, real database, Chromium)', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let consultant: Staff, otherConsultant: Staff, service: Staff, doctor: Staff;
  let lead: Client, othersClient: Client;

  beforeAll(async () => {
    t = await createTestContext({ env: BROWSER_ENV });
    [consultant, otherConsultant, service, doctor] = await Promise.all([
      createStaff(t, 'consultant', { displayName: '李咨询' }), createStaff(t, 'consultant', { displayName: '赵咨询' }),
      createStaff(t, 'customer_service', { displayName: '孙客服' }), createStaff(t, 'doctor', { displayName: '周医生' }),
    ]);
    lead = await createClient(t, { consultantId: consultant.id });
    await t.services.clients.correctForStaff({ type: 'staff', id: consultant.id, role: 'consultant', ip: null, requestId: null }, lead.publicId, { name: '林小美🌸' });
    await giveHealthConsent(t, lead.id);
    const res = await submitIntent(t, await clientToken(t, lead), intentAnswers());
    expect(res.status).toBe(201);
    othersClient = await createClient(t, { consultantId: otherConsultant.id });
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  async function pageFor(staff: Staff, at = '/console/'): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, staff, at);
    return { page, errors };
  }

  it('a consultant finds the new A lead, opens the client and adds a note (one note for a double click)', async () => {
    const { page, errors } = await pageFor(consultant);
    // The workbench lists the new lead assigned to them.
    await page.locator('[data-test=new-leads]').getByText('林小美🌸').waitFor();
    // Menu: what a consultant may use, not the director's pages.
    const menu = await page.locator('[data-test=menu] [data-menu]').evaluateAll((els) => els.map((e) => e.getAttribute('data-menu')));
    expect(menu).toEqual(['workbench', 'leads', 'clients', 'client-new', 'appointments', 'contact-ways', 'vouchers', 'orders', 'community', 'account']);

    await page.locator('[data-menu=leads]').click();
    const row = page.locator('[data-test=leads-table] .el-table__row', { hasText: '林小美🌸' });
    await row.waitFor();
    await expect(row.innerText()).resolves.toContain('A');
    await row.locator('[data-test=lead-client]').click();
    await page.waitForURL(new RegExp(`/console/clients/${lead.publicId}$`));

    await page.locator('[data-test=questionnaire]').waitFor();
    // A consultant gets the questionnaire without the health answers, and the page says why.
    await page.locator('[data-test=health-redacted]').waitFor();
    expect(await page.locator('[data-test=health-section]').count()).toBe(0);
    expect(await page.locator('[data-test=medical]').count()).toBe(0);

    await page.locator('textarea[data-test=note-text]').fill('首次电话沟通：关注鼻综合恢复期，下周六到院面诊');
    await page.locator('[data-test=note-add]').dblclick();
    await page.locator('[data-test=note]', { hasText: '下周六到院面诊' }).waitFor();
    const rows = await t.deps.db.query('SELECT staff_id AS staffId FROM client_notes WHERE client_id = ?', [lead.id]);
    expect(rows).toEqual([{ staffId: consultant.id }]);
    expect(errors).toEqual([]);
  });

  it('the phone is masked until the consultant asks to see it (audited)', async () => {
    const phone = `139${String(Date.now()).slice(-8)}`;
    await t.services.clients.correctForStaff({ type: 'staff', id: consultant.id, role: 'consultant', ip: null, requestId: null }, lead.publicId, { phone });
    const { page } = await pageFor(consultant, `/console/clients/${lead.publicId}`);
    const shown = page.locator('[data-test=phone]');
    await shown.waitFor();
    await expect(shown.innerText()).resolves.toBe(`${phone.slice(0, 3)}****${phone.slice(-4)}`);
    await page.locator('[data-test=phone-reveal]').click();
    await page.locator('[data-test=phone]', { hasText: phone }).waitFor();
    const audit = await t.deps.db.query("SELECT actor_id AS actorId FROM audit_log WHERE client_id = ? AND action = 'client.phone.reveal'", [lead.id]);
    expect(audit).toEqual([{ actorId: consultant.id }]);
  });

  it('a consultant cannot reach another consultant’s client, even by its address', async () => {
    const { page } = await pageFor(consultant, `/console/clients/${othersClient.publicId}`);
    await page.locator('[data-test=client-error]').waitFor();
    await expect(page.locator('[data-test=client-error]').innerText()).resolves.toContain('未找到，或您无权查看');
    expect(await page.locator('[data-test=profile]').count()).toBe(0);
  });

  it('customer service opens the client without any health answer on the page; a doctor sees them', async () => {
    const { page } = await pageFor(service, `/console/clients/${lead.publicId}`);
    await page.locator('[data-test=profile]').waitFor();
    await page.locator('[data-test=notes-card]').getByText('下周六到院面诊').waitFor();
    const text = await page.locator('body').innerText();
    for (const h of HEALTH_TEXT) expect(text).not.toContain(h);
    expect(await page.locator('[data-test=medical], [data-test=health-section], [data-test=safety-flags]').count()).toBe(0);
    // The leads menu is not theirs (the API refuses it too).
    expect(await page.locator('[data-menu=leads]').count()).toBe(0);

    const asDoctor = await pageFor(doctor, `/console/clients/${lead.publicId}`);
    await asDoctor.page.locator('[data-test=health-section]').first().waitFor();
    const doctorText = await asDoctor.page.locator('body').innerText();
    for (const h of HEALTH_TEXT) expect(doctorText).toContain(h);
  });

  it('an expired session returns to login, and after logging in again to the same page', async () => {
    const { page } = await pageFor(consultant, `/console/clients/${lead.publicId}`);
    await page.locator('[data-test=profile]').waitFor();
    await t.services.sessions.revokeAll({ kind: 'staff', staffId: consultant.id });
    await page.goto(`${server.url}/console/leads`);
    await page.waitForURL(/\/console\/login\?/);
    const url = new URL(page.url());
    expect(url.searchParams.get('redirect')).toBe('/leads');
    await page.getByText('登录已过期，请重新登录').waitFor();
    await page.locator('input[name=username]').fill(consultant.username);
    await page.locator('input[name=password]').fill('Correct-Horse-42');
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(/\/console\/leads$/);
  });

  it('the WeCom sidebar opens the client from the URL at phone width and says so', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, consultant, `/console/sidebar/?client=${lead.publicId}`);
    await page.waitForURL(/\/console\/sidebar\//);
    await page.locator('[data-test=sidebar-who]').getByText('林小美🌸').waitFor();
    await expect(page.locator('[data-test=sidebar-notice]').innerText()).resolves.toContain('已按链接中的客户打开');
    await page.locator('[data-test=sidebar-intent]').waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    expect(errors).toEqual([]);
  });
});
