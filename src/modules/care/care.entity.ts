import { Column, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const FOLLOWUP_ACTIONS = ['message', 'task', 'survey', 'photo_request', 'repurchase'] as const;
export type FollowupAction = (typeof FOLLOWUP_ACTIONS)[number];
export type FollowupStepStatus = 'scheduled' | 'enqueued' | 'cancelled';

/**
 * One step of a project's follow-up plan (DOMAIN.md, post-op care): when after the
 * procedure, what happens, and the message staff may edit. `offsetMinutes` NULL means the step is
 * timed from the project's effect duration (the repurchase reminder).
 */
@Entity({ name: 'followup_templates' })
@Index('uq_followup_templates_step', ['plan', 'step'], { unique: true })
export class FollowupTemplate {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ type: 'varchar', length: 24 })
  plan!: string;

  @Column({ type: 'varchar', length: 32 })
  step!: string;

  @Column({ name: 'offset_minutes', type: 'int', unsigned: true, nullable: true })
  offsetMinutes!: number | null;

  @Column({ type: 'enum', enum: FOLLOWUP_ACTIONS })
  action!: FollowupAction;

  /** Staff tasks only: whose worklist gets it. */
  @Column({ name: 'assignee_role', type: 'varchar', length: 16, nullable: true })
  assigneeRole!: string | null;

  /** With {client}, {consultant}, {doctor} and {project} placeholders. */
  @Column({ type: 'varchar', length: 500 })
  text!: string;

  @Column({ type: 'tinyint', default: 1 })
  active!: boolean;

  @Column({ name: 'updated_by', type: 'int', unsigned: true, nullable: true })
  updatedBy!: number | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}

/** A step scheduled for one order and project; the due scan turns it into an outbox row or a staff task. */
@Entity({ name: 'followup_steps' })
@Index('uq_followup_steps', ['orderId', 'projectId', 'step'], { unique: true })
@Index('ix_followup_steps_due', ['status', 'dueAt'])
@Index('ix_followup_steps_client', ['clientId'])
export class FollowupStep {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ name: 'order_id', type: 'int', unsigned: true })
  orderId!: number;

  @Column({ name: 'project_id', type: 'int', unsigned: true })
  projectId!: number;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'template_id', type: 'int', unsigned: true })
  templateId!: number;

  @Column({ type: 'varchar', length: 32 })
  step!: string;

  @Column({ name: 'due_at', type: 'datetime', precision: 3 })
  dueAt!: Date;

  @Column({ type: 'enum', enum: ['scheduled', 'enqueued', 'cancelled'], default: 'scheduled' })
  status!: FollowupStepStatus;

  @Column({ name: 'enqueued_at', type: 'datetime', precision: 3, nullable: true })
  enqueuedAt!: Date | null;
}
