import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';
import { grantHealth, MEDICAL, NOW, rawContains } from './helpers';

describe('export and deletion (/api/mp/me/exports, DELETE /api/mp/me)', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext({ now: NOW }); });
  afterAll(async () => { await t.close(); });

  it('the client exports everything about them and fetches it by id; the export is audited and stored encrypted', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    await t.http.patch('/api/mp/me').set(bearer(token)).send({ name: '导出者', address: '广州市天河区' });
    await grantHealth(t, token);
    await t.http.put('/api/mp/me/medical').set(bearer(token)).send(MEDICAL);

    const created = await t.http.post('/api/mp/me/exports').set(bearer(token));
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), expiresAt: '2026-06-02T04:00:00.000Z' });

    const got = await t.http.get(`/api/mp/me/exports/${created.body.id}`).set(bearer(token));
    expect(got.status).toBe(200);
    expect(got.body.profile).toMatchObject({ id: client.publicId, name: '导出者', address: '广州市天河区' });
    expect(got.body.medical).toMatchObject(MEDICAL);
    expect(got.body.consents).toHaveLength(2);
    expect(got.body.auditLog.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['client.profile.update', 'client.medical.update']));
    expect(Array.isArray(got.body.touches)).toBe(true);

    const raw = await t.deps.db.query('SELECT * FROM data_exports WHERE client_id = ?', [client.id]);
    expect(rawContains(raw, '导出者')).toBe(false);
    expect(rawContains(raw, '青霉素')).toBe(false);
    const audit = await t.deps.db.query("SELECT actor_type FROM audit_log WHERE client_id = ? AND action = 'client.export'", [client.id]);
    expect(audit).toHaveLength(1);
  });

  it("another client's export id → 404 NOT_FOUND, identical to a missing one", async () => {
    const owner = await createClient(t);
    const other = await createClient(t);
    const created = await t.http.post('/api/mp/me/exports').set(bearer(await clientToken(t, owner)));
    const otherToken = await clientToken(t, other);
    const theirs = await t.http.get(`/api/mp/me/exports/${created.body.id}`).set(bearer(otherToken));
    const missing = await t.http.get('/api/mp/me/exports/AAAAAAAAAAAAAAAAAAAAAA').set(bearer(otherToken));
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual(missing.body);
    expect((await t.http.get('/api/mp/me/exports/bad id').set(bearer(otherToken))).status).toBe(400);
  });

  it('an export expires after 24 hours (moving the clock)', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    const created = await t.http.post('/api/mp/me/exports').set(bearer(token));
    t.clock.advance(24 * 3600 * 1000 + 1);
    try {
      expect((await t.http.get(`/api/mp/me/exports/${created.body.id}`).set(bearer(token))).status).toBe(404);
    } finally {
      t.clock.set(NOW);
    }
  });

  it('DELETE /api/mp/me without confirm → 400 and nothing erased', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    await t.http.patch('/api/mp/me').set(bearer(token)).send({ name: '留下' });
    expect((await t.http.delete('/api/mp/me').set(bearer(token)).send({ confirm: false })).status).toBe(400);
    expect((await t.http.delete('/api/mp/me').set(bearer(token))).status).toBe(400);
    expect((await t.http.delete('/api/mp/me?confirm=false').set(bearer(token))).status).toBe(400);
    expect((await t.http.get('/api/mp/me').set(bearer(token))).body.name).toBe('留下');
  });

  it('deletion erases personal fields and the medical record, keeps consent evidence and audit rows, and ends sessions', async () => {
    const client = await createClient(t, { unionid: `u_${Date.now()}`, birthDate: '1990-01-01' });
    const token = await clientToken(t, client);
    await t.http.patch('/api/mp/me').set(bearer(token)).send({ name: '要删除', address: '深圳市南山区' });
    await t.deps.db.query('UPDATE clients SET phone_enc = ?, phone_bidx = ? WHERE id = ?', [
      t.services.cipher.encrypt('13612345678', `clients:${client.publicId}:phone`), t.services.cipher.blindIndex('phone', '13612345678'), client.id,
    ]);
    await grantHealth(t, token);
    await t.http.put('/api/mp/me/medical').set(bearer(token)).send(MEDICAL);
    await t.http.post('/api/mp/me/exports').set(bearer(token));

    // ?confirm=true as well as the body: @koa/bodyparser does not parse DELETE bodies by default.
    const res = await t.http.delete('/api/mp/me?confirm=true').set(bearer(token)).send({ confirm: true });
    expect(res.status).toBe(204);

    const [row] = await t.deps.db.query('SELECT * FROM clients WHERE id = ?', [client.id]);
    expect(row).toMatchObject({
      name_enc: null, name_bidx: null, phone_enc: null, phone_bidx: null, address_enc: null, unionid: null, birth_date: null,
      status: 'deleted', openid: `deleted:${client.publicId}`,
    });
    expect(row.deleted_at).toBeInstanceOf(Date);
    expect(await t.deps.db.query('SELECT * FROM medical_records WHERE client_id = ?', [client.id])).toHaveLength(0);
    expect(await t.deps.db.query('SELECT * FROM data_exports WHERE client_id = ?', [client.id])).toHaveLength(0);
    const consents = await t.deps.db.query('SELECT withdrawn_at FROM consents WHERE client_id = ?', [client.id]);
    expect(consents).toHaveLength(2);
    expect(consents.every((c: { withdrawn_at: Date | null }) => c.withdrawn_at !== null)).toBe(true);
    expect(await t.deps.db.query("SELECT id FROM audit_log WHERE client_id = ? AND action = 'client.delete'", [client.id])).toHaveLength(1);

    expect((await t.http.get('/api/mp/me').set(bearer(token))).status).toBe(401);
    // The phone is free again for a new account.
    const fresh = await createClient(t);
    await expect(t.services.clients.createClient({ openid: `o_new_${fresh.id}`, phone: '13612345678' })).resolves.toMatchObject({ status: 'active' });
  });
});
