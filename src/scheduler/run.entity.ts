import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One run of a scheduled task (GET /api/staff/scheduler/runs): which instance ran which tick, and how it ended. */
@Entity({ name: 'scheduler_runs' })
@Index('ix_scheduler_runs_task', ['taskId', 'startedAt'])
export class SchedulerRun {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ name: 'task_id', type: 'varchar', length: 64 })
  taskId!: string;

  /** The scheduled minute the run belongs to. */
  @Column({ type: 'datetime', precision: 3 })
  tick!: Date;

  @Index('ix_scheduler_runs_started')
  @Column({ name: 'started_at', type: 'datetime', precision: 3 })
  startedAt!: Date;

  /** Null while running (or when the process died during the run). */
  @Column({ name: 'finished_at', type: 'datetime', precision: 3, nullable: true })
  finishedAt!: Date | null;

  @Column({ type: 'int', unsigned: true, nullable: true })
  items!: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  error!: string | null;

  /** Host and process id of the scheduler that ran it. */
  @Column({ type: 'varchar', length: 64 })
  instance!: string;
}
