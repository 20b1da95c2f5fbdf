import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import type { Logger } from '../../shared/logger';
import type { OutboxService } from '../outbox';
import type { RewardsService } from '../rewards';
import { CONVERTED, periodKeys, periodLabel, previousPeriodKey, type ReferralPeriod } from './referrals.rules';

export interface PrizeDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  rewards: Pick<RewardsService, 'issueByRule'>;
  outbox: Pick<OutboxService, 'enqueueMany'>;
  logger: Logger;
}

export interface PrizeAward {
  period: ReferralPeriod;
  periodKey: string;
  /** Clients who received the prize; 0 when the period was already awarded (by this or another scheduler). */
  winners: number;
}

const DAY_MS = 86400_000;
const PAGE = 'packageLoyalty/vouchers/index';

/**
 * 冲榜 prizes (DOMAIN.md: monthly and quarterly referral leaderboards; a promise is a real benefit):
 * once a period has closed and its last conversions are past the refund window (REFERRAL_HOLD_DAYS),
 * the top N referrers (competition ranking: a tie at rank N shares the prize) get the period's
 * voucher and a message. Once per period: the award row's primary key is written in the same
 * transaction as the vouchers, so a second scheduler (or a rerun) waits on it, finds it and does nothing.
 */
export class LeaderboardPrizes {
  constructor(private readonly deps: PrizeDeps) {}

  async awardDue(now: Date = this.deps.clock.now()): Promise<PrizeAward[]> {
    // The period that holds "now minus the refund window" may still change; the one before it is final.
    const settled = periodKeys(new Date(now.getTime() - this.deps.config.referrals.holdDays * DAY_MS));
    const out: PrizeAward[] = [];
    for (const period of ['month', 'quarter'] as const) {
      const periodKey = previousPeriodKey(period, settled[period]);
      out.push({ period, periodKey, winners: await this.award(period, periodKey, now) });
    }
    return out;
  }

  private async award(period: ReferralPeriod, periodKey: string, now: Date): Promise<number> {
    const topN = this.deps.config.referrals.prizeTopN;
    try {
      return await runInTransaction(this.deps.db, async (m) => {
        await m.query('INSERT INTO referral_prize_runs (period, period_key, top_n, winners, awarded_at) VALUES (?, ?, ?, 0, ?)', [period, periodKey, topN, now]);
        const winners = await this.winners(m, period, periodKey, topN);
        const label = periodLabel(period, periodKey);
        const vouchers = await this.deps.rewards.issueByRule(m, `leaderboard_${period}`, winners.map((w) => ({ clientId: w.clientId, period: periodKey })));
        const rankOf = new Map(winners.map((w) => [w.clientId, w.rank]));
        await this.deps.outbox.enqueueMany(m, vouchers.map((v) => ({
          kind: 'client_message', dedupeKey: `leaderboard_prize:${period}:${periodKey}:${v.clientId}`, clientId: v.clientId, dueAt: now,
          payload: {
            text: `恭喜您在${label}推荐冲榜中位列第 ${rankOf.get(v.clientId)} 名！感谢您把我们推荐给朋友，奖励已发放：${v.sentence}。`,
            purpose: 'care', card: { title: v.title, pagePath: PAGE },
          },
        })));
        await m.query('UPDATE referral_prize_runs SET winners = ? WHERE period = ? AND period_key = ?', [vouchers.length, period, periodKey]);
        this.deps.logger.info({ period, periodKey, winners: vouchers.length }, 'leaderboard prizes issued');
        return vouchers.length;
      });
    } catch (err) {
      // Already awarded (a rerun, or the other scheduler committed first).
      if (isDuplicateKey(err)) return 0;
      throw err;
    }
  }

  /** The period's referrers ranked by converted referrals (ties share a rank), down to rank N; active accounts only. */
  private async winners(m: EntityManager, period: ReferralPeriod, periodKey: string, topN: number): Promise<{ clientId: number; rank: number }[]> {
    const rows: { referrer_id: number; n: number | string }[] = await m.query(
      `SELECT r.referrer_id, COUNT(*) AS n FROM referral_rewards r JOIN clients c ON c.id = r.referrer_id AND c.status = 'active'
        WHERE r.period_${period} = ? AND r.conversion = 1 AND r.${CONVERTED}
        GROUP BY r.referrer_id ORDER BY n DESC, r.referrer_id`,
      [periodKey],
    );
    const ranked: { clientId: number; rank: number; n: number }[] = [];
    for (const r of rows) {
      const prev = ranked[ranked.length - 1];
      const n = Number(r.n);
      const rank = prev && prev.n === n ? prev.rank : ranked.length + 1;
      if (rank > topN) break;
      ranked.push({ clientId: Number(r.referrer_id), rank, n });
    }
    return ranked;
  }
}
