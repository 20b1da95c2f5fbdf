import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type BindingStatus = 'active' | 'void';
export type RewardStatus = 'held' | 'released' | 'cancelled' | 'clawed_back';
export type CashbackReason = 'referral' | 'clawback';
export type IneligibleKind = 'openid' | 'unionid' | 'phone';

/**
 * 推荐绑定: one row per referred client, written in the login transaction that created the client.
 * The blind indexes of the friend's WeChat identity (and phone, once known) are unique, so the same
 * person cannot be bound twice, not even after deleting the account and starting afresh.
 */
@Entity({ name: 'referral_bindings' })
@Index('ix_referral_bindings_referrer', ['referrerId', 'id'])
export class ReferralBinding {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ name: 'referrer_id', type: 'int', unsigned: true })
  referrerId!: number;

  @Index('uq_referral_bindings_referee', { unique: true })
  @Column({ name: 'referee_id', type: 'int', unsigned: true })
  refereeId!: number;

  /** The code the friend arrived with (the referrer's code at the time). */
  @Column({ type: 'char', length: 8 })
  code!: string;

  @Index('uq_referral_bindings_openid', { unique: true })
  @Column({ name: 'openid_bidx', type: 'char', length: 64 })
  openidBidx!: string;

  @Index('uq_referral_bindings_unionid', { unique: true })
  @Column({ name: 'unionid_bidx', type: 'char', length: 64, nullable: true })
  unionidBidx!: string | null;

  /** Filled when the friend's phone is first seen (at the first paid order); the same phone binds once. */
  @Index('uq_referral_bindings_phone', { unique: true })
  @Column({ name: 'phone_bidx', type: 'char', length: 64, nullable: true })
  phoneBidx!: string | null;

  /** 'void': found to be an already bound phone or the phone of a deleted account (voidReason); earns nothing. */
  @Column({ type: 'enum', enum: ['active', 'void'], default: 'active' })
  status!: BindingStatus;

  @Column({ name: 'void_reason', type: 'varchar', length: 32, nullable: true })
  voidReason!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'voided_at', type: 'datetime', precision: 3, nullable: true })
  voidedAt!: Date | null;

  /**
   * The friend agreed (asked at binding, changeable later) that the referrer sees their coarse
   * status; otherwise the referrer sees them only in counts (PIPL art. 23, 28–29).
   */
  @Column({ name: 'shares_status', type: 'boolean', default: false })
  sharesStatus!: boolean;

  /** When the friend last answered that question (null: never asked or not answered). */
  @Column({ name: 'status_consent_at', type: 'datetime', precision: 3, nullable: true })
  statusConsentAt!: Date | null;
}

/**
 * 老客不可再次作为新客被推荐: the blind indexes (HMAC, FieldCipher.blindIndex, same keys as the bindings)
 * of the WeChat identity and phone of every deleted account, so that an old client who deletes the
 * account and signs up again through a friend's code is not taken for a new client. Fraud prevention
 * only: no readable identifier survives the deletion, and a keyed hash matches only the same value.
 */
@Entity({ name: 'referral_ineligible' })
export class ReferralIneligible {
  @PrimaryColumn({ type: 'char', length: 64 })
  bidx!: string;

  @Column({ type: 'enum', enum: ['openid', 'unionid', 'phone'] })
  kind!: IneligibleKind;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/**
 * One referral reward per paid order of a referred friend (unique order_id: exactly once per order).
 * Held for the refund window, then released by the scheduler: only the release writes ledger
 * entries, so cancelling a held reward touches no ledger; a refund after release claws back with
 * compensating entries.
 */
@Entity({ name: 'referral_rewards' })
@Index('ix_referral_rewards_binding', ['bindingId', 'conversion', 'status'])
@Index('ix_referral_rewards_due', ['status', 'holdUntil'])
@Index('ix_referral_rewards_referrer_month', ['referrerId', 'conversion', 'periodMonth'])
@Index('ix_referral_rewards_referrer_quarter', ['referrerId', 'conversion', 'periodQuarter'])
@Index('ix_referral_rewards_month', ['periodMonth', 'conversion'])
@Index('ix_referral_rewards_quarter', ['periodQuarter', 'conversion'])
@Index('ix_referral_rewards_referee', ['refereeId', 'conversion'])
@Index('ix_referral_rewards_lb_pending', ['lbPending'])
export class ReferralReward {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ name: 'referrer_id', type: 'int', unsigned: true })
  referrerId!: number;

  @Column({ name: 'referee_id', type: 'int', unsigned: true })
  refereeId!: number;

  @Column({ name: 'binding_id', type: 'int', unsigned: true })
  bindingId!: number;

  @Index('uq_referral_rewards_order', { unique: true })
  @Column({ name: 'order_id', type: 'int', unsigned: true })
  orderId!: number;

  @Column({ name: 'order_no', type: 'varchar', length: 64 })
  orderNo!: string;

  @Column({ name: 'amount_paid_fen', type: 'int', unsigned: true })
  amountPaidFen!: number;

  @Column({ name: 'refunded_fen', type: 'int', unsigned: true, default: 0 })
  refundedFen!: number;

  /** Stored value paid on the order while the reward was held: not new spend, so not in the cashback base (cashBaseFen). */
  @Column({ name: 'stored_value_fen', type: 'int', unsigned: true, default: 0 })
  storedValueFen!: number;

  /** The tier's rate when the order was paid, in basis points. */
  @Column({ name: 'rate_bp', type: 'int', unsigned: true })
  rateBp!: number;

  /** Held: the cashback to release (lowered by partial refunds). Released: what was credited. */
  @Column({ name: 'cashback_fen', type: 'int', unsigned: true })
  cashbackFen!: number;

  /** Released cashback taken back by refunds after the release. */
  @Column({ name: 'clawed_fen', type: 'int', unsigned: true, default: 0 })
  clawedFen!: number;

  /** The friend's first paid order: it converts the referral and carries both sides' points. */
  @Column({ type: 'boolean', default: false })
  conversion!: boolean;

  @Column({ name: 'referrer_points', type: 'int', unsigned: true, default: 0 })
  referrerPoints!: number;

  @Column({ name: 'referee_points', type: 'int', unsigned: true, default: 0 })
  refereePoints!: number;

  /** Points a clawback could not take back (a balance never goes negative). */
  @Column({ name: 'referrer_points_shortfall', type: 'int', unsigned: true, default: 0 })
  referrerPointsShortfall!: number;

  @Column({ name: 'referee_points_shortfall', type: 'int', unsigned: true, default: 0 })
  refereePointsShortfall!: number;

  /** Cashback a clawback could not take back: the stored value was already spent (it never goes negative). */
  @Column({ name: 'cashback_shortfall_fen', type: 'int', unsigned: true, default: 0 })
  cashbackShortfallFen!: number;

  @Column({ type: 'enum', enum: ['held', 'released', 'cancelled', 'clawed_back'], default: 'held' })
  status!: RewardStatus;

  /** Asia/Shanghai month (YYYY-MM) and quarter (YYYY-Qn) of the payment: tiers and leaderboards count by these. */
  @Column({ name: 'period_month', type: 'char', length: 7 })
  periodMonth!: string;

  @Column({ name: 'period_quarter', type: 'char', length: 7 })
  periodQuarter!: string;

  @Column({ name: 'paid_at', type: 'datetime', precision: 3 })
  paidAt!: Date;

  @Column({ name: 'hold_until', type: 'datetime', precision: 3 })
  holdUntil!: Date;

  @Column({ name: 'released_at', type: 'datetime', precision: 3, nullable: true })
  releasedAt!: Date | null;

  @Column({ name: 'cancelled_at', type: 'datetime', precision: 3, nullable: true })
  cancelledAt!: Date | null;

  @Column({ name: 'clawed_back_at', type: 'datetime', precision: 3, nullable: true })
  clawedBackAt!: Date | null;

  /** Set in the transaction that changed what the leaderboards count; cleared once Redis has it (an outbox flag). */
  @Column({ name: 'lb_pending', type: 'boolean', default: false })
  lbPending!: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** One row per referrer: the released cashback balance in fen, changed only together with an entry. May be negative (a debt). */
@Entity({ name: 'cashback_accounts' })
export class CashbackAccount {
  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'balance_fen', type: 'int' })
  balanceFen!: number;

  @Column({ type: 'int', unsigned: true, default: 0 })
  version!: number;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** 返现 ledger: append-only, in fen; releases add, clawbacks subtract. */
@Entity({ name: 'cashback_entries' })
@Index('uq_cashback_entries_key', ['clientId', 'idempotencyKey'], { unique: true })
@Index('ix_cashback_entries_client', ['clientId', 'id'])
@Index('ix_cashback_entries_reward', ['rewardId'])
export class CashbackEntry {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'delta_fen', type: 'int' })
  deltaFen!: number;

  @Column({ type: 'varchar', length: 24 })
  reason!: CashbackReason;

  @Column({ name: 'reward_id', type: 'int', unsigned: true, nullable: true })
  rewardId!: number | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 128 })
  idempotencyKey!: string;

  @Column({ name: 'balance_after_fen', type: 'int' })
  balanceAfterFen!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/** A leaderboard period whose prizes were issued (once per period: the primary key). */
@Entity({ name: 'referral_prize_runs' })
export class ReferralPrizeRun {
  @PrimaryColumn({ type: 'varchar', length: 8 })
  period!: string;

  @PrimaryColumn({ name: 'period_key', type: 'char', length: 7 })
  periodKey!: string;

  @Column({ name: 'top_n', type: 'smallint', unsigned: true })
  topN!: number;

  @Column({ type: 'int', unsigned: true })
  winners!: number;

  @Column({ name: 'awarded_at', type: 'datetime', precision: 3 })
  awardedAt!: Date;
}
