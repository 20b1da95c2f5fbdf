import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Why a ledger entry exists. A varchar column, so later capabilities can add reasons without a migration. */
export type PointsReason =
  | 'questionnaire' | 'spend' | 'review_shared' | 'referral' | 'manual_adjust' | 'redeem' | 'redeem_cancel' | 'expire';

/** One row per client: the balance, changed only together with a ledger entry (PointsService). */
@Entity({ name: 'points_accounts' })
export class PointsAccount {
  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ type: 'int' })
  balance!: number;

  @Column({ type: 'int', unsigned: true, default: 0 })
  version!: number;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/**
 * The points ledger: append-only. A positive entry is also an expiry lot (`expiresAt`, `remaining`);
 * negative entries consume lots oldest-expiry first, so `sum(remaining) = balance = sum(delta)`.
 */
@Entity({ name: 'points_entries' })
@Index('uq_points_entries_key', ['clientId', 'idempotencyKey'], { unique: true })
@Index('ix_points_entries_client', ['clientId', 'id'])
@Index('ix_points_entries_lots', ['clientId', 'remaining', 'expiresAt'])
@Index('ix_points_entries_expiry', ['expiresAt', 'remaining'])
export class PointsEntry {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ type: 'int' })
  delta!: number;

  @Column({ type: 'varchar', length: 24 })
  reason!: PointsReason;

  @Column({ type: 'varchar', length: 128, nullable: true })
  reference!: string | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 128 })
  idempotencyKey!: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ name: 'balance_after', type: 'int' })
  balanceAfter!: number;

  /** Positive entries: when this lot expires. Negative entries: the earliest expiry among the lots they consumed. */
  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt!: Date | null;

  /** Positive entries: points of this lot not yet consumed or expired. Always 0 on negative entries. */
  @Column({ type: 'int', default: 0 })
  remaining!: number;

  @Column({ name: 'actor_type', type: 'varchar', length: 8 })
  actorType!: string;

  @Column({ name: 'actor_id', type: 'int', unsigned: true, nullable: true })
  actorId!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
