import { MigrationInterface, QueryRunner } from 'typeorm';

// Stored value paid per order (payments only), from the wallet's ledger.
const PAID = "SELECT order_id, -SUM(delta_fen) AS sv FROM wallet_entries WHERE reason = 'order_payment' AND order_id IS NOT NULL GROUP BY order_id";

/**
 * Stored value paid on a referred friend's order is not new spend: `referral_rewards.stored_value_fen`
 * keeps what stored value paid while the reward was held, and the base is the cash left (cashBaseFen).
 * Rewards still held take it now: their cashback is recomputed on the cash still paid (the refunds'
 * stored-value share given back first, floored as the rule does), and a reward with no cash left is
 * cancelled as a full refund would. Released rewards keep what they were credited. `down` drops the
 * column; the lowered cashback of held rewards stays lowered.
 */
export class ReferralStoredValueBase1795810000000 implements MigrationInterface {
  name = 'ReferralStoredValueBase1795810000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `referral_rewards` ADD `stored_value_fen` int unsigned NOT NULL DEFAULT 0 AFTER `refunded_fen`');
    await q.query(
      `UPDATE referral_rewards r JOIN (${PAID}) w ON w.order_id = r.order_id
          SET r.stored_value_fen = LEAST(w.sv, r.amount_paid_fen), r.updated_at = UTC_TIMESTAMP(3)
        WHERE r.status = 'held'`,
    );
    // The cash still paid: paid − stored value − (refunded − the refunds' stored-value share).
    // Signed: unsigned columns must not be subtracted below zero.
    const cash = `CAST(r.amount_paid_fen AS SIGNED) - CAST(r.stored_value_fen AS SIGNED) - (CAST(r.refunded_fen AS SIGNED) - FLOOR(r.stored_value_fen * r.refunded_fen / r.amount_paid_fen))`;
    await q.query(
      `UPDATE referral_rewards r SET r.cashback_fen = FLOOR((${cash}) * r.rate_bp / 10000), r.updated_at = UTC_TIMESTAMP(3)
        WHERE r.status = 'held' AND r.stored_value_fen > 0 AND r.refunded_fen < r.amount_paid_fen AND ${cash} > 0`,
    );
    await q.query(
      `UPDATE referral_rewards r SET r.status = 'cancelled', r.cancelled_at = UTC_TIMESTAMP(3), r.lb_pending = r.lb_pending OR r.conversion, r.updated_at = UTC_TIMESTAMP(3)
        WHERE r.status = 'held' AND r.stored_value_fen > 0 AND (r.refunded_fen >= r.amount_paid_fen OR ${cash} <= 0)`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `referral_rewards` DROP COLUMN `stored_value_fen`');
  }
}
