/**
 * The staff console in pictures and figures, against the real API on a database of its own
 * (`meiyan_screenshots`, made fresh each run with the migrations and the demo seed):
 *
 * - `npm run screenshots` (after the mini-program's pages) writes screenshots/console-<page>.png of
 *   every console page at 1366×900 and of the WeCom sidebar at 390×844; `-- console-leads` picks.
 * - `npm run bench:console` prints `BENCH console_first_screen ms=` (navigation until the workbench
 *   shows its lists, API and browser warm, median of 5) and `BENCH console_bundle kb=` (the gzipped
 *   JavaScript that first screen loads).
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../src/config';
import { ensureDatabase } from '../src/shared/db';
import { createDataSource } from '../src/datasource';
import { createRedis } from '../src/shared/redis';
import { systemClock } from '../src/shared/clock';
import { createLogger } from '../src/shared/logger';
import { createServices, type Deps } from '../src/services';
import { createApp } from '../src/app';
import { seedDemo } from '../src/modules/demo';
import { startWeChatStandIn } from '../src/integrations/wechat/standin';
import { startWeComStandIn } from '../src/integrations/wecom/standin';
import { SYSTEM_ACTOR } from '../src/modules/audit';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'screenshots');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const DB_NAME = 'meiyan_screenshots';

interface Shot { name: string; path: string; role: 'director' | 'doctor' | 'consultant' | 'customer_service'; phone?: boolean; wait: string;
  /** Something to open before the picture (a folded panel): what to click, then what to wait for. */
  open?: { click: string; wait: string } }

async function main(): Promise<void> {
  const bench = process.argv.includes('--bench');
  const only = process.argv.slice(2).filter((a) => a.startsWith('console-'));
  if (!CHROMIUM) {
    process.stdout.write('chromium not found: no console screenshots (bash scripts/ensure-browser.sh)\n');
    return;
  }
  execFileSync('bash', [path.join(ROOT, 'scripts', 'console-build.sh')], { stdio: 'inherit' });
  process.env.DEMO_STAFF_PASSWORD ??= 'Screenshots-Demo-2026';
  const config = loadConfig({ ...process.env, NODE_ENV: 'development', DB_NAME, REDIS_KEY_PREFIX: `meiyan-shots:${Date.now()}:`, LOG_LEVEL: 'silent', DEMO_SEED: 'true', STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000' }, { dotenv: false });
  const standIn = await startWeChatStandIn({ port: 0, appId: config.wechat.appId, appSecret: config.wechat.appSecret });
  // The WeCom stand-in plays the corp (contact-me codes and their QR images for the 渠道活码 page).
  const wecomStandIn = await startWeComStandIn({
    port: 0, corpId: config.wecom.corpId, agentId: config.wecom.agentId, agentSecret: config.wecom.agentSecret, contactSecret: config.wecom.contactSecret,
  });
  await ensureDatabase(config.db);
  const db = createDataSource({ ...config.db });
  await db.initialize();
  await db.query(`DROP DATABASE \`${DB_NAME}\``);
  await db.query(`CREATE DATABASE \`${DB_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await db.query(`USE \`${DB_NAME}\``);
  await db.destroy();
  const ds = createDataSource(config.db);
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  const redis = createRedis(config.redis);
  const deps: Deps = { config: { ...config, wechat: { ...config.wechat, apiBaseUrl: standIn.url, standIn: true }, wecom: { ...config.wecom, apiBaseUrl: wecomStandIn.url } }, db: ds, redis, clock: systemClock, logger: createLogger('silent') };
  const services = createServices(deps);
  const demo = await seedDemo(deps, services);
  const { app } = createApp(deps, services);
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const password = (role: string) => demo.staff.find((s) => s.role === role)!.password;
  const username = (role: string) => demo.staff.find((s) => s.role === role)!.username;
  const consultant = (await ds.query("SELECT public_id FROM staff WHERE username = 'consultant'"))[0] as { public_id: string };
  await services.wecomOfficial.contactWays.create(SYSTEM_ACTOR, { label: '小红书三月投放', channel: 'xiaohongshu', campaign: '2027-03', staffIds: [consultant.public_id] });
  const [lead] = (await ds.query("SELECT c.public_id AS id FROM client_intents i JOIN clients c ON c.id = i.client_id ORDER BY i.lead_grade, i.intent_score DESC LIMIT 1")) as { id: string }[];

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const token = async (role: string) => {
      const res = await fetch(`${base}/api/staff/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: username(role), password: password(role) }) });
      return (await res.json()) as { token: string; staff: unknown };
    };
    // A demo note, so the client view and the sidebar show a contact log.
    if (lead) {
      const c = await token('consultant');
      await fetch(`${base}/api/staff/clients/${lead.id}/notes`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` }, body: JSON.stringify({ kind: 'call', text: '电话回访：关注鼻综合恢复期，周六下午到院面诊 🌸' }) });
    }
    // The demo doctor's week and a few bookings tomorrow, so the appointment calendar has something to show.
    {
      const d = await token('director');
      const auth = { 'content-type': 'application/json', authorization: `Bearer ${d.token}` };
      const doctor = ((await (await fetch(`${base}/api/staff/doctor-schedules`, { headers: auth })).json()) as { items: { doctor: { id: string } }[] }).items[0];
      const week = [1, 2, 3, 4, 5, 6, 7].flatMap((weekday) => [{ weekday, from: '09:00', until: '12:00' }, { weekday, from: '13:30', until: '18:00' }]);
      await fetch(`${base}/api/staff/doctor-schedules/${doctor.doctor.id}`, { method: 'PUT', headers: auth, body: JSON.stringify({ slotCapacity: 2, week }) });
      const tomorrow = new Date(Date.now() + 8 * 3600_000 + 86400_000).toISOString().slice(0, 10);
      const clients = (await ds.query("SELECT public_id FROM clients WHERE status = 'active' ORDER BY id LIMIT 3")) as { public_id: string }[];
      for (const [i, c] of clients.entries()) {
        const at = `${tomorrow}T${['10:00', '10:00', '14:30'][i]}:00+08:00`;
        await fetch(`${base}/api/staff/appointments`, { method: 'POST', headers: auth, body: JSON.stringify({ client: c.public_id, kind: ['consultation', 'review', 'procedure'][i], doctor: doctor.doctor.id, at }) });
      }
    }
    const signedIn = async (role: Shot['role'], phone = false): Promise<BrowserContext> => {
      const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: phone ? { width: 390, height: 844 } : { width: 1366, height: 900 }, deviceScaleFactor: 1 });
      const session = await token(role);
      await ctx.addInitScript((value) => localStorage.setItem('meiyan.console.session', value), JSON.stringify(session));
      return ctx;
    };

    if (bench) {
      await measure(signedIn, base);
      return;
    }
    fs.mkdirSync(OUT, { recursive: true });
    const shots: Shot[] = [
      { name: 'console-workbench', path: '/console/', role: 'consultant', wait: '[data-test=tasks]' },
      { name: 'console-leads', path: '/console/leads', role: 'director', wait: '[data-test=leads-table] .el-table__row' },
      { name: 'console-clients', path: '/console/clients', role: 'director', wait: '[data-test=clients-table] .el-table__row' },
      { name: 'console-client-new', path: '/console/clients/new', role: 'consultant', wait: '[data-test=new-client-form]' },
      { name: 'console-vouchers', path: '/console/vouchers', role: 'customer_service', wait: '[data-test=voucher-form]' },
      { name: 'console-settings-staff', path: '/console/settings/staff', role: 'director', wait: '[data-test=staff-table] .el-table__row' },
      { name: 'console-settings-followups', path: '/console/settings/followups', role: 'director', wait: '[data-test=followup-steps] .el-table__row' },
      { name: 'console-settings-projects', path: '/console/settings/projects', role: 'director', wait: '[data-test=projects-table] .el-table__row' },
      { name: 'console-settings-rewards', path: '/console/settings/rewards', role: 'director', wait: '[data-test=rewards-table]' },
      { name: 'console-settings-questionnaires', path: '/console/settings/questionnaires', role: 'director', wait: '[data-test=preview] [data-qid]' },
      { name: 'console-settings-audit', path: '/console/settings/audit', role: 'director', wait: '[data-test=audit-table] .el-table__row' },
      { name: 'console-appointments', path: '/console/appointments', role: 'customer_service', wait: '[data-test=appt-chip]' },
      { name: 'console-report-roi', path: '/console/reports/roi', role: 'director', wait: '[data-test=roi-trend-chart] canvas' },
      { name: 'console-orders', path: '/console/orders', role: 'consultant', wait: '[data-test=orders]' },
      { name: 'console-community', path: '/console/community', role: 'director', wait: '[data-test=composer]' },
      { name: 'console-account', path: '/console/account', role: 'consultant', wait: '[data-test=totp-card]' },
      { name: 'console-imports', path: '/console/imports', role: 'director', wait: '[data-test=import-file]' },
      { name: 'console-contact-ways', path: '/console/contact-ways', role: 'director', wait: '[data-test=way-table] .el-table__row' },
      { name: 'console-report-pipeline', path: '/console/reports/pipeline', role: 'director', wait: '[data-test=pipeline-chart] canvas' },
      { name: 'console-report-satisfaction', path: '/console/reports/satisfaction', role: 'director', wait: '[data-test=satisfaction-trend-chart] canvas' },
      { name: 'console-report-rfm', path: '/console/reports/rfm', role: 'director', wait: '[data-test=rfm-chart] canvas' },
      { name: 'console-report-appointments', path: '/console/reports/appointments', role: 'director', wait: '[data-test=appt-report-chart] canvas' },
      { name: 'console-report-consistency', path: '/console/reports/consistency', role: 'director', wait: '[data-test=consistency-chart] canvas' },
      ...(lead ? [
        { name: 'console-client-doctor', path: `/console/clients/${lead.id}`, role: 'doctor' as const, wait: '[data-test=questionnaire]' },
        { name: 'console-plan-new', path: `/console/clients/${lead.id}/plans/new`, role: 'doctor' as const, wait: '[data-test=plan-form]' },
        { name: 'console-client-service', path: `/console/clients/${lead.id}`, role: 'customer_service' as const, wait: '[data-test=notes-card] [data-test=note]' },
        { name: 'console-sidebar', path: `/console/sidebar/?client=${lead.id}`, role: 'consultant' as const, phone: true, wait: '[data-test=sidebar-who]' },
        // The quick actions panel opened (it starts folded).
        {
          name: 'console-sidebar-actions', path: `/console/sidebar/?client=${lead.id}`, role: 'consultant' as const, phone: true, wait: '[data-test=sidebar-who]',
          open: { click: 'text=快捷操作（待办 · 发送）', wait: '[data-test=send-binding-code]' },
        },
      ] : []),
    ];
    {
      const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 900 } });
      const page = await ctx.newPage();
      if (!only.length || only.includes('console-login')) {
        await page.goto(`${base}/console/login`);
        await page.locator('input[name=username]').waitFor();
        await shoot(page, 'console-login');
      }
      await ctx.close();
    }
    for (const shot of shots) {
      if (only.length && !only.includes(shot.name)) continue;
      const ctx = await signedIn(shot.role, shot.phone);
      const page = await ctx.newPage();
      const idle = quietNetwork(page);
      try {
        await page.goto(`${base}${shot.path}`);
        await page.locator(shot.wait).first().waitFor({ timeout: 30_000 });
        if (shot.open) {
          await page.locator(shot.open.click).first().click();
          await page.locator(shot.open.wait).first().waitFor({ state: 'visible', timeout: 10_000 });
        }
        await idle();
        // Phone pictures show the viewport: bring what was opened into it (after its panel's unfolding).
        if (shot.open) await page.locator(shot.open.wait).first().scrollIntoViewIfNeeded();
        await shoot(page, shot.name, !shot.phone);
      } catch (err) {
        process.exitCode = 1;
        process.stderr.write(`${shot.name} failed: ${(err as Error).message}\n`);
      } finally {
        await ctx.close();
      }
    }
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
    await standIn.close();
    await wecomStandIn.close();
    await redis.quit();
    await ds.destroy();
  }
}

async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  // Element Plus fades its loading masks out; a picture of a page half under one helps nobody.
  await page.waitForFunction(() => !document.querySelector('.el-loading-mask'), undefined, { timeout: 10_000 }).catch(() => undefined);
  await page.waitForTimeout(300);
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  process.stdout.write(`screenshots/${name}.png\n`);
}

/**
 * Waits until no request has been open for half a second, the workbench's event stream aside:
 * Playwright's 'networkidle' never comes while that stream is open.
 */
function quietNetwork(page: Page): () => Promise<void> {
  const open = new Set<unknown>();
  let since = Date.now();
  const done = (r: unknown) => { open.delete(r); since = Date.now(); };
  page.on('request', (r) => { if (!r.url().includes('/api/staff/me/stream')) open.add(r); });
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  return async () => {
    const deadline = Date.now() + 30_000;
    while (open.size || Date.now() - since < 500) {
      if (Date.now() > deadline) throw new Error('the page kept loading for 30 s');
      await page.waitForTimeout(100);
    }
  };
}

/** First screen with the API and the browser warm: the median of five fresh page loads (new tab, cached assets). */
async function measure(signedIn: (role: Shot['role']) => Promise<BrowserContext>, base: string): Promise<void> {
  const ctx = await signedIn('consultant');
  const scripts = new Map<string, number>();
  const warm = await ctx.newPage();
  const idle = quietNetwork(warm);
  warm.on('response', async (res) => {
    if (res.request().resourceType() !== 'script') return;
    const body = await res.body().catch(() => null);
    if (body) scripts.set(res.url(), zlib.gzipSync(body, { level: 9 }).length);
  });
  await warm.goto(`${base}/console/`);
  await warm.locator('[data-test=tasks]').waitFor();
  await idle();
  await warm.close();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const page = await ctx.newPage();
    const started = Date.now();
    await page.goto(`${base}/console/`);
    await page.locator('[data-test=tasks] .el-card__body').waitFor();
    await page.locator('[data-test=new-leads]').waitFor();
    times.push(Date.now() - started);
    await page.close();
  }
  times.sort((a, b) => a - b);
  const kb = [...scripts.values()].reduce((a, b) => a + b, 0) / 1024;
  process.stdout.write(`BENCH console_first_screen ms=${times[2]} goal_ms=1500\n`);
  process.stdout.write(`BENCH console_bundle kb=${kb.toFixed(1)} goal_kb=500\n`);
  await ctx.close();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
