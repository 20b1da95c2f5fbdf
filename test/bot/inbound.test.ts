import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { startTestBot, TestBot } from '../helpers/bot';
import { parseInbound, REPLIES } from '../../src/bot/inbound';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import type { Client } from '../../src/modules/clients/clients.entity';
import { createPaidOrder, createProject } from '../helpers/feedback';

describe('the inbound matcher', () => {
  it('reads 积分, 推荐码, binding codes and 0–10 scores, and nothing else', () => {
    expect(parseInbound(' 积分 ')).toEqual({ kind: 'points' });
    expect(parseInbound('我的积分')).toEqual({ kind: 'points' });
    expect(parseInbound('推荐码')).toEqual({ kind: 'referral' });
    expect(parseInbound('绑定 ab3d7k')).toEqual({ kind: 'bind', code: 'AB3D7K', explicit: true });
    expect(parseInbound('绑定：AB3D7K')).toEqual({ kind: 'bind', code: 'AB3D7K', explicit: true });
    expect(parseInbound('AB3D7K')).toEqual({ kind: 'bind', code: 'AB3D7K', explicit: false });
    expect(parseInbound('１０')).toEqual({ kind: 'score', score: 10 });
    expect(parseInbound('0')).toEqual({ kind: 'score', score: 0 });
    expect(parseInbound('绑定')).toEqual({ kind: 'bind_help' });
    // A plain word of code letters is not a code; 11 is not a score; a question is a message.
    expect(parseInbound('THANKS')).toEqual({ kind: 'other' });
    expect(parseInbound('11')).toEqual({ kind: 'other' });
    expect(parseInbound('积分怎么用？')).toEqual({ kind: 'other' });
  });
});

describe('inbound messages on real Wechaty (mock puppet)', () => {
  let t: TestContext;
  let b: TestBot;
  beforeAll(async () => {
    t = await createTestContext();
    b = await startTestBot(t, { contacts: [{ name: '客户甲' }, { name: '客户乙' }, { name: '客户丙' }, { name: '客户丁' }] });
  });
  afterAll(async () => {
    await b.stop();
    await t.close();
  });

  const contact = (i: number) => b.sim.contacts[i];
  const inbox = (i: number) => b.inbox.get(contact(i).id)!;

  async function bindByCode(i: number) {
    const client = await createClient(t);
    const res = await t.http.get('/api/mp/wecom/binding-code').set(bearer(await clientToken(t, client)));
    expect(res.status).toBe(200);
    expect(await b.send(contact(i), `绑定 ${res.body.code}`)).toBe('bind');
    return client;
  }

  it('links a contact that sends "绑定 <code>" from the mini-program, answers it, and queues its tags for the contact', async () => {
    const client = await createClient(t);
    const code = await t.http.get('/api/mp/wecom/binding-code').set(bearer(await clientToken(t, client)));
    expect(code.body).toMatchObject({ code: expect.stringMatching(/^[2-9A-HJKMNP-Z]{6}$/), bound: false });

    expect(await b.send(contact(0), `绑定 ${code.body.code.toLowerCase()}`)).toBe('bind');

    expect(await t.services.contacts.contactOfClient(client.id)).toBe(contact(0).id);
    expect(inbox(0).at(-1)).toEqual({ type: 'text', text: REPLIES.bound });
    const syncs = await t.services.outbox.listForClient(client.id, 'tag_sync');
    expect(syncs).toHaveLength(1);
    expect(syncs[0].payload).toEqual({ reason: 'contact_linked' });
    // The code is used up.
    expect(await b.send(contact(1), `绑定 ${code.body.code}`)).toBe('bind');
    expect(inbox(1).at(-1)?.text).toBe(REPLIES.invalidCode);
  });

  it('a bare code links too; a bare code-shaped word that is no code is stored as a message', async () => {
    const client = await createClient(t);
    const code = await t.http.get('/api/mp/wecom/binding-code').set(bearer(await clientToken(t, client)));
    expect(await b.send(contact(1), 'ZZ9ZZ9')).toBe('stored');
    expect(await b.send(contact(1), code.body.code)).toBe('bind');
    expect(await t.services.contacts.contactOfClient(client.id)).toBe(contact(1).id);
  });

  it('answers 积分 with the linked client\'s balance, and tells an unlinked contact how to link', async () => {
    expect(await b.send(contact(3), '积分')).toBe('points');
    expect(inbox(3).at(-1)?.text).toBe(REPLIES.notBound);

    const client = await bindByCode(2);
    await t.services.points.adjust(SYSTEM_ACTOR, client.id, 320, 'test grant', randomUUID());
    expect(await b.send(contact(2), '积分')).toBe('points');
    expect(inbox(2).at(-1)?.text).toContain('您当前的积分：320 分');
  });

  it('answers 推荐码 with a mini-program card carrying the client\'s referral code', async () => {
    const client = await t.services.contacts.clientOfContact(contact(2).id);
    expect(await b.send(contact(2), '推荐码')).toBe('referral');
    const received = inbox(2).slice(-2);
    expect(received[0]).toEqual({ type: 'text', text: REPLIES.referral(client!.referralCode) });
    expect(received[1]).toEqual({
      type: 'mini_program',
      card: expect.objectContaining({ appid: t.config.wechat.appId, pagePath: `pages/index/index.html?ref=${client!.referralCode}` }),
    });
  });

  it('records a 0–10 reply as the NPS of the survey asked in the chat and thanks the client; a redelivered message is not counted twice', async () => {
    const client = await t.services.contacts.clientOfContact(contact(2).id);
    const doctor = await createStaff(t, 'doctor');
    const order = await createPaidOrder(t, { client: { id: client!.clientId } as Client, doctor, projectIds: [(await createProject(t)).id] });
    const surveyId = await t.services.feedback.openSurvey(null, { clientId: client!.clientId, orderId: order.id });
    const since = t.clock.now();
    // Opened, but its invitation has not reached the chat (held for quiet hours): a digit is just a message.
    const before = inbox(2).length;
    expect(await b.send(contact(2), '7')).toBe('stored');
    expect(inbox(2).length).toBe(before);
    expect((await t.deps.db.query('SELECT status FROM satisfaction_surveys WHERE public_id = ?', [surveyId]))[0].status).toBe('open');
    // The delivery engine sends the invitation over WeCom and tells feedback, as it records the send.
    await t.deps.db.transaction((m) => t.services.feedback.deliveryHooks.onDelivered(m, [
      { kind: 'client_message', clientId: client!.clientId, channel: 'wecom', payload: { text: '满意度问卷', purpose: 'survey', surveyId }, at: t.clock.now() },
    ]));

    expect(await b.send(contact(2), '9')).toBe('survey_reply');
    expect(inbox(2).at(-1)?.text).toBe(REPLIES.scoreThanks);
    const [survey] = await t.deps.db.query('SELECT status, nps, answered_via FROM satisfaction_surveys WHERE public_id = ?', [surveyId]);
    expect(survey).toEqual({ status: 'answered', nps: 9, answered_via: 'bot' });
    const messageId = b.lastSent!;
    expect(await b.redeliver(messageId)).toBe('ignored:duplicate');
    // Even when Redis forgot the message, MySQL's unique message id keeps the score single (and no second thanks);
    // with the survey answered, the redelivery is taken for a message, already stored.
    await t.deps.redis.del(`bot:msg:${messageId}`);
    const answers = inbox(2).length;
    expect(await b.redeliver(messageId)).toBe('stored');
    expect(inbox(2).length).toBe(answers);
    const replies = await t.services.contacts.surveyReplies(client!.clientId, new Date(since.getTime() - 60_000));
    expect(replies.map((r) => r.score)).toEqual([9]);

    // With no survey open, or from a contact not linked to a client, a digit is an ordinary message, without thanks.
    const answers2 = inbox(2).length;
    expect(await b.send(contact(2), '3')).toBe('stored');
    expect(await b.send(contact(3), '8')).toBe('stored');
    expect(inbox(2).length).toBe(answers2);
    expect(inbox(3).filter((m) => m.text === REPLIES.scoreThanks)).toEqual([]);
    expect((await t.services.contacts.surveyReplies(client!.clientId, new Date(since.getTime() - 60_000))).map((r) => r.score)).toEqual([9]);
    const kinds = await t.deps.db.query('SELECT kind, score FROM inbound_messages WHERE client_id = ? AND received_at >= ? ORDER BY id', [client!.clientId, new Date(since.getTime() - 60_000)]);
    expect(kinds.map((k: { kind: string; score: number | null }) => [k.kind, k.score])).toEqual([['message', null], ['survey_reply', 9], ['message', null]]);
  });

  it('stores anything else, encrypted, for the client\'s consultant to read', async () => {
    const consultant = await createStaff(t, 'consultant');
    const client = await bindByCode(3);
    await t.deps.db.query('UPDATE clients SET consultant_id = ? WHERE id = ?', [consultant.id, client.id]);
    expect(await b.send(contact(3), '术后第三天还有点肿，正常吗？')).toBe('stored');

    const [row] = await t.deps.db.query('SELECT text_enc, kind, msg_type FROM inbound_messages WHERE client_id = ? ORDER BY id DESC LIMIT 1', [client.id]);
    expect(row).toMatchObject({ kind: 'message', msg_type: 'text' });
    expect(Buffer.from(row.text_enc).toString('utf8')).not.toContain('肿');
    const res = await t.http.get(`/api/staff/clients/${client.publicId}/messages`).set(bearer(await staffToken(t, consultant)));
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ kind: 'message', type: 'text', text: '术后第三天还有点肿，正常吗？' });
  });

  it('ignores its own messages (its replies come back as messages) and stale ones replayed after a reconnect', async () => {
    const outcomes: string[] = [];
    const listen = (_id: string, outcome: string) => outcomes.push(outcome);
    b.handle.events.on('inbound', listen);
    try {
      await b.send(contact(3), '积分');
      expect(outcomes).toContain('ignored:self');

      // The clock says it is 10 minutes after the message was written: stale.
      const count = inbox(3).length;
      t.clock.advance(10 * 60_000);
      try {
        expect(await b.send(contact(3), '积分')).toBe('ignored:stale');
      } finally {
        t.clock.advance(-10 * 60_000);
      }
      expect(inbox(3).length).toBe(count);
    } finally {
      b.handle.events.off('inbound', listen);
    }
  });
});
