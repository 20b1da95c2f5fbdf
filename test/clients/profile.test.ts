import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';
import { NOW, rawContains } from './helpers';

describe('client profile (GET/PATCH /api/mp/me)', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext({ now: NOW }); });
  afterAll(async () => { await t.close(); });

  it('a new client reads an empty profile with a consent summary', async () => {
    const client = await createClient(t);
    const res = await t.http.get('/api/mp/me').set(bearer(await clientToken(t, client)));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: client.publicId, name: null, gender: 'unknown', birthDate: null, phone: null, address: null,
      referralCode: client.referralCode, stage: 'lead', consents: { privacy: null, health: null, guardian: null },
    });
  });

  it('profiles read at the same moment (one batched query) each go to their own client; a deleted one in the batch is 404', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => createClient(t)));
    const tokens = await Promise.all(clients.map((c) => clientToken(t, c)));
    await Promise.all(clients.map((_c, i) => t.http.patch('/api/mp/me').set(bearer(tokens[i])).send({ name: `并发${i}` })));
    await t.deps.db.query("UPDATE clients SET status = 'deleted' WHERE id = ?", [clients[5].id]);

    // Every client several times, never in id order: a batch must map rows back by id, not by position.
    const order = Array.from({ length: 30 }, (_, k) => (5 - (k % 6) + Math.floor(k / 6)) % 6);
    const answers = await Promise.all(order.map((i) => t.http.get('/api/mp/me').set(bearer(tokens[i]))));

    answers.forEach((res, k) => {
      const i = order[k];
      if (i === 5) expect([res.status, res.body.error?.code]).toEqual([404, 'NOT_FOUND']);
      else expect([res.status, res.body.id, res.body.name]).toEqual([200, clients[i].publicId, `并发${i}`]);
    });
  });

  it('PATCH then GET returns the same name, gender, birth date and address', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    const patch = { name: '张小美', gender: 'female', birthDate: '1995-03-08', address: '上海市静安区南京西路 1 号' };
    const res = await t.http.patch('/api/mp/me').set(bearer(token)).send(patch);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(patch);
    const read = await t.http.get('/api/mp/me').set(bearer(token));
    expect(read.body).toMatchObject(patch);
    const audit = await t.deps.db.query("SELECT details FROM audit_log WHERE client_id = ? AND action = 'client.profile.update'", [client.id]);
    expect(audit).toHaveLength(1);
  });

  it('the raw clients row holds no readable name or address, and the name blind index is written', async () => {
    const client = await createClient(t);
    await t.http.patch('/api/mp/me').set(bearer(await clientToken(t, client))).send({ name: '李秘密', address: '北京市朝阳区秘密路 88 号' });
    const rows = await t.deps.db.query('SELECT * FROM clients WHERE id = ?', [client.id]);
    expect(rawContains(rows, '李秘密')).toBe(false);
    expect(rawContains(rows, '秘密路')).toBe(false);
    expect(rows[0].name_bidx).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    [{ openid: 'o_evil' }, 'body.openid'],
    [{ role: 'director' }, 'body.role'],
    [{ name: 'ok', points: 1000 }, 'body.points'],
    [{ id: 1 }, 'body.id'],
  ])('PATCH with an unknown field %j → 400 naming the field, nothing stored', async (body, field) => {
    const client = await createClient(t);
    const res = await t.http.patch('/api/mp/me').set(bearer(await clientToken(t, client))).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    const [row] = await t.deps.db.query('SELECT openid, name_enc FROM clients WHERE id = ?', [client.id]);
    expect(row.openid).toBe(client.openid);
    expect(row.name_enc).toBeNull();
  });

  it.each([
    [{ name: 'x'.repeat(100) }, 'body.name'],
    [{ name: '' }, 'body.name'],
    [{ name: 42 }, 'body.name'],
    [{ gender: 'robot' }, 'body.gender'],
    [{ birthDate: '2030-01-01' }, 'body.birthDate'],
    [{ birthDate: '1850-01-01' }, 'body.birthDate'],
    [{ birthDate: '1990-02-30' }, 'body.birthDate'],
    [{ birthDate: 'yesterday' }, 'body.birthDate'],
    [{ address: 'a'.repeat(201) }, 'body.address'],
    [{}, 'body'],
  ])('PATCH %j → 400 with details[].field %s, nothing stored', async (body, field) => {
    const client = await createClient(t);
    const res = await t.http.patch('/api/mp/me').set(bearer(await clientToken(t, client))).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    const [row] = await t.deps.db.query("SELECT name_enc, birth_date, gender FROM clients WHERE id = ?", [client.id]);
    expect(row).toMatchObject({ name_enc: null, birth_date: null, gender: 'unknown' });
  });

  it('a birth date of today is accepted (Shanghai calendar)', async () => {
    const client = await createClient(t);
    const res = await t.http.patch('/api/mp/me').set(bearer(await clientToken(t, client))).send({ birthDate: '2026-06-01' });
    expect(res.status).toBe(200);
  });

  it('without a token → 401; malformed JSON → 400 MALFORMED_JSON', async () => {
    expect((await t.http.get('/api/mp/me')).status).toBe(401);
    const client = await createClient(t);
    const res = await t.http.patch('/api/mp/me').set(bearer(await clientToken(t, client))).set('Content-Type', 'application/json').send('{"name":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('MALFORMED_JSON');
  });

  it('a name ciphertext copied onto another row does not decrypt: the field reads null, no 500', async () => {
    const a = await createClient(t);
    const b = await createClient(t);
    await t.http.patch('/api/mp/me').set(bearer(await clientToken(t, a))).send({ name: '王甲' });
    await t.http.patch('/api/mp/me').set(bearer(await clientToken(t, b))).send({ name: '赵乙', gender: 'male' });
    await t.deps.db.query('UPDATE clients b JOIN clients a ON a.id = ? SET b.name_enc = a.name_enc WHERE b.id = ?', [a.id, b.id]);
    const res = await t.http.get('/api/mp/me').set(bearer(await clientToken(t, b)));
    expect(res.status).toBe(200);
    expect(res.body.name).toBeNull();
    expect(res.body.gender).toBe('male');
  });
});
