import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type SummaryStatus = 'pending' | 'sending' | 'sent' | 'unreachable';

/**
 * The monthly summary pushed to a director on the 1st (one row per month and director): the
 * unique key makes a second scheduler's run a no-op; the status makes a deferred notice go out later.
 * Aggregate figures only, no client's data.
 */
@Entity({ name: 'report_summaries' })
@Index('uq_report_summaries_month_staff', ['month', 'staffId'], { unique: true })
@Index('ix_report_summaries_status', ['status', 'month'])
export class ReportSummary {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  /** The business month (Asia/Shanghai) summarised, YYYY-MM. */
  @Column({ type: 'char', length: 7 })
  month!: string;

  @Column({ name: 'staff_id', type: 'int', unsigned: true })
  staffId!: number;

  @Column({ type: 'varchar', length: 12 })
  status!: SummaryStatus;

  @Column({ type: 'varchar', length: 128 })
  title!: string;

  @Column({ type: 'varchar', length: 512 })
  description!: string;

  /** Console path the notice opens. */
  @Column({ type: 'varchar', length: 128 })
  path!: string;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'claimed_at', type: 'datetime', precision: 3, nullable: true })
  claimedAt!: Date | null;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3, nullable: true })
  sentAt!: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
