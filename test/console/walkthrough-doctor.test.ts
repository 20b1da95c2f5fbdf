import type { Browser } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff } from '../helpers/factories';
import { consentingClient, slot } from '../helpers/consultations';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

describe('console walkthrough: a doctor writes and proposes a plan the client accepts', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let doctor: Staff;

  beforeAll(async () => {
    t = await createTestContext({ env: BROWSER_ENV });
    doctor = await createStaff(t, 'doctor', { displayName: '周医生' });
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  it('writes a plan from the client view, refuses an inverted price range beside its field, proposes it, and shows the accepted letter', async () => {
    const { client, token } = await consentingClient(t);
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1366, height: 900 } })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, doctor, `/console/clients/${client.publicId}`);
    await page.locator('[data-test=plan-new]').click();
    await page.waitForURL(/\/plans\/new$/);

    await page.locator('textarea[data-test=plan-reasonableness]').fill('期望与面部条件基本相符');
    await page.locator('textarea[data-test=plan-feasibility]').fill('鼻背低平，假体隆鼻可行');
    await page.locator('textarea[data-test=plan-risk]').fill('无明显禁忌');
    await page.locator('textarea[data-test=plan-expectationMatch]').fill('客户希望自然效果，与方案一致');
    await page.locator('textarea[data-test=plan-surgical]').fill('膨体隆鼻 + 耳软骨鼻尖');
    await page.locator('textarea[data-test=plan-non-surgical]').fill('玻尿酸注射隆鼻，维持约 12 个月');
    await page.locator('textarea[data-test=plan-risk-plan]').fill('术前停用阿司匹林 7 天');
    await page.locator('input[data-test=plan-price-min]').fill('35000');
    await page.locator('input[data-test=plan-price-max]').fill('20000');
    await page.locator('input[data-test=plan-recovery]').fill('14');
    await page.locator('[data-test=plan-save]').click();
    await page.getByText('上限不能低于下限').waitFor();
    expect(await t.deps.db.query('SELECT id FROM plans WHERE client_id = ?', [client.id])).toEqual([]);

    await page.locator('input[data-test=plan-price-min]').fill('20000');
    await page.locator('input[data-test=plan-price-max]').fill('35000');
    await page.locator('[data-test=plan-save]').dblclick();
    await page.waitForURL(/\/console\/plans\/[A-Za-z0-9_-]{22}$/);
    const planId = page.url().split('/').pop()!;
    await page.locator('[data-test=plan-propose]').click();
    await page.getByText('方案 · 已发给客户').waitFor();
    const plans = await t.deps.db.query(
      'SELECT p.status, r.price_min_fen AS min FROM plans p JOIN plan_revisions r ON r.plan_id = p.id WHERE p.client_id = ?', [client.id],
    );
    // One plan, one revision, for a double click on save.
    expect(plans).toEqual([{ status: 'proposed', min: 2_000_000 }]);

    // The client accepts it in the mini-program (through the API) with a slot.
    const accepted = await t.http.post(`/api/mp/plans/${planId}/accept`).set(bearer(token)).send({ revision: 1, appointment: { at: slot(t, 3, '10:00'), kind: 'consultation' } });
    expect(accepted.status).toBe(201);
    await page.reload();
    await page.locator('[data-test=plan-letter]').waitFor();
    await expect(page.locator('[data-test=plan-letter]').innerText()).resolves.toContain('客户已确认意向书');
    expect(errors).toEqual([]);
  });
});
