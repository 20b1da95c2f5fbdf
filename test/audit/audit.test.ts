import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import type { Staff } from '../../src/modules/staff';
import type { Client } from '../../src/modules/clients';
import { AuditEntry, type Actor } from '../../src/modules/audit';

describe('audit listing (director only, read only)', () => {
  let t: TestContext;
  let director: Staff;
  let auth: { Authorization: string };
  let doctor: Staff;
  let client: Client;
  let otherClient: Client;
  const start = new Date('2026-03-01T02:00:00.000Z');

  const actorOf = (s: Staff): Actor => ({ type: 'staff', id: s.id, role: s.role, ip: '10.0.0.9', requestId: null });

  beforeAll(async () => {
    t = await createTestContext({ now: start.toISOString() });
    director = await createStaff(t, 'director');
    auth = bearer(await staffToken(t, director));
    doctor = await createStaff(t, 'doctor');
    client = await createClient(t);
    otherClient = await createClient(t);
    // Five rows by the doctor, one hour apart: three archive reads of `client`, one of `otherClient`, one export.
    const plan: Array<[string, Client]> = [
      ['client.view', client], ['client.view', client], ['client.view', otherClient], ['client.export', client], ['client.view', client],
    ];
    for (const [action, c] of plan) {
      await t.services.audit.record(actorOf(doctor), action, { clientId: c.id, details: { note: action } });
      t.clock.advance(3600_000);
    }
  });
  afterAll(async () => { await t.close(); });

  type Item = { id: string; at: string; action: string; clientId: string | null; actor: { type: string; id: string | null; role: string | null }; allowed: boolean };
  const list = async (query: Record<string, string | number>) => {
    const res = await t.http.get('/api/staff/audit').query(query).set(auth);
    expect(res.status).toBe(200);
    return res.body as { items: Item[]; nextBefore: string | null };
  };

  it('lists a staff member\'s rows newest first, with public ids, never internal ids', async () => {
    const page = await list({ staffId: doctor.publicId });

    expect(page.items.map((i) => i.action)).toEqual(['client.view', 'client.export', 'client.view', 'client.view', 'client.view']);
    expect(page.items.map((i) => Number(i.id))).toEqual([...page.items.map((i) => Number(i.id))].sort((a, b) => b - a));
    expect(page.items[0]).toMatchObject({ actor: { type: 'staff', id: doctor.publicId, role: 'doctor' }, clientId: client.publicId, allowed: true, ip: '10.0.0.9' });
    expect(page.nextBefore).toBeNull();
  });

  it('filters by client, by action, and by time window [from, to)', async () => {
    const byClient = await list({ clientId: otherClient.publicId });
    expect(byClient.items.map((i) => [i.action, i.clientId])).toEqual([['client.view', otherClient.publicId]]);

    const exports = await list({ staffId: doctor.publicId, action: 'client.export' });
    expect(exports.items.map((i) => i.action)).toEqual(['client.export']);

    const window = await list({
      staffId: doctor.publicId,
      from: new Date(start.getTime() + 1 * 3600_000).toISOString(),
      to: new Date(start.getTime() + 3 * 3600_000).toISOString(),
    });
    expect(window.items.map((i) => i.at)).toEqual([
      new Date(start.getTime() + 2 * 3600_000).toISOString(),
      new Date(start.getTime() + 1 * 3600_000).toISOString(),
    ]);
  });

  it('pages with `before` (keyset) without gaps or repeats', async () => {
    const first = await list({ staffId: doctor.publicId, limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextBefore).toBe(first.items[1].id);
    const second = await list({ staffId: doctor.publicId, limit: 2, before: first.nextBefore! });
    const third = await list({ staffId: doctor.publicId, limit: 2, before: second.nextBefore! });

    const all = await list({ staffId: doctor.publicId });
    expect([...first.items, ...second.items, ...third.items].map((i) => i.id)).toEqual(all.items.map((i) => i.id));
    expect(third.items).toHaveLength(1);
    expect(third.nextBefore).toBeNull();
  });

  it('gives nextBefore only when there really is a next page', async () => {
    const exact = await list({ staffId: doctor.publicId, limit: 5 });
    expect(exact.items).toHaveLength(5);
    expect(exact.nextBefore).toBeNull();

    const short = await list({ staffId: doctor.publicId, limit: 4 });
    expect(short.nextBefore).toBe(short.items[3].id);
    const last = await list({ staffId: doctor.publicId, limit: 1, before: short.nextBefore! });
    expect(last.items.map((i) => i.id)).toEqual([exact.items[4].id]);
    expect(last.nextBefore).toBeNull();
  });

  it('rows whose actor is a client show the client\'s public id', async () => {
    const at = t.clock.now();
    await t.services.audit.record({ type: 'client', id: otherClient.id, role: 'client', ip: '10.0.0.7', requestId: null }, 'route.denied', {
      allowed: false, details: { route: 'GET /api/staff/audit' },
    });

    const page = await list({ action: 'route.denied', from: at.toISOString(), to: new Date(at.getTime() + 1).toISOString() });

    const mine = page.items.filter((i) => i.actor.type === 'client');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ actor: { type: 'client', id: otherClient.publicId, role: 'client' }, clientId: null, allowed: false });
  });

  it('an unknown client or staff id gives an empty list, not an error', async () => {
    expect(await list({ clientId: 'Z'.repeat(22) })).toEqual({ items: [], nextBefore: null });
    expect(await list({ staffId: 'Z'.repeat(22) })).toEqual({ items: [], nextBefore: null });
  });

  it('bad filters answer 400 naming the field', async () => {
    const res = await t.http.get('/api/staff/audit').query({ limit: 0, from: 'yesterday', before: 'abc', actorId: 1 }).set(auth);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['query.actorId', 'query.before', 'query.from', 'query.limit']);
  });

  it('the listing itself is written to the log', async () => {
    const lister = await createStaff(t, 'director');

    await t.http.get('/api/staff/audit').query({ clientId: client.publicId, action: 'client.view' }).set(bearer(await staffToken(t, lister))).expect(200);

    const rows = await t.deps.db.getRepository(AuditEntry).findBy({ actorType: 'staff', actorId: lister.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'audit.list', allowed: true, actorRole: 'director' });
    expect(rows[0].details).toMatchObject({ clientId: client.publicId, action: 'client.view', count: 3 });
  });

  it('no route changes or deletes audit rows: PUT/PATCH/DELETE answer 404/405 and nothing changes', async () => {
    const repo = t.deps.db.getRepository(AuditEntry);
    const target = (await list({ staffId: doctor.publicId })).items[0];
    const snapshot = async () => ({
      mine: await repo.count({ where: [{ actorType: 'staff', actorId: doctor.id }, { actorType: 'staff', actorId: director.id }] }),
      row: await repo.findOneBy({ id: target.id }),
    });
    const before = await snapshot();

    for (const path of ['/api/staff/audit', `/api/staff/audit/${target.id}`]) {
      for (const method of ['put', 'patch', 'delete'] as const) {
        const res = await t.http[method](path).set(auth).send({ allowed: false, action: 'tampered' });
        expect([404, 405]).toContain(res.status);
        expect(['NOT_FOUND', 'METHOD_NOT_ALLOWED']).toContain(res.body.error.code);
      }
    }

    expect(await snapshot()).toEqual(before);
  });

  it('only the director may list: 403 FORBIDDEN and a denied row for each other role', async () => {
    for (const role of ['doctor', 'consultant', 'customer_service'] as const) {
      const staff = await createStaff(t, role);

      const res = await t.http.get('/api/staff/audit').set(bearer(await staffToken(t, staff)));

      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      const rows = await t.deps.db.getRepository(AuditEntry).findBy({ actorType: 'staff', actorId: staff.id });
      expect(rows.map((r) => [r.action, r.allowed])).toEqual([['route.denied', false]]);
    }
  });
});
