import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type RewardKind = 'project_voucher' | 'care_product' | 'salon_seat';
export type VoucherStatus = 'issued' | 'used' | 'cancelled' | 'expired';

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
export class Voucher {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_vouchers_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'item_id', type: 'int', unsigned: true })
  itemId!: number;

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
