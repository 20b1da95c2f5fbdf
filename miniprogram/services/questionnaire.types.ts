/**
 * The questionnaire as the client sees it: sections, questions, show-if conditions and answers.
 * Types only (no wx), so the staff console's live preview reads the template with the same rules
 * as the phone (packageSurvey/lib/form.ts).
 */
export type QuestionType = 'single' | 'multiple' | 'scale' | 'number' | 'text' | 'textarea' | 'date' | 'body_area';

export interface QuestionOption {
  value: string;
  label: string;
  /** "None of these": not combined with other options. */
  none?: boolean;
}

export interface LeafCondition {
  q: string;
  in?: string[];
  anyOf?: string[];
  allOf?: string[];
  noneOf?: string[];
  gte?: number;
  lte?: number;
  answered?: boolean;
  belowPriceOf?: string;
  factor?: number;
}
export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | LeafCondition;

export interface Question {
  id: string;
  type: QuestionType;
  title: string;
  help?: string;
  required?: boolean;
  sensitive?: boolean;
  options?: QuestionOption[];
  /** scale/number: value range; multiple/body_area: how many picks; text/textarea: length. */
  min?: number;
  max?: number;
  decimals?: number;
  unit?: string;
  moneyUnitFen?: number;
  /** number: not above the answer to this other number question. */
  notAbove?: string;
  dateRange?: 'past' | 'future';
  minLabel?: string;
  maxLabel?: string;
  showIf?: Condition;
}

export interface Section {
  id: string;
  title: string;
  description?: string;
  sensitive?: boolean;
  questions: Question[];
}

/** GET /api/mp/questionnaires/:code — the version clients fill in now (the scoring rules stay on the server). */
export interface QuestionnaireTemplate {
  code: string;
  versionId: string;
  version: number;
  title: string;
  intro?: string;
  healthConsentRequired: boolean;
  sections: Section[];
}

export type AnswerValue = string | number | string[];
export type Answers = Record<string, AnswerValue>;
