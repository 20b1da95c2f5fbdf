import type { Answers, AnswerValue } from './questionnaires.answers';
import type { Definition, LeadGrade, RiskLevel } from './questionnaires.definition';

/** The questionnaires module's shapes: what its use cases take and answer. */

export interface ClientTemplateView {
  code: string;
  versionId: string;
  version: number;
  title: string;
  intro?: string;
  /** Some questions are health data: the client must give the health-data consent before answering them. */
  healthConsentRequired: boolean;
  sections: Definition['sections'];
}

export interface DraftView {
  versionId: string;
  answers: Answers;
  revision: number;
  startedAt: Date | null;
  updatedAt: Date | null;
  submitted: boolean;
  carriedOver: boolean;
}

export interface SubmissionInput {
  submissionId: string;
  versionId: string;
  answers: Record<string, unknown>;
}

/** What the client sees of a submission: no grade, score or flags (those are for staff). */
export interface ClientSummary {
  areas: { value: string; label: string }[];
  budgetMaxFen: number | null;
  budgetMinFen: number | null;
  message: string;
}

export interface SubmissionResult {
  id: string;
  versionId: string;
  submittedAt: Date;
  pointsEarned: number;
  replayed: boolean;
  summary: ClientSummary;
}

export interface VersionRef {
  id: string;
  number: number;
  status: 'draft' | 'published';
  createdAt: Date;
  publishedAt: Date | null;
  current: boolean;
}
export interface TemplateView {
  id: string;
  code: string;
  title: string;
  publishedVersionId: string | null;
  versions: VersionRef[];
}
export interface VersionView extends VersionRef {
  templateId: string;
  code: string;
  definition: Definition;
}

export interface LeadsQuery {
  grade?: LeadGrade[];
  project?: string;
  consultantId?: string;
  unassigned?: boolean;
  clientId?: string;
  page: number;
  pageSize: number;
}

export interface LeadItem {
  client: { id: string; name: string | null; gender: string; age: number | null; stage: string; consultant: { id: string; displayName: string } | null };
  responseId: string;
  submittedAt: Date;
  leadGrade: LeadGrade;
  intentScore: number;
  intentComponents: Record<string, number>;
  riskTolerance: RiskLevel;
  projects: { value: string; label: string }[];
  budgetMaxFen: number | null;
  budgetMinFen: number | null;
  budgetBand: string | null;
  expectationFlags: { code: string; label: string }[];
  completenessPct: number;
  keyAnswers: { id: string; title: string; answer: unknown }[];
}

export interface StaffResponseView {
  id: string;
  client: { id: string };
  template: { code: string; title: string };
  versionId: string;
  versionNumber: number;
  submittedAt: Date;
  intentScore: number;
  intentComponents: Record<string, number>;
  leadGrade: LeadGrade;
  riskTolerance: RiskLevel;
  completenessPct: number;
  expectationFlags: { code: string; label: string }[];
  sections: { id: string; title: string; sensitive: boolean; answers: { id: string; title: string; type: string; value: AnswerValue; display: unknown }[] }[];
  /** Doctors and the director only. */
  safetyFlags?: { code: string; label: string; severity: 'caution' | 'contraindication' }[];
  healthErased?: boolean;
  /** What was left out for this role. */
  redacted?: string[];
}

/** For other modules (plans, metrics): the client's newest intent questionnaire. */
export interface LatestResponse {
  publicId: string;
  versionId: string;
  submittedAt: Date;
  intentScore: number;
  leadGrade: LeadGrade;
}

