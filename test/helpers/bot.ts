import { once } from 'node:events';
import { types } from 'wechaty';
import type { mock } from 'wechaty-puppet-mock';
import { startBot, BotHandle, BotOptions } from '../../src/bot';
import { simulatedWeCom, SimulatedContact, SimulatedWeCom, WeComPuppetMock } from '../../src/bot/puppet';
import type { InboundOutcome } from '../../src/bot/inbound';
import type { Deps } from '../../src/services';
import type { TestContext } from './context';

/** What a mock contact received from the bot: text, or a card (mini-program / link) with its payload. */
export interface Received {
  type: string;
  text?: string;
  card?: { appid?: string; title?: string; pagePath?: string };
}

export interface TestBot {
  handle: BotHandle;
  sim: SimulatedWeCom;
  puppet: WeComPuppetMock;
  /** Everything each mock contact (or room) received from the bot, by id, in order. */
  inbox: Map<string, Received[]>;
  /** A contact writes to the bot; resolves with how the bot handled it. */
  send(contact: mock.ContactMock, text: string): Promise<InboundOutcome>;
  /** The puppet id of the message `send` wrote last. */
  lastSent: string | null;
  /** The puppet delivers a message again (as after a reconnect); resolves with how the bot handled it. */
  redeliver(messageId: string): Promise<InboundOutcome>;
  stop(): Promise<void>;
}

let counter = 0;

/** A fresh simulated WeCom with contacts of this test's own (names and phones), and real Wechaty started on it. */
export async function startTestBot(
  t: TestContext,
  opts: { contacts?: SimulatedContact[]; drainIntervalMs?: number } & Pick<BotOptions, 'drainer'> = {},
): Promise<TestBot> {
  const sim = simulatedWeCom({ contacts: opts.contacts ?? [{ name: `测试客户${++counter}` }], staffRoomTopic: t.config.bot.staffRoomTopic });
  const config = t.deps.config;
  const deps: Deps = { ...t.deps, config: { ...config, delivery: { ...config.delivery, drainIntervalMs: opts.drainIntervalMs ?? config.delivery.drainIntervalMs } } };
  const handle = await startBot(deps, t.services, { simulated: sim, drainer: opts.drainer ?? null });
  const puppet = sim.puppet!;
  const inbox = new Map<string, Received[]>();
  for (const who of [...sim.contacts, sim.room, sim.staffRoom] as (mock.ContactMock | mock.RoomMock)[]) {
    const list: Received[] = [];
    inbox.set(who.id, list);
    who.on('message', (msg: mock.MessageMock) => {
      const p = msg.payload;
      if (p.talkerId !== sim.self.id) return;
      if (p.type === types.Message.MiniProgram) {
        list.push({ type: 'mini_program', card: puppet.cardOf(p.id) });
      } else {
        list.push({ type: types.Message[p.type].toLowerCase(), text: p.text });
      }
    });
  }
  const handledOnce = (match: (messageId: string) => boolean) => new Promise<InboundOutcome>((resolve) => {
    const onInbound = (messageId: string, outcome: InboundOutcome) => {
      if (!match(messageId)) return;
      handle.events.off('inbound', onInbound);
      resolve(outcome);
    };
    handle.events.on('inbound', onInbound);
  });
  const bot: TestBot = {
    handle,
    sim,
    puppet,
    inbox,
    lastSent: null,
    async send(contact, text) {
      const before = new Set(sim.mocker.cacheMessagePayload.keys());
      const handled = handledOnce((id) => !before.has(id) && sim.mocker.cacheMessagePayload.get(id)?.talkerId === contact.id);
      contact.say(text).to(sim.self);
      bot.lastSent = [...sim.mocker.cacheMessagePayload.keys()].filter((id) => !before.has(id)).at(-1) ?? null;
      return withTimeout(handled, `the bot did not handle "${text}"`);
    },
    async redeliver(messageId) {
      const handled = handledOnce((id) => id === messageId);
      puppet.emit('message', { messageId });
      return withTimeout(handled, `the bot did not handle the redelivered ${messageId}`);
    },
    stop: () => handle.stop(),
  };
  return bot;
}

/** Polls until `check` passes (for what the bot does on its own timers); fails after `ms`. */
export async function eventually<T>(check: () => T | Promise<T>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * Resolves once two drain passes have ended after this call: the second began after the call, so it
 * saw everything committed before it (the first may have begun earlier). What a test expects not
 * to have been sent is asserted after this, not after a pause.
 */
export async function drainedSince(handle: BotHandle, ms = 10_000): Promise<void> {
  for (let i = 0; i < 2; i++) await withTimeout(once(handle.events, 'drained'), 'a drain pass', ms);
}

export function withTimeout<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms); }),
  ]);
}
