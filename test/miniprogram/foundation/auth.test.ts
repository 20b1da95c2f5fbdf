/** Login on launch (utils/auth.ts, app.ts): the launch query and scene go with the first login. */
import { mpModule, appDefinition } from '../helpers/render';
import { installWx, mockApi, callsTo, flush, type WxState } from '../helpers/wx';

interface AuthModule {
  launchInfoFrom(o: { query?: Record<string, string>; scene?: number }): Record<string, unknown> | undefined;
  ensureLogin(o?: { query?: Record<string, string>; scene?: number }): Promise<void>;
  logout(): Promise<void>;
  takeReferralNotice(): string | undefined;
  parseScene(s: string): Record<string, string>;
}

const auth = mpModule<AuthModule>('utils/auth');
mpModule<{ setBaseUrl(u: string): void }>('utils/request').setBaseUrl('http://api.test');

const loginOk = (extra: object = {}) => ({ status: 200, body: { token: 'tok', expiresIn: 7200, client: { id: 'c1', isNew: true }, ...extra } });
let wx: WxState;

describe('launch query', () => {
  beforeEach(() => {
    wx = installWx();
  });

  it('reads the referral code from a share link, upper-cased, with utm fields and the scene', () => {
    expect(auth.launchInfoFrom({ query: { ref: 'mei8k2q', utm_source: 'moments', utm_medium: 'share', utm_campaign: 'spring' }, scene: 1007 })).toEqual({
      referralCode: 'MEI8K2Q', utmSource: 'moments', utmMedium: 'share', utmCampaign: 'spring', scene: 1007,
    });
  });

  it('reads the referral code from a scanned mini-program code scene (URL-encoded ref=CODE)', () => {
    expect(auth.parseScene('ref%3DAB12CD')).toEqual({ ref: 'AB12CD' });
    expect(auth.launchInfoFrom({ query: { scene: 'ref%3DAB12CD' }, scene: 1047 })).toEqual({ referralCode: 'AB12CD', scene: 1047 });
  });

  it('drops a referral code that cannot be valid (the API would refuse the login) and tells the client', () => {
    expect(auth.launchInfoFrom({ query: { ref: 'bad code!' }, scene: 1007 })).toEqual({ scene: 1007 });
    expect(auth.takeReferralNotice()).toBe('邀请码无效，您已正常注册，不影响使用');
    expect(auth.takeReferralNotice()).toBeUndefined();
  });

  it('answers undefined for a launch that carries nothing', () => {
    expect(auth.launchInfoFrom({ query: {} })).toBeUndefined();
  });
});

describe('ensureLogin', () => {
  it('sends the launch query with the first login only', async () => {
    wx = installWx({ adapter: mockApi({ 'POST /api/mp/auth/login': loginOk() }) });
    await auth.ensureLogin({ query: { utm_source: 'xhs' }, scene: 1001 });
    expect(callsTo('POST /api/mp/auth/login')[0].body).toEqual({ code: 'code-1', launch: { utmSource: 'xhs', scene: 1001 } });
    // Logged in now: a plain launch does not log in again, and the launch was sent once.
    await auth.ensureLogin({ query: {}, scene: 1001 });
    expect(callsTo('POST /api/mp/auth/login')).toHaveLength(1);
    expect(wx.storage.has('session.launch')).toBe(false);
  });

  it('logs in again when a logged-in client opens a share link, so the touch is recorded', async () => {
    wx = installWx({
      storage: { 'session.token': { token: 'old', expiresAt: Date.now() + 3600_000 } },
      adapter: mockApi({ 'POST /api/mp/auth/login': loginOk({ referral: { bound: false, reason: 'REFERRAL_NOT_NEW_CLIENT' } }) }),
    });
    await auth.ensureLogin({ query: { ref: 'ZX81QP' }, scene: 1007 });
    expect(callsTo('POST /api/mp/auth/login')[0].body).toEqual({ code: 'code-1', launch: { referralCode: 'ZX81QP', scene: 1007 } });
    expect(auth.takeReferralNotice()).toBe('您已经是我们的老朋友啦，邀请仅对新朋友有效');
  });

  it('keeps the launch query for the next try when the login fails on the network', async () => {
    wx = installWx({ adapter: mockApi({ 'POST /api/mp/auth/login': [{ network: 'fail' }, loginOk()] }) });
    await expect(auth.ensureLogin({ query: { ref: 'AB12CD' } })).rejects.toMatchObject({ code: 'NETWORK' });
    await auth.ensureLogin();
    expect(callsTo('POST /api/mp/auth/login')[1].body).toEqual({ code: 'code-2', launch: { referralCode: 'AB12CD' } });
  });

  it('App.onLaunch logs in with the launch query (share page opened with a code)', async () => {
    wx = installWx({ adapter: mockApi({ 'POST /api/mp/auth/login': loginOk({ referral: { bound: true } }) }) });
    const app = appDefinition();
    app.onLaunch.call(app, { path: 'pages/index/index', query: { ref: 'AB12CD' }, scene: 1007 });
    app.onShow.call(app, { path: 'pages/index/index', query: { ref: 'AB12CD' }, scene: 1007 });
    await flush();
    expect(callsTo('POST /api/mp/auth/login')).toHaveLength(1);
    expect(callsTo('POST /api/mp/auth/login')[0].body).toMatchObject({ launch: { referralCode: 'AB12CD', scene: 1007 } });
    expect(auth.takeReferralNotice()).toBeUndefined();
  });

  it('logout ends the session on the API and forgets the token', async () => {
    wx = installWx({ storage: { 'session.token': { token: 'tok', expiresAt: Date.now() + 3600_000 } }, adapter: mockApi({ 'POST /api/mp/auth/logout': { status: 204 } }) });
    await auth.logout();
    expect(callsTo('POST /api/mp/auth/logout')[0].headers.Authorization).toBe('Bearer tok');
    expect(wx.storage.has('session.token')).toBe(false);
  });
});
