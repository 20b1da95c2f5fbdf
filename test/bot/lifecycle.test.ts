import { once } from 'node:events';
import { createTestContext, TestContext } from '../helpers/context';
import { eventually, startTestBot, TestBot } from '../helpers/bot';
import { REPLIES } from '../../src/bot/inbound';
import type { Drainer } from '../../src/bot';
import { ChannelError } from '../../src/modules/delivery';

// 11:00 in Shanghai: outside quiet hours, so client messages go out at once.
const BUSINESS_HOURS = '2026-03-10T03:00:00.000Z';

describe('the bot process: login sync, outbox drain, logout and login again', () => {
  let t: TestContext;
  let b: TestBot;
  /** Whether the bot was logged in at each drain pass. */
  const passes: boolean[] = [];
  let phone: string;
  let matchedClientId: number;

  beforeAll(async () => {
    // A database of its own: its bot drains every 50 ms and would take other test files' due rows.
    t = await createTestContext({ now: BUSINESS_HOURS, isolatedDatabase: true });
    phone = `139${String(Date.now()).slice(-8)}`;
    // A client whose phone WeCom also knows for the first contact: linked by the match at login.
    const matched = await t.services.clients.createClient({ openid: `o_match_${Date.now()}`, phone });
    matchedClientId = matched.id;
    const drainer: Drainer = {
      drain: (channel) => {
        passes.push(b?.handle.bot.isLoggedIn ?? true);
        return t.services.delivery.drain(channel);
      },
    };
    b = await startTestBot(t, { contacts: [{ name: '匹配客户', phone: [`+86 ${phone}`] }, { name: '未匹配客户', phone: ['13000000000'] }], drainer, drainIntervalMs: 50 });
  });
  afterAll(async () => {
    await b.stop();
    await t.close();
  });

  it('at login records the account\'s contacts and links the one whose phone matches exactly one client', async () => {
    await eventually(async () => expect(await t.services.contacts.contactOfClient(matchedClientId)).toBe(b.sim.contacts[0].id));
    const [row] = await t.deps.db.query('SELECT bound_by FROM wecom_contacts WHERE contact_id = ?', [b.sim.contacts[0].id]);
    expect(row.bound_by).toBe('match');
    // The coworker in the staff group is not a client contact.
    // The login sync records contacts one by one: the unmatched one may land just after the match.
    await eventually(async () => {
      const [{ n }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM wecom_contacts WHERE account_id = ?', [b.sim.self.id]);
      expect(Number(n)).toBe(2);
    });
  });

  it('drains the outbox while logged in: a follow-up reaches the linked contact and the client\'s tags land on it', async () => {
    await eventually(async () => expect(await t.services.contacts.contactOfClient(matchedClientId)).not.toBeNull());
    await t.deps.db.transaction(async (m) => {
      await t.services.outbox.enqueue(m, {
        kind: 'client_message', dedupeKey: `test:followup:${matchedClientId}`, clientId: matchedClientId,
        payload: { text: '术后 48 小时回访：今天感觉怎么样？', purpose: 'followup' },
      });
      await t.services.tags.setDimension(m, matchedClientId, 'project', ['鼻部'], 'staff');
    });
    const contactId = b.sim.contacts[0].id;
    await eventually(() => expect(b.inbox.get(contactId)).toContainEqual({ type: 'text', text: '术后 48 小时回访：今天感觉怎么样？' }));
    await eventually(() => expect([...(b.puppet.contactTags.get(contactId) ?? [])]).toEqual(['意向项目/鼻部']));
    expect(passes.every(Boolean)).toBe(true);
  });

  it('survives a logout: the drain pauses, the channel refuses as transient, and after the next login the drain and the chat resume', async () => {
    const paused = once(b.handle.events, 'paused');
    await b.handle.bot.logout();
    expect(b.handle.bot.isLoggedIn).toBe(false);
    // The drain has stopped and its last pass has ended: from here no pass may run until the next login.
    await paused;
    const count = passes.length;
    const refused = await b.handle.channel.sendToContact(b.sim.contacts[0].id, { text: 'x' }).catch((e) => e);
    expect(refused).toBeInstanceOf(ChannelError);
    expect(refused.transient).toBe(true);

    await t.deps.db.transaction((m) => t.services.outbox.enqueue(m, {
      kind: 'client_message', dedupeKey: `test:followup7:${matchedClientId}`, clientId: matchedClientId,
      payload: { text: '术后第 7 天随访', purpose: 'followup' },
    }));
    // The follow-up waits: no pass ran while logged out.
    expect(passes.length).toBe(count);
    const [pending] = await t.deps.db.query("SELECT status FROM outbox_messages WHERE dedupe_key = ?", [`test:followup7:${matchedClientId}`]);
    expect(pending.status).toBe('pending');

    b.sim.mocker.login(b.sim.self);
    expect(b.handle.bot.isLoggedIn).toBe(true);
    const contactId = b.sim.contacts[0].id;
    await eventually(() => expect(b.inbox.get(contactId)).toContainEqual({ type: 'text', text: '术后第 7 天随访' }));
    expect(passes.length).toBeGreaterThan(count);
    expect(passes.every(Boolean)).toBe(true);

    expect(await b.send(b.sim.contacts[0], '积分')).toBe('points');
    expect(b.inbox.get(contactId)?.at(-1)?.text).toContain('您当前的积分：0 分');
  });

  it('an unlinked contact asking for points is told how to link', async () => {
    expect(await b.send(b.sim.contacts[1], '积分')).toBe('points');
    expect(b.inbox.get(b.sim.contacts[1].id)?.at(-1)?.text).toBe(REPLIES.notBound);
  });
});
