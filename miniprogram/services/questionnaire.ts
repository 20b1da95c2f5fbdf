/**
 * 意向问卷: the published template, the draft autosave, the retry-safe submission
 * (/api/mp/questionnaires/:code/...). The health-data consent comes from services/me.
 */
import { request } from '../utils/request';
import type { QuestionnaireTemplate } from './questionnaire.types';
import type { ApiBody, ApiOk } from './api';

export type { QuestionType, QuestionOption, LeafCondition, Condition, Question, Section, QuestionnaireTemplate, AnswerValue, Answers } from './questionnaire.types';

type Q = '/api/mp/questionnaires/{code}';
/** A saved draft; `submitted`: a response was submitted before; `carriedOver`: saved on an older version, answers that no longer fit were left out. */
export type Draft = ApiOk<`${Q}/draft`>;
export type DraftSave = ApiBody<`${Q}/draft`, 'put'>;
export type Submission = ApiBody<`${Q}/submissions`, 'post'>;
export type SubmissionResult = ApiOk<`${Q}/submissions`, 'post'>;
export type LatestSubmission = ApiOk<`${Q}/submissions/latest`>;
export type SubmissionSummary = SubmissionResult['summary'];

const base = (code: string) => `/api/mp/questionnaires/${encodeURIComponent(code)}`;

export function getQuestionnaire(code: string): Promise<QuestionnaireTemplate> {
  return request<QuestionnaireTemplate>({ path: base(code) });
}

export function getDraft(code: string): Promise<Draft> {
  return request<Draft>({ path: `${base(code)}/draft` });
}

/**
 * Autosave. `revision` is the one this save builds on: a newer one on the server (another phone)
 * answers 409 QUESTIONNAIRE_DRAFT_CONFLICT. A PUT of the whole draft is safe to repeat.
 */
export function saveDraft(code: string, body: DraftSave): Promise<ApiOk<`${Q}/draft`, 'put'>> {
  return request<ApiOk<`${Q}/draft`, 'put'>>({ method: 'PUT', path: `${base(code)}/draft`, data: body, idempotent: true });
}

/** Submits; the client-generated submissionId makes a retry return the first result (no second points). */
export function submitQuestionnaire(code: string, body: Submission): Promise<SubmissionResult> {
  return request<SubmissionResult>({ method: 'POST', path: `${base(code)}/submissions`, data: body, idempotent: true });
}

export function latestSubmission(code: string): Promise<LatestSubmission> {
  return request<LatestSubmission>({ path: `${base(code)}/submissions/latest` });
}

// ------------------------------------------------------------------ submission ids

const PENDING_KEY = (code: string) => `questionnaire.pendingSubmission.${code}`;

/**
 * A random UUID v4 for idempotency keys (the runtime has no crypto.randomUUID). Not a secret:
 * it only has to be unique per client.
 */
export function newRequestId(): string {
  const hex: string[] = [];
  for (let i = 0; i < 32; i++) hex.push(Math.floor(Math.random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/**
 * The submission id of this questionnaire, kept in storage until a submission succeeds: a retry
 * after a lost answer (or after the app was closed) sends the same id, so the server answers the
 * first result instead of recording (and rewarding) a second one.
 */
export function pendingSubmissionId(code: string): string {
  let id = '';
  try {
    id = wx.getStorageSync(PENDING_KEY(code)) as string;
  } catch {
    // storage unavailable: a fresh id for this try
  }
  if (typeof id === 'string' && id) return id;
  id = newRequestId();
  try {
    wx.setStorageSync(PENDING_KEY(code), id);
  } catch {
    // the id still holds for this page's retries
  }
  return id;
}

/** Forgets the submission id: after success, or when the server says it was used with other answers. */
export function clearPendingSubmissionId(code: string): void {
  try {
    wx.removeStorageSync(PENDING_KEY(code));
  } catch {
    // nothing to clean
  }
}
