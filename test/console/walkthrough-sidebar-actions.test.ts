import type { Browser, Page } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';
import type { Client } from '../../src/modules/clients';

jest.setTimeout(180_000);

describe("console walkthrough: the WeCom sidebar's quick actions (a task for the client, the questionnaire sent once)", () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let consultant: Staff;
  let other: Staff;
  let client: Client;

  beforeAll(async () => {
    t = await createTestContext({ env: BROWSER_ENV });
    [consultant, other] = await Promise.all([createStaff(t, 'consultant', { displayName: '林咨询' }), createStaff(t, 'consultant', { displayName: '周咨询' })]);
    client = await createClient(t, { consultantId: consultant.id });
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  async function openSidebar(staff: Staff): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, staff, `/console/sidebar/?client=${client.publicId}`);
    await page.waitForURL(/\/console\/sidebar\//);
    return { page, errors };
  }

  it('creates a task (validated first) that the worklist lists, and sends the questionnaire once for a double click', async () => {
    const { page, errors } = await openSidebar(consultant);
    await page.locator('[data-test=sidebar-who]').waitFor();
    await page.getByText('快捷操作（待办 · 发送）').click();
    const actions = page.locator('[data-test=sidebar-actions]');

    // An empty title is refused before anything is sent.
    const posts: string[] = [];
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/tasks')) posts.push(r.url()); });
    await actions.locator('[data-test=task-create]').click();
    await actions.getByText('请填写待办内容').waitFor();
    expect(posts).toHaveLength(0);

    await actions.locator('[data-test=task-title]').fill('术后第三天回访 🌸');
    await actions.locator('[data-test=task-create]').dblclick();
    await actions.locator('[data-test=action-result]').getByText('待办已创建').waitFor();
    const token = await staffToken(t, consultant);
    const tasks = await t.http.get('/api/staff/tasks').set(bearer(token)).query({ pageSize: 100 });
    expect(tasks.body.items.filter((i: { title: string; clientId: string }) => i.title === '术后第三天回访 🌸' && i.clientId === client.publicId)).toHaveLength(1);

    await actions.locator('[data-test=send-questionnaire]').dblclick();
    await actions.locator('[data-test=action-result]').getByText('意向问卷已发送').waitFor();
    const rows: { dedupe_key: string }[] = await t.deps.db.query("SELECT dedupe_key FROM outbox_messages WHERE client_id = ? AND kind = 'client_message'", [client.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].dedupe_key).toContain(':questionnaire:');

    // Tapped again later the same day: said plainly, not sent again.
    await actions.locator('[data-test=send-questionnaire]').click();
    await actions.locator('[data-test=action-result]').getByText('今天已发送过意向问卷').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(errors).toEqual([]);
  });

  it("shows another consultant that the client is not theirs, and sends nothing", async () => {
    const { page } = await openSidebar(other);
    // The archive itself is refused: the sidebar says so instead of offering actions.
    await page.getByText('未找到，或您无权查看').waitFor();
    expect(await page.locator('[data-test=sidebar-actions]').count()).toBe(0);
    const token = await staffToken(t, other);
    const direct = await t.http.post(`/api/staff/clients/${client.publicId}/send`).set(bearer(token)).send({ what: 'binding_code' });
    expect(direct.status).toBe(404);
  });
});
