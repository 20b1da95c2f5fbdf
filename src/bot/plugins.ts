import { types } from 'wechaty';
import type { Friendship, Message, Wechaty, WechatyPlugin } from 'wechaty';
import type { Logger } from '../shared/logger';
import { handleInbound, InboundContext, InboundOutcome, isClientContact, seenContact } from './inbound';
import type { DrainLoop } from './drain';

/** Work a plugin started from an event; startBot waits for it before stopping. */
export type Track = <T>(work: Promise<T>) => Promise<T>;

/** Records every client contact the account has (at login) and each new friend, matching them to clients where unambiguous. */
export async function syncContacts(bot: Wechaty, ctx: InboundContext): Promise<number> {
  let seen = 0;
  for (const contact of await bot.Contact.findAll()) {
    if (!isClientContact(contact)) continue;
    await ctx.services.contacts.seen(ctx.channel.accountId, seenContact(contact));
    seen++;
  }
  return seen;
}

/** Contacts: a sync at every login, and each friendship the contact confirms. */
export function ContactSyncPlugin(ctx: InboundContext, log: Logger, track: Track, onSynced: (n: number) => void): WechatyPlugin {
  return (bot) => {
    const onLogin = () => {
      void track(syncContacts(bot, ctx)).then(
        (n) => { log.info({ contacts: n }, 'WeCom contacts synced'); onSynced(n); },
        (err) => log.error({ err }, 'WeCom contact sync failed; next login tries again'),
      );
    };
    const onFriendship = (friendship: Friendship) => {
      if (friendship.type() !== types.Friendship.Confirm) return;
      const contact = friendship.contact();
      if (!isClientContact(contact)) return;
      void track(ctx.services.contacts.seen(ctx.channel.accountId, seenContact(contact))).catch((err) => log.error({ err }, 'new WeCom contact not recorded'));
    };
    bot.on('login', onLogin);
    bot.on('friendship', onFriendship);
    return () => {
      bot.off('login', onLogin);
      bot.off('friendship', onFriendship);
    };
  };
}

/** Inbound messages: the wiring around the pure matcher and handler in inbound.ts. */
export function InboundPlugin(ctx: InboundContext, log: Logger, track: Track, onHandled: (messageId: string, outcome: InboundOutcome) => void): WechatyPlugin {
  return (bot) => {
    const onMessage = (msg: Message) => {
      void track(handleInbound(ctx, msg)).then(
        (outcome) => onHandled(msg.id, outcome),
        (err) => log.error({ err, messageId: msg.id }, 'inbound message not handled'),
      );
    };
    bot.on('message', onMessage);
    return () => bot.off('message', onMessage);
  };
}

/** The outbox drain runs while the account is logged in: stopped at logout, resumed at the next login. */
export function DrainPlugin(loop: DrainLoop, onPaused: () => void = () => undefined): WechatyPlugin {
  return (bot) => {
    const onLogin = () => loop.start();
    // Told once the loop has stopped and a pass in flight has ended: from then on nothing drains until the next login.
    const onLogout = () => void loop.stop().then(onPaused);
    bot.on('login', onLogin);
    bot.on('logout', onLogout);
    return () => {
      bot.off('login', onLogin);
      bot.off('logout', onLogout);
    };
  };
}
