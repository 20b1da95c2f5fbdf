import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createStaff, staffToken } from '../helpers/factories';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';
import { recordOrder, seededProject } from '../helpers/orders';

describe('staff notes, walk-in clients and the phone behind the mask', () => {
  let t: TestContext;
  let director: Staff, consultant: Staff, otherConsultant: Staff, service: Staff;
  let mine: Client;
  const tokens = new Map<number, string>();
  const phone = `137${String(Date.now()).slice(-8)}`;
  const as = (s: Staff) => bearer(tokens.get(s.id)!);
  const audit = (clientId: number, action: string) =>
    t.deps.db.query('SELECT actor_id AS actorId, allowed, details FROM audit_log WHERE client_id = ? AND action = ? ORDER BY id', [clientId, action]);

  beforeAll(async () => {
    t = await createTestContext();
    director = await createStaff(t, 'director');
    consultant = await createStaff(t, 'consultant');
    otherConsultant = await createStaff(t, 'consultant');
    service = await createStaff(t, 'customer_service');
    for (const s of [director, consultant, otherConsultant, service]) tokens.set(s.id, await staffToken(t, s));
    mine = await t.services.clients.createClient({ openid: `o_notes_${Date.now()}`, name: '周女士', phone, consultantId: consultant.id });
  });
  afterAll(async () => { await t.close(); });

  it('a consultant adds a note on their own client: stored encrypted, read back newest first, both audited', async () => {
    const text = '电话回访：想了解双眼皮恢复期 😊，周末方便到院';
    const add = await t.http.post(`/api/staff/clients/${mine.publicId}/notes`).set(as(consultant)).send({ kind: 'call', text });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ kind: 'call', text, author: { id: consultant.publicId } });
    await t.http.post(`/api/staff/clients/${mine.publicId}/notes`).set(as(service)).send({ text: '第二条' }).expect(201);

    const list = await t.http.get(`/api/staff/clients/${mine.publicId}/notes`).set(as(consultant));
    expect(list.status).toBe(200);
    expect(list.body.items.map((n: { text: string }) => n.text)).toEqual(['第二条', text]);

    const [row] = await t.deps.db.query('SELECT body_enc AS bodyEnc FROM client_notes WHERE public_id = ?', [add.body.id]);
    expect(Buffer.from(row.bodyEnc).toString('utf8')).not.toContain('双眼皮');
    expect(await audit(mine.id, 'client.note.create')).toHaveLength(2);
    expect(await audit(mine.id, 'client.note.read')).toEqual([expect.objectContaining({ actorId: consultant.id, allowed: 1 })]);
  });

  it('another consultant can neither read nor add notes on the client (404 as for a missing client, refusal audited)', async () => {
    const read = await t.http.get(`/api/staff/clients/${mine.publicId}/notes`).set(as(otherConsultant));
    const write = await t.http.post(`/api/staff/clients/${mine.publicId}/notes`).set(as(otherConsultant)).send({ text: '越权' });
    expect([read.status, write.status]).toEqual([404, 404]);
    expect(await audit(mine.id, 'client.note.read')).toContainEqual(expect.objectContaining({ actorId: otherConsultant.id, allowed: 0 }));
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM client_notes WHERE client_id = ?", [mine.id]);
    expect(Number(n)).toBe(2);
  });

  it('an empty or control-character note is a 400 naming body.text, nothing written', async () => {
    for (const text of ['   ', 'a\u0007b', 'x'.repeat(2001)]) {
      const res = await t.http.post(`/api/staff/clients/${mine.publicId}/notes`).set(as(consultant)).send({ text });
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain('body.text');
    }
  });

  it('the archive shows the phone masked; the full number is one audited look away', async () => {
    const archive = await t.http.get(`/api/staff/clients/${mine.publicId}`).set(as(consultant));
    expect(archive.body.phone).toBe(`${phone.slice(0, 3)}****${phone.slice(-4)}`);
    const shown = await t.http.post(`/api/staff/clients/${mine.publicId}/phone/reveal`).set(as(consultant));
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ phone });
    expect(await audit(mine.id, 'client.phone.reveal')).toEqual([expect.objectContaining({ actorId: consultant.id, allowed: 1 })]);
    expect((await t.http.post(`/api/staff/clients/${mine.publicId}/phone/reveal`).set(as(otherConsultant))).status).toBe(404);
  });

  it('a walk-in entered by a consultant is theirs; the same phone again is a 409 naming the existing client', async () => {
    const walkInPhone = `136${String(Date.now()).slice(-8)}`;
    const res = await t.http.post('/api/staff/clients').set(as(consultant)).send({ name: '吴小姐', phone: walkInPhone, sourceChannel: 'walk_in', gender: 'female' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ stage: 'lead', consultant: { id: consultant.publicId } });
    const [row] = await t.deps.db.query('SELECT openid, source_channel AS ch FROM clients WHERE public_id = ?', [res.body.id]);
    expect(row.openid).toMatch(/^staff:/);
    expect(row.ch).toBe('walk_in');

    const again = await t.http.post('/api/staff/clients').set(as(consultant)).send({ name: '吴小姐', phone: `+86 ${walkInPhone}`, sourceChannel: 'phone' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'PHONE_IN_USE', details: { field: 'body.phone', clientId: res.body.id } });
    // Another consultant learns only that the number is taken, not whose client it is.
    const other = await t.http.post('/api/staff/clients').set(as(otherConsultant)).send({ name: '吴小姐', phone: walkInPhone, sourceChannel: 'phone' });
    expect(other.status).toBe(409);
    expect(other.body.error.details).toEqual({ field: 'body.phone', ownedByAnotherConsultant: true });
  });

  it('a consultant cannot enter a client for a colleague; bad input names its fields', async () => {
    const res = await t.http.post('/api/staff/clients').set(as(consultant)).send({ name: '王', phone: `135${String(Date.now()).slice(-8)}`, sourceChannel: 'walk_in', consultantId: otherConsultant.publicId });
    expect(res.status).toBe(403);
    const bad = await t.http.post('/api/staff/clients').set(as(director)).send({ name: '', phone: 'abc', sourceChannel: 'tv' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['body.name', 'body.phone', 'body.sourceChannel']);
  });

  it('staff correct a walk-in’s details (audited by field name, never the values)', async () => {
    const created = await t.http.post('/api/staff/clients').set(as(service)).send({ name: '郑', phone: `134${String(Date.now()).slice(-8)}`, sourceChannel: 'phone' });
    const res = await t.http.post(`/api/staff/clients/${created.body.id}/corrections`).set(as(service)).send({ name: '郑晓雯', birthDate: '1990-03-08', address: '上海市静安区' });
    expect(res.status).toBe(200);
    const archive = await t.http.get(`/api/staff/clients/${created.body.id}`).set(as(director));
    expect(archive.body).toMatchObject({ name: '郑晓雯', birthDate: '1990-03-08', address: '上海市静安区' });
    const [{ id }] = await t.deps.db.query('SELECT id FROM clients WHERE public_id = ?', [created.body.id]);
    const rows = await audit(id, 'client.correct');
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain('郑晓雯');
  });

  it('the archive shows real spending: visits and spend net of refunds, the last visit', async () => {
    const doctor = await createStaff(t, 'doctor');
    const client = await t.services.clients.createClient({ openid: `o_spend_${Date.now()}`, consultantId: consultant.id });
    const project = await seededProject(t, 'rhinoplasty');
    const first = await recordOrder(t, { client, doctor, items: [{ projectId: project.id, amountFen: 300000 }], paidAt: new Date(t.clock.now().getTime() - 10 * 86400_000) });
    const second = await recordOrder(t, { client, doctor, items: [{ projectId: project.id, amountFen: 120000 }] });
    await t.services.orders.refund({ type: 'staff', id: director.id, role: 'director', ip: null, requestId: null }, first.id, { refundNo: `R${Date.now()}`, amountFen: 100000, reason: '部分退款' });
    const res = await t.http.get(`/api/staff/clients/${client.publicId}`).set(as(consultant));
    expect(res.body.consumption).toEqual({ visits: 2, lifetimeSpendFen: 320000, lastVisitAt: new Date(second.paidAt).toISOString() });
  });

  it('deleting the account erases the notes; the client’s export carries them', async () => {
    const client = await t.services.clients.createClient({ openid: `o_notes_del_${Date.now()}`, name: '钱', consultantId: consultant.id });
    await t.http.post(`/api/staff/clients/${client.publicId}/notes`).set(as(consultant)).send({ text: '喜欢自然款' }).expect(201);
    const token = await clientToken(t, client);
    const exp = await t.http.post('/api/mp/me/exports').set(bearer(token));
    const data = await t.http.get(`/api/mp/me/exports/${exp.body.id}`).set(bearer(token));
    expect(JSON.stringify(data.body)).toContain('喜欢自然款');
    await t.http.delete('/api/mp/me').set(bearer(token)).send({ confirm: true }).expect(204);
    const [{ n }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM client_notes WHERE client_id = ?', [client.id]);
    expect(Number(n)).toBe(0);
  });
});
