import type { EntityManager } from 'typeorm';
import { CONVERTED, periodKeys, tierFor, type ReferralPeriod } from './referrals.rules';
import type { Queryable, ReferralsSupport } from './referrals.shared';
import type { TierView } from './referrals.types';

/**
 * Cashback tiers 阶梯返现 (DOMAIN.md: 5%–15%, the more referrals the higher): the rate follows the
 * referrer's converted referrals so far in the tier period (REFERRAL_TIER_PERIOD).
 */
export class ReferralTiers {
  constructor(private readonly s: ReferralsSupport) {}

  /**
   * The rate of a reward for a payment in these periods, inside the reward's transaction: a
   * locking read, so it sees what committed while the caller waited for the referrer's lock.
   */
  async rateFor(m: EntityManager, referrerId: number, periods: Record<ReferralPeriod, string>): Promise<number> {
    const period = this.s.cfg.tierPeriod;
    const converted = await this.converted(m, referrerId, period, periods[period], ' LOCK IN SHARE MODE');
    return tierFor(this.s.cfg.tiers, converted).rateBp;
  }

  /** The client's tier now: converted referrals in the current period, the rate and the next tier. */
  async view(clientId: number): Promise<TierView> {
    const period = this.s.cfg.tierPeriod;
    const periodKey = periodKeys(this.s.now())[period];
    const converted = await this.converted(this.s.deps.db, clientId, period, periodKey);
    const { rateBp, next } = tierFor(this.s.cfg.tiers, converted);
    return { period, periodKey, converted, rateBp, next: next ? { converted: next.minConverted, rateBp: next.rateBp } : null };
  }

  private async converted(q: Queryable, referrerId: number, period: ReferralPeriod, periodKey: string, lock = ''): Promise<number> {
    const [{ n }] = await q.query(
      `SELECT COUNT(*) AS n FROM referral_rewards WHERE referrer_id = ? AND conversion = 1 AND period_${period} = ? AND ${CONVERTED}${lock}`,
      [referrerId, periodKey],
    );
    return Number(n);
  }
}
