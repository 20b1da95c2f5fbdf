import type { Browser, Page } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import { publicId } from '../../src/shared/crypto';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(240_000);

const DAY_MS = 86400_000;
/** A Shanghai calendar date `days` from today. */
const shanghaiDate = (days: number) => new Date(Date.now() + 8 * 3600_000 + days * DAY_MS).toISOString().slice(0, 10);

describe('console walkthrough: customer service runs a doctor\'s appointment calendar (预约日程)', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let service: Staff, doctor: Staff;

  beforeAll(async () => {
    // A database of its own: the calendar shows every appointment of the doctor's week.
    t = await createTestContext({ env: BROWSER_ENV, isolatedDatabase: true });
    service = await createStaff(t, 'customer_service', { displayName: '孙客服' });
    doctor = await createStaff(t, 'doctor', { displayName: '王医生' });
    const director = await staffToken(t, await createStaff(t, 'director'));
    const week = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '09:00', until: '18:00' }));
    await t.http.put(`/api/staff/doctor-schedules/${doctor.publicId}`).set(bearer(director)).send({ slotCapacity: 1, week }).expect(200);
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  async function calendar(): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, service);
    await page.locator('[data-menu=appointments]').click();
    await page.locator('[data-test=appt-grid]').waitFor();
    return { page, errors };
  }
  const option = (page: Page, text: string) => page.locator('.el-select-dropdown__item:visible', { hasText: text });
  const rowsOf = (clientId: number) => t.deps.db.query('SELECT status, starts_at FROM appointments WHERE client_id = ?', [clientId]) as Promise<{ status: string; starts_at: Date }[]>;

  it('books a client into a free slot once (a double click), shows the capacity taken, moves and cancels it; bad input is shown beside the field', async () => {
    const client = await createClient(t);
    const tomorrow = shanghaiDate(1);
    const { page, errors } = await calendar();

    await page.locator('[data-test=appt-new]').click();
    await page.locator('[data-test=appt-create] .el-date-editor input').fill(tomorrow);
    await page.locator('[data-test=appt-create] .el-date-editor input').press('Enter');
    await page.locator('input[data-test=appt-create-client]').fill('不对');
    await page.locator('[data-test=appt-create-submit]').click();
    await page.getByText('请填写客户 ID（22 位）').waitFor();
    await page.getByText('请选择时间').waitFor();

    // A client nobody has: the API's 404 is shown beside the client field.
    await page.locator('input[data-test=appt-create-client]').fill(publicId());
    await page.locator('[data-test=appt-create-time]').click();
    await option(page, '10:00（余 1）').click();
    await page.locator('[data-test=appt-create-submit]').click();
    await page.getByText('没有这个客户，或您无权查看').waitFor();

    await page.locator('input[data-test=appt-create-client]').fill(client.publicId);
    await page.locator('[data-test=appt-create-submit]').dblclick();
    await page.locator('[data-test=appt-message]').getByText('已预约').waitFor();
    const cell = page.locator(`[data-cell="${tomorrow} 10:00"]`);
    await cell.locator('[data-test=appt-chip]').getByText('已确认').waitFor();
    await cell.locator('[data-test=appt-capacity]').getByText('已约 1/1').waitFor();
    expect((await rowsOf(client.id)).map((r) => r.status)).toEqual(['confirmed']);

    // Move it to 11:00 the same day.
    await cell.locator('[data-test=appt-chip]').click();
    await page.locator('[data-test=appt-move]').click();
    await page.locator('[data-test=appt-move-time]').click();
    await option(page, '11:00').click();
    await page.locator('[data-test=appt-move-submit]').click();
    await page.locator('[data-test=appt-message]').getByText('已改期').waitFor();
    expect((await rowsOf(client.id))[0].starts_at.toISOString()).toBe(new Date(`${tomorrow}T11:00:00+08:00`).toISOString());
    await page.keyboard.press('Escape');
    const moved = page.locator(`[data-cell="${tomorrow} 11:00"] [data-test=appt-chip]`);
    await moved.waitFor();

    // And cancel it: the client is told, the place is free again.
    await moved.click();
    await page.locator('[data-test=appt-cancel]').click();
    await page.locator('[data-test=appt-status]').getByText('已取消').waitFor();
    expect((await rowsOf(client.id)).map((r) => r.status)).toEqual(['cancelled']);
    expect(errors).toEqual([]);
  });

  it('a booking full meanwhile is refused with the reason beside the time; a started appointment is marked a no-show', async () => {
    const [first, second, late] = await Promise.all([createClient(t), createClient(t), createClient(t)]);
    const tomorrow = shanghaiDate(1);
    const { page, errors } = await calendar();
    await page.locator('[data-test=appt-new]').click();
    await page.locator('[data-test=appt-create] .el-date-editor input').fill(tomorrow);
    await page.locator('[data-test=appt-create] .el-date-editor input').press('Enter');
    await page.locator('input[data-test=appt-create-client]').fill(second.publicId);
    await page.locator('[data-test=appt-create-time]').click();
    await option(page, '15:00（余 1）').click();
    // Someone else takes the last place while the form is open.
    await t.http.post('/api/staff/appointments').set(bearer(await staffToken(t, service)))
      .send({ client: first.publicId, kind: 'consultation', doctor: doctor.publicId, at: `${tomorrow}T15:00:00+08:00` }).expect(201);
    await page.locator('[data-test=appt-create-submit]').click();
    await page.getByText('这个时间已约满').waitFor();
    expect(await rowsOf(second.id)).toEqual([]);
    await page.keyboard.press('Escape');

    // An appointment that began an hour ago (written as the clinic's history would have it).
    const startedAt = new Date(Math.floor((Date.now() - 3600_000) / 1800_000) * 1800_000);
    await t.deps.db.query(
      `INSERT INTO appointments (public_id, client_id, kind, status, starts_at, duration_minutes, doctor_id, version, confirmed_at, created_at, updated_at)
       VALUES (?, ?, 'consultation', 'confirmed', ?, 30, ?, 1, ?, ?, ?)`,
      [publicId(), late.id, startedAt, doctor.id, startedAt, startedAt, startedAt],
    );
    await page.reload();
    const chip = page.locator(`[data-cell^="${new Date(startedAt.getTime() + 8 * 3600_000).toISOString().slice(0, 10)} "] [data-test=appt-chip]`, { hasText: '已确认' });
    await chip.first().waitFor();
    await chip.first().click();
    await page.locator('[data-test=appt-no-show]').click();
    await page.locator('[data-test=appt-status]').getByText('爽约').waitFor();
    expect((await rowsOf(late.id)).map((r) => r.status)).toEqual(['no_show']);
    expect(errors).toEqual([]);
  });
});
