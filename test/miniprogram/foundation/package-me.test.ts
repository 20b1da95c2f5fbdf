/** packageMe: the consent flow (privacy → guardian), consents and withdrawal, profile, export, binding. */
import { renderPage, loggedIn, mpModule } from '../helpers/render';
import { callsTo, installWx, mockApi, type ApiScript } from '../helpers/wx';

const noConsents = { privacy: null, health: null, guardian: null };
const profile = (over: object = {}) => ({
  id: 'c1', name: '林小美', gender: 'female', birthDate: '1994-05-20', phone: '138****5678', address: '上海市徐汇区', referralCode: 'MEI8K2Q', stage: 'lead',
  consents: noConsents, ...over,
});
const consent = (purpose: string, over: object = {}) => ({
  id: `k-${purpose}`, purpose, policyVersion: '2026-01', current: true, guardianName: null, guardianRelation: null, grantedAt: '2026-03-01T02:00:00.000Z', withdrawnAt: null, ...over,
});
const validation = (field: string) => ({ status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'bad', details: [{ field, message: 'bad', type: 'string.pattern.base' }] } } });
const NEXT = '/packageSurvey/questionnaire/index';
/** A birth date that makes the client 12 today. */
const twelveYearsAgo = `${new Date().getUTCFullYear() - 12}-01-01`;

describe('privacy and health consent', () => {
  const grant = (c: { body: unknown }) => ({ status: 201, body: consent((c.body as { purpose: string }).purpose) });

  it('nothing is sent until both boxes are ticked; then privacy, health, and back to the questionnaire', async () => {
    const page = await renderPage('packageMe/privacy/index', {
      storage: loggedIn(),
      query: { next: encodeURIComponent(NEXT) },
      api: { 'GET /api/mp/me': { status: 200, body: profile() }, 'POST /api/mp/me/consents': grant },
    });
    expect(page.texts('.card-title')).toEqual(['隐私政策要点', '健康信息授权']);
    expect(page.text()).toContain('您的健康信息仅医生可见，已加密保存');
    await page.tap('.agree');
    expect(page.wx.toasts[0].title).toBe('请先阅读并勾选隐私政策');
    await page.tap('.privacy-check');
    await page.tap('.agree');
    expect(page.wx.toasts[1].title).toBe('请勾选同意健康信息授权');
    expect(callsTo('POST /api/mp/me/consents')).toHaveLength(0);

    await page.tap('.health-check');
    await page.tap('.agree');
    expect(callsTo('POST /api/mp/me/consents').map((c) => c.body)).toEqual([
      { purpose: 'privacy', policyVersion: '2026-01' },
      { purpose: 'health', policyVersion: '2026-01' },
    ]);
    expect(page.wx.navigations).toEqual([{ type: 'redirectTo', url: NEXT }]);
  });

  it('asks the birth date when unknown; a client under 14 goes to the guardian step (no health consent yet)', async () => {
    const page = await renderPage('packageMe/privacy/index', {
      storage: loggedIn(),
      query: { next: encodeURIComponent(NEXT) },
      api: {
        'GET /api/mp/me': { status: 200, body: profile({ birthDate: null }) },
        'POST /api/mp/me': (c) => ({ status: 200, body: profile(c.body as object) }),
        'POST /api/mp/me/consents': grant,
      },
    });
    await page.tap('.privacy-check');
    await page.tap('.health-check');
    await page.tap('.agree');
    expect(page.wx.toasts[0].title).toBe('请选择您的出生日期');
    await page.trigger('.birth-picker', 'change', { value: twelveYearsAgo });
    expect(page.text()).toContain(`${new Date().getUTCFullYear() - 12}年1月1日`);
    await page.tap('.agree');
    const patch = callsTo('POST /api/mp/me')[0];
    expect(patch.headers['X-HTTP-Method-Override']).toBe('PATCH');
    expect(patch.body).toEqual({ birthDate: twelveYearsAgo });
    expect(callsTo('POST /api/mp/me/consents').map((c) => (c.body as { purpose: string }).purpose)).toEqual(['privacy']);
    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: `/packageMe/guardian/index?next=${encodeURIComponent(NEXT)}` }]);
  });

  it('when the API says a guardian must consent first, the guardian step opens', async () => {
    const page = await renderPage('packageMe/privacy/index', {
      storage: loggedIn(),
      api: {
        'GET /api/mp/me': { status: 200, body: profile({ consents: { ...noConsents, privacy: { policyVersion: '2026-01', current: true } } }) },
        'POST /api/mp/me/consents': { status: 403, body: { error: { code: 'GUARDIAN_CONSENT_REQUIRED', message: 'guardian', details: { field: 'body.purpose' } } } },
      },
    });
    expect(page.texts('.card-title')).toEqual(['健康信息授权']);
    await page.tap('.health-check');
    await page.tap('.agree');
    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: '/packageMe/guardian/index' }]);
  });

  it('a failure half-way keeps what succeeded: the retry does not give the privacy consent twice', async () => {
    const page = await renderPage('packageMe/privacy/index', {
      storage: loggedIn(),
      api: {
        'GET /api/mp/me': { status: 200, body: profile() },
        'POST /api/mp/me/consents': [grant, { status: 409, body: { error: { code: 'POLICY_VERSION_OUTDATED', message: 'old', details: { field: 'body.policyVersion', currentVersion: '2026-07' } } } }, grant],
      },
    });
    await page.tap('.privacy-check');
    await page.tap('.health-check');
    await page.tap('.agree');
    expect(page.wx.toasts[0].title).toBe('隐私政策已更新，请阅读最新版本后再同意');
    await page.tap('.agree');
    expect(callsTo('POST /api/mp/me/consents').map((c) => (c.body as { purpose: string }).purpose)).toEqual(['privacy', 'health', 'health']);
    expect(page.wx.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);
  });

  it('consents already in place: says so and continues', async () => {
    const both = { privacy: { policyVersion: '2026-01', current: true }, health: { policyVersion: '2026-01', current: true }, guardian: null };
    const page = await renderPage('packageMe/privacy/index', { storage: loggedIn(), query: { next: encodeURIComponent(NEXT) }, api: { 'GET /api/mp/me': { status: 200, body: profile({ consents: both }) } } });
    expect(page.texts('.done-card .h3')).toEqual(['您已完成授权']);
    await page.tap('.continue');
    expect(page.wx.navigations).toEqual([{ type: 'redirectTo', url: NEXT }]);
  });
});

describe('guardian consent', () => {
  it('checks the form, then records the guardian and the health consent and goes on', async () => {
    const page = await renderPage('packageMe/guardian/index', {
      storage: loggedIn(),
      query: { next: encodeURIComponent(NEXT) },
      api: { 'POST /api/mp/me/consents': (c) => ({ status: 201, body: consent((c.body as { purpose: string }).purpose) }) },
    });
    await page.tap('.submit');
    expect(page.texts('.name-error')).toEqual(['请填写监护人姓名']);
    expect(page.texts('.relation-error')).toEqual(['请选择与本人的关系']);
    await page.input('.guardian-name', '  林美华 ');
    await page.trigger('.relation-picker', 'change', { value: 0 });
    expect(page.has('.name-error')).toBe(false);
    await page.tap('.submit');
    expect(page.wx.toasts[0].title).toBe('请监护人勾选同意');
    await page.tap('.guardian-check');
    await page.tap('.submit');
    expect(callsTo('POST /api/mp/me/consents').map((c) => c.body)).toEqual([
      { purpose: 'guardian', policyVersion: '2026-01', guardianName: '林美华', guardianRelation: '母亲' },
      { purpose: 'health', policyVersion: '2026-01' },
    ]);
    expect(page.wx.navigations).toEqual([{ type: 'redirectTo', url: NEXT }]);
  });

  it('a name the API refuses is shown at the field', async () => {
    const page = await renderPage('packageMe/guardian/index', { storage: loggedIn(), api: { 'POST /api/mp/me/consents': validation('body.guardianName') } });
    await page.input('.guardian-name', '林美华');
    await page.trigger('.relation-picker', 'change', { value: 1 });
    await page.tap('.guardian-check');
    await page.tap('.submit');
    expect(page.texts('.name-error')).toEqual(['请填写监护人的真实姓名']);
    expect(page.wx.navigations).toHaveLength(0);
  });
});

describe('consents', () => {
  const list = [consent('health'), consent('privacy'), consent('privacy', { id: 'old', policyVersion: '2025-06', current: false, withdrawnAt: '2026-03-01T02:00:00.000Z', grantedAt: '2025-08-01T02:00:00.000Z' })];

  it('lists each consent with its state and the withdrawal history', async () => {
    const page = await renderPage('packageMe/consents/index', { storage: loggedIn(), api: { 'GET /api/mp/me/consents': { status: 200, body: list } } });
    expect(page.texts('.consent-status')).toEqual(['已授权', '已授权']);
    expect(page.texts('.consent-privacy .consent-detail')).toEqual(['2026年3月1日 同意 · 版本 2026-01']);
    expect(page.texts('.history-item')).toEqual(['隐私政策：2025年8月1日 同意，2026年3月1日 撤回']);
    expect(page.texts('.withdraw')).toHaveLength(2);
  });

  it('withdrawing the health consent warns that the health data goes, then withdraws', async () => {
    const after = [consent('privacy'), consent('health', { withdrawnAt: '2026-03-02T02:00:00.000Z' })];
    const page = await renderPage('packageMe/consents/index', {
      storage: loggedIn(),
      api: { 'GET /api/mp/me/consents': [{ status: 200, body: list }, { status: 200, body: after }], 'DELETE /api/mp/me/consents/health': { status: 200, body: { withdrawn: 1 } } },
    });
    await page.tap('.consent-health .withdraw');
    expect(page.wx.modals[0]).toMatchObject({ title: '撤回健康信息授权' });
    expect(page.wx.modals[0].content).toContain('删除您已填写的健康信息');
    expect(callsTo('DELETE /api/mp/me/consents/health')).toHaveLength(1);
    expect(page.wx.toasts[0].title).toBe('已撤回');
    expect(page.texts('.consent-health .consent-status')).toEqual(['未授权']);
    await page.tap('.consent-health .grant');
    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: '/packageMe/privacy/index' }]);
  });

  it('a guardian consent (client under 14) is listed with the guardian, and can be withdrawn', async () => {
    const withGuardian = [consent('guardian', { guardianName: '林美华', guardianRelation: '母亲' }), ...list];
    const page = await renderPage('packageMe/consents/index', { storage: loggedIn(), api: { 'GET /api/mp/me/consents': { status: 200, body: withGuardian } } });
    expect(page.texts('.consent-status')).toEqual(['已授权', '已授权', '已授权']);
    expect(page.texts('.consent-guardian .consent-detail')).toEqual(['2026年3月1日 同意 · 版本 2026-01 · 母亲林美华']);
    expect(page.has('.consent-guardian .withdraw')).toBe(true);
  });

  it('keeping the consent at the question withdraws nothing', async () => {
    const page = await renderPage('packageMe/consents/index', { storage: loggedIn(), api: { 'GET /api/mp/me/consents': { status: 200, body: list } } });
    page.wx.modalAnswers.push('cancel');
    await page.tap('.consent-privacy .withdraw');
    expect(page.wx.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
  });
});

describe('profile', () => {
  it('sends only what changed (PATCH through the override header) and shows it saved', async () => {
    const page = await renderPage('packageMe/profile/index', {
      storage: loggedIn(),
      api: { 'GET /api/mp/me': { status: 200, body: profile() }, 'POST /api/mp/me': (c) => ({ status: 200, body: profile(c.body as object) }) },
    });
    expect(page.data.form).toEqual({ name: '林小美', gender: 'female', birthDate: '1994-05-20', address: '上海市徐汇区' });
    await page.tap('.save');
    expect(page.wx.toasts[0].title).toBe('资料没有变化');
    await page.input('.name-input', ' 小美 ');
    await page.trigger('.gender-picker', 'change', { value: 2 });
    await page.tap('.save');
    const [call] = callsTo('POST /api/mp/me');
    expect(call.headers['X-HTTP-Method-Override']).toBe('PATCH');
    expect(call.body).toEqual({ name: '小美', gender: 'unknown' });
    expect(page.wx.toasts[1]).toEqual({ title: '已保存', icon: 'success' });
  });

  it('an empty name is caught before sending; a field the API refuses is shown at that field', async () => {
    const page = await renderPage('packageMe/profile/index', {
      storage: loggedIn(),
      api: { 'GET /api/mp/me': { status: 200, body: profile() }, 'POST /api/mp/me': validation('body.birthDate') },
    });
    await page.input('.name-input', '   ');
    await page.tap('.save');
    expect(page.texts('.name-error')).toEqual(['请填写您的称呼']);
    expect(callsTo('POST /api/mp/me')).toHaveLength(0);
    await page.input('.name-input', '林小美');
    await page.trigger('.birth-picker', 'change', { value: '2030-01-01' });
    await page.tap('.save');
    expect(page.texts('.birth-error')).toEqual(['请选择正确的出生日期']);
  });
});

describe('export', () => {
  it('creates the copy, lists what it holds, and copies it', async () => {
    const data = { generatedAt: '2026-03-01T02:00:00.000Z', profile: { id: 'c1' }, consents: [{}, {}], medical: null, plans: [{}], auditLog: [] };
    const page = await renderPage('packageMe/export/index', {
      storage: loggedIn(),
      api: { 'POST /api/mp/me/exports': { status: 201, body: { id: 'e1', expiresAt: '2026-03-02T02:00:00.000Z' } }, 'GET /api/mp/me/exports/e1': { status: 200, body: data } },
    });
    expect(page.texts('.create-export')).toEqual(['生成我的数据副本']);
    await page.tap('.create-export');
    expect(page.texts('.section-row')).toEqual(['基本资料已包含', '授权记录2 条', '健康信息无', '方案1 条', '查阅记录0 条']);
    expect(page.text()).toContain('3月2日 周一 10:00 前有效');
    await page.tap('.copy-export');
    expect(JSON.parse(page.wx.clipboard ?? '')).toEqual(data);
  });

  it('a failed export says so gently and can be tried again', async () => {
    const page = await renderPage('packageMe/export/index', {
      storage: loggedIn(),
      api: { 'POST /api/mp/me/exports': [{ status: 429, body: { error: { code: 'RATE_LIMITED', message: 'x' } } }, { status: 201, body: { id: 'e2', expiresAt: '2026-03-02T02:00:00.000Z' } }], 'GET /api/mp/me/exports/e2': { status: 200, body: { profile: {} } } },
    });
    await page.tap('.create-export');
    expect(page.texts('.error-message')).toEqual(['操作太频繁了，请稍等片刻再试']);
    await page.tap('.error-retry');
    expect(page.texts('.section-row')).toEqual(['基本资料已包含']);
  });
});

describe('WeCom binding page', () => {
  const b = { code: '482915', expiresAt: '2026-03-01T10:00:00.000Z', bound: false, instructions: '在企业微信对话中发送「绑定 482915」即可完成绑定' };
  const script = (body: object): ApiScript => ({ 'GET /api/mp/wecom/binding-code': { status: 200, body } });

  it('shows the code with the steps and copies the phrase', async () => {
    const page = await renderPage('packageMe/binding/index', { storage: loggedIn(), api: script(b) });
    expect(page.texts('.code')).toEqual(['482915']);
    expect(page.text()).toContain('在企业微信对话中发送「绑定 482915」即可完成绑定');
    await page.tap('.copy');
    expect(page.wx.clipboard).toBe('绑定 482915');
  });

  it('bound: says so', async () => {
    const page = await renderPage('packageMe/binding/index', { storage: loggedIn(), api: script({ ...b, bound: true }) });
    expect(page.has('.code')).toBe(false);
    expect(page.texts('.bound .h2')).toEqual(['已绑定企业微信']);
  });
});

describe('requireHealthConsent (for pages that ask health questions)', () => {
  const { requireHealthConsent } = mpModule<{ requireHealthConsent(returnTo: string): Promise<boolean> }>('services/me');
  const current = { policyVersion: '2026-01', current: true };

  async function check(p: object): Promise<{ ok: boolean; navigations: unknown[] }> {
    const wx = installWx({ storage: loggedIn(), adapter: mockApi({ 'GET /api/mp/me': { status: 200, body: profile(p) } }) });
    const ok = await requireHealthConsent(NEXT);
    return { ok, navigations: wx.navigations };
  }

  it('passes with the privacy and health consents', async () => {
    expect(await check({ consents: { privacy: current, health: current, guardian: null } })).toEqual({ ok: true, navigations: [] });
  });

  it('opens the consent flow, coming back to the page, when one is missing or outdated', async () => {
    const flow = { type: 'redirectTo', url: `/packageMe/privacy/index?next=${encodeURIComponent(NEXT)}` };
    expect(await check({ consents: { privacy: current, health: null, guardian: null } })).toEqual({ ok: false, navigations: [flow] });
    expect(await check({ consents: { privacy: current, health: { policyVersion: '2025-06', current: false }, guardian: null } })).toEqual({ ok: false, navigations: [flow] });
  });

  it('under 14 the guardian must have consented too', async () => {
    expect((await check({ birthDate: twelveYearsAgo, consents: { privacy: current, health: current, guardian: null } })).ok).toBe(false);
    expect((await check({ birthDate: twelveYearsAgo, consents: { privacy: current, health: current, guardian: current } })).ok).toBe(true);
  });
});
