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

/** A step scheduled for one treatment; the due scan turns it into an outbox row or a staff task. */
@Entity({ name: 'followup_steps' })
@Index('uq_followup_steps_treatment', ['treatmentId', 'step'], { unique: true })
@Index('ix_followup_steps_order', ['orderId'])
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

  /** The procedure the step is timed from (DOMAIN.md: every follow-up counts from the treatment). */
  @Column({ name: 'treatment_id', type: 'int', unsigned: true })
  treatmentId!: number;

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

export type TreatmentStatus = 'done' | 'cancelled';

/**
 * A treatment 施术记录: one project performed on a client by a doctor, consuming a line of a paid
 * order; for a course, its session number. Follow-up plans start here, not at the payment.
 */
@Entity({ name: 'treatments' })
@Index('uq_treatments_public_id', ['publicId'], { unique: true })
@Index('uq_treatments_request', ['requestId'], { unique: true })
@Index('ix_treatments_client', ['clientId', 'performedAt'])
@Index('ix_treatments_order', ['orderId', 'projectId'])
export class Treatment {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  /** The caller's key for this recording: a double click records it once. */
  @Column({ name: 'request_id', type: 'varchar', length: 64 })
  requestId!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'order_id', type: 'int', unsigned: true })
  orderId!: number;

  @Column({ name: 'order_item_id', type: 'int', unsigned: true })
  orderItemId!: number;

  @Column({ name: 'project_id', type: 'int', unsigned: true })
  projectId!: number;

  @Column({ name: 'doctor_id', type: 'int', unsigned: true })
  doctorId!: number;

  @Column({ name: 'performed_at', type: 'datetime', precision: 3 })
  performedAt!: Date;

  @Column({ name: 'body_area', type: 'varchar', length: 24 })
  bodyArea!: string;

  /** Health data: encrypted with the data keys. */
  @Column({ name: 'notes_enc', type: 'varbinary', length: 2048, nullable: true })
  notesEnc!: Buffer | null;

  /** The doctor's advice for the next session; the repurchase reminder carries it. Encrypted. */
  @Column({ name: 'advice_enc', type: 'varbinary', length: 1024, nullable: true })
  adviceEnc!: Buffer | null;

  @Column({ name: 'session_no', type: 'smallint', unsigned: true, default: 1 })
  sessionNo!: number;

  @Column({ type: 'enum', enum: ['done', 'cancelled'], default: 'done' })
  status!: TreatmentStatus;

  @Column({ name: 'recorded_by', type: 'int', unsigned: true, nullable: true })
  recordedBy!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'cancelled_at', type: 'datetime', precision: 3, nullable: true })
  cancelledAt!: Date | null;
}
