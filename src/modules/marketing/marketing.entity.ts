import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

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
