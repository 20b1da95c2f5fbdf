import type { Browser, Page } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { recordOrder, seededProject } from '../helpers/orders';
import { INTENT_TEMPLATE_ID } from '../helpers/questionnaires';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(300_000);

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('console walkthrough: the director’s settings', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let director: Staff, doctor: Staff, consultant: Staff, service: Staff;

  beforeAll(async () => {
    // A database of its own: the follow-up plans and the intent questionnaire are shared rows this file changes.
    t = await createTestContext({ env: BROWSER_ENV, isolatedDatabase: true });
    director = await createStaff(t, 'director', { displayName: '陈院长' });
    doctor = await createStaff(t, 'doctor');
    consultant = await createStaff(t, 'consultant');
    service = await createStaff(t, 'customer_service');
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  async function pageAs(staff: Staff): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1440, height: 900 } })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, staff);
    return { page, errors };
  }

  async function treated(): Promise<{ client: Client; at: number }> {
    const client = await createClient(t);
    const paidAt = new Date(t.clock.now().getTime() - HOUR);
    await recordOrder(t, { client, doctor, paidAt, items: [{ projectId: (await seededProject(t, 'rhinoplasty')).id, amountFen: 2_800_000 }] });
    return { client, at: paidAt.getTime() };
  }

  async function daysToStep(c: { client: Client; at: number }, step: string): Promise<number> {
    const res = await t.http.get(`/api/staff/clients/${c.client.publicId}/followups`).set(bearer(await staffToken(t, director)));
    expect(res.status).toBe(200);
    return (Date.parse(res.body.items.find((s: { step: string }) => s.step === step).dueAt) - c.at) / DAY;
  }

  it('changes a follow-up step: the next client’s schedule follows it, the client scheduled before keeps the old day', async () => {
    const before = await treated();
    const { page, errors } = await pageAs(director);
    await page.locator('[data-menu=settings]').click();
    await page.locator('[data-settings=followups]').click();
    await page.locator('[data-test=followup-rule]').getByText('已经排好的随访保持原定时间').waitFor();
    await page.locator('[data-edit="surgery.followup_30d"]').click();
    await page.locator('input[data-test=step-days]').fill('');
    await page.locator('[data-test=step-save]').click();
    await page.getByText('请填写 0–400 天、0–23 小时，至少 1 小时').waitFor();

    await page.locator('input[data-test=step-days]').fill('35');
    await page.locator('textarea[data-test=step-text]').fill('{client}您好，{project}术后第五周了 🌸 恢复得怎么样？');
    await page.locator('[data-test=step-save]').dblclick();
    await page.locator('[data-plan=surgery] tr', { hasText: '30天随访' }).getByText('治疗后 35 天').waitFor();
    // One edit, one audit row, for the double click.
    const audits = await t.deps.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'care.template.update'");
    expect(Number(audits[0].n)).toBe(1);

    const after = await treated();
    expect(await daysToStep(after, 'followup_30d')).toBe(35);
    expect(await daysToStep(before, 'followup_30d')).toBe(30);
    expect(errors).toEqual([]);
  });

  it('drafts a new questionnaire version, sees each edit in the phone preview, saves, and publishes it; the published one is immutable', async () => {
    const { page, errors } = await pageAs(director);
    await page.goto(`${server.url}/console/settings/questionnaires`);
    await page.locator('[data-test=q-versions]').getByText('使用中').waitFor();
    await page.getByText('已发布的版本不能修改').waitFor();
    await page.locator('[data-test=q-new-draft]').dblclick();
    await page.locator('[data-test=q-versions]').getByText('草稿').waitFor();

    const title = '具体想改善哪里？（选填）✨ 比如：鼻梁偏低、单眼皮、法令纹、下颌线不清晰、苹果肌下垂、泪沟明显、皮肤暗沉松弛';
    await page.locator('textarea[data-test=q-title-area_detail]').fill(title);
    await page.locator('[data-test=preview] [data-qid=area_detail]').getByText(title).waitFor();
    // The preview taps as the phone does: a sixth area is one too many for max 5.
    for (const v of ['nose', 'eyes', 'face', 'skin', 'body']) await page.locator(`[data-test=preview] [data-qid=areas] [data-option=${v}]`).click();
    await page.locator('[data-test=preview]').getByText('可多选，最多 5 项').waitFor();
    await page.locator('[data-test=preview-next]').click();
    await page.locator('[data-test=preview] [data-test=preview-error]').first().getByText('请选择一项').waitFor();

    // A blank title is caught before sending; the API's own check is shown beside the field too.
    await page.locator('textarea[data-test=q-title-area_detail]').fill('');
    await page.locator('[data-test=q-save]').click();
    await page.locator('[data-question=area_detail] [data-test=q-problem]').getByText('请填写题目').waitFor();
    await page.locator('textarea[data-test=q-title-area_detail]').fill(title);
    await page.locator('[data-test=q-save]').dblclick();
    await page.getByText('草稿已保存').first().waitFor();

    const auth = bearer(await staffToken(t, director));
    const tpl = await t.http.get(`/api/staff/questionnaire-templates/${INTENT_TEMPLATE_ID}`).set(auth);
    const draft = tpl.body.versions.find((v: { status: string }) => v.status === 'draft');
    const saved = await t.http.get(`/api/staff/questionnaire-versions/${draft.id}`).set(auth);
    expect(saved.body.definition.sections[0].questions[1].title).toBe(title);

    await page.locator('[data-test=q-publish]').click();
    await page.getByRole('button', { name: '发布' }).last().click();
    await page.getByText('已发布的版本不能修改').waitFor();
    const published = await t.http.get(`/api/staff/questionnaire-versions/${draft.id}`).set(auth);
    expect(published.body).toMatchObject({ status: 'published', current: true });
    const change = await t.http.put(`/api/staff/questionnaire-versions/${draft.id}`).set(auth).send({ definition: saved.body.definition });
    expect(change.status).toBe(409);
    expect(change.body.error.code).toBe('QUESTIONNAIRE_VERSION_NOT_DRAFT');
    const mp = await t.http.get('/api/mp/questionnaires/intent').set(bearer(await clientToken(t, await createClient(t))));
    expect(JSON.stringify(mp.body)).toContain('具体想改善哪里');
    expect(errors).toEqual([]);
  });

  it('searches the operation log by client, date range and action, page by page (50 a page)', async () => {
    const c = await treated();
    const auth = bearer(await staffToken(t, director));
    for (let i = 0; i < 53; i++) expect((await t.http.get(`/api/staff/clients/${c.client.publicId}/followups`).set(auth)).status).toBe(200);
    const { page, errors } = await pageAs(director);
    const actionsShown = () => page.locator('[data-test=audit-table] [data-action]').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
    const rowsShown = (n: number) => page.waitForFunction((count) => document.querySelectorAll('[data-test=audit-table] [data-action]').length === count, n);
    await page.goto(`${server.url}/console/settings/audit`);
    await page.locator('[data-test=audit-table] .el-table__row').first().waitFor();
    await page.locator('input[data-test=audit-client]').fill(c.client.publicId);
    const today = new Date(t.clock.now().getTime() + 8 * HOUR).toISOString().slice(0, 10);
    await page.getByPlaceholder('开始').fill(today);
    await page.getByPlaceholder('结束').fill(today);
    await page.keyboard.press('Enter');
    await page.locator('[data-test=audit-search]').click();
    // This client's rows only (newest first: the director's 53 reads fill the first page)…
    await page.waitForFunction(() => {
      const shown = [...document.querySelectorAll('[data-test=audit-table] [data-action]')].map((e) => e.getAttribute('data-action'));
      return shown.length === 50 && shown.every((x) => x === 'care.followups.view');
    });
    // …and on the second, the oldest: the order and the treatment it started.
    await page.locator('[data-test=audit-next]').click();
    await page.locator('[data-test=audit-table] [data-action="order.record"]').waitFor();
    expect((await actionsShown()).sort()).toEqual(['care.followups.view', 'care.followups.view', 'care.followups.view', 'care.treatment.record', 'order.record']);

    await page.locator('.audit-action').click();
    await page.keyboard.type('随访安排');
    await page.locator('.el-select-dropdown__item:visible', { hasText: '查看随访安排' }).click();
    await page.locator('[data-test=audit-search]').click();
    await page.getByText('第 1 页').waitFor();
    await rowsShown(50);
    await page.locator('[data-test=audit-next]').click();
    await page.getByText('第 2 页').waitFor();
    await rowsShown(3);
    expect(new Set(await actionsShown())).toEqual(new Set(['care.followups.view']));
    expect(await page.locator('[data-test=audit-next]').isDisabled()).toBe(true);
    await page.locator('[data-test=audit-prev]').click();
    await page.getByText('第 1 页').waitFor();
    await rowsShown(50);

    await page.locator('input[data-test=audit-client]').fill('没有这个人');
    await page.locator('[data-test=audit-search]').click();
    await page.getByText('没有找到这位客户').waitFor();
    expect(errors).toEqual([]);
  });

  it('the only director cannot demote themself: the API refuses and the page says why; a new account gets the API’s password rule beside the field', async () => {
    const { page, errors } = await pageAs(director);
    await page.locator('[data-menu=settings]').click();
    const mine = page.locator('[data-test=staff-table] .el-table__row', { hasText: '陈院长' });
    await mine.locator('.el-select').click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '医师' }).click();
    await page.getByRole('button', { name: '确定' }).last().click();
    await page.locator('[data-test=staff-error]').getByText('这是最后一位在职院长').waitFor();
    const [row] = await t.deps.db.query('SELECT role FROM staff WHERE id = ?', [director.id]);
    expect(row.role).toBe('director');

    await page.locator('[data-test=staff-new]').click();
    const form = page.locator('[data-test=staff-form]');
    await form.getByLabel('用户名').fill(`nurse_${Date.now()}`);
    await form.getByLabel('姓名').fill('王护士长（术后护理组）🌷');
    await form.getByLabel('密码').fill('password123');
    await form.getByRole('button', { name: '确定' }).dblclick();
    await form.locator('.el-form-item__error').first().waitFor();
    await form.getByLabel('密码').fill('Zq7!mT2#vLp9xW');
    await form.getByRole('button', { name: '确定' }).dblclick();
    await page.locator('[data-test=staff-table]').getByText('王护士长（术后护理组）🌷').waitFor();
    const created = await t.deps.db.query("SELECT COUNT(*) AS n FROM staff WHERE display_name = '王护士长（术后护理组）🌷'");
    expect(Number(created[0].n)).toBe(1);
    expect(errors).toEqual([]);
  });

  it('sets a project’s repurchase offset and adds a reward item, with the form’s checks beside the fields', async () => {
    const { page, errors } = await pageAs(director);
    await page.goto(`${server.url}/console/settings/projects`);
    await page.locator('[data-test=projects-table] .el-table__row', { hasText: '玻尿酸' }).getByRole('button', { name: '修改' }).click();
    await page.locator('input[data-test=project-lead]').fill('400');
    await page.locator('[data-test=project-save]').click();
    await page.getByText('1–365 的整数天，或留空').waitFor();
    await page.locator('input[data-test=project-lead]').fill('14');
    await page.locator('[data-test=project-save]').dblclick();
    await page.locator('[data-test=projects-table] .el-table__row', { hasText: '玻尿酸' }).getByText('到期前 14 天').waitFor();
    expect(await t.deps.db.query("SELECT repurchase_lead_days FROM projects WHERE code = 'hyaluronic_filler'")).toEqual([{ repurchase_lead_days: 14 }]);

    await page.locator('[data-settings=rewards]').click();
    await page.locator('[data-test=reward-new]').click();
    const form = page.locator('[data-test=reward-form]');
    const title = '术后修护礼盒（含医用冷敷贴 ×10、修复精华 🌿）';
    await form.getByLabel('名称').fill(title);
    await form.getByLabel('所需积分').fill('0');
    await form.getByLabel('库存').fill('20');
    await form.getByRole('button', { name: '保存' }).click();
    await form.getByText('请填写正整数').waitFor();
    await form.getByLabel('所需积分').fill('800');
    await form.getByRole('button', { name: '保存' }).dblclick();
    await page.locator('[data-test=rewards-table]').getByText(title).waitFor();
    expect(await t.deps.db.query('SELECT points_price, stock FROM reward_items WHERE title = ?', [title])).toEqual([{ points_price: 800, stock: 20 }]);
    expect(errors).toEqual([]);
  });

  it('a consultant gets no settings menu and the API refuses; customer service sees only the follow-up plans', async () => {
    const { page } = await pageAs(consultant);
    await page.locator('[data-test=menu]').waitFor();
    expect(await page.locator('[data-menu=settings]').count()).toBe(0);
    await page.goto(`${server.url}/console/settings/audit`);
    await page.getByText('没有可用的设置页面').waitFor();
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('meiyan.console.session')!).token as string);
    expect((await t.http.get('/api/staff/audit').set(bearer(token))).status).toBe(403);
    expect((await t.http.get('/api/staff/staff').set(bearer(token))).status).toBe(403);

    const cs = (await pageAs(service)).page;
    await cs.locator('[data-menu=settings]').click();
    await cs.locator('[data-test=followup-steps]').first().waitFor();
    expect(await cs.locator('[data-settings]').evaluateAll((els) => els.map((e) => e.getAttribute('data-settings')))).toEqual(['followups']);
  });
});
