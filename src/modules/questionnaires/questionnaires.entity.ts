import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Definition, LeadGrade, RiskLevel } from './questionnaires.definition';

export type VersionStatus = 'draft' | 'published';

/** A questionnaire by code ('intent' …); `publishedVersionId` is the version clients get. */
@Entity({ name: 'questionnaire_templates' })
export class QuestionnaireTemplate {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_questionnaire_templates_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Index('uq_questionnaire_templates_code', { unique: true })
  @Column({ type: 'varchar', length: 32 })
  code!: string;

  @Column({ type: 'varchar', length: 100 })
  title!: string;

  @Column({ name: 'published_version_id', type: 'int', unsigned: true, nullable: true })
  publishedVersionId!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}

/** One version of a template's definition. A published version is never updated (the service only updates drafts). */
@Entity({ name: 'questionnaire_versions' })
@Index('uq_questionnaire_versions_number', ['templateId', 'number'], { unique: true })
export class QuestionnaireVersion {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_questionnaire_versions_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ name: 'template_id', type: 'int', unsigned: true })
  templateId!: number;

  @Column({ type: 'int', unsigned: true })
  number!: number;

  @Column({ type: 'enum', enum: ['draft', 'published'], default: 'draft' })
  status!: VersionStatus;

  @Column({ type: 'json' })
  definition!: Definition;

  @Column({ name: 'created_by', type: 'int', unsigned: true, nullable: true })
  createdBy!: number | null;

  @Column({ name: 'published_by', type: 'int', unsigned: true, nullable: true })
  publishedBy!: number | null;

  @Column({ name: 'published_at', type: 'datetime', precision: 3, nullable: true })
  publishedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}

/**
 * A client's answers in progress, one row per client and template (resume later or on another
 * phone). Kept after submission with `submittedResponseId` set: "started vs submitted" is counted
 * from these rows. The answers (health ones included) are one ciphertext.
 */
@Entity({ name: 'questionnaire_drafts' })
@Index('uq_questionnaire_drafts_client_template', ['clientId', 'templateId'], { unique: true })
@Index('ix_questionnaire_drafts_started', ['templateId', 'startedAt'])
export class QuestionnaireDraft {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'template_id', type: 'int', unsigned: true })
  templateId!: number;

  @Column({ name: 'version_id', type: 'int', unsigned: true })
  versionId!: number;

  @Column({ name: 'answers_enc', type: 'mediumblob', nullable: true })
  answersEnc!: Buffer | null;

  @Column({ type: 'int', unsigned: true, default: 0 })
  revision!: number;

  @Column({ name: 'started_at', type: 'datetime', precision: 3 })
  startedAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'submitted_response_id', type: 'int', unsigned: true, nullable: true })
  submittedResponseId!: number | null;
}

/**
 * A submitted questionnaire, pointing at the exact version it answered. Scores, grade, risk
 * tolerance and expectation flags are plain (consultants see them); answers are ciphertexts, the
 * health answers and the safety flags apart (doctors and the director only).
 */
@Entity({ name: 'questionnaire_responses' })
@Index('uq_questionnaire_responses_submission', ['clientId', 'submissionId'], { unique: true })
@Index('ix_questionnaire_responses_client', ['clientId', 'submittedAt'])
@Index('ix_questionnaire_responses_template', ['templateId', 'submittedAt'])
export class QuestionnaireResponse {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_questionnaire_responses_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'template_id', type: 'int', unsigned: true })
  templateId!: number;

  @Column({ name: 'version_id', type: 'int', unsigned: true })
  versionId!: number;

  /** The client-generated id that makes a retried submission harmless. */
  @Column({ name: 'submission_id', type: 'char', length: 36 })
  submissionId!: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ name: 'submitted_at', type: 'datetime', precision: 3 })
  submittedAt!: Date;

  @Column({ name: 'intent_score', type: 'tinyint', unsigned: true })
  intentScore!: number;

  @Column({ name: 'intent_components', type: 'json' })
  intentComponents!: Record<string, number>;

  @Column({ name: 'lead_grade', type: 'char', length: 1 })
  leadGrade!: LeadGrade;

  @Column({ name: 'risk_tolerance', type: 'varchar', length: 16 })
  riskTolerance!: RiskLevel;

  @Column({ name: 'completeness_pct', type: 'tinyint', unsigned: true })
  completenessPct!: number;

  @Column({ name: 'expectation_flags', type: 'json' })
  expectationFlags!: string[];

  @Column({ name: 'answers_enc', type: 'mediumblob' })
  answersEnc!: Buffer;

  @Column({ name: 'health_answers_enc', type: 'mediumblob', nullable: true })
  healthAnswersEnc!: Buffer | null;

  @Column({ name: 'safety_flags_enc', type: 'blob', nullable: true })
  safetyFlagsEnc!: Buffer | null;

  @Column({ name: 'points_awarded', type: 'int', unsigned: true, default: 0 })
  pointsAwarded!: number;
}

/** The client archive's intent part 意向: one row per client, replaced by every submission. */
@Entity({ name: 'client_intents' })
@Index('ix_client_intents_grade', ['leadGrade', 'intentScore'])
export class ClientIntent {
  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'latest_response_id', type: 'int', unsigned: true })
  latestResponseId!: number;

  @Column({ name: 'template_id', type: 'int', unsigned: true })
  templateId!: number;

  /** Project/area codes of interest. */
  @Column({ type: 'json' })
  projects!: string[];

  @Column({ name: 'budget_max_fen', type: 'int', nullable: true })
  budgetMaxFen!: number | null;

  @Column({ name: 'budget_min_fen', type: 'int', nullable: true })
  budgetMinFen!: number | null;

  @Column({ name: 'budget_band', type: 'varchar', length: 16, nullable: true })
  budgetBand!: string | null;

  @Column({ name: 'intent_score', type: 'tinyint', unsigned: true })
  intentScore!: number;

  @Column({ name: 'intent_components', type: 'json' })
  intentComponents!: Record<string, number>;

  @Column({ name: 'lead_grade', type: 'char', length: 1 })
  leadGrade!: LeadGrade;

  @Column({ name: 'risk_tolerance', type: 'varchar', length: 16 })
  riskTolerance!: RiskLevel;

  @Column({ name: 'expectation_flags', type: 'json' })
  expectationFlags!: string[];

  /** Non-health answers consultants see with the lead (rules.archive.keyAnswers), encrypted: free text among them. */
  @Column({ name: 'key_answers_enc', type: 'mediumblob' })
  keyAnswersEnc!: Buffer;

  @Column({ name: 'completeness_pct', type: 'tinyint', unsigned: true })
  completenessPct!: number;

  @Column({ name: 'submitted_at', type: 'datetime', precision: 3 })
  submittedAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
