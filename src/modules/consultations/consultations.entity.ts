import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const PLAN_STATUSES = ['draft', 'proposed', 'change_requested', 'accepted', 'withdrawn'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

// procedure = a treatment session (治疗); review = a check-up after one (复查).
export const APPOINTMENT_KINDS = ['consultation', 'procedure', 'review'] as const;
export type AppointmentKind = (typeof APPOINTMENT_KINDS)[number];

export const APPOINTMENT_STATUSES = ['requested', 'confirmed', 'cancelled', 'completed', 'no_show'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** One treatment option of a plan: the projects it uses and what it is, in words the client reads. */
export interface PlanOption {
  projectCodes?: string[];
  description: string;
}

/** 方案 options: a surgical option and/or a non-surgical alternative (plaintext: consultants see them). */
export interface PlanOptions {
  surgical?: PlanOption | null;
  nonSurgical?: PlanOption | null;
}

/**
 * 需求分析与方案建议 (DOMAIN.md, intent survey step 5): a doctor's plan for a client. Its content lives
 * in revisions; `current_revision` is the newest one, and once the plan has been proposed every
 * revision is what the client sees. Changes are serialised by this row's lock.
 */
@Entity({ name: 'plans' })
@Index('ix_plans_client', ['clientId', 'id'])
export class Plan {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_plans_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  /** The submitted questionnaire the plan answers (questionnaire_responses.id), when there is one. */
  @Column({ name: 'response_id', type: 'int', unsigned: true, nullable: true })
  responseId!: number | null;

  /** The doctor who opened the plan. */
  @Column({ name: 'doctor_id', type: 'int', unsigned: true })
  doctorId!: number;

  @Column({ type: 'enum', enum: PLAN_STATUSES, default: 'draft' })
  status!: PlanStatus;

  @Column({ name: 'current_revision', type: 'int', unsigned: true })
  currentRevision!: number;

  @Column({ name: 'accepted_revision', type: 'int', unsigned: true, nullable: true })
  acceptedRevision!: number | null;

  /** First proposal to the client; until then the client does not see the plan. */
  @Column({ name: 'proposed_at', type: 'datetime', precision: 3, nullable: true })
  proposedAt!: Date | null;

  @Column({ name: 'accepted_at', type: 'datetime', precision: 3, nullable: true })
  acceptedAt!: Date | null;

  @Column({ name: 'withdrawn_at', type: 'datetime', precision: 3, nullable: true })
  withdrawnAt!: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/**
 * Every revision of a plan is kept. The needs analysis and the risk plan are health data:
 * AES-GCM ciphertexts bound to (plan, revision, column). Options, price and recovery are plaintext.
 */
@Entity({ name: 'plan_revisions' })
@Index('uq_plan_revisions_plan_revision', ['planId', 'revision'], { unique: true })
export class PlanRevision {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ name: 'plan_id', type: 'int', unsigned: true })
  planId!: number;

  @Column({ type: 'int', unsigned: true })
  revision!: number;

  /** The treatment options (PlanOptions), encrypted: they name the procedures a client considers. */
  @Column({ name: 'options_enc', type: 'blob' })
  optionsEnc!: Buffer;

  @Column({ name: 'price_min_fen', type: 'int', unsigned: true })
  priceMinFen!: number;

  @Column({ name: 'price_max_fen', type: 'int', unsigned: true })
  priceMaxFen!: number;

  @Column({ name: 'recovery_days', type: 'int', unsigned: true })
  recoveryDays!: number;

  @Column({ name: 'analysis_enc', type: 'blob' })
  analysisEnc!: Buffer;

  @Column({ name: 'risk_plan_enc', type: 'blob' })
  riskPlanEnc!: Buffer;

  @Column({ name: 'author_id', type: 'int', unsigned: true })
  authorId!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  /** When the client was shown this revision; null for revisions written before the first proposal. */
  @Column({ name: 'proposed_at', type: 'datetime', precision: 3, nullable: true })
  proposedAt!: Date | null;
}

/** A client's change request on a revision (方案沟通): free text, so encrypted like health data. */
@Entity({ name: 'plan_comments' })
@Index('ix_plan_comments_plan', ['planId', 'id'])
export class PlanComment {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_plan_comments_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ name: 'plan_id', type: 'int', unsigned: true })
  planId!: number;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ type: 'int', unsigned: true })
  revision!: number;

  @Column({ name: 'comment_enc', type: 'blob' })
  commentEnc!: Buffer;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/**
 * 意向书: the client's formal confirmation of one plan revision. The snapshot is a frozen, encrypted
 * copy of what the client accepted (it includes the risk plan). One letter per plan.
 */
@Entity({ name: 'intent_letters' })
export class IntentLetter {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_intent_letters_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Index('ix_intent_letters_client')
  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Index('uq_intent_letters_plan', { unique: true })
  @Column({ name: 'plan_id', type: 'int', unsigned: true })
  planId!: number;

  @Column({ type: 'int', unsigned: true })
  revision!: number;

  @Column({ name: 'snapshot_enc', type: 'blob' })
  snapshotEnc!: Buffer;

  @Column({ name: 'confirmed_at', type: 'datetime', precision: 3 })
  confirmedAt!: Date;

  @Index('ix_intent_letters_appointment')
  @Column({ name: 'appointment_id', type: 'int', unsigned: true, nullable: true })
  appointmentId!: number | null;
}

/** A consultation or procedure slot the client asked for; staff confirm, move, cancel or close it. */
@Entity({ name: 'appointments' })
@Index('ix_appointments_client', ['clientId', 'startsAt'])
@Index('ix_appointments_starts', ['startsAt', 'status'])
@Index('ix_appointments_doctor', ['doctorId', 'startsAt'])
export class Appointment {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_appointments_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ type: 'enum', enum: APPOINTMENT_KINDS })
  kind!: AppointmentKind;

  @Column({ type: 'enum', enum: APPOINTMENT_STATUSES, default: 'requested' })
  status!: AppointmentStatus;

  @Column({ name: 'starts_at', type: 'datetime', precision: 3 })
  startsAt!: Date;

  @Column({ name: 'duration_minutes', type: 'int', unsigned: true })
  durationMinutes!: number;

  /** The doctor whose hours and slot capacity it takes; null for a request no doctor was chosen for yet. */
  @Column({ name: 'doctor_id', type: 'int', unsigned: true, nullable: true })
  doctorId!: number | null;

  /** The treatment recorded when a procedure appointment was completed (care module, public id). */
  @Column({ name: 'treatment_public_id', type: 'char', length: 22, nullable: true })
  treatmentPublicId!: string | null;

  /** The client's note: free text, so encrypted. */
  @Column({ name: 'note_enc', type: 'varbinary', length: 1024, nullable: true })
  noteEnc!: Buffer | null;

  /** Bumped by every change; the client's notice of a change is deduplicated by it. */
  @Column({ type: 'int', unsigned: true, default: 0 })
  version!: number;

  @Column({ name: 'confirmed_by', type: 'int', unsigned: true, nullable: true })
  confirmedBy!: number | null;

  @Column({ name: 'confirmed_at', type: 'datetime', precision: 3, nullable: true })
  confirmedAt!: Date | null;

  @Column({ name: 'cancelled_at', type: 'datetime', precision: 3, nullable: true })
  cancelledAt!: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** What happened to an appointment, and when: requests, confirmations, moves (from → to), cancellations. */
@Entity({ name: 'appointment_events' })
@Index('ix_appointment_events_appointment', ['appointmentId', 'id'])
export class AppointmentEvent {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ name: 'appointment_id', type: 'int', unsigned: true })
  appointmentId!: number;

  /** requested | confirmed | moved | cancelled | completed | no_show */
  @Column({ type: 'varchar', length: 16 })
  action!: string;

  @Column({ name: 'from_starts_at', type: 'datetime', precision: 3, nullable: true })
  fromStartsAt!: Date | null;

  @Column({ name: 'to_starts_at', type: 'datetime', precision: 3, nullable: true })
  toStartsAt!: Date | null;

  @Column({ name: 'actor_type', type: 'varchar', length: 8 })
  actorType!: string;

  @Column({ name: 'actor_id', type: 'int', unsigned: true, nullable: true })
  actorId!: number | null;

  /** Staff's reason for a move or cancellation, encrypted (AAD: the appointment); null when none or erased. */
  @Column({ name: 'reason_enc', type: 'varbinary', length: 1024, nullable: true })
  reasonEnc!: Buffer | null;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;
}

/** A time range on the Asia/Shanghai clock, HH:MM. */
export interface HoursRange {
  from: string;
  until: string;
}

/** One weekday's working hours (1 = Monday … 7 = Sunday). */
export interface WeekdayHours extends HoursRange {
  weekday: number;
}

/**
 * A doctor's working week and how many clients one slot takes. The row is also the lock that
 * serialises bookings of this doctor (no double booking).
 */
@Entity({ name: 'doctor_schedules' })
export class DoctorSchedule {
  @PrimaryColumn({ name: 'doctor_id', type: 'int', unsigned: true })
  doctorId!: number;

  @Column({ name: 'slot_capacity', type: 'int', unsigned: true })
  slotCapacity!: number;

  @Column({ type: 'json' })
  week!: WeekdayHours[];

  @Column({ name: 'updated_by', type: 'int', unsigned: true, nullable: true })
  updatedBy!: number | null;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** A date on which a doctor works other hours than the week says (an empty list: a day off). */
@Entity({ name: 'doctor_schedule_exceptions' })
export class DoctorScheduleException {
  @PrimaryColumn({ name: 'doctor_id', type: 'int', unsigned: true })
  doctorId!: number;

  @PrimaryColumn({ type: 'date' })
  date!: string;

  @Column({ type: 'json' })
  hours!: HoursRange[];

  @Column({ name: 'updated_by', type: 'int', unsigned: true, nullable: true })
  updatedBy!: number | null;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
