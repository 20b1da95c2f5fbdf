import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type RewardKind = 'project_voucher' | 'care_product' | 'salon_seat';
export type VoucherStatus = 'issued' | 'used' | 'cancelled' | 'expired';
/** What a voucher issued by a rule gives: an amount off, a percentage off up to a cap, a free service (e.g. a skin test), a gift. */
export const BENEFIT_KINDS = ['amount_off', 'percent_off', 'free_service', 'gift'] as const;
export type BenefitKind = (typeof BENEFIT_KINDS)[number];
export type VoucherSource = 'points' | 'rule';

/** 积分商城: what points buy (DOMAIN.md: project deductions, care products, salon seats). */
@Entity({ name: 'reward_items' })
export class RewardItem {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_reward_items_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ type: 'enum', enum: ['project_voucher', 'care_product', 'salon_seat'] })
  kind!: RewardKind;

  @Column({ type: 'varchar', length: 64 })
  title!: string;

  @Column({ type: 'varchar', length: 1000, default: '' })
  description!: string;

  @Column({ name: 'points_price', type: 'int', unsigned: true })
  pointsPrice!: number;

  /** Taken only by a conditional UPDATE (`stock > 0`), returned by a cancellation. */
  @Column({ type: 'int', unsigned: true })
  stock!: number;

  /** Vouchers one client may hold of this item (cancelled ones do not count); null = no limit. */
  @Column({ name: 'per_client_limit', type: 'int', unsigned: true, nullable: true })
  perClientLimit!: number | null;

  @Column({ name: 'valid_from', type: 'datetime', precision: 3, nullable: true })
  validFrom!: Date | null;

  @Column({ name: 'valid_to', type: 'datetime', precision: 3, nullable: true })
  validTo!: Date | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** A redemption: the voucher with its one-time code, issued in the same transaction as the stock and ledger change. */
@Entity({ name: 'vouchers' })
@Index('uq_vouchers_request', ['clientId', 'idempotencyKey'], { unique: true })
@Index('ix_vouchers_client_item', ['clientId', 'itemId', 'status'])
@Index('uq_vouchers_rule_period', ['clientId', 'rule', 'period'], { unique: true })
@Index('ix_vouchers_rule', ['rule', 'period'])
@Index('ix_vouchers_due', ['status', 'expiresAt'])
export class Voucher {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_vouchers_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  /** The points-mall item; null for a voucher issued by a rule. */
  @Column({ name: 'item_id', type: 'int', unsigned: true, nullable: true })
  itemId!: number | null;

  @Column({ type: 'enum', enum: ['points', 'rule'], default: 'points' })
  source!: VoucherSource;

  /** The rule and its period (e.g. 'care_3m' and the anchor order, 'leaderboard_month' and '2026-11'): one voucher per client, rule and period. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  rule!: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  period!: string | null;

  @Column({ type: 'enum', enum: BENEFIT_KINDS, nullable: true })
  kind!: BenefitKind | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  title!: string | null;

  @Column({ name: 'value_fen', type: 'int', unsigned: true, nullable: true })
  valueFen!: number | null;

  @Column({ type: 'tinyint', unsigned: true, nullable: true })
  percent!: number | null;

  @Column({ name: 'cap_fen', type: 'int', unsigned: true, nullable: true })
  capFen!: number | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  service!: string | null;

  /** Project codes the voucher may be used on; null = any. */
  @Column({ type: 'json', nullable: true })
  projects!: string[] | null;

  @Column({ name: 'valid_from', type: 'datetime', precision: 3, nullable: true })
  validFrom!: Date | null;

  /** At 核销: the order amount the desk entered and the discount it gave (fen). */
  @Column({ name: 'order_amount_fen', type: 'int', unsigned: true, nullable: true })
  orderAmountFen!: number | null;

  @Column({ name: 'discount_fen', type: 'int', unsigned: true, nullable: true })
  discountFen!: number | null;

  @Column({ name: 'used_project', type: 'varchar', length: 32, nullable: true })
  usedProject!: string | null;

  /** When the expiry task recorded it as expired. */
  @Column({ name: 'expired_at', type: 'datetime', precision: 3, nullable: true })
  expiredAt!: Date | null;

  @Column({ type: 'int', unsigned: true })
  points!: number;

  @Index('uq_vouchers_code', { unique: true })
  @Column({ type: 'char', length: 10 })
  code!: string;

  @Column({ type: 'enum', enum: ['issued', 'used', 'cancelled', 'expired'], default: 'issued' })
  status!: VoucherStatus;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 64 })
  idempotencyKey!: string;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'datetime', precision: 3, nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'used_by_staff_id', type: 'int', unsigned: true, nullable: true })
  usedByStaffId!: number | null;

  @Column({ name: 'cancelled_at', type: 'datetime', precision: 3, nullable: true })
  cancelledAt!: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/** The benefit each rule issues, editable: the defaults come from the migration. */
@Entity({ name: 'voucher_rules' })
export class VoucherRule {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  rule!: string;

  @Column({ type: 'enum', enum: BENEFIT_KINDS })
  kind!: BenefitKind;

  @Column({ type: 'varchar', length: 64 })
  title!: string;

  @Column({ name: 'value_fen', type: 'int', unsigned: true, nullable: true })
  valueFen!: number | null;

  @Column({ type: 'tinyint', unsigned: true, nullable: true })
  percent!: number | null;

  @Column({ name: 'cap_fen', type: 'int', unsigned: true, nullable: true })
  capFen!: number | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  service!: string | null;

  @Column({ type: 'json', nullable: true })
  projects!: string[] | null;

  @Column({ name: 'valid_days', type: 'smallint', unsigned: true })
  validDays!: number;

  @Column({ type: 'tinyint', default: 1 })
  active!: boolean;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}
