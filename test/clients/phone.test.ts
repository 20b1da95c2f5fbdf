import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';
import { NOW, rawContains } from './helpers';

/** The stand-in's control API: a getPhoneNumber code for a phone number (single use, 5 minutes). */
async function phoneCode(t: TestContext, phone: string): Promise<string> {
  return t.standIn.issuePhoneCode(phone);
}

describe('phone binding through the WeChat stand-in (POST /api/mp/me/phone)', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext({ now: NOW }); });
  afterAll(async () => { await t.close(); });

  it('binds the phone: answered masked, stored encrypted with a blind index', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    const res = await t.http.post('/api/mp/me/phone').set(bearer(token)).send({ code: await phoneCode(t, '13800138000') });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ phone: '138****8000' });
    expect((await t.http.get('/api/mp/me').set(bearer(token))).body.phone).toBe('138****8000');
    const rows = await t.deps.db.query('SELECT * FROM clients WHERE id = ?', [client.id]);
    expect(rawContains(rows, '13800138000')).toBe(false);
    expect(rows[0].phone_bidx).toBe(t.services.cipher.blindIndex('phone', '13800138000'));
  });

  it('a phone already bound to another client → 409 PHONE_IN_USE, the second client keeps no phone', async () => {
    const first = await createClient(t);
    const second = await createClient(t);
    await t.http.post('/api/mp/me/phone').set(bearer(await clientToken(t, first))).send({ code: await phoneCode(t, '13900139000') });
    const res = await t.http.post('/api/mp/me/phone').set(bearer(await clientToken(t, second))).send({ code: await phoneCode(t, '13900139000') });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('PHONE_IN_USE');
    const [row] = await t.deps.db.query('SELECT phone_enc FROM clients WHERE id = ?', [second.id]);
    expect(row.phone_enc).toBeNull();
  });

  it('an unknown or reused code → 400 PHONE_CODE_INVALID', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    const bad = await t.http.post('/api/mp/me/phone').set(bearer(token)).send({ code: 'not-a-real-code' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('PHONE_CODE_INVALID');
    const code = await phoneCode(t, '13700137000');
    expect((await t.http.post('/api/mp/me/phone').set(bearer(token)).send({ code })).status).toBe(200);
    const reused = await t.http.post('/api/mp/me/phone').set(bearer(token)).send({ code });
    expect(reused.status).toBe(400);
    expect(reused.body.error.code).toBe('PHONE_CODE_INVALID');
  });

  it.each([
    [-1, 503, 'WECHAT_UNAVAILABLE'],
    [45011, 503, 'WECHAT_UNAVAILABLE'],
    [40226, 403, 'PHONE_BINDING_BLOCKED'],
  ])('WeChat answering %i → %i %s, nothing stored', async (errcode, status, code) => {
    const client = await createClient(t);
    const phoneCodeValue = await phoneCode(t, '13500135000');
    t.standIn.failNext('getuserphonenumber', errcode);
    const res = await t.http.post('/api/mp/me/phone').set(bearer(await clientToken(t, client))).send({ code: phoneCodeValue });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    if (status === 503) {
      expect(res.body.error.details).toEqual({ retryAfterSeconds: expect.any(Number) });
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    }
    const [row] = await t.deps.db.query('SELECT phone_enc FROM clients WHERE id = ?', [client.id]);
    expect(row.phone_enc).toBeNull();
  });

  it('a missing code → 400 naming body.code', async () => {
    const client = await createClient(t);
    const res = await t.http.post('/api/mp/me/phone').set(bearer(await clientToken(t, client))).send({});
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'body.code' })]);
  });
});
