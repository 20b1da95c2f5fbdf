import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { consentingClient } from '../helpers/consultations';
import { scores } from '../helpers/feedback';
import { recordOrder, seededProject, staffActor } from '../helpers/orders';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

describe('console walkthrough: the director reads the reports (real API, real database, Chromium)', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let director: Staff, consultant: Staff, doctor: Staff;
  let token: string;
  const at = (iso: string) => new Date(iso);

  beforeAll(async () => {
    // Its own database: the reports count every client and order of the hospital.
    t = await createTestContext({ now: '2026-12-01T01:00:00Z', isolatedDatabase: true, env: { ...BROWSER_ENV, ORDER_MAX_BACKDATE_DAYS: '400' } });
    [director, consultant, doctor] = await Promise.all([
      createStaff(t, 'director', { displayName: '王院长' }), createStaff(t, 'consultant', { displayName: '李咨询' }), createStaff(t, 'doctor', { displayName: '周医生' }),
    ]);
    const project = await seededProject(t, 'photorejuvenation');
    const lead = async (channel: string, createdAt: string, paidAt: string | null, amountFen = 0) => {
      const c = await createClient(t, { sourceChannel: channel });
      await t.deps.db.query('UPDATE clients SET created_at = ? WHERE id = ?', [at(createdAt), c.id]);
      if (!paidAt) return;
      const order = await recordOrder(t, { client: c, doctor, paidAt: at(paidAt), items: [{ projectId: project.id, amountFen }], treated: false });
      // Every paying client answers the satisfaction survey: NPS 10, 8, 3 in turn.
      const [{ id: orderId }] = await t.deps.db.query('SELECT id FROM orders WHERE public_id = ?', [order.id]);
      const surveyId = await t.services.feedback.openSurvey(null, { clientId: c.id, orderId: Number(orderId) });
      const nps = [10, 8, 3][answered++];
      await t.http.post(`/api/mp/surveys/${surveyId}/answers`).set(bearer(await clientToken(t, c))).send({ indicators: scores(nps > 5 ? 5 : 2), nps }).expect(200);
    };
    let answered = 0;
    // 小红书: three leads, two paying ¥3,000 and ¥5,000 on ¥4,000 of spend; 抖音: two leads, one paying ¥1,000 on ¥2,000.
    await lead('xiaohongshu', '2026-10-03T03:00:00Z', '2026-10-08T03:00:00Z', 300_000);
    await lead('xiaohongshu', '2026-11-03T03:00:00Z', '2026-11-09T03:00:00Z', 500_000);
    await lead('xiaohongshu', '2026-11-04T03:00:00Z', null);
    await lead('douyin', '2026-10-05T03:00:00Z', '2026-11-20T03:00:00Z', 100_000);
    await lead('douyin', '2026-11-06T03:00:00Z', null);
    await t.services.marketing.addSpend(staffActor(director), { channel: 'xiaohongshu', month: '2026-10', amountFen: 150_000 });
    await t.services.marketing.addSpend(staffActor(director), { channel: 'xiaohongshu', month: '2026-11', amountFen: 250_000 });
    await t.services.marketing.addSpend(staffActor(director), { channel: 'douyin', month: '2026-11', amountFen: 200_000 });
    token = await staffToken(t, director);
    await seedAppointments();
    await t.services.rfm.run();
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  // Two consultations with 周医生 on 2 December: one kept, one missed.
  async function seedAppointments() {
    await t.http.put(`/api/staff/doctor-schedules/${doctor.publicId}`).set(bearer(token))
      .send({ slotCapacity: 3, week: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, from: '09:00', until: '17:00' })) }).expect(200);
    const ids: string[] = [];
    for (const time of ['10:00', '11:00']) {
      const { client } = await consentingClient(t);
      const res = await t.http.post('/api/staff/appointments').set(bearer(token)).send({ client: client.publicId, kind: 'consultation', doctor: doctor.publicId, at: `2026-12-02T${time}:00+08:00` });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const start = t.clock.now();
    t.clock.set('2026-12-02T06:00:00Z');
    await t.http.post(`/api/staff/appointments/${ids[0]}/complete`).set(bearer(token)).send({}).expect(200);
    await t.http.post(`/api/staff/appointments/${ids[1]}/no-show`).set(bearer(token)).send({}).expect(200);
    t.clock.set(start.toISOString());
  }
  const apiGet = async (path: string) => (await t.http.get(path).set(bearer(token)).expect(200)).body;
  const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);

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

  it('the director reads the intent funnel: the steps beside the funnel chart and each channel\'s conversion, as the API counts them', async () => {
    const { page, errors } = await pageFor(director, '/console/reports/pipeline?from=2026-10-01&to=2026-11-30');
    await page.locator('[data-test=pipeline-channels] .el-table__row').first().waitFor();
    const report = await apiGet('/api/staff/metrics/pipeline?from=2026-10-01&to=2026-11-30');
    expect(report.overall.cohort).toBe(5);
    // The previous two whole months (1 August – 30 September) had no leads: the first step compares with nothing.
    expect(report.previous).toMatchObject({ from: '2026-08-01', to: '2026-09-30', overall: { cohort: 0 } });
    expect(await cellsOf(page, 'pipeline-steps')).toEqual(
      report.overall.conversion.map((c: any, i: number) => {
        const before = report.previous.overall.conversion[i].rate;
        const delta = c.rate === null || before === null ? '—' : `${c.rate > before ? '+' : ''}${((c.rate - before) * 100).toFixed(1)}`;
        return [expect.stringContaining('→'), String(c.reachedFrom), String(c.reached), pct(c.rate), pct(before), delta];
      }),
    );
    const channels = await cellsOf(page, 'pipeline-channels');
    expect(channels.map((r) => r.slice(0, 2))).toEqual(report.byChannel.map((c: any) => [({ douyin: '抖音', xiaohongshu: '小红书' } as any)[c.channel], String(c.cohort)]));
    expect(channels.map((r) => r.slice(3))).toEqual(report.byChannel.map((c: any) => c.conversion.map((s: any) => pct(s.rate))));
    expect(await page.locator('[data-test=pipeline-chart] canvas').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('the director reads satisfaction: NPS, the ten indicators, per doctor and per project, and the NPS trend by month', async () => {
    const { page, errors } = await pageFor(director, '/console/reports/satisfaction?from=2026-11-01&to=2026-12-01');
    await page.locator('[data-test=satisfaction-doctors] .el-table__row').first().waitFor();
    const report = await apiGet('/api/staff/reports/satisfaction?from=2026-11-01&to=2026-12-01');
    // Three answers: one promoter (10), one passive (8), one detractor (3): NPS 0.
    expect(report.overall).toMatchObject({ responses: 3, promoters: 1, passives: 1, detractors: 1, nps: 0 });
    expect(await cellsOf(page, 'satisfaction-doctors')).toEqual([['周医生', '3', '0.0', ...Array(10).fill('4.00')]]);
    expect((await cellsOf(page, 'satisfaction-projects')).map((r) => r.slice(1, 3))).toEqual([['3', '0.0']]);
    expect((await cellsOf(page, 'satisfaction-indicators'))[0]).toEqual(['服务态度', report.overall.indicators.attitude.toFixed(2), '—', '—']);
    await expect(page.locator('[data-test=satisfaction-nps]').innerText()).resolves.toContain('上期 —');
    expect((await cellsOf(page, 'satisfaction-trend-table')).slice(-2)).toEqual([['2026-11', '0', '—'], ['2026-12', '3', '0.0']]);
    expect(errors).toEqual([]);
  });

  it('the director reads the RFM segments and the dormant reactivation, as the API counts them', async () => {
    const { page, errors } = await pageFor(director, '/console/reports/rfm?from=2026-11-01&to=2026-12-01');
    await page.locator('[data-test=rfm-segments] .el-table__row').first().waitFor();
    const segments = (await apiGet('/api/staff/reports/rfm/segments')).items;
    expect(segments.reduce((n: number, s: any) => n + s.clients, 0)).toBeGreaterThan(0);
    expect((await cellsOf(page, 'rfm-segments')).map((r) => r[1])).toEqual(segments.map((s: any) => String(s.clients)));
    const dormant = await apiGet(`/api/staff/reports/dormant?from=${encodeURIComponent('2026-11-01T00:00:00+08:00')}&to=${encodeURIComponent('2026-12-02T00:00:00+08:00')}`);
    await page.locator('[data-test=dormant-table] .el-table__row').first().waitFor();
    expect(await cellsOf(page, 'dormant-table')).toEqual(
      dormant.tiers.map((d: any, i: number) => [
        ({ care_3m: '3个月关怀', gift_6m: '6个月专属礼', callback_12m: '12个月回访' } as any)[d.tier], String(d.contacted), String(d.cameBack),
        `¥${(d.revenueFen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`, pct(d.rate),
        pct(dormant.previous.tiers[i].rate), `${d.rate > dormant.previous.tiers[i].rate ? '+' : ''}${((d.rate - dormant.previous.tiers[i].rate) * 100).toFixed(1)}`,
      ]),
    );
    expect(errors).toEqual([]);
  });

  it('the dormant reactivation downloads from its export button as CSV with the same steps; the download is audited', async () => {
    const { page, errors } = await pageFor(director, '/console/reports/rfm?from=2026-11-01&to=2026-12-01');
    await page.locator('[data-test=dormant-table] .el-table__row').first().waitFor();
    await page.locator('[data-test=dormant-export] button').click();
    // Each export button's menu is its own popper; only the one just opened is visible.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export-csv]:visible').click()]);
    expect(download.suggestedFilename()).toMatch(/^dormant-.*\.csv$/);
    const file = fs.readFileSync((await download.path())!);
    expect([...file.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = file.toString('utf8').slice(1).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('触达动作,触达人数,回店消费人数,唤醒率(%),"回店消费额(元,扣除退款)"');
    const steps = (await cellsOf(page, 'dormant-table')).map((r) => [r[0], r[1], r[2]]);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3))).toEqual(steps);
    const audited = await t.deps.db.query("SELECT actor_id AS actorId, details FROM audit_log WHERE action = 'report.export'");
    expect(audited.map((a: any) => [a.actorId, (typeof a.details === 'string' ? JSON.parse(a.details) : a.details).report])).toEqual([[director.id, 'dormant']]);
    expect(errors).toEqual([]);
  });

  it('the director reads the appointments per doctor with the no-shows', async () => {
    const { page, errors } = await pageFor(director, '/console/reports/appointments?from=2026-12-01&to=2026-12-07');
    await page.locator('[data-test=appt-report-table] .el-table__row').first().waitFor();
    expect(await cellsOf(page, 'appt-report-table')).toEqual([['周医生', '面诊', '2', '1', '0', '1', '0', '50.0%']]);
    expect(errors).toEqual([]);
  });

  it('the director checks points and cashback against their ledgers: all consistent', async () => {
    const { page, errors } = await pageFor(director, '/console/reports/consistency');
    await page.locator('[data-test=consistency-summary] .el-table__row').first().waitFor();
    const points = await apiGet('/api/staff/points/consistency');
    const cashback = await apiGet('/api/staff/referrals/consistency');
    expect(await cellsOf(page, 'consistency-summary')).toEqual([
      ['积分账户', String(points.accounts), '0', '一致'], ['返现账户', String(cashback.accounts), '0', '一致'], ['推荐奖励', '—', '0', '一致'],
    ]);
    expect(errors).toEqual([]);
  });
});
