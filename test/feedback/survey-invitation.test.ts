import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createStaff } from '../helpers/factories';
import { eventually, startTestBot, TestBot } from '../helpers/bot';
import { enqueue, outboxRow } from '../helpers/delivery';
import { scores } from '../helpers/feedback';
import { recordOrder, seededProject, staffActor } from '../helpers/orders';
import { REPLIES } from '../../src/bot/inbound';
import { DeliveryService } from '../../src/modules/delivery';
import { SurveyInvitations1795401300000 } from '../../migrations/1795401300000-SurveyInvitations';
import { EncryptFreeText1795520000000 } from '../../migrations/1795520000000-EncryptFreeText';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';

// A digit a client types in WeCom is an NPS only for a survey the delivery engine has asked in that
// chat: real Wechaty on the mock puppet, the real follow-up plan, drain, quiet hours and channels.
// The test drains through the bot's channel at chosen moments; a drain walks every due row, so this
// file has a database of its own.

const DAY = 24 * 3600_000;
// Paid at 22:30 Shanghai: the 7-day survey falls due at 22:30, inside quiet hours (21:00–09:00).
const PAID_AT = new Date('2026-03-10T14:30:00Z');
const SURVEY_DUE = new Date(PAID_AT.getTime() + 7 * DAY + 60_000);
const QUIET_ENDS = new Date('2026-03-18T01:00:00Z');
const MORNING = new Date('2026-03-18T01:00:30Z'); // 09:00:30 Shanghai

interface SurveyRow {
  public_id: string;
  status: string;
  nps: number | null;
  answered_via: string | null;
  invited_at: Date | null;
  invited_via: string | null;
}

describe('a digit replied in WeCom answers only a survey asked in that chat', () => {
  let t: TestContext;
  let b: TestBot;
  let doctor: Staff;
  let director: Staff;
  /** In WeCom from the start (phone match). */
  let chat: Client;
  /** Not in WeCom when the survey goes out: a subscribe message (it holds credits). */
  let subscribed: Client;
  /** Not in WeCom and no credits: a staff task passes the survey on. */
  let manual: Client;
  /** In WeCom; its survey row was queued before invitations were recorded. */
  let legacy: Client;

  const contactOf = (i: number) => b.sim.contacts[i];
  const texts = (i: number) => (b.inbox.get(contactOf(i).id) ?? []).filter((m) => m.type === 'text').map((m) => m.text);
  const surveyOf = async (client: Client): Promise<SurveyRow> => {
    const [row] = await t.deps.db.query(
      'SELECT public_id, status, nps, answered_via, invited_at, invited_via FROM satisfaction_surveys WHERE client_id = ?', [client.id],
    );
    return row;
  };
  const casesOf = (client: Client) => t.deps.db.query('SELECT source, grade FROM feedback_cases WHERE client_id = ?', [client.id]);
  const surveyMessage = async (client: Client) => {
    // The purpose is inside the encrypted payload: find the survey messages through the outbox module.
    const ids = (await t.services.outbox.listForClient(client.id, 'client_message')).filter((m) => m.payload.purpose === 'survey').map((m) => m.id);
    const rows = ids.length ? await t.deps.db.query('SELECT status, channel, due_at FROM outbox_messages WHERE id IN (?)', [ids]) : [];
    expect(rows).toHaveLength(1);
    return rows[0] as { status: string; channel: string | null; due_at: Date };
  };
  /** One drain pass through the bot's WeCom channel, as the bot's drain loop runs it. */
  const drain = () => t.services.delivery.drain(b.handle.channel);
  const lastInbound = async (client: Client) => {
    const [row] = await t.deps.db.query('SELECT kind, score FROM inbound_messages WHERE client_id = ? ORDER BY id DESC LIMIT 1', [client.id]);
    return row;
  };

  beforeAll(async () => {
    t = await createTestContext({ now: SURVEY_DUE.toISOString(), isolatedDatabase: true });
    doctor = await createStaff(t, 'doctor');
    director = await createStaff(t, 'director');
    const client = (name: string, phone: string) => t.services.clients.createClient({ openid: `o_invite_${name}_${Date.now()}`, phone, name, gender: 'female' });
    chat = await client('周小美', '13911110001');
    subscribed = await client('吴小美', '13911110002');
    manual = await client('郑小美', '13911110003');
    legacy = await client('王小美', '13911110004');
    // The second and third contacts carry no phone: nothing links them until staff do.
    b = await startTestBot(t, {
      contacts: [{ name: '周小美', phone: ['+86 13911110001'] }, { name: '吴小美' }, { name: '郑小美' }, { name: '王小美', phone: ['+86 13911110004'] }],
    });
    await eventually(async () => {
      expect(await t.services.contacts.contactOfClient(chat.id)).toBe(contactOf(0).id);
      expect(await t.services.contacts.contactOfClient(legacy.id)).toBe(contactOf(3).id);
    });
    expect(await t.services.contacts.contactOfClient(subscribed.id)).toBeNull();
    for (let i = 0; i < 3; i++) await t.services.delivery.recordSubscription(subscribed.id, t.config.care.subscribeTemplateId, 'accept');
    const rhinoplasty = await seededProject(t, 'rhinoplasty');
    for (const c of [chat, subscribed, manual]) {
      await recordOrder(t, { client: c, doctor, paidAt: PAID_AT, items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });
    }
  });
  afterAll(async () => {
    await b?.stop();
    await t?.close();
  });

  it('a digit typed while the survey message is held for quiet hours records nothing and opens no case', async () => {
    await t.services.care.enqueueDue(SURVEY_DUE);
    await drain();
    expect(await surveyMessage(chat)).toMatchObject({ status: 'pending', due_at: QUIET_ENDS });

    expect(await b.send(contactOf(0), '5')).toBe('stored');

    // b.send resolved with the bot's outcome: the handler has finished, and a reply it sent is in the inbox already.
    expect(texts(0)).toEqual([]);
    expect(await surveyOf(chat)).toMatchObject({ status: 'open', nps: null, invited_at: null, invited_via: null });
    expect(await casesOf(chat)).toEqual([]);
    // Kept for the consultant as what it was: a message.
    expect(await lastInbound(chat)).toEqual({ kind: 'message', score: null });
  });

  it('once the survey reached the chat over WeCom, a digit there is its NPS: thanks, and a case for a low score', async () => {
    t.clock.set(MORNING);
    const survey = await surveyOf(chat);

    await drain();

    expect(await surveyMessage(chat)).toMatchObject({ status: 'sent', channel: 'wecom' });
    expect(await surveyOf(chat)).toMatchObject({ invited_via: 'wecom', invited_at: MORNING });
    await eventually(() => expect(b.inbox.get(contactOf(0).id)!.some((m) => m.type === 'mini_program' && m.card?.pagePath?.includes(survey.public_id))).toBe(true));

    expect(await b.send(contactOf(0), '5')).toBe('survey_reply');

    await eventually(() => expect(texts(0).at(-1)).toBe(REPLIES.scoreThanks));
    expect(await surveyOf(chat)).toMatchObject({ status: 'answered', nps: 5, answered_via: 'bot' });
    expect(await casesOf(chat)).toEqual([{ source: 'survey', grade: 'medium' }]);
    expect(await lastInbound(chat)).toEqual({ kind: 'survey_reply', score: 5 });
  });

  it('a survey that went out as a subscribe message or a staff task is not answered by a digit in the chat', async () => {
    // Sent by the morning's drain above.
    expect(await surveyMessage(subscribed)).toMatchObject({ status: 'sent', channel: 'subscribe' });
    expect(await surveyMessage(manual)).toMatchObject({ status: 'sent', channel: 'staff_task' });
    expect(await surveyOf(subscribed)).toMatchObject({ invited_via: 'subscribe', invited_at: MORNING });
    expect(await surveyOf(manual)).toMatchObject({ invited_via: 'staff_task', invited_at: MORNING });
    // Both clients link their WeCom afterwards and type a digit there.
    await t.services.contacts.bindByStaff(staffActor(director), contactOf(1).id, subscribed.publicId);
    await t.services.contacts.bindByStaff(staffActor(director), contactOf(2).id, manual.publicId);

    expect(await b.send(contactOf(1), '8')).toBe('stored');
    expect(await b.send(contactOf(2), '2')).toBe('stored');

    // b.send resolved with the bot's outcome: the handler has finished, and a reply it sent is in the inbox already.
    expect([texts(1), texts(2)]).toEqual([[], []]);
    expect(await surveyOf(subscribed)).toMatchObject({ status: 'open', nps: null });
    expect(await surveyOf(manual)).toMatchObject({ status: 'open', nps: null });
    expect([...(await casesOf(subscribed)), ...(await casesOf(manual))]).toEqual([]);
    // The mini-program still takes the answer: whoever opens the survey page has seen the survey.
    const res = await t.http.post(`/api/mp/surveys/${(await surveyOf(manual)).public_id}/answers`)
      .set(bearer(await clientToken(t, manual))).send({ indicators: scores(4), nps: 8 });
    expect(res.status).toBe(200);
    expect(await surveyOf(manual)).toMatchObject({ status: 'answered', nps: 8, answered_via: 'miniprogram' });
  });

  it('a survey message queued before its payload named the survey is recognised by its page', async () => {
    const rhinoplasty = await seededProject(t, 'rhinoplasty');
    const order = await recordOrder(t, { client: legacy, doctor, items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });
    const [{ id: orderId }] = await t.deps.db.query('SELECT id FROM orders WHERE public_id = ?', [order.id]);
    const surveyId = await t.services.feedback.openSurvey(null, { clientId: legacy.id, orderId: Number(orderId) });
    // What the follow-up plan wrote before this change: the survey id only in the card's page.
    await enqueue(t, {
      kind: 'client_message', clientId: legacy.id,
      payload: { text: '想听听您的感受', purpose: 'survey', card: { title: '满意度问卷', pagePath: `packageSurvey/survey/index?id=${surveyId}` } },
    });

    await drain();

    expect(await surveyOf(legacy)).toMatchObject({ invited_via: 'wecom' });
    expect(await b.send(contactOf(3), '10')).toBe('survey_reply');

    expect(await surveyOf(legacy)).toMatchObject({ status: 'answered', nps: 10, answered_via: 'bot' });
  });

  it('the migration fills in surveys already sent, a WeCom send winning over another channel', async () => {
    // The subscribed client's survey goes out again, now over WeCom: that send is what counts.
    const before = await surveyOf(subscribed);
    await enqueue(t, {
      kind: 'client_message', clientId: subscribed.id,
      payload: { text: '提醒：满意度问卷', purpose: 'survey', surveyId: before.public_id, card: { title: '满意度问卷', pagePath: `packageSurvey/survey/index?id=${before.public_id}` } },
    });
    await drain();
    expect(await surveyOf(subscribed)).toMatchObject({ invited_via: 'wecom' });
    const expected = await Promise.all([chat, subscribed, manual, legacy].map(surveyOf));
    expect(expected.map((s) => s.invited_via)).toEqual(['wecom', 'wecom', 'staff_task', 'wecom']);
    expect(expected.every((s) => s.invited_at !== null)).toBe(true);

    // The migration reads the payloads as they were then (plaintext): the later encryption of the
    // outbox is undone around it and redone after (which also carries these rows through both ways).
    const runner = t.deps.db.createQueryRunner();
    try {
      const migration = new SurveyInvitations1795401300000();
      const encryption = new EncryptFreeText1795520000000();
      await encryption.down(runner);
      await migration.down(runner);
      await migration.up(runner);
      await encryption.up(runner);
    } finally {
      await runner.release();
    }

    expect(await Promise.all([chat, subscribed, manual, legacy].map(surveyOf))).toEqual(expected);
  });

  it('a delivery hook that fails leaves the message recorded as sent, so it never goes out twice', async () => {
    const failing = new DeliveryService({
      ...t.deps, wechat: t.services.wechat, outbox: t.services.outbox, worklist: t.services.worklist, contacts: () => t.services.contacts, tags: t.services.tags,
      hooks: [{ onDelivered: async () => { throw new Error('hook broken'); } }, t.services.feedback.deliveryHooks],
    });
    const id = await enqueue(t, { kind: 'client_message', clientId: legacy.id, payload: { text: '术后护理提醒', purpose: 'care' } });
    const sends = () => (b.inbox.get(contactOf(3).id) ?? []).filter((m) => m.text === '术后护理提醒').length;

    await failing.drain(b.handle.channel);
    await failing.drain(b.handle.channel);

    expect(await outboxRow(t, id)).toMatchObject({ status: 'sent', channel: 'wecom' });
    await eventually(() => expect(sends()).toBe(1));
    // b.send resolved with the bot's outcome: the handler has finished, and a reply it sent is in the inbox already.
    expect(sends()).toBe(1);
  });
});
