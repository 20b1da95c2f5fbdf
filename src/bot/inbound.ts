import { types } from 'wechaty';
import type { Contact, Message } from 'wechaty';
import type { Deps, Services } from '../services';
import type { SeenContact } from '../modules/contacts';
import type { WeComChannel } from '../modules/delivery';

/** What a client's chat message asks for. */
export type InboundIntent =
  | { kind: 'points' }
  | { kind: 'referral' }
  /** `explicit`: "绑定 ABC123"; otherwise a bare code-shaped message. */
  | { kind: 'bind'; code: string; explicit: boolean }
  | { kind: 'bind_help' }
  | { kind: 'score'; score: number }
  | { kind: 'other' };

// The binding code alphabet (shared/crypto randomCode: no 0/O, 1/I/L).
const BARE_CODE = /^[2-9A-HJKMNP-Z]{6}$/i;

/**
 * The pure matcher: text in, intent out. Full-width characters count as their ASCII forms. A bare
 * code must mix digits and letters (binding codes always do), so a plain word is never a code.
 */
export function parseInbound(text: string): InboundIntent {
  const t = text.normalize('NFKC').trim();
  if (/^(查询?|我的)?积分$/.test(t)) return { kind: 'points' };
  if (/^(我的)?推荐码$/.test(t)) return { kind: 'referral' };
  if (/^绑定$/.test(t)) return { kind: 'bind_help' };
  const bind = /^绑定\s*[:：]?\s*([A-Za-z0-9]{6})$/.exec(t);
  if (bind) return { kind: 'bind', code: bind[1].toUpperCase(), explicit: true };
  if (/^(10|[0-9])$/.test(t)) return { kind: 'score', score: Number(t) };
  if (BARE_CODE.test(t) && /\d/.test(t) && /[a-z]/i.test(t)) return { kind: 'bind', code: t.toUpperCase(), explicit: false };
  return { kind: 'other' };
}

export const REPLIES = {
  notBound: '您的企业微信还没有绑定小程序账号。请打开小程序「我的 → 绑定企业微信」获取绑定码，然后在这里发送「绑定 绑定码」。',
  points: (balance: number, expiring: { points: number; withinDays: number }) =>
    `您当前的积分：${balance} 分${expiring.points > 0 ? `\n其中 ${expiring.points} 分将在 ${expiring.withinDays} 天内到期，请尽快使用。` : ''}\n积分可在小程序「积分商城」兑换项目抵扣、术后护理产品或沙龙名额。`,
  referral: (code: string) => `您的专属推荐码：${code}\n把下方卡片分享给好友，好友通过卡片注册即自动成为您推荐的新客。`,
  referralCardTitle: '美颜医院新客礼遇，点击领取',
  bound: '绑定成功！之后在这里发送「积分」可查询积分，发送「推荐码」可获取您的专属推荐卡片。',
  alreadyBound: '您已经绑定过了，无需重复绑定。',
  invalidCode: '绑定码无效或已过期，请在小程序中重新获取。',
  contactTaken: '该企业微信已绑定其他小程序账号，如需更换请联系您的专属顾问。',
  throttled: '绑定码错误次数过多，请一小时后再试。',
  scoreThanks: '感谢您的评分！您的反馈会帮助我们做得更好。',
};

/** What the contacts module needs to know about a Wechaty contact. */
export function seenContact(contact: Contact): SeenContact {
  const payload = contact.payload;
  return {
    id: contact.id,
    name: contact.name(),
    phones: payload?.phone ?? [],
    // A puppet that knows the external contact's unionid reports it as the contact's handle.
    unionid: payload?.handle ?? payload?.weixin ?? null,
  };
}

/** A client contact: a person who is not us and not a coworker (staff chats are not client data). */
export function isClientContact(contact: Contact): boolean {
  return !contact.self() && contact.type() === types.Contact.Individual && !contact.coworker() && contact.friend() !== false;
}

export type InboundOutcome =
  | 'ignored:self' | 'ignored:room' | 'ignored:not_client' | 'ignored:stale' | 'ignored:duplicate'
  | 'points' | 'referral' | 'bind' | 'bind_help' | 'survey_reply' | 'stored';

export interface InboundContext {
  deps: Deps;
  services: Services;
  channel: WeComChannel;
}

const DEDUPE_SECONDS = 24 * 3600;

/**
 * Handles one message to the bot: answers 积分 and 推荐码 for linked contacts, links a contact by a
 * binding code, records a 0–10 reply as a survey score (the NPS of the open satisfaction survey the
 * client was asked in this chat, through the feedback module), and stores everything else
 * (encrypted) for the consultant. Its own messages, group chats and stale messages (replayed after
 * a reconnect) are ignored; a message seen twice is handled once (Redis remembers its id for a day).
 */
export async function handleInbound(ctx: InboundContext, msg: Message): Promise<InboundOutcome> {
  const { deps } = ctx;
  if (msg.self()) return 'ignored:self';
  if (msg.room()) return 'ignored:room';
  const talker = msg.talker();
  if (!isClientContact(talker)) return 'ignored:not_client';
  const receivedAt = msg.date();
  if (deps.clock.now().getTime() - receivedAt.getTime() > deps.config.bot.staleMessageSeconds * 1000) return 'ignored:stale';
  const key = `bot:msg:${msg.id}`;
  if ((await deps.redis.set(key, '1', 'EX', DEDUPE_SECONDS, 'NX')) !== 'OK') return 'ignored:duplicate';
  try {
    return await respond(ctx, msg, talker, receivedAt);
  } catch (err) {
    // Not handled after all: a redelivery of the message may try again.
    await deps.redis.del(key).catch(() => undefined);
    throw err;
  }
}

async function respond(ctx: InboundContext, msg: Message, talker: Contact, receivedAt: Date): Promise<InboundOutcome> {
  const { deps, services, channel } = ctx;
  const accountId = channel.accountId;
  const contact = seenContact(talker);
  const { clientId } = await services.contacts.seen(accountId, contact);
  const isText = msg.type() === types.Message.Text;
  const text = isText ? msg.text() : null;
  const intent = text === null ? { kind: 'other' as const } : parseInbound(text);
  const reply = (t: string) => channel.sendToContact(talker.id, { text: t });
  const store = (kind: 'message' | 'survey_reply', score: number | null) => services.contacts.recordInbound({
    messageId: msg.id, accountId, contactId: talker.id, clientId, kind, score,
    msgType: (types.Message[msg.type()] ?? 'Unknown').toLowerCase(), text, receivedAt,
  });

  switch (intent.kind) {
    case 'points': {
      if (clientId === null) await reply(REPLIES.notBound);
      else {
        const { balance, expiringSoon } = await services.points.summary(clientId);
        await reply(REPLIES.points(balance, expiringSoon));
      }
      return 'points';
    }
    case 'referral': {
      const client = clientId === null ? null : await services.contacts.clientOfContact(talker.id);
      if (!client) await reply(REPLIES.notBound);
      else {
        await channel.sendToContact(talker.id, {
          text: REPLIES.referral(client.referralCode),
          card: { title: REPLIES.referralCardTitle, pagePath: `${deps.config.referrals.sharePage}?ref=${client.referralCode}` },
        });
      }
      return 'referral';
    }
    case 'bind_help':
      await reply(REPLIES.notBound);
      return 'bind_help';
    case 'bind': {
      const outcome = await services.contacts.bindByCode(accountId, contact, intent.code);
      // A bare code-shaped message that is not a code was just a message.
      if (!intent.explicit && (outcome.status === 'invalid' || outcome.status === 'throttled')) break;
      const answer = { bound: REPLIES.bound, already: REPLIES.alreadyBound, invalid: REPLIES.invalidCode, contact_taken: REPLIES.contactTaken, throttled: REPLIES.throttled };
      await reply(answer[outcome.status]);
      return 'bind';
    }
    case 'score': {
      // A digit is a score only while a survey asked in this chat is open: typed before the
      // invitation reached the chat (or with none), it is an ordinary message for the consultant.
      if (clientId === null || !(await services.feedback.hasSurveyAskedInChat(clientId))) break;
      const { stored } = await store('survey_reply', intent.score);
      // Stored before means handled before (a redelivery): the score counts once.
      if (!stored) return 'survey_reply';
      let survey: { surveyId: string } | null;
      try {
        survey = await services.feedback.recordNpsReply(clientId, intent.score);
      } catch (err) {
        // Forget the reply too, so a redelivery records both.
        await services.contacts.forgetInbound(msg.id);
        throw err;
      }
      if (survey) {
        await reply(REPLIES.scoreThanks);
        return 'survey_reply';
      }
      // The survey was answered in the mini-program or expired meanwhile: an ordinary message after all.
      await services.contacts.forgetInbound(msg.id);
      break;
    }
    case 'other':
      break;
  }
  await store('message', null);
  return 'stored';
}
