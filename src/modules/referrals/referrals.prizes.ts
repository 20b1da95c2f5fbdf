import type { EntityManager } from 'typeorm';
import { isDuplicateKey } from '../../shared/db';
import type { OutboxService } from '../outbox';
import type { RewardsService } from '../rewards';
import { competitionRanks, periodKeys, periodLabel, previousPeriodKey, type ReferralPeriod } from './referrals.rules';
import { DAY_MS, type ReferralsSupport } from './referrals.shared';
import type { PrizeAward } from './referrals.types';

const PAGE = 'packageLoyalty/vouchers/index';

/**
 * 冲榜 prizes (DOMAIN.md: monthly and quarterly referral leaderboards; a promise is a real benefit):
 * once a period has closed and its last conversions are past the refund window (REFERRAL_HOLD_DAYS),
 * the top N referrers (competition ranking: a tie at rank N shares the prize) get the period's
 * voucher and a message. Once per period: the award row's primary key is written in the same
 * transaction as the vouchers, so a second scheduler (or a rerun) waits on it, finds it and does nothing.
 */
export class LeaderboardPrizes {
  constructor(
    private readonly s: ReferralsSupport,
    private readonly rewards: Pick<RewardsService, 'issueByRule'>,
    private readonly outbox: Pick<OutboxService, 'enqueueMany'>,
  ) {}

  async awardDue(now: Date): Promise<PrizeAward[]> {
    // The period that holds "now minus the refund window" may still change; the one before it is final.
    const settled = periodKeys(new Date(now.getTime() - this.s.cfg.holdDays * DAY_MS));
    const out: PrizeAward[] = [];
    for (const period of ['month', 'quarter'] as const) {
      const periodKey = previousPeriodKey(period, settled[period]);
      out.push({ period, periodKey, winners: await this.award(period, periodKey, now) });
    }
    return out;
  }

  private async award(period: ReferralPeriod, periodKey: string, now: Date): Promise<number> {
    const topN = this.s.cfg.prizeTopN;
    try {
      return await this.s.tx(async (m) => {
        await m.query('INSERT INTO referral_prize_runs (period, period_key, top_n, winners, awarded_at) VALUES (?, ?, ?, 0, ?)', [period, periodKey, topN, now]);
        const winners = await this.winners(m, period, periodKey, topN);
        const label = periodLabel(period, periodKey);
        const vouchers = await this.rewards.issueByRule(m, `leaderboard_${period}`, winners.map((w) => ({ clientId: w.clientId, period: periodKey })));
        const rankOf = new Map(winners.map((w) => [w.clientId, w.rank]));
        await this.outbox.enqueueMany(m, vouchers.map((v) => ({
          kind: 'client_message', dedupeKey: `leaderboard_prize:${period}:${periodKey}:${v.clientId}`, clientId: v.clientId, dueAt: now,
          payload: {
            text: `恭喜您在${label}推荐冲榜中位列第 ${rankOf.get(v.clientId)} 名！感谢您把我们推荐给朋友，奖励已发放：${v.sentence}。`,
            purpose: 'care', card: { title: v.title, pagePath: PAGE },
          },
        })));
        await m.query('UPDATE referral_prize_runs SET winners = ? WHERE period = ? AND period_key = ?', [vouchers.length, period, periodKey]);
        this.s.log.info({ period, periodKey, winners: vouchers.length }, 'leaderboard prizes issued');
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
    return competitionRanks(await this.s.convertedCounts(m, period, periodKey)).filter((w) => w.rank <= topN);
  }
}
