import { startWeChatStandIn, StandInHandle } from '../../src/integrations/wechat/standin';
import { ManualClock } from '../../src/shared/clock';

// The stand-in over plain HTTP, as WeChat answers it and as a person running the demo uses it.
describe('WeChat stand-in', () => {
  let s: StandInHandle;
  const clock = new ManualClock('2026-03-01T02:00:00Z');
  beforeAll(async () => { s = await startWeChatStandIn({ port: 0, clock, appId: 'wxdemo', appSecret: 'demo-secret' }); });
  afterAll(async () => { await s.close(); });

  const get = async (path: string) => (await fetch(`${s.url}${path}`)).json() as Promise<Record<string, unknown>>;
  const post = async (path: string, body: unknown) =>
    (await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, any>>;
  const jscode2session = (code: string) => get(`/sns/jscode2session?appid=wxdemo&secret=demo-secret&js_code=${code}&grant_type=authorization_code`);

  it('mints login codes over HTTP that jscode2session accepts once', async () => {
    const { code } = await post('/__standin/login-code', { openid: 'o_demo', unionid: 'u_demo' });
    expect(await jscode2session(code)).toEqual({ openid: 'o_demo', unionid: 'u_demo', session_key: expect.any(String) });
    expect(await jscode2session(code)).toEqual({ errcode: 40163, errmsg: expect.stringContaining('code been used') });
  });

  it('answers stable_token and the phone number in the documented shapes', async () => {
    const tok = await post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: 'wxdemo', secret: 'demo-secret', force_refresh: false });
    expect(tok).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    const { code } = await post('/__standin/phone-code', { phone: '13800138000' });
    const phone = await post(`/wxa/business/getuserphonenumber?access_token=${encodeURIComponent(tok.access_token)}`, { code });
    expect(phone).toEqual({
      errcode: 0, errmsg: 'ok',
      phone_info: { phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86', watermark: { timestamp: Math.floor(clock.now().getTime() / 1000), appid: 'wxdemo' } },
    });
    expect((await post('/wxa/business/getuserphonenumber?access_token=forged', { code: 'x' })).errcode).toBe(40001);
  });

  it('keeps the token in normal mode and replaces it on force_refresh; tokens expire after 7200 s', async () => {
    const ask = (force: boolean) => post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: 'wxdemo', secret: 'demo-secret', force_refresh: force });
    const a = await ask(false);
    expect((await ask(false)).access_token).toBe(a.access_token);
    const b = await ask(true);
    expect(b.access_token).not.toBe(a.access_token);
    clock.advance(7200 * 1000);
    const { code } = await post('/__standin/phone-code', { phone: '13800138001' });
    expect((await post(`/wxa/business/getuserphonenumber?access_token=${encodeURIComponent(b.access_token)}`, { code })).errcode).toBe(42001);
  });

  it('injects failures through /__standin/fail-next and counts calls', async () => {
    const before = s.count('jscode2session');
    await post('/__standin/fail-next', { api: 'jscode2session', errcode: 45011 });
    expect((await jscode2session(s.issueLoginCode())).errcode).toBe(45011);
    expect((await jscode2session(s.issueLoginCode())).openid).toEqual(expect.any(String));
    expect(s.count('jscode2session')).toBe(before + 2);
  });

  it('refuses wrong credentials', async () => {
    expect((await get(`/sns/jscode2session?appid=wxother&secret=demo-secret&js_code=${s.issueLoginCode()}&grant_type=authorization_code`)).errcode).toBe(40013);
    expect((await post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: 'wxdemo', secret: 'nope' })).errcode).toBe(40125);
  });
});
