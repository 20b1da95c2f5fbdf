/**
 * The foundation end to end: App launch, home, the consent flow, profile (PATCH through the
 * method override), phone binding and the WeCom code on 我的 — the pages and their request wrapper
 * against the real API over HTTP (real MariaDB and Redis; the WeChat stand-in mints wx.login and
 * phone codes).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestContext, type TestContext } from '../../helpers/context';
import { fakeOpenid } from '../../helpers/login';
import { appDefinition, mpModule, renderPage } from '../helpers/render';
import { callsTo, flush, httpAdapter, installWx, type Adapter, type WxState } from '../helpers/wx';

let t: TestContext;
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  t = await createTestContext();
  server = http.createServer(t.handle.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mpModule<{ setBaseUrl(u: string): void }>('utils/request').setBaseUrl(baseUrl);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

/** The real API; every login comes from 127.0.0.1, so the address's login counter is cleared after each. */
function realApi(): Adapter {
  const real = httpAdapter(baseUrl);
  return {
    async handle(call) {
      const res = await real.handle(call);
      if (call.path === '/api/mp/auth/login') await Promise.all(['127.0.0.1', '::ffff:127.0.0.1', '::1'].map((ip) => t.services.mpAuth.resetLoginLimits(ip)));
      return res;
    },
  };
}

/** A new phone of one WeChat user: empty storage, wx.login answering stand-in codes. */
function newPhone(): { openid: string; wx: WxState } {
  const openid = fakeOpenid();
  const wx = installWx({ adapter: realApi() });
  wx.nextLoginCode = () => t.standIn.issueLoginCode({ openid });
  return { openid, wx };
}

async function clientRow(openid: string): Promise<{ id: number; referrer_id: number | null; source_channel: string | null; birth_date: string | null }> {
  const [row] = await t.deps.db.query("SELECT id, referrer_id, source_channel, DATE_FORMAT(birth_date, '%Y-%m-%d') AS birth_date FROM clients WHERE openid = ?", [openid]);
  return row;
}

it('opened from a share with an unknown referral code: registered without a referrer, told gently on home', async () => {
  const { openid, wx } = newPhone();
  const app = appDefinition();
  app.onLaunch.call(app, { path: 'pages/index/index', query: { ref: 'NOSUCH12', utm_source: 'moments' }, scene: 1007 });
  await flush();
  const home = await renderPage('pages/index/index', { keepWx: true });
  expect(home.texts('.referral-notice .grow')).toEqual(['邀请码无效，您已正常注册，不影响使用']);
  expect(wx.toasts.map((x) => x.title)).toContain('邀请码无效，您已正常注册，不影响使用');
  expect(home.texts('.next-title')).toEqual(['先花3分钟，告诉我们您的想法']);
  expect(home.texts('.stage-tag')).toEqual(['新朋友']);
  const row = await clientRow(openid);
  expect(row.referrer_id).toBeNull();
  // The code did not bind, so the channel is the utm source, not 'referral'.
  expect(row.source_channel).toBe('moments');
  const [touch] = await t.deps.db.query('SELECT utm_source, scene, referral_code FROM client_touches WHERE client_id = ? ORDER BY id LIMIT 1', [row.id]);
  expect(touch).toMatchObject({ utm_source: 'moments', scene: 1007, referral_code: 'NOSUCH12' });
  // One login only, though the home page's five calls started beside it.
  expect(callsTo('POST /api/mp/auth/login')).toHaveLength(1);
});

it('the consent flow records the birth date (PATCH via the override header) and both consents, then goes on', async () => {
  const { openid } = newPhone();
  const next = '/packageSurvey/questionnaire/index';
  const page = await renderPage('packageMe/privacy/index', { keepWx: true, query: { next: encodeURIComponent(next) } });
  await page.tap('.privacy-check');
  await page.tap('.health-check');
  await page.trigger('.birth-picker', 'change', { value: '1990-06-01' });
  await page.tap('.agree');
  await flush();
  expect(page.wx.navigations).toEqual([{ type: 'redirectTo', url: next }]);
  const row = await clientRow(openid);
  expect(row.birth_date).toBe('1990-06-01');
  const consents: { purpose: string; withdrawn_at: Date | null }[] = await t.deps.db.query('SELECT purpose, withdrawn_at FROM consents WHERE client_id = ? ORDER BY id', [row.id]);
  expect(consents).toEqual([{ purpose: 'privacy', withdrawn_at: null }, { purpose: 'health', withdrawn_at: null }]);

  // 我的 → 隐私与授权 shows them, and withdrawing the health consent is recorded.
  const list = await renderPage('packageMe/consents/index', { keepWx: true });
  expect(list.texts('.consent-status')).toEqual(['已授权', '已授权']);
  await list.tap('.consent-health .withdraw');
  const [health] = await t.deps.db.query("SELECT withdrawn_at FROM consents WHERE client_id = ? AND purpose = 'health'", [row.id]);
  expect(health.withdrawn_at).not.toBeNull();
  expect(list.texts('.consent-health .consent-status')).toEqual(['未授权']);
});

it('profile, phone and WeCom code on 我的 through the real API; an ended session logs in again silently', async () => {
  newPhone();
  const profile = await renderPage('packageMe/profile/index', { keepWx: true });
  await profile.input('.name-input', '林小美');
  await profile.tap('.save');
  expect(profile.wx.toasts.at(-1)).toEqual({ title: '已保存', icon: 'success' });

  const me = await renderPage('pages/me/index', { keepWx: true });
  expect(me.texts('.profile-name')).toEqual(['林小美']);
  expect(me.texts('.binding-code')[0]).toMatch(/^\S{4,}$/);
  await me.trigger('.phone-button', 'getphonenumber', { code: t.standIn.issuePhoneCode('13812345678') });
  expect(me.text()).toContain('138****5678');

  // The session ends on the server (e.g. expired): the next call logs in again and goes through.
  const token = (me.wx.storage.get('session.token') as { token: string }).token;
  const ended = await new Promise<number>((resolve) => {
    const req = http.request(`${baseUrl}/api/mp/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.end();
  });
  expect(ended).toBe(204);
  const logins = callsTo('POST /api/mp/auth/login').length;
  await me.call('onShow');
  expect(me.texts('.profile-name')).toEqual(['林小美']);
  expect(me.has('.error-message')).toBe(false);
  expect(callsTo('POST /api/mp/auth/login')).toHaveLength(logins + 1);
});
