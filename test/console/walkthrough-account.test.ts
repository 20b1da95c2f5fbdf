import * as OTPAuth from 'otpauth';
import jsQR from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { createStaff, TEST_PASSWORD } from '../helpers/factories';
import { BROWSER_ENV, listen, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

/** The QR as the page shows it: the <img> drawn on a canvas, its pixels read back and decoded. */
async function qrOnPage(page: Page): Promise<string | null> {
  const img = page.locator('img[data-test=totp-qr]');
  await img.waitFor();
  const { data, width, height } = await img.evaluate(async (el: HTMLImageElement) => {
    await el.decode();
    const canvas = document.createElement('canvas');
    canvas.width = 300;
    canvas.height = 300;
    const g = canvas.getContext('2d')!;
    g.drawImage(el, 0, 0, 300, 300);
    return { data: Array.from(g.getImageData(0, 0, 300, 300).data), width: 300, height: 300 };
  });
  return jsQR(Uint8ClampedArray.from(data), width, height)?.data ?? null;
}

describe('console walkthrough: 我的账号 — change my password, turn TOTP on with a QR, keep the recovery codes, turn it off', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let consultant: Staff;

  beforeAll(async () => {
    t = await createTestContext({ env: BROWSER_ENV });
    consultant = await createStaff(t, 'consultant', { displayName: '陈咨询' });
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  const totpNow = (secret: string) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: t.clock.now().getTime() });

  it('checks the new password before sending, says a wrong current password beside the field, then changes it', async () => {
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, consultant);
    await page.locator('[data-menu=account]').click();
    await page.locator('input[data-test=pw-new]').fill('short');
    await page.locator('input[data-test=pw-repeat]').fill('other');
    await page.locator('[data-test=pw-submit]').click();
    await page.getByText('请输入当前密码').waitFor();
    await page.locator('.el-form-item__error', { hasText: '至少 10 位' }).waitFor();
    await page.getByText('两次输入的新密码不一致').waitFor();

    await page.locator('input[data-test=pw-current]').fill('not-my-password-1');
    await page.locator('input[data-test=pw-new]').fill('Peony-Garden-2026');
    await page.locator('input[data-test=pw-repeat]').fill('Peony-Garden-2026');
    await page.locator('[data-test=pw-submit]').click();
    await page.locator('[data-test=password-form]').getByText('当前密码不正确').first().waitFor();

    await page.locator('input[data-test=pw-current]').fill(TEST_PASSWORD);
    await page.locator('[data-test=pw-submit]').dblclick();
    await page.locator('[data-test=pw-message]').getByText('密码已修改').waitFor();
    const old = await t.http.post('/api/staff/auth/login').send({ username: consultant.username, password: TEST_PASSWORD });
    expect(old.status).toBe(401);
    const fresh = await t.http.post('/api/staff/auth/login').send({ username: consultant.username, password: 'Peony-Garden-2026' });
    expect(fresh.status).toBe(200);
    // This session stays: the page still works.
    await page.locator('[data-menu=workbench]').click();
    await page.locator('[data-test=tasks]').waitFor();
    expect(errors).toEqual([]);
  });

  it('shows the otpauth URI as a QR drawn in the browser, turns TOTP on with a code, shows 10 recovery codes once, and turns it off', async () => {
    const doctor = await createStaff(t, 'doctor', { displayName: '吴医生' });
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, doctor, '/console/account');
    await page.locator('[data-test=totp-state]').getByText('未开启').waitFor();
    await page.locator('[data-test=totp-start]').click();
    const uri = await qrOnPage(page);
    const secret = (await page.locator('[data-test=totp-secret]').innerText()).trim();
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(uri!).searchParams.get('secret')).toBe(secret);

    await page.locator('input[data-test=totp-otp]').fill('12');
    await page.locator('[data-test=totp-confirm]').click();
    await page.getByText('请输入 6 位数字').waitFor();
    const wrong = String((Number(totpNow(secret)) + 1) % 1_000_000).padStart(6, '0');
    await page.locator('input[data-test=totp-otp]').fill(wrong);
    await page.locator('[data-test=totp-confirm]').click();
    await page.locator('[data-test=totp-message]').getByText('验证码不正确').waitFor();

    await page.locator('input[data-test=totp-otp]').fill(totpNow(secret));
    await page.locator('[data-test=totp-confirm]').dblclick();
    const codes = page.locator('[data-test=recovery-codes] li');
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    await page.locator('[data-test=totp-state]').getByText('已开启').waitFor();
    await page.locator('[data-test=recovery-done]').click();
    expect(await page.locator('[data-test=recovery-codes]').count()).toBe(0);

    // A code is good once per step: the next step's code turns it off.
    t.clock.advance(30_000);
    await page.locator('input[data-test=totp-otp]').fill(totpNow(secret));
    await page.locator('[data-test=totp-disable]').click();
    await page.locator('[data-test=totp-state]').getByText('未开启').waitFor();
    expect(await t.deps.db.query('SELECT totp_enabled_at AS enabledAt FROM staff WHERE id = ?', [doctor.id])).toEqual([{ enabledAt: null }]);
    expect(errors).toEqual([]);
  });
  it('a role that must have TOTP lands on 我的账号 until it is on: logging in, and any other page, lead there; after enrolment the console opens', async () => {
    // The same database, served by a configuration where directors must have TOTP.
    const strict = await createTestContext({ env: { ...BROWSER_ENV, STAFF_TOTP_REQUIRED_ROLES: 'director' }, shareDatabaseOf: t });
    const strictServer = await listen(strict);
    try {
      const director = await createStaff(strict, 'director', { displayName: '周院长' });
      const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
      const errors = watchErrors(page);
      await loginThroughPage(page, strictServer.url, director, '/console/clients');
      await page.waitForURL(/\/console\/account\?totp=required/);
      await page.locator('[data-test=totp-required]').waitFor();

      // Typing another page's address: the API refuses its reads, and the console comes back here.
      await page.goto(`${strictServer.url}/console/orders`);
      await page.waitForURL(/\/console\/account\?totp=required/);

      await page.locator('[data-test=totp-start]').click();
      const secret = (await page.locator('[data-test=totp-secret]').innerText()).trim();
      await page.locator('input[data-test=totp-otp]').fill(OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: strict.clock.now().getTime() }));
      await page.locator('[data-test=totp-confirm]').click();
      await page.locator('[data-test=totp-state]').getByText('已开启').waitFor();
      await page.locator('[data-test=recovery-done]').click();
      expect(await page.locator('[data-test=totp-required]').count()).toBe(0);

      await page.locator('[data-menu=clients]').click();
      await page.waitForURL(/\/console\/clients/);
      await page.locator('.el-table').first().waitFor();
      expect(page.url()).not.toContain('/account');
      expect(errors).toEqual([]);
    } finally {
      await strictServer.close();
      await strict.close();
    }
  });
});
