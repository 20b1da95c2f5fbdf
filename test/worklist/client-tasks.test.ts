import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import type { Staff } from '../../src/modules/staff';

/** The WeCom sidebar's quick actions: a task about the client, and sending the questionnaire or the binding code. */
describe('sidebar quick actions', () => {
  let t: TestContext;
  let consultant: Staff;
  let other: Staff;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestContext({ now: '2026-03-02T02:00:00Z' });
    [consultant, other] = await Promise.all([createStaff(t, 'consultant'), createStaff(t, 'consultant')]);
    for (const s of [consultant, other]) tokens[s.id] = await staffToken(t, s);
  });
  afterAll(async () => { await t?.close(); });

  const outboxOf = async (clientId: number) => {
    const rows: { dedupe_key: string; payload_enc: Buffer }[] = await t.deps.db.query(
      "SELECT dedupe_key, payload_enc FROM outbox_messages WHERE client_id = ? AND kind = 'client_message'", [clientId],
    );
    return rows.map((r) => t.services.outbox.openPayload(r.dedupe_key, r.payload_enc) as Record<string, any>);
  };

  describe('POST /api/staff/clients/:id/tasks', () => {
    it('creates one task per request id, assigned to the caller, encrypted, audited, listed in the worklist', async () => {
      const client = await createClient(t, { consultantId: consultant.id });
      const body = { requestId: randomUUID(), title: '回访：术后第三天', details: '问一下消肿情况', dueAt: '2026-03-05T02:00:00.000Z' };
      const [a, b] = await Promise.all([1, 2].map(() => t.http.post(`/api/staff/clients/${client.publicId}/tasks`).set(bearer(tokens[consultant.id])).send(body)));

      expect([a.status, b.status, a.body.error]).toEqual([200, 200, undefined]);
      expect(a.body.id).toBe(b.body.id);
      expect(a.body).toMatchObject({ clientId: client.publicId, assigneeRole: 'consultant', assigneeId: consultant.publicId, title: body.title, details: { text: body.details }, status: 'open' });
      const rows: { title_enc: Buffer }[] = await t.deps.db.query('SELECT title_enc FROM staff_tasks WHERE client_id = ?', [client.id]);
      expect(rows).toHaveLength(1);
      expect(rows[0].title_enc.toString('utf8')).not.toContain('回访');
      const listed = await t.http.get('/api/staff/tasks').set(bearer(tokens[consultant.id])).query({ pageSize: 100 });
      expect(listed.body.items.map((i: { id: string }) => i.id)).toContain(a.body.id);
      const audits: unknown[] = await t.deps.db.query("SELECT id FROM audit_log WHERE action = 'worklist.create' AND client_id = ?", [client.id]);
      expect(audits).toHaveLength(1);
    });

    it("answers 404 for another consultant's client and writes nothing", async () => {
      const client = await createClient(t, { consultantId: consultant.id });
      const res = await t.http.post(`/api/staff/clients/${client.publicId}/tasks`).set(bearer(tokens[other.id])).send({ requestId: randomUUID(), title: '越权' });
      expect(res.status).toBe(404);
      expect(await t.deps.db.query('SELECT id FROM staff_tasks WHERE client_id = ?', [client.id])).toHaveLength(0);
    });

    it('refuses a missing or blank title, a bad request id, a bad date and an unknown role with the field', async () => {
      const client = await createClient(t, { consultantId: consultant.id });
      const post = (body: object) => t.http.post(`/api/staff/clients/${client.publicId}/tasks`).set(bearer(tokens[consultant.id])).send(body);
      const cases: [object, string][] = [
        [{ requestId: randomUUID() }, 'body.title'],
        [{ requestId: randomUUID(), title: '   ' }, 'body.title'],
        [{ requestId: 'x', title: '回访' }, 'body.requestId'],
        [{ requestId: randomUUID(), title: '回访', dueAt: 'tomorrow' }, 'body.dueAt'],
        [{ requestId: randomUUID(), title: '回访', assigneeRole: 'boss' }, 'body.assigneeRole'],
      ];
      for (const [body, field] of cases) {
        const res = await post(body);
        expect([res.status, res.body.error.details[0].field]).toEqual([400, field]);
      }
    });
  });

  describe('POST /api/staff/clients/:id/send', () => {
    it('queues the questionnaire card once per day however often it is tapped', async () => {
      const client = await createClient(t, { consultantId: consultant.id });
      const send = () => t.http.post(`/api/staff/clients/${client.publicId}/send`).set(bearer(tokens[consultant.id])).send({ what: 'questionnaire' });
      const [a, b] = await Promise.all([send(), send()]);

      expect([a.body.queued, b.body.queued].sort()).toEqual([false, true]);
      const messages = await outboxOf(client.id);
      expect(messages).toHaveLength(1);
      expect(messages[0].card.pagePath).toBe('packageSurvey/questionnaire/index?code=intent');

      t.clock.advance(24 * 3600_000);
      expect((await send()).body.queued).toBe(true);
      expect(await outboxOf(client.id)).toHaveLength(2);
    });

    it("sends the client's current binding code as text", async () => {
      const client = await createClient(t, { consultantId: consultant.id });
      const res = await t.http.post(`/api/staff/clients/${client.publicId}/send`).set(bearer(tokens[consultant.id])).send({ what: 'binding_code' });
      expect(res.body).toEqual({ queued: true });
      const code = (await t.services.contacts.bindingCode(client.id)).code;
      const [message] = await outboxOf(client.id);
      expect(message.text).toContain(code);
      expect(message.card).toBeUndefined();
    });

    it("answers 404 for another consultant's client, 400 for an unknown purpose", async () => {
      const client = await createClient(t, { consultantId: consultant.id });
      const foreign = await t.http.post(`/api/staff/clients/${client.publicId}/send`).set(bearer(tokens[other.id])).send({ what: 'questionnaire' });
      const unknown = await t.http.post(`/api/staff/clients/${client.publicId}/send`).set(bearer(tokens[consultant.id])).send({ what: 'coupon' });
      expect(foreign.status).toBe(404);
      expect([unknown.status, unknown.body.error.details[0].field]).toEqual([400, 'body.what']);
      expect(await outboxOf(client.id)).toHaveLength(0);
    });
  });
});
