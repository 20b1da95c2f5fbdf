import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestContext } from './context';
import { TEST_PASSWORD } from './factories';
import type { Staff } from '../../src/modules/staff';

/** Debian's Chromium (scripts/ensure-browser.sh installs it with a CJK font). */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p)) ?? '/usr/bin/chromium';

/** Flags that work in this container and in CI: no sandbox (root), no GPU, nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** Builds the console when its sources changed since the last build (a no-op otherwise). */
export function ensureConsoleBuilt(): void {
  execFileSync('bash', [path.resolve(__dirname, '..', '..', 'scripts', 'console-build.sh')], { stdio: 'inherit' });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** The test context's real app listening on an ephemeral port (the browser needs a real origin). */
export async function listen(t: TestContext): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(t.handle.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * What a console walkthrough stands on: the console built, the context's API on a real origin and
 * Chromium. Called after the walkthrough's own seeding, in its beforeAll.
 */
export async function openConsole(t: TestContext): Promise<{ server: { url: string; close(): Promise<void> }; browser: Browser }> {
  ensureConsoleBuilt();
  const server = await listen(t);
  return { server, browser: await launchBrowser() };
}

/** A walkthrough's afterAll: the browser, the server and the context, whichever of them were started. */
export async function closeConsole(rig: { browser?: Browser; server?: { close(): Promise<void> }; t?: TestContext }): Promise<void> {
  await rig.browser?.close();
  await rig.server?.close();
  await rig.t?.close();
}

/** Logs a staff member in through the console's login page, as a person would. */
export async function loginThroughPage(page: Page, base: string, staff: Staff, at = '/console/'): Promise<void> {
  // Eight test files share two cores in CI: give each step a minute rather than Playwright's 30 s.
  page.setDefaultTimeout(60_000);
  page.setDefaultNavigationTimeout(60_000);
  await page.goto(`${base}${at}`);
  await page.waitForURL(/\/console\/login/);
  await page.locator('input[name=username]').fill(staff.username);
  await page.locator('input[name=password]').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/console/login'));
}

/** A page whose browser errors (uncaught exceptions, CSP refusals) are collected, so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) errors.push(`csp: ${m.text()}`);
  });
  return errors;
}

/** Test env for browser walkthroughs: several logins from 127.0.0.1 in one file. */
export const BROWSER_ENV = { STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000' };

/** A fresh desk-sized browser context (zh-CN, Asia/Shanghai, downloads kept) signed in as `staff` at `at`, its errors collected. */
export async function pageAs(browser: Browser, base: string, staff: Staff, at: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1366, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await loginThroughPage(page, base, staff, at);
  return { page, errors };
}

/** The text of each cell of an el-table marked `data-test=<table>`, row by row. */
export function tableCells(page: Page, table: string): Promise<string[][]> {
  return page.locator(`[data-test=${table}] .el-table__body tr`).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
}
