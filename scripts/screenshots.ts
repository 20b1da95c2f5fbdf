/**
 * `npm run screenshots`: renders every page below through miniprogram-simulate with demo API
 * data and writes screenshots/<name>.html (the page's DOM with app.wxss and the page's and its
 * components' wxss, rpx → px at 375 wide, inside a WeChat-like navigation bar and tab bar), and,
 * where /usr/bin/chromium exists, screenshots/<name>.png at 375×812.
 *
 * Each area adds its pages to SHOTS (one entry each); BASE_API answers what most pages share.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { renderPage, enableScreenshotMode, loggedIn, MP_ROOT, type Rendered } from '../test/miniprogram/helpers/render';
import type { ApiScript } from '../test/miniprogram/helpers/wx';
import { SURVEY_SHOTS } from '../test/miniprogram/survey/demo';
import { LOYALTY_SHOTS } from '../test/miniprogram/loyalty/demo';

const OUT = path.resolve(__dirname, '..', 'screenshots');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

interface Shot {
  /** File name (screenshots/<name>.html/.png). */
  name: string;
  /** Page path under miniprogram/. */
  page: string;
  /** API answers for this page, over BASE_API. */
  api?: ApiScript;
  /** onLoad query. */
  query?: Record<string, string>;
  /** Drive the page into the state worth showing (taps, inputs). */
  after?: (page: Rendered) => Promise<void>;
}

// ---------------------------------------------------------------- demo data
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const now = Date.now();
/** Tomorrow 14:30 Asia/Shanghai, as an ISO instant. */
const tomorrowAt = (() => {
  const d = new Date(now + 8 * HOUR + DAY);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 14, 30) - 8 * HOUR).toISOString();
})();
const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();

export const DEMO = {
  profile: {
    id: 'c7Hk2mPq9RtVwXyZaBcDeF',
    name: '林小美',
    gender: 'female',
    birthDate: '1994-05-20',
    phone: '138****5678',
    address: '上海市徐汇区衡山路 88 号',
    referralCode: 'MEI8K2Q',
    stage: 'plan_proposed',
    consents: {
      privacy: { policyVersion: '2026-01', current: true },
      health: { policyVersion: '2026-01', current: true },
      guardian: null,
    },
  },
  plans: {
    items: [
      {
        id: 'p1Hk2mPq9RtVwXyZaBcDeF', status: 'proposed', currentRevision: 2, acceptedRevision: null, priceMinFen: 680000, priceMaxFen: 1280000,
        proposedAt: iso(-2 * HOUR), acceptedAt: null, updatedAt: iso(-2 * HOUR), doctor: { name: '陈静' },
      },
    ],
  },
  appointments: {
    items: [
      {
        id: 'a1Hk2mPq9RtVwXyZaBcDeF', kind: 'consultation', status: 'confirmed', at: tomorrowAt, durationMinutes: 30, note: null, letterId: null,
        confirmedAt: iso(-HOUR), cancelledAt: null, createdAt: iso(-DAY), updatedAt: iso(-HOUR),
      },
    ],
    page: 1,
    hasMore: false,
  },
  surveys: { items: [] as unknown[] },
  latestIntent: {
    id: 's1Hk2mPq9RtVwXyZaBcDeF', versionId: 'v1Hk2mPq9RtVwXyZaBcDeF', submittedAt: iso(-3 * DAY), pointsEarned: 200,
    summary: { areas: [{ value: 'eyes', label: '眼部' }], budgetMinFen: 500000, budgetMaxFen: 1500000, message: '感谢您的信任，医生已收到您的问卷' },
  },
  consents: [
    { id: 'k1Hk2mPq9RtVwXyZaBcDeF', purpose: 'health', policyVersion: '2026-01', current: true, guardianName: null, guardianRelation: null, grantedAt: iso(-3 * DAY), withdrawnAt: null },
    { id: 'k2Hk2mPq9RtVwXyZaBcDeF', purpose: 'privacy', policyVersion: '2026-01', current: true, guardianName: null, guardianRelation: null, grantedAt: iso(-3 * DAY), withdrawnAt: null },
    { id: 'k3Hk2mPq9RtVwXyZaBcDeF', purpose: 'privacy', policyVersion: '2025-06', current: false, guardianName: null, guardianRelation: null, grantedAt: iso(-200 * DAY), withdrawnAt: iso(-3 * DAY) },
  ],
  binding: { code: '482915', expiresAt: iso(6 * HOUR), bound: false, instructions: '在企业微信对话中发送「绑定 482915」即可完成绑定' },
  export: {
    generatedAt: iso(0),
    profile: { id: 'c7Hk2mPq9RtVwXyZaBcDeF', name: '林小美' },
    touches: [{}, {}],
    consents: [{}, {}, {}],
    medical: { allergies: [], medications: [], pastProcedures: [], conditions: [] },
    questionnaires: [{}],
    plans: [{}],
    intentLetters: [],
    appointments: [{}],
    satisfactionSurveys: [],
    complaints: [],
    wecom: { linked: false, messages: [] },
    auditLog: [{}, {}, {}, {}],
  },
};

/** What most pages need: the profile and the lists the home page composes. */
export const BASE_API: ApiScript = {
  'GET /api/mp/me': { status: 200, body: DEMO.profile },
  'GET /api/mp/plans': { status: 200, body: DEMO.plans },
  'GET /api/mp/appointments': { status: 200, body: DEMO.appointments },
  'GET /api/mp/surveys': { status: 200, body: DEMO.surveys },
  'GET /api/mp/questionnaires/intent/submissions/latest': { status: 200, body: DEMO.latestIntent },
  'GET /api/mp/wecom/binding-code': { status: 200, body: DEMO.binding },
  'GET /api/mp/me/consents': { status: 200, body: DEMO.consents },
};

// ---------------------------------------------------------------- the pages
const SHOTS: Shot[] = [
  // foundation
  { name: 'home', page: 'pages/index/index' },
  {
    name: 'home-new-client',
    page: 'pages/index/index',
    api: {
      'GET /api/mp/me': { status: 200, body: { ...DEMO.profile, name: null, stage: 'lead', phone: null } },
      'GET /api/mp/plans': { status: 200, body: { items: [] } },
      'GET /api/mp/appointments': { status: 200, body: { items: [], page: 1, hasMore: false } },
      'GET /api/mp/questionnaires/intent/submissions/latest': { status: 404, body: { error: { code: 'NOT_FOUND', message: 'none' } } },
    },
    after: async (page) => {
      page.instance.setData({ referralNotice: '邀请码无效，您已正常注册，不影响使用' });
    },
  },
  { name: 'me', page: 'pages/me/index' },
  { name: 'me-no-phone', page: 'pages/me/index', api: { 'GET /api/mp/me': { status: 200, body: { ...DEMO.profile, phone: null } } } },
  {
    name: 'privacy',
    page: 'packageMe/privacy/index',
    query: { next: '/packageSurvey/questionnaire/index' },
    api: { 'GET /api/mp/me': { status: 200, body: { ...DEMO.profile, birthDate: null, consents: { privacy: null, health: null, guardian: null } } } },
    after: async (page) => page.tap('.privacy-check'),
  },
  {
    name: 'guardian',
    page: 'packageMe/guardian/index',
    after: async (page) => {
      await page.input('.guardian-name', '林美华');
      await page.trigger('.relation-picker', 'change', { value: 0 });
    },
  },
  { name: 'consents', page: 'packageMe/consents/index' },
  { name: 'profile', page: 'packageMe/profile/index' },
  {
    name: 'export',
    page: 'packageMe/export/index',
    api: {
      'POST /api/mp/me/exports': { status: 201, body: { id: 'e1Hk2mPq9RtVwXyZaBcDeF', expiresAt: iso(DAY) } },
      'GET /api/mp/me/exports/:id': { status: 200, body: DEMO.export },
    },
    after: async (page) => page.tap('.create-export'),
  },
  { name: 'binding', page: 'packageMe/binding/index' },
  // consultation (packageSurvey) and loyalty (packageLoyalty, pages/points) add their pages here.
  ...SURVEY_SHOTS,
  ...LOYALTY_SHOTS,
];

// ---------------------------------------------------------------- HTML
const TAB_PAGES = ['pages/index/index', 'pages/points/index', 'pages/me/index'];

/** What WeChat's built-in components look like by default (the parts our pages rely on). */
const BASE_CSS = `
html, body { margin: 0; padding: 0; }
body { width: 375px; min-height: 812px; background: #faf7f5; -webkit-font-smoothing: antialiased; }
wx-view, wx-scroll-view, wx-swiper, wx-swiper-item, wx-picker, wx-navigator, wx-form, wx-label, wx-movable-area, wx-cover-view, wx-rich-text, wx-radio-group, wx-checkbox-group, wx-picker-view { display: block; }
wx-text { display: inline; white-space: pre-wrap; }
wx-icon, wx-switch, wx-checkbox, wx-radio { display: inline-block; }
wx-image { display: inline-block; overflow: hidden; width: 320px; height: 240px; }
wx-canvas { display: block; width: 300px; height: 150px; }
wx-input { display: block; height: 1.4em; line-height: 1.4em; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
wx-textarea { display: block; width: 300px; height: auto; min-height: 1.4em; }
wx-swiper { height: 150px; overflow: hidden; }
wx-button { display: block; position: relative; margin: 0 auto; padding: 0 14px; box-sizing: border-box; font-size: 18px; text-align: center;
  line-height: 2.55555556; border-radius: 5px; overflow: hidden; color: #000; background-color: #f8f8f8; width: 184px; font-weight: 700; }
.wx-frame-status { height: 44px; display: flex; align-items: center; justify-content: space-between; padding: 0 22px 0 28px; font: 600 15px -apple-system, 'PingFang SC', 'Noto Sans CJK SC', sans-serif; color: #111; background: #faf7f5; }
.wx-frame-battery { width: 24px; height: 11px; border: 1.5px solid #111; border-radius: 3px; position: relative; box-sizing: border-box; }
.wx-frame-battery::after { content: ''; position: absolute; left: 1.5px; top: 1.5px; bottom: 1.5px; width: 70%; background: #111; border-radius: 1px; }
.wx-frame-nav { height: 44px; display: flex; align-items: center; justify-content: center; position: relative; background: #faf7f5;
  font: 600 17px -apple-system, 'PingFang SC', 'Noto Sans CJK SC', sans-serif; color: #111; }
.wx-frame-back { position: absolute; left: 16px; top: 15px; width: 11px; height: 11px; border-left: 2px solid #111; border-bottom: 2px solid #111; transform: rotate(45deg); }
.wx-frame-capsule { position: absolute; right: 7px; top: 6px; width: 87px; height: 32px; border-radius: 16px; border: 0.5px solid rgba(0,0,0,0.12); background: rgba(255,255,255,0.7); box-sizing: border-box; display: flex; align-items: center; }
.wx-frame-capsule i { flex: 1; display: flex; justify-content: center; align-items: center; gap: 3px; }
.wx-frame-capsule i + i { border-left: 0.5px solid rgba(0,0,0,0.12); height: 18px; }
.wx-frame-dot { width: 4px; height: 4px; border-radius: 50%; background: #111; display: inline-block; }
.wx-frame-ring { width: 14px; height: 14px; border-radius: 50%; border: 2px solid #111; box-sizing: border-box; display: inline-block; position: relative; }
.wx-frame-ring::after { content: ''; position: absolute; left: 3px; top: 3px; width: 4px; height: 4px; border-radius: 50%; background: #111; }
.wx-frame-tabbar { position: fixed; left: 0; right: 0; bottom: 0; height: 56px; padding-bottom: 20px; background: #fff; display: flex; border-top: 0.5px solid rgba(0,0,0,0.06); z-index: 100; }
.wx-frame-tab { flex: 1; display: flex; flex-direction: column; align-items: center; justify-content: center; font: 10px -apple-system, 'PingFang SC', 'Noto Sans CJK SC', sans-serif; color: #8a8a8a; }
.wx-frame-tab img { width: 26px; height: 26px; margin-bottom: 2px; }
.wx-frame-tab-on { color: #d46a7e; }
.wx-frame-tab-space { height: 76px; }
`;

function readJson(file: string): Record<string, unknown> {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
}

/** tag name → component path (without extension), through the page's usingComponents, nested. */
function componentsOf(componentPath: string, out = new Map<string, string>()): Map<string, string> {
  const json = readJson(`${componentPath}.json`) as { usingComponents?: Record<string, string> };
  for (const [tag, ref] of Object.entries(json.usingComponents ?? {})) {
    const full = ref.startsWith('/') ? path.join(MP_ROOT, ref) : path.join(path.dirname(componentPath), ref);
    if (out.has(tag) || !fs.existsSync(`${full}.json`)) continue;
    out.set(tag, full);
    componentsOf(full, out);
  }
  return out;
}

/** WeChat's 750rpx = screen width; at 375px wide, 1rpx = 0.5px. */
function rpxToPx(css: string): string {
  return css.replace(/(-?\d*\.?\d+)rpx/g, (_, n: string) => `${+(Number(n) / 2).toFixed(2)}px`);
}

function readWxss(file: string): string {
  if (!fs.existsSync(file)) return '';
  // @import of other wxss, resolved relative to the file.
  return fs.readFileSync(file, 'utf8').replace(/@import\s+["']([^"']+)["'];?/g, (_, rel: string) => readWxss(path.resolve(path.dirname(file), rel)));
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const wxss = require('miniprogram-simulate/src/wxss') as { compile(css: string, opts: { prefix: string }): string };

/** Scoped CSS like simulate's (classes become <prefix>--<class>); app.wxss applies to the page and to every component (addGlobalClass). */
function cssFor(pagePath: string): string {
  const app = rpxToPx(readWxss(path.join(MP_ROOT, 'app.wxss')));
  const parts = [wxss.compile(app, { prefix: 'main' }), wxss.compile(rpxToPx(readWxss(`${pagePath}.wxss`)), { prefix: 'main' })];
  for (const [tag, comp] of componentsOf(pagePath)) {
    parts.push(wxss.compile(app, { prefix: tag }), wxss.compile(rpxToPx(readWxss(`${comp}.wxss`)), { prefix: tag }));
  }
  // `page` is the root element in WeChat: here, the page's wrapper.
  return parts.join('\n').replace(/(^|[},\s])page(?=\s*[{,])/g, '$1.mp-page');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

function tabBar(pagePath: string): string {
  const app = readJson(path.join(MP_ROOT, 'app.json')) as { tabBar?: { list: { pagePath: string; text: string; iconPath?: string; selectedIconPath?: string }[] } };
  const tabs = (app.tabBar?.list ?? [])
    .map((t) => {
      const on = t.pagePath === pagePath;
      const icon = on ? t.selectedIconPath : t.iconPath;
      const img = icon && fs.existsSync(path.join(MP_ROOT, icon)) ? `<img src="data:image/png;base64,${fs.readFileSync(path.join(MP_ROOT, icon)).toString('base64')}">` : '';
      return `<div class="wx-frame-tab${on ? ' wx-frame-tab-on' : ''}">${img}${escapeHtml(t.text)}</div>`;
    })
    .join('');
  return `<div class="wx-frame-tab-space"></div><div class="wx-frame-tabbar">${tabs}</div>`;
}

function htmlFor(shot: Shot, dom: string): string {
  const full = path.join(MP_ROOT, shot.page);
  const appJson = readJson(path.join(MP_ROOT, 'app.json')) as { window?: { navigationBarTitleText?: string } };
  const title = (readJson(`${full}.json`).navigationBarTitleText as string | undefined) ?? appJson.window?.navigationBarTitleText ?? '';
  const isTab = TAB_PAGES.includes(shot.page);
  // Class tokens back to what the browser should match: simulate prefixes them the same way as cssFor.
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=375">
<title>${escapeHtml(title)} · ${escapeHtml(shot.name)}</title>
<style>${BASE_CSS}</style>
<style>${cssFor(full)}</style>
</head><body>
<div class="wx-frame-status"><span>9:41</span><span class="wx-frame-battery"></span></div>
<div class="wx-frame-nav">${isTab ? '' : '<span class="wx-frame-back"></span>'}${escapeHtml(title)}<span class="wx-frame-capsule"><i><b class="wx-frame-dot"></b><b class="wx-frame-dot"></b><b class="wx-frame-dot"></b></i><i><b class="wx-frame-ring"></b></i></span></div>
<div class="mp-page">${dom}</div>
${isTab ? tabBar(shot.page) : ''}
</body></html>
`;
}

async function main(): Promise<void> {
  enableScreenshotMode();
  fs.mkdirSync(OUT, { recursive: true });
  const only = process.argv.slice(2);
  let failed = 0;
  for (const shot of SHOTS) {
    if (only.length && !only.includes(shot.name)) continue;
    try {
      const page = await renderPage(shot.page, { storage: loggedIn(), api: { ...BASE_API, ...(shot.api ?? {}) }, query: shot.query });
      if (shot.after) await shot.after(page);
      await page.flush();
      const html = htmlFor(shot, page.comp.dom.outerHTML);
      page.unmount();
      const file = path.join(OUT, `${shot.name}.html`);
      fs.writeFileSync(file, html);
      let note = '';
      if (CHROMIUM) {
        const png = path.join(OUT, `${shot.name}.png`);
        execFileSync(CHROMIUM, ['--headless', '--disable-gpu', '--no-sandbox', '--hide-scrollbars', '--force-device-scale-factor=1', '--window-size=375,812', `--screenshot=${png}`, `file://${file}`], { stdio: 'ignore', timeout: 60_000 });
        note = ' + png';
      }
      process.stdout.write(`screenshots/${shot.name}.html${note}\n`);
    } catch (e) {
      failed += 1;
      process.stderr.write(`${shot.name} (${shot.page}) failed: ${(e as Error).stack ?? e}\n`);
    }
  }
  if (!CHROMIUM) process.stdout.write('chromium not found: HTML only (apt-get install -y chromium for PNGs)\n');
  process.exitCode = failed ? 1 : 0;
}

void main();
