import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Why a stored-value entry exists. Credits: released referral cashback, the stored-value part of a
 * refund. Debits: a clawback of cashback, a payment on an order, a conversion to a voucher.
 */
export const WALLET_REASONS = ['referral_cashback', 'cashback_clawback', 'order_payment', 'order_refund', 'voucher'] as const;
export type WalletReason = (typeof WALLET_REASONS)[number];

/** One row per client: the stored-value balance 储值余额, changed only together with a ledger entry (WalletService). */
@Entity({ name: 'wallet_accounts' })
export class WalletAccount {
  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'balance_fen', type: 'int' })
  balanceFen!: number;

  @Column({ type: 'int', unsigned: true, default: 0 })
  version!: number;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** The stored-value ledger: append-only; the balance is the sum of `delta_fen`, never below zero. */
@Entity({ name: 'wallet_entries' })
@Index('uq_wallet_entries_key', ['clientId', 'idempotencyKey'], { unique: true })
@Index('ix_wallet_entries_client', ['clientId', 'id'])
@Index('ix_wallet_entries_order', ['orderId', 'reason'])
export class WalletEntry {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'delta_fen', type: 'int' })
  deltaFen!: number;

  @Column({ type: 'varchar', length: 24 })
  reason!: WalletReason;

  @Column({ type: 'varchar', length: 128, nullable: true })
  reference!: string | null;

  /** Payments on an order and their refunds: the order (internal id). */
  @Column({ name: 'order_id', type: 'int', unsigned: true, nullable: true })
  orderId!: number | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 128 })
  idempotencyKey!: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ name: 'balance_after_fen', type: 'int' })
  balanceAfterFen!: number;

  @Column({ name: 'actor_type', type: 'varchar', length: 8 })
  actorType!: string;

  @Column({ name: 'actor_id', type: 'int', unsigned: true, nullable: true })
  actorId!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
