import type { EntityManager } from 'typeorm';
import { SYSTEM_ACTOR } from '../audit';
import { referralPoints } from '../points';
import type { AccountLock } from '../points';
import type { OrderRefundEvent, PaidOrder } from '../orders';
import type { StoredValuePayment } from '../wallet';
import type { ReferralBinding } from './referrals.binding';
import type { CashbackLedger } from './referrals.cashback';
import type { ReferralLeaderboard } from './referrals.leaderboard';
import { CONVERTED, cashBaseFen, cashbackFen, periodKeys } from './referrals.rules';
import { DAY_MS, type ReferralsSupport, type RewardRow } from './referrals.shared';
import type { ReferralTiers } from './referrals.tiers';
import type { ReleaseReport } from './referrals.types';

const RELEASE_BATCH = 200;

/**
 * A referral reward from a friend's paid order to its end: held for the refund window (REFERRAL_HOLD_DAYS),
 * released by the scheduler (cashback into the ledger and stored value, both sides' points),
 * cancelled or lowered by a refund inside the hold, clawed back with compensating entries after it.
 *
 * Serialisation: every reward of one referrer is created under that referrer's cashback account
 * row lock (so tier counts are exact); a reward row is changed only under its own row lock, taken
 * after the referrer's cashback account lock. Lock order everywhere: referrer's cashback account →
 * reward rows → points accounts (ascending id). A stored-value payment takes the first two after the
 * order's lock and before the friend's stored-value account, as a refund of the order does.
 */
export class ReferralRewards {
  constructor(
    private readonly s: ReferralsSupport,
    private readonly binding: ReferralBinding,
    private readonly tiers: ReferralTiers,
    private readonly ledger: CashbackLedger,
    private readonly leaderboard: ReferralLeaderboard,
  ) {}

  /**
   * A referred friend's order was paid: records the held reward (once per order). The tier is the
   * referrer's converted referrals so far in the period of the payment; the friend's first paid
   * order converts the referral and carries both sides' points. Nothing reaches a ledger before
   * the release. Reads here are locking reads: they must see what committed while we waited.
   * Spend paid before the binding earns nothing (it was not brought by the referral), and the hold
   * runs from the payment or from now, whichever is later, so a backdated order is held in full.
   * The base is the whole amount here: stored value is paid on a recorded order, so later, and
   * lowers the held reward then (onStoredValuePaid).
   */
  async onPaid(m: EntityManager, order: PaidOrder): Promise<void> {
    if (order.amountPaidFen <= 0) return;
    const [binding]: { id: number; referrer_id: number; phone_bidx: string | null; created_at: Date }[] = await m.query(
      "SELECT id, referrer_id, phone_bidx, created_at FROM referral_bindings WHERE referee_id = ? AND status = 'active'", [order.clientId],
    );
    if (!binding) return;
    const referrerId = Number(binding.referrer_id);
    if (order.paidAt.getTime() < binding.created_at.getTime()) {
      this.s.log.info({ orderId: order.id, referrerId }, 'order paid before the referral binding; no referral reward');
      return;
    }
    await this.ledger.lock(m, referrerId);
    const [done] = await m.query('SELECT id FROM referral_rewards WHERE order_id = ? LOCK IN SHARE MODE', [order.id]);
    if (done) return; // the hook ran for this order already

    const people: { id: number; status: string; public_id: string; phone_bidx: string | null; phone_enc: Buffer | null }[] = await m.query(
      'SELECT id, status, public_id, phone_bidx, phone_enc FROM clients WHERE id IN (?, ?)', [referrerId, order.clientId],
    );
    const referrer = people.find((p) => Number(p.id) === referrerId);
    const referee = people.find((p) => Number(p.id) === order.clientId);
    if (!referrer || referrer.status !== 'active') {
      this.s.log.info({ orderId: order.id, referrerId }, 'referrer is no longer active; no referral reward');
      return;
    }
    if (!(await this.binding.checkPhone(m, binding, referee))) return;

    const periods = periodKeys(order.paidAt);
    const rateBp = await this.tiers.rateFor(m, referrerId, periods);
    const converted: unknown[] = await m.query(
      `SELECT id FROM referral_rewards WHERE referee_id = ? AND conversion = 1 AND ${CONVERTED} LIMIT 1 LOCK IN SHARE MODE`, [order.clientId],
    );
    const conversion = converted.length === 0;
    // 推荐新客双倍积分: a bound friend is always a new client (only new clients can be bound).
    const referrerPoints = conversion ? referralPoints(this.s.deps.points.rules, true) : 0;
    const refereePoints = conversion ? this.s.cfg.refereePoints : 0;
    const now = this.s.now();
    await m.query(
      `INSERT INTO referral_rewards (referrer_id, referee_id, binding_id, order_id, order_no, amount_paid_fen, rate_bp, cashback_fen, conversion,
         referrer_points, referee_points, status, period_month, period_quarter, paid_at, hold_until, lb_pending, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?, ?, ?, ?, ?, ?, ?)`,
      [
        referrerId, order.clientId, binding.id, order.id, order.orderNo, order.amountPaidFen, rateBp, cashbackFen(order.amountPaidFen, rateBp),
        conversion, referrerPoints, refereePoints, periods.month, periods.quarter, order.paidAt,
        new Date(Math.max(order.paidAt.getTime(), now.getTime()) + this.s.cfg.holdDays * DAY_MS), conversion, now, now,
      ],
    );
    this.s.log.info({ orderId: order.id, referrerId, rateBp, conversion }, 'referral reward held');
  }

  /**
   * A refund of a referred friend's order. Inside the hold: a full refund cancels the reward (no
   * ledger was written, none is), a partial one lowers the held cashback to the rate of the cash
   * still paid (cashBaseFen: stored value is not in the base, and the refund's stored-value share is
   * not taken from it twice). After the release: the cashback beyond that is clawed back, and a full
   * refund also takes back both sides' points (clawBackReleased).
   * A refund that leaves no cash paid counts as full: converting needs real money spent.
   */
  async onRefunded(m: EntityManager, order: PaidOrder, refund: OrderRefundEvent): Promise<void> {
    const r = await this.lockReward(m, 'order_id', order.id);
    if (!r || r.status === 'cancelled' || r.status === 'clawed_back') return;
    const now = this.s.now();
    const stillPaid = cashBaseFen(Number(r.amount_paid_fen), Number(r.stored_value_fen), refund.refundedTotalFen, refund.full);
    const full = stillPaid === 0;
    const refunded = Math.min(Number(r.amount_paid_fen), refund.refundedTotalFen);
    const conversion = Number(r.conversion) === 1;

    if (r.status === 'held') {
      if (full) {
        await m.query(
          "UPDATE referral_rewards SET status = 'cancelled', cancelled_at = ?, refunded_fen = ?, lb_pending = lb_pending OR ?, updated_at = ? WHERE id = ?",
          [now, refunded, conversion, now, r.id],
        );
        this.s.log.info({ rewardId: r.id, orderId: order.id }, 'held referral reward cancelled by a refund');
      } else {
        await m.query('UPDATE referral_rewards SET cashback_fen = ?, refunded_fen = ?, updated_at = ? WHERE id = ?', [
          cashbackFen(stillPaid, Number(r.rate_bp)), refunded, now, r.id,
        ]);
      }
      return;
    }

    await this.clawBackReleased(m, r, { stillPaidFen: stillPaid, event: String(refund.refundId), column: 'refunded_fen', value: refunded });
  }

  /**
   * Stored value paid (more of) a friend's order: a held reward's cashback drops to the rate of the
   * cash left in it (cashBaseFen; no refund yet, the wallet refuses stored value on a refunded
   * order). An order paid wholly from stored value brought no new money: its reward is cancelled
   * like a full refund's — no cashback, no conversion, no points — and the friend's next order paid
   * with real money converts. A reward already released (REFERRAL_HOLD_DAYS may be 0, the desk may
   * record the payment after the window) is clawed back to the cashback of the cash left, as a
   * refund after the release is (clawBackReleased; wholly from stored value: all of it and the
   * points), once per payment (its request id); its `stored_value_fen` is kept, so a later refund
   * computes from it. A cancelled or clawed-back reward is left as it is.
   */
  async onStoredValuePaid(m: EntityManager, payment: StoredValuePayment): Promise<void> {
    const r = await this.lockReward(m, 'order_id', payment.orderId);
    if (!r || r.status === 'cancelled' || r.status === 'clawed_back') return;
    const now = this.s.now();
    const base = cashBaseFen(Number(r.amount_paid_fen), payment.paidFromStoredValueFen, 0, false);
    if (r.status === 'released') {
      await this.clawBackReleased(m, r, { stillPaidFen: base, event: `pay:${payment.requestId}`, column: 'stored_value_fen', value: payment.paidFromStoredValueFen });
      return;
    }
    if (base === 0) {
      await m.query(
        "UPDATE referral_rewards SET status = 'cancelled', cancelled_at = ?, stored_value_fen = ?, lb_pending = lb_pending OR conversion, updated_at = ? WHERE id = ?",
        [now, payment.paidFromStoredValueFen, now, r.id],
      );
      this.s.log.info({ rewardId: r.id, orderId: payment.orderId }, 'order paid wholly from stored value; held referral reward cancelled');
      return;
    }
    await m.query('UPDATE referral_rewards SET stored_value_fen = ?, cashback_fen = ?, updated_at = ? WHERE id = ?', [
      payment.paidFromStoredValueFen, cashbackFen(base, Number(r.rate_bp)), now, r.id,
    ]);
  }

  /**
   * A released reward whose cash base dropped to `stillPaidFen` (a refund, or stored value paid after
   * the release): the cashback beyond the rate of it is clawed back with a negative entry in the
   * referral ledger, then from the referrer's stored value as far as it goes (the rest is recorded as
   * `cashback_shortfall_fen`; stored value never goes negative). No cash left counts as full: the
   * reward ends clawed back and both sides' points go back as far as their balances allow. Keyed by
   * the reward and `event`, so the same refund or payment claws once; `column` records what changed.
   */
  private async clawBackReleased(
    m: EntityManager, r: RewardRow, change: { stillPaidFen: number; event: string; column: 'refunded_fen' | 'stored_value_fen'; value: number },
  ): Promise<void> {
    const now = this.s.now();
    const full = change.stillPaidFen === 0;
    const keep = full ? 0 : cashbackFen(change.stillPaidFen, Number(r.rate_bp));
    const claw = Math.max(0, Number(r.cashback_fen) - Number(r.clawed_fen) - keep);
    const key = `clawback:${r.id}:${change.event}`;
    let cashbackShortfall = 0;
    if (claw > 0) {
      await this.ledger.write(m, Number(r.referrer_id), -claw, 'clawback', r.id, key);
      // Only what is left of the stored value comes back (it may have paid an order already); the rest is recorded.
      ({ shortfallFen: cashbackShortfall } = await this.s.deps.wallet.clawBack(m, {
        clientId: Number(r.referrer_id), amountFen: claw, reference: `reward:${r.id}`, idempotencyKey: key, actor: SYSTEM_ACTOR,
      }));
    }
    let shortfall = { referrer: 0, referee: 0 };
    if (full) shortfall = await this.clawPoints(m, r);
    await m.query(
      `UPDATE referral_rewards SET clawed_fen = clawed_fen + ?, ${change.column} = ?, status = ?, clawed_back_at = ?,
         referrer_points_shortfall = ?, referee_points_shortfall = ?, cashback_shortfall_fen = cashback_shortfall_fen + ?, lb_pending = lb_pending OR ?,
         updated_at = ? WHERE id = ?`,
      [claw, change.value, full ? 'clawed_back' : 'released', full ? now : null, shortfall.referrer, shortfall.referee, cashbackShortfall,
        full && Number(r.conversion) === 1, now, r.id],
    );
    this.s.log.info({ rewardId: r.id, orderNo: r.order_no, event: change.event, clawFen: claw, cashbackShortfallFen: cashbackShortfall, full, shortfall },
      'released referral reward clawed back');
  }

  /**
   * Releases every held reward whose hold has ended, one short transaction each: the cashback
   * entry, the referrer's points (earnForReferral) and the friend's points, keyed by the reward so
   * a second run or a second scheduler writes nothing twice. Then pushes leaderboard changes to Redis.
   */
  async releaseDue(now: Date): Promise<ReleaseReport> {
    let released = 0;
    let failed = 0;
    let after: { holdUntil: Date; id: number } | null = null;
    for (;;) {
      const due: { id: number; hold_until: Date }[] = await this.s.deps.db.query(
        `SELECT id, hold_until FROM referral_rewards WHERE status = 'held' AND hold_until <= ?
         ${after ? 'AND (hold_until > ? OR (hold_until = ? AND id > ?))' : ''} ORDER BY hold_until, id LIMIT ${RELEASE_BATCH}`,
        after ? [now, after.holdUntil, after.holdUntil, after.id] : [now],
      );
      for (const row of due) {
        try {
          if (await this.s.tx((m) => this.releaseOne(m, Number(row.id), now))) released++;
        } catch (err) {
          failed++;
          this.s.log.warn({ rewardId: row.id, err }, 'referral reward could not be released; skipped for this run');
        }
      }
      if (due.length < RELEASE_BATCH) break;
      after = { holdUntil: due[due.length - 1].hold_until, id: Number(due[due.length - 1].id) };
    }
    if (failed > 0) this.s.log.error({ released, failed }, 'referral release run finished with failures');
    await this.leaderboard.sync().catch((err) => this.s.log.warn({ err }, 'leaderboard sync failed; the next read or run retries'));
    return { released, failed };
  }

  private async releaseOne(m: EntityManager, rewardId: number, now: Date): Promise<boolean> {
    // A friend's order paying now holds the referrer's cashback account and share-locks this referrer's rewards.
    const r = await this.lockReward(m, 'id', rewardId);
    if (!r || r.status !== 'held' || r.hold_until > now) return false;
    const referrerId = Number(r.referrer_id);
    const refereeId = Number(r.referee_id);
    const people: { id: number; status: string }[] = await m.query('SELECT id, status FROM clients WHERE id IN (?, ?)', [referrerId, refereeId]);
    const active = (id: number) => people.some((p) => Number(p.id) === id && p.status === 'active');
    if (!active(referrerId)) {
      await m.query(
        "UPDATE referral_rewards SET status = 'cancelled', cancelled_at = ?, lb_pending = lb_pending OR conversion, updated_at = ? WHERE id = ?",
        [now, now, rewardId],
      );
      this.s.log.info({ rewardId, referrerId }, 'referrer deleted their account before the release; reward cancelled');
      return true;
    }
    if (Number(r.cashback_fen) > 0) {
      await this.ledger.write(m, referrerId, Number(r.cashback_fen), 'referral', rewardId, `release:${rewardId}`);
      // Released cashback is a stored-value balance the referrer can spend (DOMAIN.md, referral).
      await this.s.deps.wallet.credit(m, {
        clientId: referrerId, amountFen: Number(r.cashback_fen), reason: 'referral_cashback', reference: `reward:${rewardId}`,
        idempotencyKey: `cashback:${rewardId}`, actor: SYSTEM_ACTOR,
      });
    }

    let referrerPoints = 0;
    let refereePoints = 0;
    if (Number(r.conversion) === 1) {
      const welcome = Number(r.referee_points) > 0 && active(refereeId); // a deleted friend gets nothing
      const locks = await this.lockPoints(m, [...(Number(r.referrer_points) > 0 ? [referrerId] : []), ...(welcome ? [refereeId] : [])]);
      if (Number(r.referrer_points) > 0) {
        const res = await this.s.deps.points.earnForReferral(m, referrerId, { refereeClientId: refereeId, isNewClient: true, orderRef: r.order_no });
        referrerPoints = res?.entry.delta ?? 0;
      }
      if (welcome) {
        refereePoints = Number(r.referee_points);
        await this.s.deps.points.grant(m, {
          clientId: refereeId, points: refereePoints, reason: 'referral', reference: `welcome:${r.order_no}`,
          idempotencyKey: `referral_welcome:${r.order_no}`, actor: SYSTEM_ACTOR,
        }, locks.get(refereeId));
      }
    }
    // The points actually granted (the rule of the release day) are what a clawback takes back.
    await m.query(
      "UPDATE referral_rewards SET status = 'released', released_at = ?, referrer_points = ?, referee_points = ?, updated_at = ? WHERE id = ?",
      [now, referrerPoints, refereePoints, now, rewardId],
    );
    return true;
  }

  /**
   * The reward row under its lock, taken after the referrer's cashback account lock (the lock
   * order; referrer_id never changes, so it is read first without a lock). Null when there is none.
   */
  private async lockReward(m: EntityManager, column: 'id' | 'order_id', value: number): Promise<RewardRow | null> {
    const [peek]: { referrer_id: number }[] = await m.query(`SELECT referrer_id FROM referral_rewards WHERE ${column} = ?`, [value]);
    if (!peek) return null;
    await this.ledger.lock(m, Number(peek.referrer_id));
    const [r]: RewardRow[] = await m.query(`SELECT * FROM referral_rewards WHERE ${column} = ? FOR UPDATE`, [value]);
    return r ?? null;
  }

  /** Takes back both sides' released points, as far as each balance allows (a balance never goes negative). */
  private async clawPoints(m: EntityManager, r: RewardRow): Promise<{ referrer: number; referee: number }> {
    const sides = [
      { clientId: Number(r.referrer_id), points: Number(r.referrer_points), key: `referral_clawback:${r.id}`, side: 'referrer' as const },
      { clientId: Number(r.referee_id), points: Number(r.referee_points), key: `referral_welcome_clawback:${r.id}`, side: 'referee' as const },
    ].filter((s) => s.points > 0);
    const locks = await this.lockPoints(m, sides.map((s) => s.clientId));
    const out = { referrer: 0, referee: 0 };
    for (const s of sides) {
      const lock = locks.get(s.clientId)!;
      const take = Math.min(lock.balance, s.points);
      if (take > 0) {
        await this.s.deps.points.debit(m, {
          clientId: s.clientId, points: take, reason: 'referral', reference: `clawback:${r.order_no}`, idempotencyKey: s.key, actor: SYSTEM_ACTOR,
        }, lock);
      }
      out[s.side] = s.points - take;
    }
    return out;
  }

  /** Points account locks in ascending client id (a fixed order, so two releases never wait on each other in a circle). */
  private async lockPoints(m: EntityManager, clientIds: number[]): Promise<Map<number, AccountLock>> {
    const locks = new Map<number, AccountLock>();
    for (const id of [...new Set(clientIds)].sort((a, b) => a - b)) locks.set(id, await this.s.deps.points.lockAccount(m, id));
    return locks;
  }
}
