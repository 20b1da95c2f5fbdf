import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createTestContext, TestContext } from '../helpers/context';
import { createClient, createStaff } from '../helpers/factories';
import { bindContact, enqueue, outboxRow, RecordingChannel, shanghai } from '../helpers/delivery';
import { createServices } from '../../src/services';
import { createDataSource } from '../../src/datasource';
import { createLogger } from '../../src/shared/logger';
import { runInTransaction } from '../../src/shared/db';
import { startScheduler } from '../../src/scheduler';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';

const MINUTE = 60_000;
const TEMPLATE = 'tplFollowup7d_9aKx2LmQ0PzWvB8nR3cY5tE1uJ4h';

describe('outbox delivery', () => {
  // One database of its own (a drain takes every due row), shared by two app instances with
  // generous budgets (t1, t2) and two with the default tight ones (b1, b2).
  let t1: TestContext;
  let t2: TestContext;
  let b1: TestContext;
  let b2: TestContext;
  let director: Staff;
  let consultant: Staff;

  beforeAll(async () => {
    const prefix = `${process.env.REDIS_KEY_PREFIX}delivery-${randomBytes(3).toString('hex')}:`;
    const generous = { REDIS_KEY_PREFIX: prefix, SEND_BUDGET_PER_MINUTE: '10000', SEND_BUDGET_PER_DAY: '1000000', CLIENT_DAILY_MESSAGE_CAP: '100', DB_POOL_SIZE: '10' };
    t1 = await createTestContext({ isolatedDatabase: true, env: generous, now: shanghai('2026-03-02 10:00').toISOString() });
    const shared = { ...generous, DB_NAME: t1.config.db.database };
    const tight = { ...shared, SEND_BUDGET_PER_MINUTE: '20', SEND_BUDGET_PER_DAY: '1000', CLIENT_DAILY_MESSAGE_CAP: '3' };
    [t2, b1, b2] = await Promise.all([createTestContext({ env: shared }), createTestContext({ env: tight }), createTestContext({ env: tight })]);
    director = await createStaff(t1, 'director');
    consultant = await createStaff(t1, 'consultant');
  });
  afterAll(async () => {
    await Promise.all([t2?.close(), b1?.close(), b2?.close()]);
    await t1?.close();
  });
  afterEach(async () => {
    // What a test leaves waiting must not reach the next test's drains.
    await t1.deps.db.query("UPDATE outbox_messages SET status = 'cancelled', claim_token = NULL WHERE status IN ('pending', 'sending')");
  });

  /** Every context's clock at the same instant. */
  function at(when: Date | string): Date {
    const d = new Date(when);
    for (const t of [t1, t2, b1, b2]) t.clock.set(d);
    return d;
  }

  async function boundClient(channel: RecordingChannel, overrides: Partial<Client> = {}): Promise<{ client: Client; contact: string }> {
    const client = await createClient(t1, { consultantId: consultant.id, ...overrides });
    return { client, contact: await bindContact(t1, client, channel.accountId, director) };
  }

  const message = (clientId: number, text: string, extra: Record<string, unknown> = {}) =>
    enqueue(t1, { kind: 'client_message', clientId, payload: { text, purpose: 'followup', ...extra } });

  it('a message to a client bound in WeCom is sent to the contact once, with the channel and account recorded', async () => {
    at(shanghai('2026-03-02 10:00'));
    const ch = new RecordingChannel();
    const { client, contact } = await boundClient(ch);
    const id = await message(client.id, '术后第7天回访：恢复得怎么样？', { card: { title: '术后护理指南', pagePath: 'pages/care/guide' } });

    const first = await t1.services.delivery.drain(ch);
    const second = await t1.services.delivery.drain(ch);

    expect(ch.to('contact', contact)).toEqual([
      { op: 'contact', to: contact, message: { text: '术后第7天回访：恢复得怎么样？', card: { title: '术后护理指南', pagePath: 'pages/care/guide' } } },
    ]);
    expect(first.sent).toBeGreaterThanOrEqual(1);
    expect(second.claimed).toBe(0);
    const row = await outboxRow(t1, id);
    expect(row).toMatchObject({ status: 'sent', channel: 'wecom', account_id: ch.accountId, attempts: 1, claim_token: null });
    expect(row.sent_at).toEqual(shanghai('2026-03-02 10:00'));
  });

  it('two drains at once (two processes) never send a message twice', async () => {
    at(shanghai('2026-03-02 11:00'));
    const a = new RecordingChannel();
    const b = new RecordingChannel(a.accountId);
    // One after another: concurrency here is the drains', not the setup's.
    const bound: { client: Client; contact: string }[] = [];
    for (let i = 0; i < 10; i++) bound.push(await boundClient(a));
    const texts: string[] = [];
    for (let i = 0; i < 200; i++) {
      const text = `msg-${i}`;
      texts.push(text);
      if (i % 4 === 0) await enqueue(t1, { kind: 'staff_alert', payload: { text, staffRole: 'director' } });
      else if (i % 4 === 1) await enqueue(t1, { kind: 'group_post', payload: { text, roomIds: [`room-${i}`], postId: `p${i}` } });
      else await message(bound[i % 10].client.id, text);
    }

    const reports = await Promise.all([t1.services.delivery.drain(a), t2.services.delivery.drain(b), t1.services.delivery.drain(a), t2.services.delivery.drain(b)]);

    const sent = [...a.sends, ...b.sends].filter((s) => s.op !== 'tags').map((s) => s.message!.text);
    expect(sent.length).toBe(200);
    expect(new Set(sent)).toEqual(new Set(texts));
    expect(a.sends.filter((s) => s.op !== 'tags').length).toBeGreaterThan(0);
    expect(b.sends.filter((s) => s.op !== 'tags').length).toBeGreaterThan(0);
    expect(reports.reduce((n, r) => n + r.failed + r.deferred, 0)).toBe(0);
    const [{ n }] = await t1.deps.db.query("SELECT COUNT(*) AS n FROM outbox_messages WHERE status <> 'sent' AND status <> 'cancelled'");
    expect(Number(n)).toBe(0);
  });

  it('a message its producer withdraws after the claim is not sent when its turn comes; the one beside it, not withdrawn, is', async () => {
    at(shanghai('2026-03-02 12:30'));
    const ch = new RecordingChannel();
    const [a, b] = [await boundClient(ch), await boundClient(ch)];
    const key = (c: { client: Client }, n: number) => `test:withdraw:${c.client.id}:${n}`;
    for (const c of [a, b]) {
      for (const n of [1, 2]) await enqueue(t1, { kind: 'client_message', dedupeKey: key(c, n), clientId: c.client.id, payload: { text: `${c.client.id}-${n}`, purpose: 'followup' } });
    }
    ch.hold();

    // Both lanes send their first message and wait; their second is claimed, not begun.
    const drain = t1.services.delivery.drain(ch);
    await ch.sent(2);
    const withdrawn = await runInTransaction(t1.deps.db, (m) => t1.services.outbox.cancelPendingKeys(m, [key(a, 2)]));
    ch.release();
    const report = await drain;

    expect(withdrawn).toBe(1);
    expect(ch.to('contact').map((s) => s.message!.text).sort()).toEqual([`${a.client.id}-1`, `${b.client.id}-1`, `${b.client.id}-2`].sort());
    const status = async (k: string) => (await t1.deps.db.query('SELECT status, claim_token FROM outbox_messages WHERE dedupe_key = ?', [k]))[0];
    expect(await status(key(a, 2))).toEqual({ status: 'cancelled', claim_token: null });
    expect(await status(key(b, 2))).toEqual({ status: 'sent', claim_token: null });
    expect(report.cancelled).toBe(1);
  });

  it('a drain killed between sending and recording: after the lease the message is sent once more, logged as a possible duplicate', async () => {
    const start = at(shanghai('2026-03-02 12:00'));
    const dying = new RecordingChannel();
    const ids = [await enqueue(t1, { kind: 'staff_alert', payload: { text: 'alert-1' } }), await enqueue(t1, { kind: 'staff_alert', payload: { text: 'alert-2' } })];
    dying.hold();
    const stuck = t1.services.delivery.drain(dying);
    await dying.sent(2);

    // Another bot process with a log we can read; the first drain's lease (60 s) runs out.
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const witness = createServices({ ...t2.deps, logger: createLogger('warn', {}, sink) });
    const other = new RecordingChannel(dying.accountId);
    expect((await witness.delivery.drain(other)).claimed).toBe(0);
    at(new Date(start.getTime() + 61_000));
    const taken = await witness.delivery.drain(other);
    dying.release();
    const late = await stuck;

    expect(taken.sent).toBe(2);
    expect(other.to('staff').map((s) => s.message!.text).sort()).toEqual(['alert-1', 'alert-2']);
    expect(dying.to('staff')).toHaveLength(2);
    expect(late.sent).toBe(0);
    for (const id of ids) expect(await outboxRow(t1, id)).toMatchObject({ status: 'sent', attempts: 2, claim_token: null });
    const warning = lines.map((l) => JSON.parse(l)).find((l) => /possible duplicate/.test(l.msg));
    expect(warning.ids.sort()).toEqual([...ids].sort());
  });

  it('a drain whose database is gone before it claims leaves the rows pending; the next drain sends them', async () => {
    at(shanghai('2026-03-02 13:00'));
    const ch = new RecordingChannel();
    const id = await enqueue(t1, { kind: 'staff_alert', payload: { text: 'db-down-before-claim' } });
    const db = createDataSource(t1.config.db);
    await db.initialize();
    const broken = createServices({ ...t1.deps, db });
    await db.destroy();

    await expect(broken.delivery.drain(ch)).rejects.toThrow();
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'pending', attempts: 0 });
    await t1.services.delivery.drain(ch);

    expect(ch.to('staff').map((s) => s.message!.text)).toEqual(['db-down-before-claim']);
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('a drain whose database fails after sending leaves the rows leased; after the lease they are sent again once', async () => {
    const start = at(shanghai('2026-03-02 13:30'));
    const ch = new RecordingChannel();
    const id = await enqueue(t1, { kind: 'staff_alert', payload: { text: 'db-down-after-send' } });
    const db = createDataSource(t1.config.db);
    await db.initialize();
    const broken = createServices({ ...t1.deps, db });
    ch.beforeSend = async () => { if (db.isInitialized) await db.destroy(); };

    await expect(broken.delivery.drain(ch)).rejects.toThrow();
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'sending', attempts: 1 });
    ch.beforeSend = null;
    expect((await t1.services.delivery.drain(ch)).claimed).toBe(0);
    at(new Date(start.getTime() + 61_000));
    await t1.services.delivery.drain(ch);

    expect(ch.to('staff').map((s) => s.message!.text)).toEqual(['db-down-after-send', 'db-down-after-send']);
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a message due at 23:30 Shanghai (server on UTC) is held and sent at 09:00 the next morning; a staff alert goes at once', async () => {
    at('2026-03-02T15:30:00Z'); // 23:30 in Shanghai
    const ch = new RecordingChannel();
    const { client, contact } = await boundClient(ch);
    const id = await message(client.id, '晚间消息');
    const alert = await enqueue(t1, { kind: 'staff_alert', payload: { text: '投诉超时', staffRole: 'director' } });

    await t1.services.delivery.drain(ch);
    expect(ch.to('contact', contact)).toEqual([]);
    expect(ch.to('staff', 'director').map((s) => s.message!.text)).toEqual(['投诉超时']);
    expect(await outboxRow(t1, alert)).toMatchObject({ status: 'sent' });
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'pending', attempts: 0, due_at: new Date('2026-03-03T01:00:00Z') });

    at(shanghai('2026-03-03 08:59'));
    await t1.services.delivery.drain(ch);
    expect(ch.to('contact', contact)).toEqual([]);

    at(shanghai('2026-03-03 09:00'));
    await t1.services.delivery.drain(ch);
    expect(ch.to('contact', contact).map((s) => s.message!.text)).toEqual(['晚间消息']);
    expect((await outboxRow(t1, id)).sent_at).toEqual(new Date('2026-03-03T01:00:00Z'));
  });

  it('a client message written during quiet hours while a drain is under way waits for the morning too', async () => {
    at('2026-03-02T15:30:00Z'); // 23:30 in Shanghai
    // One row per batch, so the drain claims again after the first send.
    const oneByOne = await createTestContext({ env: { REDIS_KEY_PREFIX: t1.config.redis.keyPrefix, DB_NAME: t1.config.db.database, DELIVERY_BATCH: '1' }, now: '2026-03-02T15:30:00Z' });
    try {
      const ch = new RecordingChannel();
      const { client, contact } = await boundClient(ch);
      await enqueue(t1, { kind: 'staff_alert', payload: { text: 'alert-a', staffRole: 'director' } });
      await enqueue(t1, { kind: 'staff_alert', payload: { text: 'alert-b', staffRole: 'director' } });
      let late: string | undefined;
      ch.beforeSend = async () => {
        late ??= await message(client.id, '夜里写入的消息');
      };

      await oneByOne.services.delivery.drain(ch);
      expect(ch.to('staff', 'director').map((s) => s.message!.text)).toEqual(['alert-a', 'alert-b']);
      expect(ch.to('contact', contact)).toEqual([]);
      expect(await outboxRow(t1, late!)).toMatchObject({ status: 'pending', attempts: 0 });

      oneByOne.clock.set(shanghai('2026-03-03 09:00'));
      await oneByOne.services.delivery.drain(ch);
      expect(ch.to('contact', contact).map((s) => s.message!.text)).toEqual(['夜里写入的消息']);
    } finally {
      await oneByOne.close();
    }
  });

  it('500 messages due at once for one account with a budget of 20 a minute: paced over 25 minutes by two drains, none dropped, none over budget', async () => {
    const start = at(shanghai('2026-03-04 10:00'));
    const a = new RecordingChannel();
    const b = new RecordingChannel(a.accountId);
    await t1.deps.db.transaction(async (m) => {
      for (let i = 0; i < 500; i++) {
        await t1.services.outbox.enqueue(m, { kind: 'group_post', dedupeKey: `pace:${a.accountId}:${i}`, payload: { text: `post-${i}`, roomIds: [`pace-room-${i}`], postId: `pace-${i}` } });
      }
    });

    let minutes = 0;
    for (; minutes < 40; minutes++) {
      at(new Date(start.getTime() + minutes * MINUTE));
      await Promise.all([b1.services.delivery.drain(a), b2.services.delivery.drain(b)]);
      const [{ n }] = await t1.deps.db.query("SELECT COUNT(*) AS n FROM outbox_messages WHERE dedupe_key LIKE ? AND status = 'sent'", [`pace:${a.accountId}:%`]);
      if (Number(n) === 500) break;
    }

    const rooms = [...a.sends, ...b.sends].map((s) => s.to);
    expect(rooms).toHaveLength(500);
    expect(new Set(rooms).size).toBe(500);
    expect(minutes + 1).toBe(25);
    const perMinute: { minute: string; n: number }[] = await t1.deps.db.query(
      "SELECT DATE_FORMAT(sent_at, '%H:%i') AS minute, COUNT(*) AS n FROM outbox_messages WHERE dedupe_key LIKE ? GROUP BY minute ORDER BY minute",
      [`pace:${a.accountId}:%`],
    );
    expect(perMinute).toHaveLength(25);
    expect(perMinute.every((m) => Number(m.n) === 20)).toBe(true);
    const [{ accounts }] = await t1.deps.db.query('SELECT COUNT(DISTINCT account_id) AS accounts FROM outbox_messages WHERE dedupe_key LIKE ?', [`pace:${a.accountId}:%`]);
    expect(Number(accounts)).toBe(1);
  });

  it('a client gets at most CLIENT_DAILY_MESSAGE_CAP messages a day; the rest wait for the next morning', async () => {
    at(shanghai('2026-03-05 10:00'));
    const ch = new RecordingChannel();
    const { client, contact } = await boundClient(ch);
    for (let i = 1; i <= 5; i++) await message(client.id, `cap-${i}`);

    await b1.services.delivery.drain(ch);
    expect(ch.to('contact', contact).map((s) => s.message!.text)).toEqual(['cap-1', 'cap-2', 'cap-3']);
    at(shanghai('2026-03-05 23:00'));
    await b1.services.delivery.drain(ch);
    expect(ch.to('contact', contact)).toHaveLength(3);

    at(shanghai('2026-03-06 09:00'));
    await b1.services.delivery.drain(ch);
    expect(ch.to('contact', contact).map((s) => s.message!.text)).toEqual(['cap-1', 'cap-2', 'cap-3', 'cap-4', 'cap-5']);
  });

  it('failures back off exponentially; after DELIVERY_MAX_ATTEMPTS the row fails and becomes a staff task', async () => {
    let now = at(shanghai('2026-03-06 10:00'));
    const ch = new RecordingChannel();
    ch.failNext('staff', true, 5);
    const id = await enqueue(t1, { kind: 'staff_alert', payload: { text: '预约冲突', staffRole: 'doctor' } });

    const waits: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      await t1.services.delivery.drain(ch);
      const row = await outboxRow(t1, id);
      expect(row).toMatchObject({ status: 'pending', attempts: attempt, last_error: 'WeCom busy' });
      waits.push((row.due_at.getTime() - now.getTime()) / 1000);
      now = at(row.due_at);
    }
    const last = await t1.services.delivery.drain(ch);

    expect(waits).toEqual([30, 60, 120, 240]);
    expect(last.failed).toBe(1);
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'failed', attempts: 5 });
    const task = await t1.services.worklist.byDedupeKey(`outbox:${id}`);
    expect(task).toMatchObject({ kind: 'delivery_failed', assigneeRole: 'doctor', status: 'open' });
    expect(ch.to('staff')).toEqual([]);
  });

  it('a client who is not a WeCom contact gets a subscribe message, spending one credit; without a credit it becomes a staff task', async () => {
    at(shanghai('2026-03-07 10:00'));
    const ch = new RecordingChannel();
    const client = await createClient(t1, { consultantId: consultant.id });
    await t1.services.delivery.recordSubscription(client.id, TEMPLATE, 'accept');
    const first = await message(client.id, '术后7天回访', { templateId: TEMPLATE, data: { thing1: '术后7天回访', time2: '2026-03-07 10:00' }, card: { title: '回访', pagePath: 'pages/care/index?step=7d' } });
    const second = await message(client.id, '术后30天回访', { templateId: TEMPLATE, data: { thing1: '术后30天回访' } });

    await t1.services.delivery.drain(ch);

    expect(t1.standIn.subscribeMessages.filter((s) => s.touser === client.openid)).toEqual([
      expect.objectContaining({ templateId: TEMPLATE, page: 'pages/care/index?step=7d', data: { thing1: '术后7天回访', time2: '2026-03-07 10:00' }, miniprogramState: 'formal' }),
    ]);
    expect(await outboxRow(t1, first)).toMatchObject({ status: 'sent', channel: 'subscribe', account_id: null });
    expect(await outboxRow(t1, second)).toMatchObject({ status: 'sent', channel: 'staff_task' });
    expect(await t1.services.delivery.subscriptions(client.id)).toEqual([expect.objectContaining({ templateId: TEMPLATE, credits: 0 })]);
    const task = await t1.services.worklist.byDedupeKey(`outbox:${second}`);
    expect(task).toMatchObject({ kind: 'deliver_manually', clientId: client.publicId, assigneeRole: 'consultant', assigneeId: consultant.publicId });
    expect(task!.details).toMatchObject({ text: '术后30天回访', purpose: 'followup' });
    expect(ch.sends.filter((s) => s.op === 'contact')).toEqual([]);
  });

  it('WeChat answering 43101 drops the credits and hands the message to staff', async () => {
    at(shanghai('2026-03-07 11:00'));
    const client = await createClient(t1);
    for (let i = 0; i < 2; i++) await t1.services.delivery.recordSubscription(client.id, TEMPLATE, 'accept');
    const id = await message(client.id, '满意度调查', { templateId: TEMPLATE, data: { thing1: '满意度调查' }, purpose: 'survey' });
    t1.standIn.failNext('subscribe_send', 43101);

    await t1.services.delivery.drain(new RecordingChannel());

    expect(await outboxRow(t1, id)).toMatchObject({ status: 'sent', channel: 'staff_task' });
    expect(await t1.services.delivery.subscriptions(client.id)).toEqual([expect.objectContaining({ credits: 0 })]);
    const task = await t1.services.worklist.byDedupeKey(`outbox:${id}`);
    expect(task).toMatchObject({ kind: 'deliver_manually', assigneeRole: 'customer_service', assigneeId: null });
    expect(String(task!.details!.reason)).toContain('43101');
    expect(t1.standIn.subscribeMessages.filter((s) => s.touser === client.openid)).toEqual([]);
  });

  it('a contact that refuses for good (deleted us) falls through to the subscribe message', async () => {
    at(shanghai('2026-03-07 12:00'));
    const ch = new RecordingChannel();
    const { client } = await boundClient(ch);
    await t1.services.delivery.recordSubscription(client.id, TEMPLATE, 'accept');
    const id = await message(client.id, '复购提醒', { templateId: TEMPLATE, data: { thing1: '玻尿酸复购提醒' } });
    ch.failNext('contact', false);

    await t1.services.delivery.drain(ch);

    expect(await outboxRow(t1, id)).toMatchObject({ status: 'sent', channel: 'subscribe' });
    expect(t1.standIn.subscribeMessages.filter((s) => s.touser === client.openid)).toHaveLength(1);
  });

  it('with two WeCom accounts, each bot sends only to its own contacts and leaves the others\' messages to their bot', async () => {
    at(shanghai('2026-03-07 11:00'));
    const [a, b] = [new RecordingChannel(), new RecordingChannel()];
    const { client, contact } = await boundClient(b);
    const id = await message(client.id, '多账号：只由 B 发送');

    await t1.services.delivery.drain(a);
    expect(a.sends).toHaveLength(0);
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'pending' });

    await t2.services.delivery.drain(b);
    expect(b.to('contact', contact)).toHaveLength(1);
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'sent', channel: 'wecom', account_id: b.accountId });
  });

  it('tag changes reach the bound contact, newest set only; an unbound client\'s are done with channel none', async () => {
    at(shanghai('2026-03-07 13:00'));
    const ch = new RecordingChannel();
    const { client, contact } = await boundClient(ch);
    const older = await enqueue(t1, { kind: 'tag_sync', clientId: client.id, payload: { tags: { project: ['eyes'] } } });
    const newer = await enqueue(t1, { kind: 'tag_sync', clientId: client.id, payload: { tags: { project: ['eyes', 'nose'], stage: ['consulting'] } } });
    // The bot sends the client's tags as they are when the sync goes out.
    await t1.deps.db.transaction((m) => t1.services.tags.setDimensions(m, client.id, { project: ['eyes', 'nose'], stage: ['consulting'] }, 'staff'));
    const loner = await createClient(t1);
    const unbound = await enqueue(t1, { kind: 'tag_sync', clientId: loner.id, payload: { tags: { stage: ['lead'] } } });

    await t1.services.delivery.drain(ch);

    expect(ch.to('tags', contact).map((s) => s.tags)).toEqual([{ project: ['eyes', 'nose'], stage: ['consulting'] }]);
    expect(await outboxRow(t1, older)).toMatchObject({ status: 'cancelled' });
    expect(await outboxRow(t1, newer)).toMatchObject({ status: 'sent', channel: 'wecom' });
    expect(await outboxRow(t1, unbound)).toMatchObject({ status: 'sent', channel: 'none' });
  });

  it('a group post over the minute budget posts to the rooms it may and the rest the next minute, never a room twice', async () => {
    const start = at(shanghai('2026-03-08 10:00'));
    const rooms = Array.from({ length: 25 }, (_, i) => `bg-room-${i}`);
    const ch = new RecordingChannel(undefined, { '美丽学院': rooms });
    ch.failNext('room', false); // the bot was removed from the first room
    const id = await enqueue(t1, { kind: 'group_post', payload: { roomTopic: '美丽学院', text: '周三医生直播答疑', postId: 'live-1' } });

    await b1.services.delivery.drain(ch);
    const halfway = await outboxRow(t1, id);
    at(new Date(start.getTime() + MINUTE));
    await b1.services.delivery.drain(ch);

    expect(halfway).toMatchObject({ status: 'pending', attempts: 0 });
    expect(halfway.sent_to).toHaveLength(20);
    expect(ch.to('room').map((s) => s.to).sort()).toEqual(rooms.slice(1).sort());
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'sent', channel: 'wecom' });
    expect(await t1.services.worklist.byDedupeKey(`outbox:${id}:room:bg-room-0`)).toMatchObject({ kind: 'delivery_failed', assigneeRole: 'director' });
  });

  it('a message to a client who deleted their account is cancelled, not sent', async () => {
    at(shanghai('2026-03-08 11:00'));
    const gone = await createClient(t1, { status: 'deleted' });
    const id = await message(gone.id, '不应发送');

    await t1.services.delivery.drain(new RecordingChannel());

    expect(await outboxRow(t1, id)).toMatchObject({ status: 'cancelled' });
    expect(await t1.services.worklist.byDedupeKey(`outbox:${id}`)).toBeNull();
  });

  it('with no bot, an overdue client message at night waits for the morning too (no staff task at 23:30)', async () => {
    const night = at('2026-03-10T15:30:00Z'); // 23:30 in Shanghai
    const unbound = await createClient(t1);
    const id = await enqueue(t1, { kind: 'client_message', clientId: unbound.id, payload: { text: 'night-by-hand', purpose: 'care' }, dueAt: new Date(night.getTime() - 10 * MINUTE) });

    expect(await t1.services.delivery.drain(null)).toMatchObject({ claimed: 0, sent: 0 });
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'pending', attempts: 0 });

    at(shanghai('2026-03-11 09:10'));
    await t1.services.delivery.drain(null);
    expect(await outboxRow(t1, id)).toMatchObject({ status: 'sent', channel: 'staff_task' });
  });

  it('with no bot, the scheduler task delivers overdue messages that need no WeCom and leaves bound clients to the bot', async () => {
    const now = at(shanghai('2026-03-09 10:00'));
    const ch = new RecordingChannel();
    const { client: bound } = await boundClient(ch);
    const unbound = await createClient(t1);
    const overdue = new Date(now.getTime() - 10 * MINUTE);
    const forBot = await enqueue(t1, { kind: 'client_message', clientId: bound.id, payload: { text: 'bot-only', purpose: 'care' }, dueAt: overdue });
    const forStaff = await enqueue(t1, { kind: 'client_message', clientId: unbound.id, payload: { text: 'by-hand', purpose: 'care' }, dueAt: overdue });
    const fresh = await enqueue(t1, { kind: 'client_message', clientId: unbound.id, payload: { text: 'just-due', purpose: 'care' } });
    const scheduler = await startScheduler(t1.deps, t1.services, { cron: false });

    const run = await scheduler.runOnce('outbox-housekeeping', 'housekeeping-1');
    await scheduler.stop();

    expect(run).toEqual({ ran: true, items: 1 });
    expect(await outboxRow(t1, forStaff)).toMatchObject({ status: 'sent', channel: 'staff_task' });
    expect(await outboxRow(t1, forBot)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await outboxRow(t1, fresh)).toMatchObject({ status: 'pending', attempts: 0 });
    const [record] = await t1.services.schedulerRuns.recent({ taskId: 'outbox-housekeeping', limit: 1 });
    expect(record).toMatchObject({ items: 1, error: null, finishedAt: now });
  });
});
