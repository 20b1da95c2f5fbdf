import { WechatyBuilder, type Wechaty } from 'wechaty';
import type { Deps, Services } from '../services';
import { createPuppet, SimulatedWeCom } from './puppet';

export interface BotHandle {
  bot: Wechaty;
  simulated?: SimulatedWeCom;
  stop(): Promise<void>;
}

/**
 * The WeCom bot (role `bot`): real Wechaty on the configured puppet. It holds nothing in memory
 * that must not be lost: what it must deliver lives in MySQL. Bot features arrive as Wechaty
 * plugins calling module services.
 */
export async function startBot(deps: Deps, _services: Services, opts: { simulated?: SimulatedWeCom } = {}): Promise<BotHandle> {
  const log = deps.logger.child({ role: 'bot' });
  const { puppet, simulated } = await createPuppet(deps.config.bot, opts.simulated);
  const bot = WechatyBuilder.build({ name: deps.config.bot.name, puppet });
  const loggedIn = new Promise<void>((resolve) => bot.once('login', () => resolve()));
  bot.on('login', (user) => log.info({ account: user.id }, 'bot logged in'));
  bot.on('logout', (user, reason) => log.warn({ account: user.id, reason }, 'bot logged out; waiting for the puppet to log in again'));
  bot.on('error', (err) => log.error({ err }, 'bot error'));
  await bot.start();
  await Promise.race([loggedIn, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (!bot.isLoggedIn) log.warn('bot started but is not logged in yet');
  return {
    bot,
    simulated,
    async stop() {
      await bot.stop();
      log.info('bot stopped');
    },
  };
}
