import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type SurveyStatus = 'open' | 'answered';
export type AnsweredVia = 'miniprogram' | 'bot';
/** How the survey's invitation reached the client (the delivery engine's channel). */
export type InvitedVia = 'wecom' | 'subscribe' | 'staff_task';
export type CaseSource = 'survey' | 'complaint';
export type CaseGrade = 'low' | 'medium' | 'high';
export type CaseStatus = 'open' | 'resolved';

/**
 * 满意度调查 (DOMAIN.md, relationship upkeep): one per order, sent around day 7. The ten indicators
 * (1–5) and the NPS (0–10) are columns so the reports average them in SQL; the comment is encrypted.
 */
@Entity({ name: 'satisfaction_surveys' })
@Index('ix_satisfaction_surveys_client', ['clientId', 'status', 'id'])
export class SatisfactionSurvey {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_satisfaction_surveys_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  /** One survey per order: opening it again returns the same survey. */
  @Index('uq_satisfaction_surveys_order', { unique: true })
  @Column({ name: 'order_id', type: 'int', unsigned: true })
  orderId!: number;

  @Column({ type: 'enum', enum: ['open', 'answered'], default: 'open' })
  status!: SurveyStatus;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'score_attitude', type: 'tinyint', unsigned: true, nullable: true })
  scoreAttitude!: number | null;

  @Column({ name: 'score_professionalism', type: 'tinyint', unsigned: true, nullable: true })
  scoreProfessionalism!: number | null;

  @Column({ name: 'score_environment', type: 'tinyint', unsigned: true, nullable: true })
  scoreEnvironment!: number | null;

  @Column({ name: 'score_communication', type: 'tinyint', unsigned: true, nullable: true })
  scoreCommunication!: number | null;

  @Column({ name: 'score_waiting', type: 'tinyint', unsigned: true, nullable: true })
  scoreWaiting!: number | null;

  @Column({ name: 'score_explanation', type: 'tinyint', unsigned: true, nullable: true })
  scoreExplanation!: number | null;

  @Column({ name: 'score_pain_management', type: 'tinyint', unsigned: true, nullable: true })
  scorePainManagement!: number | null;

  @Column({ name: 'score_aftercare', type: 'tinyint', unsigned: true, nullable: true })
  scoreAftercare!: number | null;

  @Column({ name: 'score_value', type: 'tinyint', unsigned: true, nullable: true })
  scoreValue!: number | null;

  @Column({ name: 'score_privacy', type: 'tinyint', unsigned: true, nullable: true })
  scorePrivacy!: number | null;

  /** 净推荐值 answer, 0–10. */
  @Column({ type: 'tinyint', unsigned: true, nullable: true })
  nps!: number | null;

  /** The client's free-text comment, AES-GCM (it may describe the treatment). */
  @Column({ name: 'comment_enc', type: 'blob', nullable: true })
  commentEnc!: Buffer | null;

  /**
   * When and how the invitation reached the client (set by delivery). Only a survey asked in the
   * WeCom chat ('wecom') takes a digit replied there as its NPS.
   */
  @Column({ name: 'invited_at', type: 'datetime', precision: 3, nullable: true })
  invitedAt!: Date | null;

  @Column({ name: 'invited_via', type: 'enum', enum: ['wecom', 'subscribe', 'staff_task'], nullable: true })
  invitedVia!: InvitedVia | null;

  /** 'bot' answers carry only the NPS (a digit replied in WeCom). */
  @Column({ name: 'answered_via', type: 'enum', enum: ['miniprogram', 'bot'], nullable: true })
  answeredVia!: AnsweredVia | null;

  /** SHA-256 of the answer: the same answer sent again replays, a different one is refused. */
  @Column({ name: 'answer_hash', type: 'char', length: 64, nullable: true })
  answerHash!: string | null;

  @Index('ix_satisfaction_surveys_answered')
  @Column({ name: 'answered_at', type: 'datetime', precision: 3, nullable: true })
  answeredAt!: Date | null;

  /** When a promoter shared their experience; points are granted with it, once. */
  @Column({ name: 'shared_at', type: 'datetime', precision: 3, nullable: true })
  sharedAt!: Date | null;

  @Column({ name: 'share_channel', type: 'varchar', length: 16, nullable: true })
  shareChannel!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

export type CompensationKind = 'voucher' | 'review_appointment';

/**
 * A case for a supervisor (投诉 / 差评): opened by a poor survey answer or a client's complaint,
 * graded, due within the deadline; an overdue open case alerts the director once.
 */
@Entity({ name: 'feedback_cases' })
@Index('ix_feedback_cases_status', ['status', 'deadlineAt'])
@Index('ix_feedback_cases_client', ['clientId', 'id'])
@Index('ix_feedback_cases_resolved', ['resolvedAt'])
export class FeedbackCase {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_feedback_cases_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  /** `survey:<surveyId>` or `complaint:<clientId>:<requestId>`: one case per cause. */
  @Index('uq_feedback_cases_dedupe', { unique: true })
  @Column({ name: 'dedupe_key', type: 'varchar', length: 64 })
  dedupeKey!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ type: 'enum', enum: ['survey', 'complaint'] })
  source!: CaseSource;

  @Column({ name: 'survey_id', type: 'int', unsigned: true, nullable: true })
  surveyId!: number | null;

  @Column({ name: 'order_id', type: 'int', unsigned: true, nullable: true })
  orderId!: number | null;

  /** Complaint category (see COMPLAINT_CATEGORIES); null for survey cases. */
  @Column({ type: 'varchar', length: 24, nullable: true })
  category!: string | null;

  /** The complaint's text, AES-GCM. */
  @Column({ name: 'text_enc', type: 'blob', nullable: true })
  textEnc!: Buffer | null;

  /** SHA-256 of a complaint's content, for replays of the same request id. */
  @Column({ name: 'request_hash', type: 'char', length: 64, nullable: true })
  requestHash!: string | null;

  @Column({ type: 'enum', enum: ['low', 'medium', 'high'] })
  grade!: CaseGrade;

  @Column({ type: 'enum', enum: ['open', 'resolved'], default: 'open' })
  status!: CaseStatus;

  @Column({ name: 'assignee_role', type: 'varchar', length: 16 })
  assigneeRole!: string;

  @Column({ name: 'deadline_at', type: 'datetime', precision: 3 })
  deadlineAt!: Date;

  /** When the director was alerted about this case being overdue. */
  @Column({ name: 'escalated_at', type: 'datetime', precision: 3, nullable: true })
  escalatedAt!: Date | null;

  @Column({ name: 'resolution_enc', type: 'blob', nullable: true })
  resolutionEnc!: Buffer | null;

  @Column({ name: 'resolved_at', type: 'datetime', precision: 3, nullable: true })
  resolvedAt!: Date | null;

  @Column({ name: 'resolved_by', type: 'int', unsigned: true, nullable: true })
  resolvedBy!: number | null;

  /** The supervisor's compensation when resolving: a voucher (its rule) or a free review appointment; the voucher's or appointment's public id. */
  @Column({ name: 'compensation_kind', type: 'enum', enum: ['voucher', 'review_appointment'], nullable: true })
  compensationKind!: CompensationKind | null;

  @Column({ name: 'compensation_rule', type: 'varchar', length: 32, nullable: true })
  compensationRule!: string | null;

  @Column({ name: 'compensation_ref', type: 'char', length: 22, nullable: true })
  compensationRef!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
