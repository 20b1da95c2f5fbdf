import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';
import { WeChatError } from '../../src/integrations/wechat/types';
import { readPng } from '../helpers/referrals';

describe('the referral QR code (wxacode.getUnlimited)', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t?.close(); });

  const qr = async (token: string) => t.http.get('/api/mp/referrals/qrcode').set(bearer(token)).buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });

  it('answers a real PNG whose scene carries the client\'s code and opens the share page', async () => {
    const client = await createClient(t);

    const res = await qr(await clientToken(t, client));

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const png = readPng(res.body as Buffer);
    expect([png.width, png.height]).toEqual([t.config.referrals.qrWidth, t.config.referrals.qrWidth]);
    expect(png.text).toEqual({ scene: `ref=${client.referralCode}`, page: 'pages/index/index' });
    expect(png.pixels.includes(0)).toBe(true);
    expect(png.pixels.includes(255)).toBe(true);
  });

  it('is cached in Redis: the second request does not call WeChat', async () => {
    const client = await createClient(t);
    const other = await createClient(t);
    const token = await clientToken(t, client);
    const first = await qr(token);
    const calls = t.standIn.count('getwxacodeunlimit');

    const second = await qr(token);
    const others = await qr(await clientToken(t, other));

    expect(second.status).toBe(200);
    expect((second.body as Buffer).equals(first.body as Buffer)).toBe(true);
    expect((others.body as Buffer).equals(first.body as Buffer)).toBe(false);
    expect(t.standIn.count('getwxacodeunlimit')).toBe(calls + 1);
    const ttl = await t.deps.redis.ttl(`referrals:qr:${client.referralCode}:pages/index/index:430:release`);
    expect(ttl).toBeGreaterThan(6 * 86400);
  });

  it('WeChat refusing (quota, busy) answers 503 REFERRAL_QR_UNAVAILABLE with Retry-After, and nothing is cached', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    t.standIn.failNext('getwxacodeunlimit', 45009);
    const quota = await t.http.get('/api/mp/referrals/qrcode').set(bearer(token));
    t.standIn.failNext('getwxacodeunlimit', -1);
    const busy = await t.http.get('/api/mp/referrals/qrcode').set(bearer(token));

    expect([quota.status, quota.body.error.code, quota.headers['retry-after']]).toEqual([503, 'REFERRAL_QR_UNAVAILABLE', '3600']);
    expect([busy.status, busy.body.error.code, busy.headers['retry-after']]).toEqual([503, 'REFERRAL_QR_UNAVAILABLE', '5']);
    expect(await t.deps.redis.exists(`referrals:qr:${client.referralCode}:pages/index/index:430:release`)).toBe(0);
    expect((await qr(token)).status).toBe(200);
  });

  it('the client sends WeChat\'s documented body and maps its errors: unpublished page 41030, long scene 40169, bad characters 40129', async () => {
    const w = t.services.wechat;
    const fails = async (input: Parameters<typeof w.getUnlimitedQrCode>[0]) => {
      const err = await w.getUnlimitedQrCode(input).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(WeChatError);
      return (err as WeChatError).errcode;
    };

    expect(await fails({ scene: 'ref=ABCDEFGH', page: 'pages/promo/index' })).toBe(41030);
    expect(await fails({ scene: 'r'.repeat(33), page: 'pages/index/index' })).toBe(40169);
    expect(await fails({ scene: 'ref=推荐', page: 'pages/index/index' })).toBe(40129);
    // check_path false: allowed for a page not published yet.
    const ok = await w.getUnlimitedQrCode({ scene: 'ref=ABCDEFGH', page: 'pages/promo/index', checkPath: false, envVersion: 'develop', width: 280 });
    expect(ok.contentType).toBe('image/png');
    expect(readPng(ok.image)).toMatchObject({ width: 280, text: { scene: 'ref=ABCDEFGH', page: 'pages/promo/index' } });
  });

  it('the stand-in answers like WeChat over plain HTTP: image bytes on success, JSON { errcode, errmsg } on failure', async () => {
    const token = await t.services.wechat.getAccessToken();
    const post = (query: string, body: object) =>
      fetch(`${t.standIn.url}/wxa/getwxacodeunlimit?${query}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

    const ok = await post(`access_token=${encodeURIComponent(token)}`, { scene: 'ref=ABCD2345', page: 'pages/index/index', check_path: true, env_version: 'release', width: 430 });
    const forged = await post('access_token=forged', { scene: 'ref=ABCD2345' });
    const badEnv = await post(`access_token=${encodeURIComponent(token)}`, { scene: 'ref=ABCD2345', env_version: 'beta' });

    expect([ok.status, ok.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(readPng(Buffer.from(await ok.arrayBuffer())).width).toBe(430);
    expect(await forged.json()).toEqual({ errcode: 40001, errmsg: expect.stringContaining('invalid credential') });
    expect(((await badEnv.json()) as { errcode: number }).errcode).toBe(40097);
  });

  it('an access token WeChat no longer accepts is refreshed once and the code is still made', async () => {
    await t.services.wechat.getAccessToken();
    t.standIn.invalidateAccessTokens();
    const tokens = t.standIn.count('stable_token');

    const res = await t.services.wechat.getUnlimitedQrCode({ scene: 'ref=ZZZZ2345', page: 'pages/index/index' });

    expect(readPng(res.image).text.scene).toBe('ref=ZZZZ2345');
    expect(t.standIn.count('stable_token')).toBe(tokens + 1);
  });

  it('an unpublished share page (a configuration mistake) answers 503, not 500', async () => {
    const t2 = await createTestContext({ env: { REFERRAL_SHARE_PAGE: 'pages/promo/index' } });
    try {
      const res = await t2.http.get('/api/mp/referrals/qrcode').set(bearer(await clientToken(t2, await createClient(t2))));
      expect([res.status, res.body.error.code]).toEqual([503, 'REFERRAL_QR_UNAVAILABLE']);
    } finally {
      await t2.close();
    }
  });
});
