import type { Browser } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken } from '../helpers/factories';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

describe('console walkthrough: a consultant writes a community post with the compliance check shown live; a director approves it, never their own', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let consultant: Staff, director: Staff;

  beforeAll(async () => {
    t = await createTestContext({ env: BROWSER_ENV });
    consultant = await createStaff(t, 'consultant', { displayName: '黄咨询' });
    director = await createStaff(t, 'director', { displayName: '郑院长' });
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  const title = `换季护肤小课堂 ${Date.now()}`;

  it('highlights banned words with their category as they are typed, refuses to submit them, then submits the fixed text for approval', async () => {
    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, consultant);
    await page.locator('[data-menu=community]').click();
    await page.locator('[data-test=post-submit]').click();
    await page.getByText('请填写标题').waitFor();
    await page.getByText('请至少填写一个群名').waitFor();

    await page.locator('input[data-test=post-title]').fill(title);
    await page.locator('textarea[data-test=post-text]').fill('保证效果，全网最低价 🌸 最近天气干燥，注意补水');
    await page.locator('[data-test=violation]').filter({ hasText: '承诺疗效：保证' }).waitFor();
    await page.locator('[data-test=violation]').filter({ hasText: '绝对化用语：最、全网' }).waitFor();
    const marks = await page.locator('[data-test=preview] mark').evaluateAll((els) => els.map((e) => `${e.textContent}:${e.getAttribute('data-category')}`));
    expect(marks).toEqual(expect.arrayContaining(['保证:guaranteed_effect', '全网:absolute_terms', '最:absolute_terms']));

    await page.locator('textarea[data-test=post-rooms]').fill('美颜会员群1，术后关怀群');
    await page.locator('[data-test=post-form]').getByText('每周', { exact: true }).click();
    await page.locator('[data-test=post-submit]').click();
    await page.locator('[data-test=post-message]').getByText('含有医疗广告禁用词').waitFor();

    await page.locator('textarea[data-test=post-text]').fill('换季时注意补水保湿，温和清洁。欢迎到院咨询 😊');
    await page.locator('[data-test=compliance-ok]').waitFor();
    await page.locator('[data-test=post-submit]').dblclick();
    const post = page.locator(`[data-post="${title}"]`).first();
    await post.locator('[data-test=post-status]').getByText('待审核').waitFor();
    // A consultant is not an approver: no buttons.
    expect(await post.locator('[data-test=post-approve]').count()).toBe(0);
    // One post: the refused submission's draft was corrected, not written again.
    const rows = await t.deps.db.query("SELECT status FROM community_posts WHERE title = ?", [title]);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['pending_approval']);
    expect(errors).toEqual([]);
  });

  it('a director approves a colleague\'s post and sees where it goes; on their own post the buttons are hidden and the API refuses', async () => {
    const auth = bearer(await staffToken(t, director));
    const own = await t.http.post('/api/staff/community/posts').set(auth)
      .send({ title: `院长寄语 ${Date.now()}`, text: '感谢大家的信任 🙏', audience: { roomTopics: ['美颜会员群1'] }, schedule: { kind: 'weekly', weekday: 5, time: '19:30' } });
    expect(own.status).toBe(201);
    expect((await t.http.post(`/api/staff/community/posts/${own.body.id}/submit`).set(auth)).status).toBe(200);

    const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, director, '/console/community');
    const mine = page.locator(`[data-post="${own.body.title}"]`);
    await mine.locator('[data-test=own-post]').waitFor();
    expect(await mine.locator('[data-test=post-approve]').count()).toBe(0);
    const refused = await t.http.post(`/api/staff/community/posts/${own.body.id}/approve`).set(auth);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('POST_SELF_APPROVAL');

    const theirs = page.locator(`[data-post="${title}"]`).filter({ has: page.locator('[data-test=post-approve]') });
    await theirs.locator('[data-test=post-approve]').dblclick();
    await page.locator(`[data-post="${title}"] [data-test=post-deliveries]`).first().click();
    await page.locator('[data-test=deliveries]').waitFor();
    const [row] = await t.deps.db.query("SELECT status FROM community_posts WHERE title = ? ", [title]);
    expect(['approved', 'scheduled']).toContain(row.status);
    expect(errors).toEqual([]);
  });
});
