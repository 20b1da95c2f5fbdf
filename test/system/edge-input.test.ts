import { Writable } from 'node:stream';
import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { createLogger } from '../../src/shared/logger';
import { createApp } from '../../src/app';
import { parsePhone } from '../../src/shared/phone';

/** An app on the test context's database and Redis whose log lines land in `lines`. */
function appWithCapturedLog(t: TestContext): { http: ReturnType<typeof request>; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const { app } = createApp({ ...t.deps, logger: createLogger('debug', {}, sink) });
  return { http: request(app.callback()), lines };
}

describe('bodies the JSON parser refuses', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t.close(); });

  it.each([
    ['__proto__', '{"username":"director","password":"Hunter2-Secret-Pw","__proto__":{"admin":true}}'],
    ['truncated JSON', '{"username":"director","password":"Hunter2-Secret-Pw"'],
  ])('a staff login with %s → 400 MALFORMED_JSON in the error shape, and the body is in no log line', async (_what, body) => {
    const { http, lines } = appWithCapturedLog(t);
    const res = await http.post('/api/staff/auth/login').set('content-type', 'application/json').send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'MALFORMED_JSON', details: [{ field: 'body' }] });
    expect(lines.join('')).not.toContain('Hunter2-Secret-Pw');
  });

  it('a client medical-history write with __proto__ → 400, and its text is in no log line', async () => {
    const client = await createClient(t);
    const { http, lines } = appWithCapturedLog(t);
    const res = await http.put('/api/mp/me/medical').set(bearer(await clientToken(t, client))).set('content-type', 'application/json')
      .send('{"allergies":"penicillin-allergy-xyz","__proto__":{}}');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('MALFORMED_JSON');
    expect(lines.join('')).not.toContain('penicillin-allergy-xyz');
  });
});

describe('text that is not Unicode', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t.close(); });

  it('a lone surrogate in a new staff member\'s display name → 400 on body.displayName, no account created', async () => {
    const director = await createStaff(t, 'director');
    const username = `surr${Date.now().toString(36)}`;
    const res = await t.http.post('/api/staff/staff').set(bearer(await staffToken(t, director))).set('content-type', 'application/json')
      .send(`{"username":"${username}","displayName":"ab\\ud800","role":"doctor","password":"Quite-Long-Password-2026"}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'body.displayName', type: 'string.unicode' }] });
    expect(await t.deps.db.query('SELECT id FROM staff WHERE username = ?', [username])).toEqual([]);
  });

  it('a lone low surrogate in a client\'s name → 400 on body.name, the name is not stored as U+FFFD', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    const before = (await t.http.get('/api/mp/me').set(bearer(token))).body.name;
    const res = await t.http.patch('/api/mp/me').set(bearer(token)).set('content-type', 'application/json').send('{"name":"林\\udc00"}');
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'body.name', type: 'string.unicode' })]);
    expect((await t.http.get('/api/mp/me').set(bearer(token))).body.name).toBe(before);
  });

  it('a surrogate pair (an emoji) is still fine', async () => {
    const client = await createClient(t);
    const res = await t.http.patch('/api/mp/me').set(bearer(await clientToken(t, client))).send({ name: '林😀' });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('林😀');
  });

  it('an encoded surrogate or broken UTF-8 in the query or the path → 400 naming it', async () => {
    const director = await createStaff(t, 'director');
    const auth = bearer(await staffToken(t, director));
    const q = await t.http.get('/api/staff/staff?role=%ED%A0%80').set(auth);
    expect(q.status).toBe(400);
    expect(q.body.error.details).toEqual([expect.objectContaining({ field: 'query.role', type: 'string.unicode' })]);
    const p = await t.http.patch('/api/staff/staff/%ED%A0%80').set(auth).send({ displayName: 'x' });
    expect(p.status).toBe(400);
    expect(p.body.error.details).toEqual([expect.objectContaining({ field: 'path', type: 'string.unicode' })]);
  });
});

describe('phone numbers from WeChat', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t.close(); });

  it.each(['39123456789x', '1391234567x8', '12345', '+86139123456789'])('%s → 400 PHONE_INVALID, nothing bound', async (phone) => {
    const client = await createClient(t);
    const res = await t.http.post('/api/mp/me/phone').set(bearer(await clientToken(t, client))).send({ code: t.standIn.issuePhoneCode(phone) });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'PHONE_INVALID', details: { field: 'body.code' } });
    const [row] = await t.deps.db.query('SELECT phone_enc, phone_bidx FROM clients WHERE id = ?', [client.id]);
    expect(row).toEqual({ phone_enc: null, phone_bidx: null });
  });

  it('an international number is bound with its country code', async () => {
    const client = await createClient(t);
    const res = await t.http.post('/api/mp/me/phone').set(bearer(await clientToken(t, client)))
      .send({ code: t.standIn.issuePhoneCode(`9${Math.floor(1e6 + Math.random() * 8e6)}`, '852') });
    expect(res.status).toBe(200);
  });

  it('parsePhone accepts mainland mobiles and landlines, E.164 numbers, and nothing with a stray character', () => {
    expect(parsePhone('13800138000')).toBe('13800138000');
    expect(parsePhone('+86 138-0013-8000')).toBe('13800138000');
    expect(parsePhone('0086 13800138000')).toBe('13800138000');
    expect(parsePhone('021-62345678')).toBe('02162345678');
    expect(parsePhone('+85291234567')).toBe('+85291234567');
    expect(parsePhone('+1 415 555 2671')).toBe('+14155552671');
    for (const bad of ['39123456789x', '1380013800O', '12800138000', '138001380001', '+0123456789', '+1234567', '13800138000;', '', '+86', '+1234567890123456']) {
      expect([bad, parsePhone(bad)]).toEqual([bad, null]);
    }
  });
});
