import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { ContactsService, SeenContact } from '../../src/modules/contacts';
import { Client } from '../../src/modules/clients/clients.entity';

const ACCOUNT = 'wecom-test-account';
let n = 0;
/** A WeCom contact as the puppet would describe it (unique id, no phone unless given). */
const contactOf = (over: Partial<SeenContact> = {}): SeenContact => ({ id: `wm_${randomUUID().slice(0, 8)}_${n++}`, name: '测试联系人', phones: [], ...over });
const randomPhone = () => `137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

describe('WeCom contacts: binding codes, matching, staff linking, chat messages', () => {
  let t: TestContext;
  let contacts: ContactsService;
  beforeAll(async () => {
    t = await createTestContext();
    contacts = t.services.contacts;
  });
  afterAll(async () => { await t.close(); });

  /** A client with an encrypted name and phone, as login and profile would leave it. */
  async function clientWith(opts: { phone?: string; unionid?: string; consultantId?: number } = {}): Promise<Client> {
    const c = await t.services.clients.createClient({ openid: `o_${randomUUID()}`, name: '林晓雯', phone: opts.phone ?? null, unionid: opts.unionid ?? null, consultantId: opts.consultantId ?? null });
    return c;
  }
  const auditRows = (action: string, clientId: number) =>
    t.deps.db.query('SELECT allowed, details FROM audit_log WHERE action = ? AND client_id = ? ORDER BY id', [action, clientId]);

  describe('GET /api/mp/wecom/binding-code', () => {
    it('gives a 6-character code mixing digits and letters, the same one while valid and a new one after it expires', async () => {
      const client = await createClient(t);
      const token = await clientToken(t, client);
      const first = await t.http.get('/api/mp/wecom/binding-code').set(bearer(token));
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ code: expect.stringMatching(/^(?=.*\d)(?=.*[A-Z])[2-9A-HJKMNP-Z]{6}$/), bound: false, instructions: expect.stringContaining(first.body.code) });
      expect(new Date(first.body.expiresAt).getTime() - t.clock.now().getTime()).toBe(t.config.bot.bindingCodeTtlHours * 3600_000);

      const again = await t.http.get('/api/mp/wecom/binding-code').set(bearer(token));
      expect(again.body.code).toBe(first.body.code);

      t.clock.advance(t.config.bot.bindingCodeTtlHours * 3600_000 + 1);
      const later = await t.http.get('/api/mp/wecom/binding-code').set(bearer(token));
      expect(later.body.code).not.toBe(first.body.code);
      // The expired code links nothing.
      expect(await contacts.bindByCode(ACCOUNT, contactOf(), first.body.code)).toEqual({ status: 'invalid' });
    });

    it('needs a client session', async () => {
      const res = await t.http.get('/api/mp/wecom/binding-code');
      expect(res.status).toBe(401);
    });
  });

  describe('linking by binding code', () => {
    it('links, audits, queues the client\'s tags for the contact, and attributes the contact\'s earlier messages', async () => {
      const client = await clientWith();
      const contact = contactOf();
      await contacts.seen(ACCOUNT, contact);
      await contacts.recordInbound({ messageId: randomUUID(), accountId: ACCOUNT, contactId: contact.id, clientId: null, kind: 'message', msgType: 'text', text: '你好', receivedAt: t.clock.now() });
      const { code } = await contacts.bindingCode(client.id);

      expect(await contacts.bindByCode(ACCOUNT, contact, code)).toEqual({ status: 'bound', clientId: client.id, replaced: null });
      expect(await contacts.contactOfClient(client.id)).toBe(contact.id);
      expect((await auditRows('wecom.contact.bind', client.id))[0].details).toMatchObject({ contactId: contact.id, by: 'code' });
      expect(await t.services.outbox.listForClient(client.id, 'tag_sync')).toHaveLength(1);
      const [{ n: attributed }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM inbound_messages WHERE contact_id = ? AND client_id = ?', [contact.id, client.id]);
      expect(Number(attributed)).toBe(1);
      expect((await contacts.bindingCode(client.id)).bound).toBe(true);
    });

    it('a code from a new WeChat account moves the link; a contact linked to someone else is left for staff', async () => {
      const client = await clientWith();
      const oldContact = contactOf();
      const newContact = contactOf();
      await contacts.bindByCode(ACCOUNT, oldContact, (await contacts.bindingCode(client.id)).code);

      expect(await contacts.bindByCode(ACCOUNT, newContact, (await contacts.bindingCode(client.id)).code))
        .toEqual({ status: 'bound', clientId: client.id, replaced: oldContact.id });
      expect(await contacts.contactOfClient(client.id)).toBe(newContact.id);

      const other = await clientWith();
      expect(await contacts.bindByCode(ACCOUNT, newContact, (await contacts.bindingCode(other.id)).code)).toEqual({ status: 'contact_taken' });
      expect(await contacts.contactOfClient(client.id)).toBe(newContact.id);
      expect(await contacts.contactOfClient(other.id)).toBeNull();
    });

    it('stops listening to a contact after too many wrong codes within the hour', async () => {
      const contact = contactOf();
      for (let i = 0; i < t.config.bot.bindingMaxFailures; i++) {
        expect(await contacts.bindByCode(ACCOUNT, contact, 'ZZZZ22')).toEqual({ status: 'invalid' });
      }
      const client = await clientWith();
      expect(await contacts.bindByCode(ACCOUNT, contact, (await contacts.bindingCode(client.id)).code)).toEqual({ status: 'throttled' });
      expect(await contacts.contactOfClient(client.id)).toBeNull();
    });

    it('two contacts racing with one code: exactly one is linked', async () => {
      const client = await clientWith();
      const { code } = await contacts.bindingCode(client.id);
      const racers = [contactOf(), contactOf()];
      const results = await Promise.all(racers.map((c) => contacts.bindByCode(ACCOUNT, c, code)));
      expect(results.map((r) => r.status).sort()).toEqual(['bound', 'invalid']);
      const [{ n: links }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM wecom_contacts WHERE client_id = ?', [client.id]);
      expect(Number(links)).toBe(1);
    });
  });

  describe('linking by an unambiguous match', () => {
    it('links a contact whose phone belongs to exactly one active client', async () => {
      const phone = randomPhone();
      const client = await clientWith({ phone });
      const contact = contactOf({ phones: [`+86 ${phone.slice(0, 3)} ${phone.slice(3)}`] });
      expect(await contacts.seen(ACCOUNT, contact)).toEqual({ clientId: client.id });
      const [row] = await t.deps.db.query('SELECT bound_by FROM wecom_contacts WHERE contact_id = ?', [contact.id]);
      expect(row.bound_by).toBe('match');
    });

    it('links nothing when the phone and the unionid point at two different clients', async () => {
      const phone = randomPhone();
      const unionid = `u_${randomUUID()}`;
      const a = await clientWith({ phone });
      const b = await clientWith({ unionid });
      const contact = contactOf({ phones: [phone], unionid });
      expect(await contacts.seen(ACCOUNT, contact)).toEqual({ clientId: null });
      expect(await contacts.contactOfClient(a.id)).toBeNull();
      expect(await contacts.contactOfClient(b.id)).toBeNull();
    });

    it('does not take a client who already has a contact, and does not relink a contact staff unlinked', async () => {
      const phone = randomPhone();
      const client = await clientWith({ phone });
      const first = contactOf({ phones: [phone] });
      expect((await contacts.seen(ACCOUNT, first)).clientId).toBe(client.id);
      const second = contactOf({ phones: [phone] });
      expect(await contacts.seen(ACCOUNT, second)).toEqual({ clientId: null });

      const director = await createStaff(t, 'director');
      const res = await t.http.post(`/api/staff/wecom/contacts/${first.id}/unbind`).set(bearer(await staffToken(t, director)));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ contactId: first.id, client: null, autoMatch: false });
      expect(await contacts.seen(ACCOUNT, first)).toEqual({ clientId: null });
      expect((await auditRows('wecom.contact.unbind', client.id))[0].details).toEqual({ contactId: first.id });
    });
  });

  describe('staff', () => {
    it('consultants and the director list unlinked contacts with their names; other roles may not', async () => {
      const contact = contactOf({ name: '王女士' });
      await contacts.seen(ACCOUNT, contact);
      const consultant = await createStaff(t, 'consultant');
      const res = await t.http.get('/api/staff/wecom/contacts?bound=false&pageSize=100').set(bearer(await staffToken(t, consultant)));
      expect(res.status).toBe(200);
      expect(res.body.items).toContainEqual(expect.objectContaining({ contactId: contact.id, name: '王女士', client: null, boundBy: null }));
      expect(res.body.items.every((i: { client: unknown }) => i.client === null)).toBe(true);

      const service = await createStaff(t, 'customer_service');
      expect((await t.http.get('/api/staff/wecom/contacts').set(bearer(await staffToken(t, service)))).status).toBe(403);
      const [row] = await t.deps.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'wecom.contacts.list' AND actor_id = ?", [consultant.id]);
      expect(Number(row.n)).toBe(1);
    });

    it('a consultant links a contact to their own client by hand (audited, tags queued) and sees it among linked contacts', async () => {
      const consultant = await createStaff(t, 'consultant');
      const token = await staffToken(t, consultant);
      const client = await clientWith({ consultantId: consultant.id });
      const contact = contactOf();
      await contacts.seen(ACCOUNT, contact);

      const res = await t.http.post(`/api/staff/wecom/contacts/${contact.id}/bind`).set(bearer(token)).send({ clientId: client.publicId });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ contactId: contact.id, client: { id: client.publicId, name: '林晓雯' }, boundBy: 'staff' });
      expect((await auditRows('wecom.contact.bind', client.id))[0].details).toMatchObject({ contactId: contact.id, by: 'staff' });
      expect(await t.services.outbox.listForClient(client.id, 'tag_sync')).toHaveLength(1);

      const linked = await t.http.get('/api/staff/wecom/contacts?bound=true').set(bearer(token));
      expect(linked.body.items.map((i: { contactId: string }) => i.contactId)).toEqual([contact.id]);
      // Linking again is harmless.
      expect((await t.http.post(`/api/staff/wecom/contacts/${contact.id}/bind`).set(bearer(token)).send({ clientId: client.publicId })).status).toBe(200);
    });

    it('a consultant cannot link to a client who is not theirs (404, refusal audited)', async () => {
      const consultant = await createStaff(t, 'consultant');
      const client = await clientWith();
      const contact = contactOf();
      await contacts.seen(ACCOUNT, contact);
      const res = await t.http.post(`/api/staff/wecom/contacts/${contact.id}/bind`).set(bearer(await staffToken(t, consultant))).send({ clientId: client.publicId });
      expect(res.status).toBe(404);
      expect(await auditRows('wecom.contact.bind', client.id)).toEqual([expect.objectContaining({ allowed: 0 })]);
      expect(await contacts.contactOfClient(client.id)).toBeNull();
    });

    it('refuses a second link either way with 409 and the field, and bad input with 400', async () => {
      const director = await createStaff(t, 'director');
      const token = await staffToken(t, director);
      const [a, b] = [await clientWith(), await clientWith()];
      const [x, y] = [contactOf(), contactOf()];
      for (const c of [x, y]) await contacts.seen(ACCOUNT, c);
      expect((await t.http.post(`/api/staff/wecom/contacts/${x.id}/bind`).set(bearer(token)).send({ clientId: a.publicId })).status).toBe(200);

      const taken = await t.http.post(`/api/staff/wecom/contacts/${x.id}/bind`).set(bearer(token)).send({ clientId: b.publicId });
      expect(taken.status).toBe(409);
      expect(taken.body.error).toMatchObject({ code: 'CONTACT_ALREADY_BOUND', details: { field: 'params.contactId' } });
      const busy = await t.http.post(`/api/staff/wecom/contacts/${y.id}/bind`).set(bearer(token)).send({ clientId: a.publicId });
      expect(busy.status).toBe(409);
      expect(busy.body.error).toMatchObject({ code: 'CLIENT_ALREADY_BOUND', details: { field: 'body.clientId' } });

      const unknown = await t.http.post('/api/staff/wecom/contacts/nobody/bind').set(bearer(token)).send({ clientId: b.publicId });
      expect(unknown.status).toBe(404);
      const bad = await t.http.post(`/api/staff/wecom/contacts/${y.id}/bind`).set(bearer(token)).send({ clientId: 'nope', extra: 1 });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['body.clientId', 'body.extra']);
      expect(await contacts.contactOfClient(b.id)).toBeNull();
    });
  });

  describe('chat messages', () => {
    it('are stored once per message id, encrypted, and shown to the client\'s consultant (audited), not to other consultants', async () => {
      const consultant = await createStaff(t, 'consultant');
      const client = await clientWith({ consultantId: consultant.id });
      const contact = contactOf();
      await contacts.seen(ACCOUNT, contact);
      await contacts.bindByCode(ACCOUNT, contact, (await contacts.bindingCode(client.id)).code);
      const messageId = randomUUID();
      const input = { messageId, accountId: ACCOUNT, contactId: contact.id, clientId: client.id, kind: 'message' as const, msgType: 'text', text: '对玻尿酸过敏吗', receivedAt: t.clock.now() };
      expect((await contacts.recordInbound(input)).stored).toBe(true);
      expect((await contacts.recordInbound(input)).stored).toBe(false);
      const [row] = await t.deps.db.query('SELECT text_enc FROM inbound_messages WHERE message_id = ?', [messageId]);
      expect(Buffer.from(row.text_enc).toString('utf8')).not.toContain('玻尿酸');

      const res = await t.http.get(`/api/staff/clients/${client.publicId}/messages`).set(bearer(await staffToken(t, consultant)));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [expect.objectContaining({ kind: 'message', type: 'text', text: '对玻尿酸过敏吗', score: null })], page: 1, hasMore: false });
      expect(await auditRows('client.messages.read', client.id)).toEqual([expect.objectContaining({ allowed: 1 })]);

      const other = await createStaff(t, 'consultant');
      expect((await t.http.get(`/api/staff/clients/${client.publicId}/messages`).set(bearer(await staffToken(t, other)))).status).toBe(404);
      const doctor = await createStaff(t, 'doctor');
      expect((await t.http.get(`/api/staff/clients/${client.publicId}/messages`).set(bearer(await staffToken(t, doctor)))).status).toBe(403);
    });

    it('a deleted account takes its link, code and messages with it (PIPL)', async () => {
      const client = await clientWith();
      const contact = contactOf();
      await contacts.bindByCode(ACCOUNT, contact, (await contacts.bindingCode(client.id)).code);
      await contacts.recordInbound({ messageId: randomUUID(), accountId: ACCOUNT, contactId: contact.id, clientId: client.id, kind: 'message', msgType: 'text', text: '再见', receivedAt: t.clock.now() });
      await contacts.bindingCode(client.id);

      const res = await t.http.delete('/api/mp/me').set(bearer(await clientToken(t, client))).send({ confirm: true });
      expect(res.status).toBe(204);

      expect(await contacts.contactOfClient(client.id)).toBeNull();
      const [w] = await t.deps.db.query('SELECT client_id, auto_match FROM wecom_contacts WHERE contact_id = ?', [contact.id]);
      expect(w).toEqual({ client_id: null, auto_match: 0 });
      const [{ m }] = await t.deps.db.query('SELECT COUNT(*) AS m FROM inbound_messages WHERE client_id = ?', [client.id]);
      expect(Number(m)).toBe(0);
      const [{ c }] = await t.deps.db.query('SELECT COUNT(*) AS c FROM wecom_binding_codes WHERE client_id = ?', [client.id]);
      expect(Number(c)).toBe(0);
    });

    it('a contact name that was copied onto another row does not decrypt there (row-bound ciphertext)', async () => {
      const a = contactOf({ name: '甲' });
      const b = contactOf({ name: '乙' });
      await contacts.seen(ACCOUNT, a);
      await contacts.seen(ACCOUNT, b);
      await t.deps.db.query('UPDATE wecom_contacts w1 JOIN wecom_contacts w2 ON w2.contact_id = ? SET w1.name_enc = w2.name_enc WHERE w1.contact_id = ?', [a.id, b.id]);
      const director = await createStaff(t, 'director');
      const res = await t.http.get('/api/staff/wecom/contacts?bound=false&pageSize=100').set(bearer(await staffToken(t, director)));
      expect(res.body.items.find((i: { contactId: string }) => i.contactId === b.id).name).toBeNull();
      expect(res.body.items.find((i: { contactId: string }) => i.contactId === a.id).name).toBe('甲');
    });
  });
});
