import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { createStaff } from '../helpers/factories';
import { BROWSER_ENV, loginThroughPage, watchErrors, openConsole, closeConsole } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

describe('console walkthrough: the director imports clients (dry run with errors, fix, real run)', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let director: Staff;
  const source = `walk${Date.now().toString(36)}`;
  const phones = [1, 2].map((i) => `136${String(Date.now() % 1e7).padStart(7, '0')}${i}`);

  beforeAll(async () => {
    t = await createTestContext({ env: BROWSER_ENV });
    director = await createStaff(t, 'director', { displayName: '陈院长' });
    ({ server, browser } = await openConsole(t));
  });
  afterAll(async () => {
    await closeConsole({ browser, server, t });
  });

  it('uploads, sees each bad row in the dry run, fixes the file, runs it and sees the rows done', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await loginThroughPage(page, server.url, director, '/console/imports');
    await page.locator('[data-menu=imports]').waitFor();

    const dir = await fs.mkdtemp(join(tmpdir(), 'walk-import-'));
    const bad = join(dir, '客户.csv');
    const good = join(dir, '客户-已修正.csv');
    await fs.writeFile(bad, `\uFEFF客户编号,姓名,手机号,出生日期\r\nW1,林小美,${phones[0]},1990/2/28\r\nW2,周小丽,12345,2024年2月30日\r\n`);
    await fs.writeFile(good, `\uFEFF客户编号,姓名,手机号,出生日期\r\nW1,林小美,${phones[0]},1990/2/28\r\nW2,周小丽,${phones[1]},2024年2月29日\r\n`);

    await page.locator('input[data-test=import-source]').fill(source);
    await page.locator('input[data-test=import-file]').setInputFiles(bad);
    await page.locator('[data-test=import-mapping]').waitFor();
    await page.locator('[data-test=import-check]').click();
    const problems = page.locator('[data-test=import-problems]');
    await problems.getByText('12345 is not a phone number').waitFor();
    await problems.getByText('2024年2月30日 is not a calendar day').waitFor();
    const [{ n: none }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM import_links WHERE source_system = ?', [source]);
    expect(Number(none)).toBe(0);

    await page.locator('input[data-test=import-file]').setInputFiles(good);
    await page.locator('[data-test=import-check]').click();
    await page.locator('[data-test=import-counts]').getByText('试运行结果（未写入）').waitFor();
    await page.locator('[data-test=import-run]').dblclick();
    await page.locator('[data-test=import-counts]').getByText('导入结果').waitFor();
    await page.getByText('2 / 2 行').waitFor();
    const counts = await page.locator('[data-test=import-counts]').innerText();
    expect(counts).toContain('新建');
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM import_links WHERE source_system = ? AND kind = 'clients'", [source]);
    expect(Number(n)).toBe(2);
    expect(errors).toEqual([]);
    await context.close();
  });
});
