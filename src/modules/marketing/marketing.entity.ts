import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One marketing spend entry 投放 (DOMAIN.md, channels and ROI): an amount per channel and month,
 * optionally for a campaign. Append-only: a correction is a new row that points at the entry it
 * corrects and carries the difference, so the history of what was entered stays readable and the
 * spend of a month is the plain sum of its rows.
 */
@Entity({ name: 'marketing_spend' })
@Index('ix_marketing_spend_month', ['month', 'channel'])
@Index('ix_marketing_spend_corrects', ['correctsId'])
export class MarketingSpend {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_marketing_spend_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ type: 'varchar', length: 64 })
  channel!: string;

  /** Business month (Asia/Shanghai) as YYYY-MM. */
  @Column({ type: 'char', length: 7 })
  month!: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  campaign!: string | null;

  /** Fen; negative only on a correction that lowers the entry it corrects. */
  @Column({ name: 'amount_fen', type: 'bigint' })
  amountFen!: string;

  @Column({ name: 'corrects_id', type: 'int', unsigned: true, nullable: true })
  correctsId!: number | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  note!: string | null;

  @Column({ name: 'recorded_by', type: 'int', unsigned: true })
  recordedBy!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/**
 * The channel ROI rollup: per attribution (first or last touch), Shanghai month and channel, the
 * revenue net of refunds, paying clients and new paying clients. Kept by the order hooks in the
 * order's transaction (RoiRollup); `rebuildRoiRollup` recomputes it from the orders.
 */
@Entity({ name: 'marketing_roi_months' })
export class MarketingRoiMonth {
  @PrimaryColumn({ type: 'varchar', length: 5 })
  attribution!: 'first' | 'last';

  @PrimaryColumn({ type: 'char', length: 7 })
  month!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  channel!: string;

  @Column({ name: 'revenue_fen', type: 'bigint', default: 0 })
  revenueFen!: string;

  @Column({ name: 'paying_clients', type: 'int', default: 0 })
  payingClients!: number;

  @Column({ name: 'new_paying_clients', type: 'int', default: 0 })
  newPayingClients!: number;
}

/** A client's share of a rollup cell: distinct paying clients over a range are counted from these. */
@Entity({ name: 'marketing_roi_client_months' })
@Index('ix_marketing_roi_client_months_client', ['clientId', 'attribution', 'month'])
// Distinct paying clients per channel over a range, read in index order (no sort of a year's shares).
@Index('ix_marketing_roi_client_months_channel', ['attribution', 'channel', 'clientId', 'month', 'valuableOrders'])
export class MarketingRoiClientMonth {
  @PrimaryColumn({ type: 'varchar', length: 5 })
  attribution!: 'first' | 'last';

  @PrimaryColumn({ type: 'char', length: 7 })
  month!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  channel!: string;

  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'net_fen', type: 'bigint', default: 0 })
  netFen!: string;

  /** The client's orders in this cell still worth something (not voided, not refunded in full). */
  @Column({ name: 'valuable_orders', type: 'int', default: 0 })
  valuableOrders!: number;
}

/** Each client's first order still worth something (the CAC's new paying client); the row is also the lock of the client's rollup changes. */
@Entity({ name: 'marketing_roi_clients' })
export class MarketingRoiClient {
  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'first_paid_at', type: 'datetime', precision: 3, nullable: true })
  firstPaidAt!: Date | null;

  @Column({ name: 'first_month', type: 'char', length: 7, nullable: true })
  firstMonth!: string | null;

  @Column({ name: 'first_channel', type: 'varchar', length: 64, nullable: true })
  firstChannel!: string | null;

  @Column({ name: 'last_channel', type: 'varchar', length: 64, nullable: true })
  lastChannel!: string | null;
}
