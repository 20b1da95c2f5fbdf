import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createStaff, staffToken } from '../helpers/factories';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';
import { grantHealth, MEDICAL, NOW } from './helpers';

describe('staff access to client archives (/api/staff/clients)', () => {
  let t: TestContext;
  let director: Staff, doctor: Staff, consultant: Staff, otherConsultant: Staff, service: Staff;
  const tokens: Record<string, string> = {};
  let assigned: Client, unassigned: Client;
  const phone = `139${String(Date.now()).slice(-8)}`;

  const auditRows = (clientId: number, action: string) =>
    t.deps.db.query('SELECT actor_id, actor_role, allowed, details FROM audit_log WHERE client_id = ? AND action = ? ORDER BY id', [clientId, action]);

  beforeAll(async () => {
    t = await createTestContext({ now: NOW });
    director = await createStaff(t, 'director');
    doctor = await createStaff(t, 'doctor');
    consultant = await createStaff(t, 'consultant');
    otherConsultant = await createStaff(t, 'consultant');
    service = await createStaff(t, 'customer_service');
    for (const s of [director, doctor, consultant, otherConsultant, service]) tokens[s.username] = await staffToken(t, s);

    assigned = await t.services.clients.createClient({ openid: `o_staff_a_${Date.now()}`, name: '陈客户', phone, address: '杭州市西湖区', birthDate: '1992-05-05', consultantId: consultant.id });
    unassigned = await t.services.clients.createClient({ openid: `o_staff_b_${Date.now()}`, name: '刘客户' });
    const token = await clientToken(t, assigned);
    await grantHealth(t, token);
    await t.http.put('/api/mp/me/medical').set(bearer(token)).send(MEDICAL);
  });
  afterAll(async () => { await t.close(); });

  const as = (s: Staff) => bearer(tokens[s.username]);

  it('a consultant lists only the clients assigned to them; the search is audited once', async () => {
    const res = await t.http.get('/api/staff/clients?pageSize=100').set(as(consultant));
    expect(res.status).toBe(200);
    expect(res.body.items.map((c: { id: string }) => c.id)).toEqual([assigned.publicId]);
    expect(res.body.total).toBe(1);
    expect(res.body.items[0]).toMatchObject({ name: '陈客户', phone: `${phone.slice(0, 3)}****${phone.slice(-4)}`, consultant: { id: consultant.publicId } });
    const other = await t.http.get('/api/staff/clients').set(as(otherConsultant));
    expect(other.body.items).toEqual([]);
    const searches = await t.deps.db.query("SELECT actor_role FROM audit_log WHERE action = 'client.search' AND actor_id = ?", [consultant.id]);
    expect(searches).toEqual([{ actor_role: 'consultant' }]);
  });

  it('the director finds a client by phone (blind index) and by exact name', async () => {
    const byPhone = await t.http.get(`/api/staff/clients?phone=${encodeURIComponent(`+86 ${phone}`)}`).set(as(director));
    expect(byPhone.status).toBe(200);
    expect(byPhone.body.items.map((c: { id: string }) => c.id)).toEqual([assigned.publicId]);
    const byName = await t.http.get(`/api/staff/clients?name=${encodeURIComponent('刘客户')}`).set(as(director));
    expect(byName.body.items.map((c: { id: string }) => c.id)).toEqual([unassigned.publicId]);
    const bad = await t.http.get('/api/staff/clients?pageSize=1000&stage=heaven').set(as(director));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['query.pageSize', 'query.stage']);
  });

  it('a consultant opening an unassigned client → 404 like a missing one, with an audit row allowed=0', async () => {
    const res = await t.http.get(`/api/staff/clients/${unassigned.publicId}`).set(as(consultant));
    const missing = await t.http.get('/api/staff/clients/AAAAAAAAAAAAAAAAAAAAAA').set(as(consultant));
    expect(res.status).toBe(404);
    expect(res.body).toEqual(missing.body);
    const rows = await auditRows(unassigned.id, 'client.read');
    expect(rows).toEqual([expect.objectContaining({ actor_id: consultant.id, actor_role: 'consultant', allowed: 0 })]);
  });

  it('customer service opens the archive with contact data but no medical fields, and gets 403 on /medical (audited)', async () => {
    const res = await t.http.get(`/api/staff/clients/${assigned.publicId}`).set(as(service));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: '陈客户', phone: `${phone.slice(0, 3)}****${phone.slice(-4)}`, address: '杭州市西湖区' });
    expect(res.body).not.toHaveProperty('medical');
    expect(JSON.stringify(res.body)).not.toContain('青霉素');
    const med = await t.http.get(`/api/staff/clients/${assigned.publicId}/medical`).set(as(service));
    expect(med.status).toBe(403);
    const denied = await t.deps.db.query("SELECT allowed FROM audit_log WHERE action = 'route.denied' AND actor_id = ?", [service.id]);
    expect(denied).toEqual([{ allowed: 0 }]);
    expect((await t.http.get(`/api/staff/clients/${assigned.publicId}/medical`).set(as(consultant))).status).toBe(403);
  });

  it('a doctor sees the medical history in the archive and on /medical; both reads are audited', async () => {
    const res = await t.http.get(`/api/staff/clients/${assigned.publicId}`).set(as(doctor));
    expect(res.status).toBe(200);
    expect(res.body.medical).toMatchObject(MEDICAL);
    expect(res.body.consents).toHaveLength(2);
    const med = await t.http.get(`/api/staff/clients/${assigned.publicId}/medical`).set(as(doctor));
    expect(med.status).toBe(200);
    expect(med.body).toMatchObject(MEDICAL);
    expect(await auditRows(assigned.id, 'client.medical.read')).toEqual([expect.objectContaining({ actor_id: doctor.id, allowed: 1 })]);
  });

  it('every open of an archive writes a client.read row with the role', async () => {
    const before = (await auditRows(assigned.id, 'client.read')).length;
    await t.http.get(`/api/staff/clients/${assigned.publicId}`).set(as(director));
    await t.http.get(`/api/staff/clients/${assigned.publicId}`).set(as(consultant));
    const rows = await auditRows(assigned.id, 'client.read');
    expect(rows).toHaveLength(before + 2);
    expect(rows.slice(-2).map((r: { actor_role: string; allowed: number }) => [r.actor_role, r.allowed])).toEqual([['director', 1], ['consultant', 1]]);
  });

  it('the director assigns a consultant and sets the stage; audited with field names only', async () => {
    const client = await t.services.clients.createClient({ openid: `o_staff_c_${Date.now()}`, name: '周客户' });
    const res = await t.http.patch(`/api/staff/clients/${client.publicId}`).set(as(director)).send({ consultantId: otherConsultant.publicId, stage: 'consulting' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stage: 'consulting', consultant: { id: otherConsultant.publicId } });
    const rows = await auditRows(client.id, 'client.update');
    expect(rows[0].details.fields).toEqual(['consultantId', 'stage']);
    expect(JSON.stringify(rows)).not.toContain('周客户');
    const list = await t.http.get('/api/staff/clients').set(as(otherConsultant));
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([client.publicId]);
  });

  it('staff PATCH refuses a non-consultant id, unknown fields, other roles and unassigned clients', async () => {
    const badId = await t.http.patch(`/api/staff/clients/${assigned.publicId}`).set(as(director)).send({ consultantId: doctor.publicId });
    expect(badId.status).toBe(400);
    expect(badId.body.error).toMatchObject({ code: 'CONSULTANT_NOT_FOUND', details: { field: 'body.consultantId' } });
    const unknown = await t.http.patch(`/api/staff/clients/${assigned.publicId}`).set(as(director)).send({ name: 'x' });
    expect(unknown.status).toBe(400);
    expect((await t.http.patch(`/api/staff/clients/${assigned.publicId}`).set(as(doctor)).send({ stage: 'booked' })).status).toBe(403);
    expect((await t.http.patch(`/api/staff/clients/${unassigned.publicId}`).set(as(consultant)).send({ stage: 'booked' })).status).toBe(404);
    const own = await t.http.patch(`/api/staff/clients/${assigned.publicId}`).set(as(consultant)).send({ stage: 'booked' });
    expect(own.status).toBe(200);
  });

  it('a doctor records medical history only with the client’s health consent', async () => {
    const withoutConsent = await t.http.put(`/api/staff/clients/${unassigned.publicId}/medical`).set(as(doctor)).send(MEDICAL);
    expect(withoutConsent.status).toBe(403);
    expect(withoutConsent.body.error.code).toBe('HEALTH_CONSENT_REQUIRED');
    expect(await t.deps.db.query('SELECT * FROM medical_records WHERE client_id = ?', [unassigned.id])).toHaveLength(0);
    const ok = await t.http.put(`/api/staff/clients/${assigned.publicId}/medical`).set(as(doctor)).send({ ...MEDICAL, conditions: ['糖尿病'] });
    expect(ok.status).toBe(200);
    const [rec] = await t.deps.db.query('SELECT updated_by_type, updated_by_id FROM medical_records WHERE client_id = ?', [assigned.id]);
    expect(rec).toEqual({ updated_by_type: 'staff', updated_by_id: doctor.id });
    expect((await t.http.put(`/api/staff/clients/${assigned.publicId}/medical`).set(as(service)).send(MEDICAL)).status).toBe(403);
  });

  it('a search audit row lists the internal ids of the clients it showed', async () => {
    await t.http.get(`/api/staff/clients?phone=${phone}`).set(as(director)).expect(200);
    const [row] = await t.deps.db.query("SELECT details FROM audit_log WHERE action = 'client.search' AND actor_id = ? ORDER BY id DESC LIMIT 1", [director.id]);
    expect(row.details.clientIds).toEqual([assigned.id]);
    await t.http.get('/api/staff/clients').set(as(consultant)).expect(200);
    const [own] = await t.deps.db.query("SELECT details FROM audit_log WHERE action = 'client.search' AND actor_id = ? ORDER BY id DESC LIMIT 1", [consultant.id]);
    expect(own.details.clientIds).toEqual([assigned.id]);
  });

  it('a deleted client’s archive → 404 for every staff read and write, like a missing one', async () => {
    const client = await t.services.clients.createClient({ openid: `o_staff_d_${Date.now()}`, name: '已注销', consultantId: consultant.id });
    await t.http.delete('/api/mp/me').set(bearer(await clientToken(t, client))).send({ confirm: true }).expect(204);
    const missing = await t.http.get('/api/staff/clients/AAAAAAAAAAAAAAAAAAAAAA').set(as(director));

    const res = await t.http.get(`/api/staff/clients/${client.publicId}`).set(as(director));

    expect(res.status).toBe(404);
    expect(res.body).toEqual(missing.body);
    expect((await t.http.get(`/api/staff/clients/${client.publicId}/medical`).set(as(doctor))).status).toBe(404);
    expect((await t.http.put(`/api/staff/clients/${client.publicId}/medical`).set(as(doctor)).send(MEDICAL)).status).toBe(404);
    expect((await t.http.patch(`/api/staff/clients/${client.publicId}`).set(as(director)).send({ stage: 'lost' })).status).toBe(404);
    expect(await auditRows(client.id, 'client.read')).toEqual([]);
  });

  it('a consultant’s PATCH racing a reassignment is checked on the locked row: 404, nothing changed', async () => {
    const client = await t.services.clients.createClient({ openid: `o_staff_e_${Date.now()}`, consultantId: consultant.id });
    // Arrange: another transaction holds the client row while it moves the client to another consultant.
    const holder = t.deps.db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query('SELECT id FROM clients WHERE id = ? FOR UPDATE', [client.id]);

      // Act: the consultant's PATCH starts while the row is held; wait until its locking read of the row is waiting.
      const pending = t.http.patch(`/api/staff/clients/${client.publicId}`).set(as(consultant)).send({ stage: 'booked' }).then((r) => r);
      for (let i = 0; ; i++) {
        const waiting = await t.deps.db.query(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND INFO LIKE '%FOR UPDATE%' AND INFO LIKE ?",
          [`%${client.publicId}%`],
        );
        if (waiting.length) break;
        if (i > 200) throw new Error('the PATCH never took the client row FOR UPDATE');
        await new Promise((r) => setTimeout(r, 10));
      }
      await holder.query('UPDATE clients SET consultant_id = ? WHERE id = ?', [otherConsultant.id, client.id]);
      await holder.commitTransaction();
      const res = await pending;

      // Assert: the check saw the new consultant.
      expect(res.status).toBe(404);
      const [row] = await t.deps.db.query('SELECT stage, consultant_id FROM clients WHERE id = ?', [client.id]);
      expect(row).toEqual({ stage: 'lead', consultant_id: otherConsultant.id });
      expect(await auditRows(client.id, 'client.update')).toEqual([expect.objectContaining({ actor_id: consultant.id, allowed: 0 })]);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
  });

  it('a client token is refused on staff routes', async () => {
    const res = await t.http.get('/api/staff/clients').set(bearer(await clientToken(t, assigned)));
    expect(res.status).toBe(401);
  });

  it('the raw client, consent and medical tables show no readable personal or health text', async () => {
    const dump = JSON.stringify([
      ...(await t.deps.db.query('SELECT * FROM clients')),
      ...(await t.deps.db.query('SELECT * FROM consents')),
      ...(await t.deps.db.query('SELECT * FROM medical_records')),
    ].map((r: Record<string, unknown>) => Object.values(r).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v))));
    for (const text of ['陈客户', '刘客户', phone, '杭州', '青霉素', '阿司匹林', '双眼皮', '高血压', '糖尿病']) expect(dump).not.toContain(text);
  });
});
