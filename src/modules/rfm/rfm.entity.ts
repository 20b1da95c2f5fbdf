import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const RFM_SEGMENTS = ['new', 'vip', 'high_value', 'active', 'care', 'dormant', 'long_dormant'] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];
export const DORMANT_TIERS = ['care_3m', 'gift_6m', 'callback_12m'] as const;
export type DormantTier = (typeof DORMANT_TIERS)[number];

/** A client's recency, frequency and monetary figures and segment, recomputed nightly (DOMAIN.md, RFM). */
@Entity({ name: 'client_rfm' })
@Index('ix_client_rfm_segment', ['segment'])
export class ClientRfm {
  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'last_paid_at', type: 'datetime', precision: 3, nullable: true })
  lastPaidAt!: Date | null;

  /** The latest order: a dormancy period is anchored on it, so each offer goes once per period. */
  @Column({ name: 'last_order_id', type: 'int', unsigned: true, nullable: true })
  lastOrderId!: number | null;

  @Column({ name: 'orders_quarter', type: 'int', unsigned: true, default: 0 })
  ordersQuarter!: number;

  @Column({ name: 'orders_year', type: 'int', unsigned: true, default: 0 })
  ordersYear!: number;

  @Column({ name: 'spend_year_fen', type: 'bigint', unsigned: true, default: 0 })
  spendYearFen!: string;

  @Column({ name: 'r_score', type: 'tinyint', unsigned: true })
  rScore!: number;

  @Column({ name: 'f_score', type: 'tinyint', unsigned: true })
  fScore!: number;

  @Column({ name: 'm_score', type: 'tinyint', unsigned: true })
  mScore!: number;

  @Column({ type: 'varchar', length: 16 })
  segment!: RfmSegment;

  /** The segment last mirrored onto the client's `rfm` tag. */
  @Column({ name: 'tagged_segment', type: 'varchar', length: 16, nullable: true })
  taggedSegment!: RfmSegment | null;

  /** When the figures last changed (a nightly run that changes nothing leaves the row alone). */
  @Column({ name: 'computed_at', type: 'datetime', precision: 3 })
  computedAt!: Date;
}

/** A dormant-client action taken once per dormancy period (the anchor order) and tier. */
@Entity({ name: 'dormant_actions' })
@Index('uq_dormant_actions', ['clientId', 'tier', 'anchorOrderId'], { unique: true })
@Index('ix_dormant_actions_at', ['at'])
export class DormantAction {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ type: 'varchar', length: 16 })
  tier!: DormantTier;

  @Column({ name: 'anchor_order_id', type: 'int', unsigned: true })
  anchorOrderId!: number;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;
}
