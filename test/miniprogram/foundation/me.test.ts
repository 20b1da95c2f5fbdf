/** 我的: profile, phone binding, WeCom binding code, navigation to the privacy pages, account deletion. */
import { renderPage, loggedIn } from '../helpers/render';
import { callsTo, type ApiScript } from '../helpers/wx';

const profile = (over: object = {}) => ({
  id: 'c1', name: '林小美', gender: 'female', birthDate: '1994-05-20', phone: null, address: null, referralCode: 'MEI8K2Q', stage: 'consulting',
  consents: { privacy: { policyVersion: '2026-01', current: true }, health: { policyVersion: '2026-01', current: true }, guardian: null }, ...over,
});
const binding = { code: '482915', expiresAt: new Date(Date.now() + 6 * 3600_000).toISOString(), bound: false, instructions: '在企业微信对话中发送「绑定 482915」即可完成绑定' };

function api(over: ApiScript = {}): ApiScript {
  return {
    'GET /api/mp/me': { status: 200, body: profile() },
    'GET /api/mp/wecom/binding-code': { status: 200, body: binding },
    ...over,
  };
}

describe('me page', () => {
  it('shows the profile, the stage and the consent summary', async () => {
    const page = await renderPage('pages/me/index', { storage: loggedIn(), api: api({ 'GET /api/mp/me': { status: 200, body: profile({ phone: '138****5678' }) } }) });
    expect(page.texts('.profile-name')).toEqual(['林小美']);
    expect(page.text()).toContain('138****5678');
    expect(page.texts('.stage')).toEqual(['面诊咨询中']);
    expect(page.texts('.consents-entry .list-value')).toEqual(['已授权']);
    // A bound phone: no binding button.
    expect(page.has('.phone-button')).toBe(false);
  });

  it('binds the phone through the getPhoneNumber button', async () => {
    const page = await renderPage('pages/me/index', { storage: loggedIn(), api: api({ 'POST /api/mp/me/phone': { status: 200, body: { phone: '139****0001' } } }) });
    expect(page.text()).toContain('未绑定手机号');
    await page.trigger('.phone-button', 'getphonenumber', { code: 'phone-code-1', errMsg: 'getPhoneNumber:ok' });
    expect(callsTo('POST /api/mp/me/phone').map((c) => c.body)).toEqual([{ code: 'phone-code-1' }]);
    expect(page.wx.toasts).toEqual([{ title: '绑定成功', icon: 'success' }]);
    expect(page.text()).toContain('139****0001');
    expect(page.has('.phone-button')).toBe(false);
  });

  it('a refused phone authorisation sends nothing and says it can be done later', async () => {
    const page = await renderPage('pages/me/index', { storage: loggedIn(), api: api() });
    await page.trigger('.phone-button', 'getphonenumber', { errMsg: 'getPhoneNumber:fail user deny' });
    expect(callsTo('POST /api/mp/me/phone')).toHaveLength(0);
    expect(page.wx.toasts[0].title).toBe('已取消，您可以随时再绑定');
  });

  it('a phone already used by another account: the friendly message, the button stays', async () => {
    const page = await renderPage('pages/me/index', {
      storage: loggedIn(),
      api: api({ 'POST /api/mp/me/phone': { status: 409, body: { error: { code: 'PHONE_IN_USE', message: 'in use' } } } }),
    });
    await page.trigger('.phone-button', 'getphonenumber', { code: 'c' });
    expect(page.wx.toasts[0].title).toBe('该手机号已绑定其他账号，如需帮助请联系客服');
    expect(page.has('.phone-button')).toBe(true);
  });

  it('shows the WeCom binding code under 「绑定企业微信」 and copies the phrase', async () => {
    const page = await renderPage('pages/me/index', { storage: loggedIn(), api: api() });
    expect(page.text()).toContain('绑定企业微信');
    expect(page.texts('.binding-code')).toEqual(['482915']);
    await page.tap('.copy-binding');
    expect(page.wx.clipboard).toBe('绑定 482915');
  });

  it('an already bound WeCom chat says so instead of a code', async () => {
    const page = await renderPage('pages/me/index', { storage: loggedIn(), api: api({ 'GET /api/mp/wecom/binding-code': { status: 200, body: { ...binding, bound: true } } }) });
    expect(page.has('.binding-code')).toBe(false);
    expect(page.texts('.binding-card .tag')).toEqual(['已绑定']);
  });

  it('the binding code failing does not hide the rest of the page', async () => {
    const page = await renderPage('pages/me/index', {
      storage: loggedIn(),
      api: api({ 'GET /api/mp/wecom/binding-code': { status: 429, body: { error: { code: 'RATE_LIMITED', message: 'slow down' } } } }),
    });
    expect(page.texts('.profile-name')).toEqual(['林小美']);
    expect(page.texts('.binding-card')).toEqual(['操作太频繁了，请稍等片刻再试']);
  });

  it('opens consents, export and profile', async () => {
    const page = await renderPage('pages/me/index', { storage: loggedIn(), api: api() });
    await page.tap('.consents-entry');
    await page.tap('.export-entry');
    await page.tap('.profile-head');
    expect(page.wx.navigations.map((n) => n.url)).toEqual(['/packageMe/consents/index', '/packageMe/export/index', '/packageMe/profile/index']);
  });

  it('deleting the account asks twice, then deletes, forgets the session and says goodbye', async () => {
    const page = await renderPage('pages/me/index', { storage: loggedIn(), api: api({ 'DELETE /api/mp/me': { status: 204 } }) });
    await page.tap('.delete-account');
    expect(page.wx.modals.map((m) => m.title)).toEqual(['注销账号', '最后确认']);
    expect(callsTo('DELETE /api/mp/me').map((c) => c.body)).toEqual([{ confirm: true }]);
    expect(page.wx.storage.has('session.token')).toBe(false);
    expect(page.texts('.farewell .h2')).toEqual(['账号已注销']);
    // Coming back to the tab does not log in again (that would create a new account).
    await page.call('onShow');
    expect(callsTo('GET /api/mp/me')).toHaveLength(1);
    expect(page.wx.loginCodes).toHaveLength(0);
  });

  it('changing their mind at either question deletes nothing', async () => {
    const page = await renderPage('pages/me/index', { storage: loggedIn(), api: api({ 'DELETE /api/mp/me': { status: 204 } }) });
    page.wx.modalAnswers.push('cancel');
    await page.tap('.delete-account');
    page.wx.modalAnswers.push('confirm', 'cancel');
    await page.tap('.delete-account');
    expect(page.wx.modals).toHaveLength(3);
    expect(callsTo('DELETE /api/mp/me')).toHaveLength(0);
    expect(page.has('.farewell')).toBe(false);
  });
});
