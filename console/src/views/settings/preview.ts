/**
 * The questionnaire preview: what a client sees on the phone for a draft, computed with the
 * mini-program's own rules (show-if, answer checks, numbering, hints, multiple-choice taps), so
 * the director sees the form the way clients will before publishing it.
 */
import { allQuestions, checkAnswer, isEmpty, isSensitive, problemsOf, visibleQuestions } from '../../../../miniprogram/packageSurvey/lib/form';
import { hintOf, readable, toggleOption } from '../../../../miniprogram/components/question-item/hints';
import type { AnswerValue, Answers, Question, QuestionnaireTemplate, Section } from '../../../../miniprogram/services/questionnaire.types';

export type { AnswerValue, Answers, Question, Section };

/** The part of a version's definition the phone receives (the scoring rules stay on the server). */
export interface DefinitionForm { title: string; intro?: string; sections: Section[] }

export interface PreviewItem {
  id: string;
  number: number;
  question: Question;
  value: AnswerValue | null;
  error: string;
  hint: string;
  readable: string;
  options: { value: string; label: string; on: boolean }[];
  scale: { n: number; on: boolean }[];
}

export interface PreviewPage {
  title: string;
  intro: string;
  questionCount: number;
  minutes: number;
  sectionIndex: number;
  sectionCount: number;
  sectionTitle: string;
  sectionDescription: string;
  sectionSensitive: boolean;
  items: PreviewItem[];
  isFirst: boolean;
  isLast: boolean;
}

export function asTemplate(def: DefinitionForm): QuestionnaireTemplate {
  return { code: 'preview', versionId: 'preview', version: 0, title: def.title, intro: def.intro, healthConsentRequired: false, sections: def.sections };
}

/**
 * One section as the phone shows it: numbers count the shown questions of the whole form, a
 * hidden question is left out, an answer that does not fit says why; required ones left empty say
 * so once the client tried to go on (`checked`).
 */
export function previewPage(def: DefinitionForm, answers: Answers, sectionIndex: number, checked: boolean, now: number = Date.now()): PreviewPage {
  const t = asTemplate(def);
  const index = Math.min(Math.max(sectionIndex, 0), Math.max(t.sections.length - 1, 0));
  const section = t.sections[index];
  const visible = visibleQuestions(t, answers, now);
  const required = checked && section ? problemsOf(t, answers, visible, now, [section.id]) : {};
  const items: PreviewItem[] = [];
  let number = 0;
  t.sections.forEach((s, si) => {
    for (const q of s.questions) {
      if (!visible.has(q.id)) continue;
      number += 1;
      if (si !== index) continue;
      const v = answers[q.id] ?? null;
      const picked = Array.isArray(v) ? v : typeof v === 'string' && q.type === 'single' ? [v] : [];
      items.push({
        id: q.id, number, question: q, value: v,
        error: (isEmpty(v) ? required[q.id] : checkAnswer(q, v, answers, now)) ?? '',
        hint: hintOf(q), readable: readable(q, v),
        options: (q.options ?? []).map((o) => ({ value: o.value, label: o.label, on: picked.includes(o.value) })),
        scale: q.type === 'scale' && q.min !== undefined && q.max !== undefined && q.max - q.min <= 100
          ? Array.from({ length: q.max - q.min + 1 }, (_, i) => ({ n: q.min! + i, on: v === q.min! + i })) : [],
      });
    }
  });
  const count = allQuestions(t).length;
  return {
    title: t.title, intro: t.intro ?? '', questionCount: count, minutes: Math.max(1, Math.ceil(count / 6)),
    sectionIndex: index, sectionCount: t.sections.length,
    sectionTitle: section?.title ?? '', sectionDescription: section?.description ?? '', sectionSensitive: section ? isSensitive(section) : false,
    items, isFirst: index === 0, isLast: index >= t.sections.length - 1,
  };
}

/** Whether the section's shown questions are all fine, so 下一步 may go on (as the phone decides). */
export function sectionComplete(def: DefinitionForm, answers: Answers, sectionIndex: number, now: number = Date.now()): boolean {
  const t = asTemplate(def);
  const section = t.sections[sectionIndex];
  if (!section) return true;
  return Object.keys(problemsOf(t, answers, visibleQuestions(t, answers, now), now, [section.id])).length === 0;
}

/** The answers after a tap on an option, as the phone's question-item does it; `tooMany` when past max. */
export function tapOption(q: Question, answers: Answers, value: string): { answers: Answers; tooMany?: number } {
  if (q.type === 'single') return { answers: { ...answers, [q.id]: value } };
  const current = answers[q.id];
  const next = toggleOption(q, Array.isArray(current) ? current : [], value);
  if (!next) return { answers };
  if ('tooMany' in next) return { answers, tooMany: next.tooMany };
  return { answers: withAnswer(answers, q.id, next.answer) };
}

/** Sets or clears one answer ('' and [] clear it, as on the phone). */
export function withAnswer(answers: Answers, id: string, value: AnswerValue | null): Answers {
  const out = { ...answers };
  if (value === null || isEmpty(value)) delete out[id];
  else out[id] = value;
  return out;
}

/** A typed number as the phone reads it: '' clears, something not a number is no answer. */
export function numberAnswer(raw: string): number | null {
  const t = raw.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}
