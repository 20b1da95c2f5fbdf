import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { scores } from '../helpers/feedback';
import { recordOrder, seededProject } from '../helpers/orders';
import { BROWSER_ENV, pageAs, tableCells, openConsole, closeConsole } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

describe('console walkthrough: the director reviews staff performance for the quarter (real API, real database, Chromium)', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let director: Staff, consultant: Staff, doctor: Staff;
  let token: string;
  const at = (iso: string) => new Date(iso);

  beforeAll(async () => {
    // Its own database: the report counts every client, order and survey of the hospital.
    t = await createTestContext({ now: '2026-11-20T02:00:00Z', isolatedDatabase: true, env: { ...BROWSER_ENV, ORDER_MAX_BACKDATE_DAYS: '400' } });
    [director, consultant, doctor] = await Promise.all([
      createStaff(t, 'director', { displayName: '王院长' }), createStaff(t, 'consultant', { displayName: '李咨询' }), createStaff(t, 'doctor', { displayName: '周医生' }),
    ]);
    const project = await seededProject(t, 'photorejuvenation');
    // 李咨询's leads: two this quarter (one paid ¥3,000 and answered NPS 10), one last quarter who paid ¥1,000 and answered NPS 3.
    const lead = async (createdAt: string, paidAt: string | null, amountFen: number, nps: number) => {
      const c = await createClient(t, { consultantId: consultant.id });
      await t.deps.db.query('UPDATE clients SET created_at = ? WHERE id = ?', [at(createdAt), c.id]);
      if (!paidAt) return;
      const order = await recordOrder(t, { client: c, doctor, paidAt: at(paidAt), items: [{ projectId: project.id, amountFen }] });
      const [{ id: orderId }] = await t.deps.db.query('SELECT id FROM orders WHERE public_id = ?', [order.id]);
      const surveyId = await t.services.feedback.openSurvey(null, { clientId: c.id, orderId: Number(orderId) });
      const clock = t.clock.now();
      t.clock.set(new Date(at(paidAt).getTime() + 86400_000));
      await t.http.post(`/api/mp/surveys/${surveyId}/answers`).set(bearer(await clientToken(t, c))).send({ indicators: scores(nps > 5 ? 5 : 2), nps }).expect(200);
      t.clock.set(clock);
    };
    await lead('2026-10-03T03:00:00Z', '2026-10-08T03:00:00Z', 300_000, 10);
    await lead('2026-11-03T03:00:00Z', null, 0, 0);
    await lead('2026-08-03T03:00:00Z', '2026-08-09T03:00:00Z', 100_000, 3);
    token = await staffToken(t, director);
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  const pageFor = (staff: Staff, path: string) => pageAs(browser, server.url, staff, path);
  const cellsOf = tableCells;
  const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);
  const money = (fen: number) => `¥${(fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const one = (n: number | null) => (n === null ? '—' : n.toFixed(1));

  it('from the menu, the page opens on this quarter beside the last one: charts, and tables with the API\'s figures', async () => {
    const { page, errors } = await pageFor(director, '/console/');
    await page.locator('[data-test=menu] [data-menu=report-staff-performance]').click();
    await page.locator('[data-test=perf-consultants] .el-table__row').first().waitFor();
    const api = (await t.http.get('/api/staff/reports/staff-performance').set(bearer(token)).expect(200)).body;
    expect(api).toMatchObject({ from: '2026-10-01', to: '2026-12-31', previous: { from: '2026-07-01', to: '2026-09-30' } });
    await expect(page.locator('[data-test=perf-period]').innerText()).resolves.toBe('本期 2026-10-01 至 2026-12-31，对比上期 2026-07-01 至 2026-09-30');

    const c = api.consultants[0];
    expect(c.current).toMatchObject({ leads: 2, firstPaidOrders: 1, conversionRate: 0.5, revenueFen: 300_000, nps: 100 });
    expect(c.previous).toMatchObject({ leads: 1, conversionRate: 1, revenueFen: 100_000, nps: -100 });
    expect(await cellsOf(page, 'perf-consultants')).toEqual([[
      '李咨询', String(c.current.leads), String(c.current.questionnaires), String(c.current.plans), String(c.current.firstPaidOrders),
      pct(c.current.conversionRate), pct(c.previous.conversionRate), '-50.0', money(c.current.revenueFen), money(c.previous.revenueFen),
      c.current.averageScore.toFixed(2), one(c.current.nps), one(c.previous.nps),
    ]]);
    const d = api.doctors[0];
    expect(d.current).toMatchObject({ treatments: 1, surveys: 1, nps: 100 });
    expect(await cellsOf(page, 'perf-doctors')).toEqual([[
      '周医生', '0', '0', '—', '—', '—', String(d.current.treatments), String(d.current.surveys), one(d.current.nps), one(d.previous.nps), '+200.0',
    ]]);
    expect(await page.locator('[data-test=perf-consultant-chart] canvas').count()).toBe(1);
    expect(await page.locator('[data-test=perf-doctor-chart] canvas').count()).toBe(1);
    await page.screenshot({ path: '/tmp/staff-performance.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  it("another range by link, then the export menu's CSV (UTF-8 with a BOM), audited", async () => {
    const { page, errors } = await pageFor(director, '/console/reports/staff-performance?from=2026-08-01&to=2026-08-31');
    await page.locator('[data-test=perf-consultants] .el-table__row').first().waitFor();
    await expect(page.locator('[data-test=perf-period]').innerText()).resolves.toContain('本期 2026-08-01 至 2026-08-31');
    expect((await cellsOf(page, 'perf-consultants'))[0].slice(0, 2)).toEqual(['李咨询', '1']);
    await page.locator('[data-test=export] button').click();
    await page.locator('[data-test=export-csv]').waitFor({ state: 'visible' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export-csv]').click()]);
    const file = fs.readFileSync((await download.path())!);
    expect([...file.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(file.toString('utf8').slice(1).split('\r\n')[1]).toMatch(/^咨询师,李咨询,本期,2026-08-01~2026-08-31,1,/);
    const audited = await t.deps.db.query("SELECT actor_id AS actorId, details FROM audit_log WHERE action = 'report.staff_performance.export'");
    expect(audited).toEqual([{ actorId: director.id, details: expect.objectContaining({ from: '2026-08-01', to: '2026-08-31', format: 'csv' }) }]);
    expect(errors).toEqual([]);
  });

  it('a consultant has no staff performance in the menu; opened by its address, the page says the director is needed', async () => {
    const { page } = await pageFor(consultant, '/console/reports/staff-performance');
    const menu = await page.locator('[data-test=menu] [data-menu]').evaluateAll((els) => els.map((e) => e.getAttribute('data-menu')));
    expect(menu).not.toContain('report-staff-performance');
    await expect(page.locator('[data-test=perf-error]').innerText()).resolves.toContain('院长');
  });
});
