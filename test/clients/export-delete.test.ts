import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff } from '../helpers/factories';
import { exportsPurgeTask } from '../../src/modules/clients';
import { publicId } from '../../src/shared/crypto';
import { grantHealth, MEDICAL, NOW, rawContains } from './helpers';

describe('export and deletion (/api/mp/me/exports, DELETE /api/mp/me)', () => {
  let t: TestContext;
  // A database of its own: the purge here removes anyone's expired exports, and other files' exports
  // (made under other clocks) are expired by this file's clock, so a "nothing left" check would race them.
  beforeAll(async () => { t = await createTestContext({ now: NOW, isolatedDatabase: true }); });
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

  // An expired row, put straight into the table (the clock stays at NOW).
  const expiredExport = async (clientId: number) => {
    const id = publicId();
    const at = new Date(new Date(NOW).getTime() - 25 * 3600 * 1000);
    await t.deps.db.query('INSERT INTO data_exports (public_id, client_id, payload_enc, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
      id, clientId, Buffer.from('stale'), at, new Date(at.getTime() + 24 * 3600 * 1000),
    ]);
    return id;
  };
  const exportIds = async (clientId: number) =>
    (await t.deps.db.query('SELECT public_id FROM data_exports WHERE client_id = ? ORDER BY id', [clientId])).map((r: { public_id: string }) => r.public_id);

  it('a new export replaces the client’s earlier one and removes expired exports of anyone, in the same transaction', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    const other = await createClient(t);
    const stale = await expiredExport(other.id);
    const first = await t.http.post('/api/mp/me/exports').set(bearer(token));

    const second = await t.http.post('/api/mp/me/exports').set(bearer(token));

    expect(second.status).toBe(201);
    expect(await exportIds(client.id)).toEqual([second.body.id]);
    expect((await t.http.get(`/api/mp/me/exports/${first.body.id}`).set(bearer(token))).status).toBe(404);
    expect(await t.deps.db.query('SELECT id FROM data_exports WHERE public_id = ?', [stale])).toHaveLength(0);
  });

  it('the exports-purge task deletes exports past their expiry and keeps live ones', async () => {
    const live = await createClient(t);
    const created = await t.http.post('/api/mp/me/exports').set(bearer(await clientToken(t, live)));
    const gone = await createClient(t);
    await expiredExport(gone.id);
    await expiredExport(gone.id);
    expect(exportsPurgeTask).toMatchObject({ id: 'exports-purge', schedule: expect.any(String) });

    const result = await exportsPurgeTask.run({ deps: t.deps, services: t.services, now: t.clock.now() });

    expect(result.items).toBeGreaterThanOrEqual(2);
    expect(await exportIds(gone.id)).toEqual([]);
    expect(await exportIds(live.id)).toEqual([created.body.id]);
    expect(await t.services.clients.purgeExpiredExports(t.clock.now())).toBe(0);
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

  it('DELETE /api/mp/me?confirm=true without a body → 400 VALIDATION_FAILED on body.confirm: only the body confirms', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);

    const res = await t.http.delete('/api/mp/me?confirm=true').set(bearer(token));

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field: 'body.confirm' })] });
    const [row] = await t.deps.db.query('SELECT status FROM clients WHERE id = ?', [client.id]);
    expect(row.status).toBe('active');
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
    // Data the deletion must also erase: touches, first touch, last login, consultant, the guardian's name and IPs on consents.
    const consultant = await createStaff(t, 'consultant');
    await t.deps.db.query('UPDATE clients SET first_touch = ?, last_login_at = ?, consultant_id = ? WHERE id = ?', [
      JSON.stringify({ utmSource: 'douyin', at: NOW }), new Date(NOW), consultant.id, client.id,
    ]);
    await t.deps.db.query("INSERT INTO client_touches (client_id, kind, utm_source, created_at) VALUES (?, 'first', 'douyin', ?)", [client.id, new Date(NOW)]);
    await t.deps.db.query("UPDATE consents SET guardian_name_enc = ?, ip = '203.0.113.9' WHERE client_id = ? AND purpose = 'privacy'", [
      Buffer.from('guardian ciphertext'), client.id,
    ]);
    const evidence = await t.deps.db.query('SELECT id, purpose, policy_version, granted_at FROM consents WHERE client_id = ? ORDER BY id', [client.id]);

    const res = await t.http.delete('/api/mp/me').set(bearer(token)).send({ confirm: true });
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
    expect(row).toMatchObject({ first_touch: null, last_login_at: null, consultant_id: null });
    expect(await t.deps.db.query('SELECT id FROM client_touches WHERE client_id = ?', [client.id])).toHaveLength(0);
    const kept = await t.deps.db.query('SELECT id, purpose, policy_version, granted_at, guardian_name_enc, ip FROM consents WHERE client_id = ? ORDER BY id', [client.id]);
    expect(kept.map(({ guardian_name_enc, ip }: Record<string, unknown>) => ({ guardian_name_enc, ip }))).toEqual([
      { guardian_name_enc: null, ip: null }, { guardian_name_enc: null, ip: null },
    ]);
    expect(kept.map(({ id, purpose, policy_version, granted_at }: Record<string, unknown>) => ({ id, purpose, policy_version, granted_at }))).toEqual(evidence);

    expect((await t.http.get('/api/mp/me').set(bearer(token))).status).toBe(401);
    // The phone is free again for a new account.
    const fresh = await createClient(t);
    await expect(t.services.clients.createClient({ openid: `o_new_${fresh.id}`, phone: '13612345678' })).resolves.toMatchObject({ status: 'active' });
  });
});
