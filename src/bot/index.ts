import { EventEmitter } from 'node:events';
import { log as wechatyLog, WechatyBuilder, type Wechaty } from 'wechaty';
import type { Deps, Services } from '../services';
import type { WeComChannel } from '../modules/delivery';
import { createPuppet, SimulatedWeCom } from './puppet';
import { WechatyChannel } from './channel';
import { DrainLoop, Drainer } from './drain';
import { ContactSyncPlugin, DrainPlugin, InboundPlugin, syncContacts } from './plugins';
import type { InboundOutcome } from './inbound';

export { simulatedWeCom, WeComPuppetMock, DEMO_CONTACTS } from './puppet';
export type { SimulatedWeCom, SimulatedContact } from './puppet';
export { parseInbound } from './inbound';
export type { InboundIntent, InboundOutcome } from './inbound';
export { tagDiff, tagIdOf, TAG_GROUPS } from './tags';
export type { Drainer } from './drain';

/**
 * What a running bot tells: 'inbound' (messageId, outcome) per handled message, 'drained' (result) per drain pass, 'synced'
 * (count) per contact sync, 'paused' when a logout has stopped the drain (no pass runs until the next login).
 */
export interface BotEvents {
  inbound: [messageId: string, outcome: InboundOutcome];
  drained: [result: unknown];
  synced: [contacts: number];
  paused: [];
}

export interface BotHandle {
  bot: Wechaty;
  simulated?: SimulatedWeCom;
  /** The WeCom channel the delivery engine sends through. */
  channel: WeComChannel;
  events: EventEmitter<BotEvents>;
  /** Records and matches the account's contacts now (also done at every login). */
  syncContacts(): Promise<number>;
  stop(): Promise<void>;
}

export interface BotOptions {
  simulated?: SimulatedWeCom;
  /** Who drains the outbox; default services.delivery (none: the bot does not drain). */
  drainer?: Drainer | null;
}

/**
 * The WeCom bot (role `bot`): real Wechaty on the configured puppet. It holds nothing in memory
 * that must not be lost: what it must deliver lives in MySQL, contacts and messages are written
 * as they come. Bot features are Wechaty plugins calling module services: contact sync and
 * binding, inbound messages, and the outbox drain (only while logged in; a logout pauses it until
 * the puppet logs in again).
 */
export async function startBot(deps: Deps, services: Services, opts: BotOptions = {}): Promise<BotHandle> {
  const log = deps.logger.child({ role: 'bot' });
  // Wechaty prints its own lines (not JSON): warnings and errors only, unless WECHATY_LOG asks for more.
  if (!process.env.WECHATY_LOG) wechatyLog.level(deps.config.logLevel === 'silent' ? 'silent' : 'warn');
  const { puppet, simulated } = await createPuppet(deps.config.bot, opts.simulated);
  const bot = WechatyBuilder.build({ name: deps.config.bot.name, puppet });
  const events = new EventEmitter<BotEvents>();
  const channel = new WechatyChannel(
    bot,
    {
      appId: deps.config.wechat.appId, staffRoomTopic: deps.config.bot.staffRoomTopic, accountFallback: deps.config.bot.name,
      imageHosts: deps.config.community.imageHosts,
    },
    log.child({ module: 'wecom-channel' }),
  );
  const ctx = { deps, services, channel };

  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  };

  const drainer = opts.drainer !== undefined ? opts.drainer : services.delivery;
  const loop = drainer ? new DrainLoop(drainer, channel, deps.config.delivery.drainIntervalMs, log, (r) => events.emit('drained', r)) : null;
  if (!loop) log.warn('no delivery service: the outbox is not drained by this bot');

  bot.use(ContactSyncPlugin(ctx, log, track, (n) => events.emit('synced', n)));
  bot.use(InboundPlugin(ctx, log, track, (id, outcome) => events.emit('inbound', id, outcome)));
  if (loop) bot.use(DrainPlugin(loop, () => events.emit('paused')));

  const loggedIn = new Promise<void>((resolve) => bot.once('login', () => resolve()));
  bot.on('login', (user) => log.info({ account: user.id }, 'bot logged in'));
  bot.on('logout', (user, reason) => {
    if (stopping) log.info({ account: user.id }, 'bot logged out for the stop');
    else log.warn({ account: user.id, failure: reason }, 'bot logged out; waiting for the puppet to log in again');
  });
  bot.on('error', (err) => log.error({ err }, 'bot error'));
  await bot.start();
  let wait: NodeJS.Timeout | undefined;
  await Promise.race([loggedIn, new Promise((resolve) => { wait = setTimeout(resolve, 10_000); })]);
  clearTimeout(wait);
  if (!bot.isLoggedIn) log.warn('bot started but is not logged in yet');
  return {
    bot,
    simulated,
    channel,
    events,
    syncContacts: () => track(syncContacts(bot, ctx)),
    async stop() {
      stopping = true;
      await loop?.stop();
      await Promise.allSettled([...inFlight]);
      await bot.stop();
      log.info('bot stopped');
    },
  };
}
