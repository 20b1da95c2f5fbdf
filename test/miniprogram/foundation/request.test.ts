/**
 * The request wrapper (utils/request.ts): token, silent re-login, retries of idempotent calls,
 * friendly messages. Driven through the fake wx with a scripted API.
 */
import { mpModule } from '../helpers/render';
import { installWx, mockApi, callsTo, type ApiCall, type WxState } from '../helpers/wx';

interface ApiError { code: string; message: string; details?: unknown; status: number; friendly: string }
interface RequestModule {
  request<T>(opts: { method?: string; path: string; data?: unknown; query?: Record<string, string | number | boolean | undefined>; idempotent?: boolean; auth?: boolean }): Promise<T>;
  setBaseUrl(url: string): void;
}

const { request, setBaseUrl } = mpModule<RequestModule>('utils/request');
const { config } = mpModule<{ config: { retryDelaysMs: number[] } }>('utils/config');

const login = (token: string) => ({ status: 200, body: { token, expiresIn: 7200, client: { id: 'c1', isNew: false } } });
const error = (status: number, code: string, details?: unknown) => ({ status, body: { error: { code, message: `${code} (English)`, details } } });
const bearer = (c: ApiCall) => c.headers.Authorization;

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected the call to fail');
}

let wx: WxState;
beforeEach(() => {
  config.retryDelaysMs = [0, 0];
  setBaseUrl('http://api.test/');
});

describe('token and login', () => {
  it('logs in with a wx.login code first, then sends the token as Bearer', async () => {
    wx = installWx({ adapter: mockApi({ 'POST /api/mp/auth/login': login('tok-1'), 'GET /api/mp/points': { status: 200, body: { balance: 120 } } }) });
    await expect(request({ path: '/api/mp/points' })).resolves.toEqual({ balance: 120 });
    expect(callsTo('POST /api/mp/auth/login')[0].body).toEqual({ code: 'code-1' });
    expect(bearer(callsTo('GET /api/mp/points')[0])).toBe('Bearer tok-1');
    // The next call reuses the stored token.
    await request({ path: '/api/mp/points' });
    expect(callsTo('POST /api/mp/auth/login')).toHaveLength(1);
  });

  it('builds the URL from the base URL and the query, leaving out undefined values', async () => {
    wx = installWx({ adapter: mockApi({ 'POST /api/mp/auth/login': login('t'), 'GET /api/mp/points/entries': { status: 200, body: { items: [] } } }) });
    await request({ path: '/api/mp/points/entries', query: { page: 2, kind: undefined, mine: true } });
    expect(callsTo('GET /api/mp/points/entries')[0].query).toEqual({ page: '2', mine: 'true' });
  });

  it('an expired token in the middle of filling: re-logs in silently and resends the same draft', async () => {
    let n = 0;
    wx = installWx({
      storage: { 'session.token': { token: 'old', expiresAt: Date.now() + 3600_000 } },
      adapter: mockApi({
        'POST /api/mp/auth/login': login('fresh'),
        'PUT /api/mp/questionnaires/intent/draft': (c) =>
          bearer(c) === 'Bearer fresh' ? { status: 200, body: { revision: ++n, answers: c.body } } : error(401, 'TOKEN_INVALID'),
      }),
    });
    const draft = { answers: { area: ['eyes'], budget: { min: 5000, max: 15000 } }, revision: 3 };
    const saved = await request<{ revision: number; answers: unknown }>({ method: 'PUT', path: '/api/mp/questionnaires/intent/draft', data: draft });
    expect(saved).toEqual({ revision: 1, answers: draft });
    const puts = callsTo('PUT /api/mp/questionnaires/intent/draft');
    expect(puts.map(bearer)).toEqual(['Bearer old', 'Bearer fresh']);
    // Nothing of the draft was lost between the two tries.
    expect(puts[1].body).toEqual(puts[0].body);
    expect(callsTo('POST /api/mp/auth/login')).toHaveLength(1);
    expect((wx.storage.get('session.token') as { token: string }).token).toBe('fresh');
  });

  it('re-logs in once only: a second 401 reaches the caller with a friendly message', async () => {
    wx = installWx({ adapter: mockApi({ 'POST /api/mp/auth/login': login('t'), 'GET /api/mp/me': error(401, 'UNAUTHENTICATED') }) });
    const e = await rejection(request({ path: '/api/mp/me' }));
    expect(e).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, friendly: '登录已过期，请重新进入小程序' });
    expect(callsTo('GET /api/mp/me')).toHaveLength(2);
    expect(callsTo('POST /api/mp/auth/login')).toHaveLength(2);
  });

  it('calls that fail with 401 at the same time share one login', async () => {
    wx = installWx({
      storage: { 'session.token': { token: 'old', expiresAt: Date.now() + 3600_000 } },
      adapter: mockApi({
        'POST /api/mp/auth/login': login('fresh'),
        'GET /api/mp/:what': (c) => (bearer(c) === 'Bearer fresh' ? { status: 200, body: { path: c.path } } : error(401, 'TOKEN_INVALID')),
      }),
    });
    const out = await Promise.all([request({ path: '/api/mp/me' }), request({ path: '/api/mp/plans' }), request({ path: '/api/mp/surveys' })]);
    expect(out).toEqual([{ path: '/api/mp/me' }, { path: '/api/mp/plans' }, { path: '/api/mp/surveys' }]);
    expect(wx.loginCodes).toHaveLength(1);
  });

  it('a 401 answered after another call already logged in again does not log in a second time', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    wx = installWx({
      storage: { 'session.token': { token: 'old', expiresAt: Date.now() + 3600_000 } },
      adapter: mockApi({
        'POST /api/mp/auth/login': login('fresh'),
        'GET /api/mp/me': (c) => (bearer(c) === 'Bearer fresh' ? { status: 200, body: { ok: 'me' } } : error(401, 'TOKEN_INVALID')),
        // The plans answer (401 for the old token) comes only after /me has re-logged in.
        'GET /api/mp/plans': async (c) => {
          if (bearer(c) === 'Bearer fresh') return { status: 200, body: { ok: 'plans' } };
          await held;
          return error(401, 'TOKEN_INVALID');
        },
      }),
    });
    const plans = request({ path: '/api/mp/plans' });
    await expect(request({ path: '/api/mp/me' })).resolves.toEqual({ ok: 'me' });
    release();
    await expect(plans).resolves.toEqual({ ok: 'plans' });
    expect(wx.loginCodes).toHaveLength(1);
  });

  it('in DevTools against a local API, login codes come from the WeChat stand-in for one stable user', async () => {
    const cfg = mpModule<{ config: { devStandInUrl: string } }>('utils/config').config;
    cfg.devStandInUrl = 'http://127.0.0.1:3901/';
    try {
      wx = installWx({
        adapter: mockApi({
          'POST /__standin/login-code': (c) => ({ status: 200, body: { code: `sc-${(c.body as { openid: string }).openid}` } }),
          'POST /api/mp/auth/login': login('t'),
          'GET /api/mp/me': { status: 200, body: {} },
        }),
      });
      await request({ path: '/api/mp/me' });
      const openid = (callsTo('POST /__standin/login-code')[0].body as { openid: string }).openid;
      expect(openid).toMatch(/^o[\w-]{27}$/);
      expect(callsTo('POST /api/mp/auth/login')[0].body).toEqual({ code: `sc-${openid}` });
      expect(wx.loginCodes).toHaveLength(0);
      // The next login is the same WeChat user.
      wx.storage.delete('session.token');
      await request({ path: '/api/mp/me' });
      expect((callsTo('POST /__standin/login-code')[1].body as { openid: string }).openid).toBe(openid);
    } finally {
      cfg.devStandInUrl = '';
    }
  });

  it('does not send a token when auth is false', async () => {
    wx = installWx({ adapter: mockApi({ 'GET /healthz': { status: 200, body: { status: 'ok' } } }) });
    await request({ path: '/healthz', auth: false });
    expect(bearer(callsTo('GET /healthz')[0])).toBeUndefined();
    expect(wx.loginCodes).toHaveLength(0);
  });

  it('a refused login reaches the caller with its friendly message', async () => {
    wx = installWx({ adapter: mockApi({ 'POST /api/mp/auth/login': error(403, 'LOGIN_ACCOUNT_DELETED') }) });
    const e = await rejection(request({ path: '/api/mp/me' }));
    expect(e).toMatchObject({ code: 'LOGIN_ACCOUNT_DELETED', friendly: '该账号已注销，如需帮助请联系客服' });
    expect(callsTo('GET /api/mp/me')).toHaveLength(0);
  });
});

describe('network failures', () => {
  const logged = { 'session.token': { token: 't', expiresAt: Date.now() + 3600_000 } };

  it('retries a GET with backoff and succeeds on the third try', async () => {
    wx = installWx({ storage: logged, adapter: mockApi({ 'GET /api/mp/plans': [{ network: 'fail' }, { network: 'timeout' }, { status: 200, body: { items: [] } }] }) });
    await expect(request({ path: '/api/mp/plans' })).resolves.toEqual({ items: [] });
    expect(callsTo('GET /api/mp/plans')).toHaveLength(3);
  });

  it('the network dropping on an idempotent write: retried with the same body (same client id)', async () => {
    const body = { submissionId: 'sub-7f3a', answers: { area: ['nose'] } };
    wx = installWx({
      storage: logged,
      adapter: mockApi({ 'POST /api/mp/questionnaires/intent/submissions': [{ network: 'fail' }, { status: 201, body: { id: 's1', replayed: false } }] }),
    });
    await expect(request({ method: 'POST', path: '/api/mp/questionnaires/intent/submissions', data: body, idempotent: true })).resolves.toEqual({ id: 's1', replayed: false });
    const calls = callsTo('POST /api/mp/questionnaires/intent/submissions');
    expect(calls).toHaveLength(2);
    expect(calls[0].body).toEqual(body);
    expect(calls[1].body).toEqual(body);
  });

  it('does not retry a write that is not idempotent', async () => {
    wx = installWx({ storage: logged, adapter: mockApi({ 'POST /api/mp/me/exports': [{ network: 'fail' }, { status: 201, body: { id: 'e' } }] }) });
    const e = await rejection(request({ method: 'POST', path: '/api/mp/me/exports' }));
    expect(e).toMatchObject({ code: 'NETWORK', status: 0, friendly: '网络不太稳定，请检查网络后重试' });
    expect(callsTo('POST /api/mp/me/exports')).toHaveLength(1);
  });

  it('gives up after 3 tries with a friendly message', async () => {
    wx = installWx({ storage: logged, adapter: mockApi({ 'GET /api/mp/plans': { network: 'timeout' } }) });
    const e = await rejection(request({ path: '/api/mp/plans' }));
    expect(e).toMatchObject({ code: 'TIMEOUT', friendly: '网络有点慢，请稍后再试' });
    expect(callsTo('GET /api/mp/plans')).toHaveLength(3);
  });
});

describe('answers', () => {
  const logged = { 'session.token': { token: 't', expiresAt: Date.now() + 3600_000 } };

  it('an API error keeps code and details and gets the Chinese message of its code', async () => {
    const details = [{ field: 'answers.q3', message: 'required', type: 'any.required' }];
    wx = installWx({
      storage: logged,
      adapter: mockApi({
        'POST /api/mp/rewards/:id/redeem': error(409, 'POINTS_INSUFFICIENT'),
        'POST /api/mp/questionnaires/intent/submissions': error(400, 'QUESTIONNAIRE_INVALID_ANSWERS', details),
        'GET /api/mp/odd': error(418, 'SOMETHING_NEW'),
        'GET /api/mp/broken': { status: 502, body: '<html>Bad gateway</html>' },
      }),
    });
    expect(await rejection(request({ method: 'POST', path: '/api/mp/rewards/r1/redeem', data: { requestId: 'x' } }))).toMatchObject({
      code: 'POINTS_INSUFFICIENT', status: 409, message: 'POINTS_INSUFFICIENT (English)',
    });
    expect((await rejection(request({ method: 'POST', path: '/api/mp/rewards/r1/redeem' }))).friendly).toMatch(/^积分不足/);
    expect(await rejection(request({ method: 'POST', path: '/api/mp/questionnaires/intent/submissions', data: {} }))).toMatchObject({ details });
    expect((await rejection(request({ path: '/api/mp/odd' }))).friendly).toBe('操作没有成功，请稍后再试');
    expect(await rejection(request({ path: '/api/mp/broken' }))).toMatchObject({ code: 'HTTP_502', status: 502, friendly: '服务开小差了，请稍后再试' });
  });

  it('sends PATCH as POST with X-HTTP-Method-Override (wx.request has no PATCH)', async () => {
    wx = installWx({ storage: logged, adapter: mockApi({ 'POST /api/mp/me': { status: 200, body: { name: '小美' } } }) });
    await request({ method: 'PATCH', path: '/api/mp/me', data: { name: '小美' } });
    const [call] = callsTo('POST /api/mp/me');
    expect(call.headers['X-HTTP-Method-Override']).toBe('PATCH');
    expect(call.body).toEqual({ name: '小美' });
  });

  it('a 204 resolves with nothing; a DELETE keeps its body', async () => {
    wx = installWx({ storage: logged, adapter: mockApi({ 'DELETE /api/mp/me': { status: 204 } }) });
    await expect(request({ method: 'DELETE', path: '/api/mp/me', data: { confirm: true } })).resolves.toBeUndefined();
    expect(callsTo('DELETE /api/mp/me')[0].body).toEqual({ confirm: true });
  });
});
