import { startBot } from '../../src/bot';
import { simulatedWeCom } from '../../src/bot/puppet';
import { createRedis } from '../../src/shared/redis';
import { createLogger } from '../../src/shared/logger';
import type { Deps, Services } from '../../src/services';
import type { OutboxInput } from '../../src/modules/outbox';
import { progress, report, WithDatabase } from './harness';
import { seedBulkClients } from './seed';

// A new database every run, dropped at the end; Redis keys (send budgets) under a prefix of their own, removed too.
const DB_NAME = 'meiyan_bench_outbox';
const REDIS_KEY_PREFIX = 'meiyan-bench-outbox:';
const MESSAGES = Number(process.env.BENCH_OUTBOX_MESSAGES ?? 5000);
// The budget off: the highest limits the settings accept (SEND_BUDGET_PER_MINUTE at most 10,000 bounds the run's size).
const BUDGET_OFF = { QUIET_HOURS: 'off', SEND_BUDGET_PER_MINUTE: '10000', SEND_BUDGET_PER_DAY: '1000000', CLIENT_DAILY_MESSAGE_CAP: '100' };

/**
 * messages per second through the delivery engine (DeliveryService.drain) and the real
 * Wechaty channel on the simulated WeCom (the mock puppet), budgets and quiet hours off, other
 * delivery settings as configured (batch, send concurrency). N clients, each linked to a mock
 * contact, get one due follow-up each (every other one with a mini-program card, as the care
 * plans send them); drains run back to back from the first claim until nothing is left.
 */
export async function outboxDrainBench(withDatabase: WithDatabase): Promise<void> {
  if (MESSAGES > Number(BUDGET_OFF.SEND_BUDGET_PER_MINUTE)) throw new Error(`BENCH_OUTBOX_MESSAGES is at most ${BUDGET_OFF.SEND_BUDGET_PER_MINUTE} (the largest minute budget)`);
  await withDatabase(DB_NAME, { fresh: true, env: { ...BUDGET_OFF, REDIS_KEY_PREFIX } }, async ({ deps, services }) => {
    try {
      const at = deps.clock.now();
      progress(`seeding ${MESSAGES} clients linked to as many contacts of the simulated WeCom`);
      const clients = await seedBulkClients(deps.db, { openidPrefix: `bench-outbox-${at.getTime()}-`, count: MESSAGES, at });
      const contactOf = (i: number) => `bench-contact-${i}`;
      const sim = simulatedWeCom({
        contacts: Array.from({ length: MESSAGES }, (_, i) => ({ id: contactOf(i), name: `客户${i}` })), staffRoomTopic: deps.config.bot.staffRoomTopic,
      });
      await deps.db.query(
        `INSERT INTO wecom_contacts (contact_id, account_id, client_id, auto_match, bound_by, bound_at, last_seen_at)
         SELECT CONCAT('bench-contact-', c.id - ?), ?, c.id, 1, 'staff', ?, ? FROM clients c WHERE c.id BETWEEN ? AND ?`,
        [clients.firstId, sim.self.id, at, at, clients.firstId, clients.lastId],
      );

      // The bot without its own drain loop: the bench drains, so no timer sits between passes (and the
      // bot's warning that nothing drains is silenced; delivery's own logger is untouched).
      const bot = await startBot({ ...deps, logger: createLogger('error') }, services, { simulated: sim, drainer: null });
      try {
        if (!bot.bot.isLoggedIn) throw new Error('the bot did not log in to the simulated WeCom');
        await contactsSynced(deps, MESSAGES);
        await enqueue(deps, services, clients);

        progress(`draining ${MESSAGES} client messages (DELIVERY_BATCH=${deps.config.delivery.batch}, DELIVERY_SEND_CONCURRENCY=${deps.config.delivery.sendConcurrency})`);
        const started = process.hrtime.bigint();
        let sent = 0;
        let passes = 0;
        for (;;) {
          const r = await services.delivery.drain(bot.channel);
          if (!r.claimed) break;
          sent += r.sent;
          passes++;
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;

        const [{ n }] = await deps.db.query("SELECT COUNT(*) AS n FROM outbox_messages WHERE kind = 'client_message' AND status = 'sent' AND channel = 'wecom'");
        const received = [...sim.mocker.cacheMessagePayload.values()].filter((m) => m.talkerId === sim.self.id).length;
        let cards = 0;
        for (let id = clients.firstId; id <= clients.lastId; id++) if (id % 2 === 1) cards++;
        const expected = MESSAGES + cards;
        if (Number(n) !== MESSAGES || sent !== MESSAGES || received !== expected) {
          throw new Error(`outbox drain sent ${sent} (${n} recorded) of ${MESSAGES}; the simulated WeCom got ${received} messages, wanted ${expected}`);
        }
        report('outbox_drain', { msg_per_s: sent / seconds, s: seconds, messages: sent, passes });
      } finally {
        await bot.stop();
      }
    } finally {
      await dropRedisKeys(deps);
    }
  });
}

/** At login the bot records every contact (a write per contact): wait for it, so the drain runs alone. */
async function contactsSynced(deps: Deps, count: number): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const [{ n }] = await deps.db.query('SELECT COUNT(*) AS n FROM wecom_contacts WHERE name_enc IS NOT NULL');
    if (Number(n) >= count) return;
    if (Date.now() > deadline) throw new Error(`the bot recorded ${n} of ${count} contacts in 5 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One due follow-up per client, shaped as CareService writes them (encrypted by the outbox); every other one carries a card. */
async function enqueue(deps: Deps, services: Services, clients: { firstId: number; lastId: number }): Promise<void> {
  const due = new Date(deps.clock.now().getTime() - 1000);
  const templateId = deps.config.care.subscribeTemplateId;
  const rows: OutboxInput[] = [];
  for (let id = clients.firstId; id <= clients.lastId; id++) {
    const payload = id % 2 === 0
      ? { text: '林女士您好，隆鼻术后一个月了，恢复得怎么样？如需复诊请在小程序预约，李医生会为您检查。', purpose: 'followup', step: 'followup_30d', templateId, data: { thing1: '隆鼻', thing2: 'followup_30d' } }
      : {
        text: '林女士您好，隆鼻术后已满一周，想听听您对这次就诊的感受，占用您两分钟填写满意度问卷。', purpose: 'survey', step: 'survey_7d', templateId,
        data: { thing1: '隆鼻', thing2: 'survey_7d' }, card: { title: '满意度问卷', pagePath: `pages/survey/index?id=bench${id}` },
      };
    rows.push({ kind: 'client_message', dedupeKey: `bench:followup:${id}`, clientId: id, payload, dueAt: due });
  }
  await services.outbox.enqueueMany(deps.db.manager, rows);
}

/** The send-budget counters the run left in Redis (under this bench's own prefix). */
async function dropRedisKeys(deps: Deps): Promise<void> {
  const raw = createRedis({ ...deps.config.redis, keyPrefix: '' });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${REDIS_KEY_PREFIX}*`, 'COUNT', 1000);
      if (keys.length) await raw.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await raw.quit();
  }
}
