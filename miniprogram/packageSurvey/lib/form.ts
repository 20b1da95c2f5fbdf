/**
 * The questionnaire's rules on the phone: which questions show (show-if), what each answer must be,
 * and the server's per-question errors in the client's words. They mirror the API's checks
 * (src/modules/questionnaires/questionnaires.answers.ts) so most mistakes are shown before
 * sending; the server stays the judge, and what only it can see (e.g. a budget rule, a date on
 * its clock) comes back per question and is shown in the same place.
 */
import type { AnswerValue, Answers, Condition, Question, QuestionnaireTemplate, Section } from '../../services/questionnaire.types';

/** Page timings; tests set them to 0. */
export const timing = {
  /** Quiet time after the last change before the draft is saved. */
  autosaveMs: 1200,
};

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
const PRINTABLE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** The API's own caps on text answers. */
export const TEXT_MAX = { text: 200, textarea: 2000 } as const;
const CHOICE = ['single', 'multiple', 'body_area'];
const MULTI = ['multiple', 'body_area'];

/** Today on the hospital's calendar (Asia/Shanghai), YYYY-MM-DD. */
export function shanghaiToday(now: number = Date.now()): string {
  return new Date(now + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** Null, '' and [] mean "not answered". */
export function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

export function allQuestions(t: QuestionnaireTemplate): Question[] {
  return t.sections.reduce<Question[]>((acc, s) => acc.concat(s.questions), []);
}

/** A question is health data when it or its section is marked sensitive. */
export function isSensitive(section: Section, q?: Question): boolean {
  return Boolean(section.sensitive || (q ? q.sensitive : section.questions.some((x) => x.sensitive)));
}

const asList = (v: AnswerValue | undefined): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/**
 * The API's condition evaluator. `belowPriceOf` needs the price table, which stays on the server:
 * it counts as false here (the server's answer, if different, comes back per question).
 */
export function evaluate(c: Condition, given: Answers): boolean {
  if ('all' in c) return c.all.every((x) => evaluate(x, given));
  if ('any' in c) return c.any.some((x) => evaluate(x, given));
  if ('not' in c) return !evaluate(c.not, given);
  const v = given[c.q];
  if (c.answered !== undefined) return (v !== undefined) === c.answered;
  if (v === undefined) return false;
  const list = asList(v);
  const anyOf = c.in ?? c.anyOf;
  if (anyOf) return list.some((x) => anyOf.includes(x));
  if (c.allOf) return c.allOf.every((x) => list.includes(x));
  if (c.noneOf) return !list.some((x) => c.noneOf!.includes(x));
  if (c.belowPriceOf !== undefined) return false;
  if (typeof v !== 'number') return false;
  if (c.gte !== undefined && v < c.gte) return false;
  if (c.lte !== undefined && v > c.lte) return false;
  return c.gte !== undefined || c.lte !== undefined;
}

/**
 * The questions shown for these answers, worked out in form order on the answers of shown,
 * well-formed questions only — as the server does, so a hidden question never counts.
 * `forced` keeps questions shown that the server says need an answer.
 */
export function visibleQuestions(t: QuestionnaireTemplate, answers: Answers, now: number = Date.now(), forced: Set<string> = new Set()): Set<string> {
  const given: Answers = {};
  const visible = new Set<string>();
  for (const q of allQuestions(t)) {
    const shown = forced.has(q.id) || !q.showIf || evaluate(q.showIf, given);
    if (!shown) continue;
    visible.add(q.id);
    const v = answers[q.id];
    if (!isEmpty(v) && !checkAnswer(q, v, answers, now)) given[q.id] = v;
  }
  return visible;
}

const fmt = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** What is wrong with one (non-empty) answer, in the client's words, or null when it fits. */
export function checkAnswer(q: Question, v: unknown, answers: Answers, now: number = Date.now()): string | null {
  if (CHOICE.includes(q.type)) {
    const options = q.options ?? [];
    if (MULTI.includes(q.type)) {
      if (!Array.isArray(v)) return '请重新选择';
      if (v.some((x) => !options.some((o) => o.value === x))) return '选项已更新，请重新选择';
      if (v.length > 1 && v.some((x) => options.some((o) => o.value === x && o.none))) return '「没有」不能和其他选项同时选';
      if (q.min !== undefined && v.length < q.min) return `请至少选择 ${q.min} 项`;
      if (q.max !== undefined && v.length > q.max) return `最多选择 ${q.max} 项`;
      return null;
    }
    if (typeof v !== 'string' || !options.some((o) => o.value === v)) return '选项已更新，请重新选择';
    return null;
  }
  switch (q.type) {
    case 'scale':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return '请填写数字';
      const decimals = q.type === 'scale' ? 0 : q.decimals ?? 0;
      const scaled = v * 10 ** decimals;
      if (Math.abs(Math.round(scaled) - scaled) > 1e-6) return decimals ? `最多保留 ${decimals} 位小数` : '请填写整数';
      const unit = q.unit ?? '';
      if (q.min !== undefined && v < q.min) return `不能少于 ${fmt(q.min)}${unit}`;
      if (q.max !== undefined && v > q.max) return `不能超过 ${fmt(q.max)}${unit}`;
      const cap = q.notAbove ? answers[q.notAbove] : undefined;
      if (typeof cap === 'number' && v > cap) return `不能高于上一题填写的 ${fmt(cap)}${unit}`;
      return null;
    }
    case 'text':
    case 'textarea': {
      if (typeof v !== 'string') return '请填写文字';
      if (!PRINTABLE.test(v)) return '内容里有无法识别的字符，请删除后再试';
      const len = [...v].length;
      const max = Math.min(q.max ?? TEXT_MAX[q.type], TEXT_MAX[q.type]);
      if (q.min !== undefined && len < q.min) return `请至少写 ${q.min} 个字`;
      if (len > max) return `最多 ${max} 个字`;
      return null;
    }
    case 'date': {
      if (typeof v !== 'string' || !ISO_DATE.test(v)) return '请选择日期';
      const d = new Date(`${v}T00:00:00Z`);
      if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v || v < '1900-01-01') return '请选择一个有效的日期';
      const today = shanghaiToday(now);
      if (q.dateRange === 'past' && v > today) return '不能晚于今天';
      if (q.dateRange === 'future' && v < today) return '不能早于今天';
      return null;
    }
    default:
      return '暂不支持这类题目，请更新微信后再试';
  }
}

/** Per-question problems of the shown questions of some sections (all when `sectionIds` is omitted). */
export function problemsOf(
  t: QuestionnaireTemplate, answers: Answers, visible: Set<string>, now: number = Date.now(), sectionIds?: string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of t.sections) {
    if (sectionIds && !sectionIds.includes(s.id)) continue;
    for (const q of s.questions) {
      if (!visible.has(q.id)) continue;
      const v = answers[q.id];
      if (isEmpty(v)) {
        if (q.required) out[q.id] = MULTI.includes(q.type) || q.type === 'single' || q.type === 'date' || q.type === 'scale' ? '请选择一项' : '请填写这道题';
        continue;
      }
      const p = checkAnswer(q, v, answers, now);
      if (p) out[q.id] = p;
    }
  }
  return out;
}

/** What goes into a draft: every non-empty answer that fits its question (hidden ones too, so switching back restores them). */
export function draftAnswers(t: QuestionnaireTemplate, answers: Answers, now: number = Date.now()): Answers {
  const byId = new Map(allQuestions(t).map((q) => [q.id, q] as [string, Question]));
  const out: Answers = {};
  for (const [id, v] of Object.entries(answers)) {
    const q = byId.get(id);
    if (q && !isEmpty(v) && !checkAnswer(q, v, answers, now)) out[id] = v;
  }
  return out;
}

/** What goes into a submission: the answers of shown questions only (a hidden question must not be answered). */
export function submissionAnswers(answers: Answers, visible: Set<string>): Answers {
  const out: Answers = {};
  for (const [id, v] of Object.entries(answers)) if (visible.has(id) && !isEmpty(v)) out[id] = v;
  return out;
}

/** Answers that still fit a new version of the template (after the hospital published one). */
export function carryOver(t: QuestionnaireTemplate, answers: Answers, now: number = Date.now()): Answers {
  return draftAnswers(t, answers, now);
}

export interface FieldProblem {
  field?: string;
  message?: string;
  type?: string;
}

/**
 * The server's QUESTIONNAIRE_INVALID_ANSWERS details as messages by question id, in the client's
 * words: our own check's message when it sees the problem too, else one by the problem's type.
 * Problems about questions the template does not have (removed meanwhile) are left out.
 */
export function serverProblems(t: QuestionnaireTemplate, details: unknown, answers: Answers, now: number = Date.now()): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(details)) return out;
  const byId = new Map(allQuestions(t).map((q) => [q.id, q] as [string, Question]));
  for (const d of details as FieldProblem[]) {
    const m = /^answers\.(.+)$/.exec(d.field ?? '');
    const q = m ? byId.get(m[1]) : undefined;
    if (!q) continue;
    const v = answers[q.id];
    const local = isEmpty(v) ? null : checkAnswer(q, v, answers, now);
    out[q.id] = local ?? byType(q, d.type);
  }
  return out;
}

function byType(q: Question, type: string | undefined): string {
  switch (type) {
    case 'answer.required':
      return '这道题需要回答';
    case 'answer.hidden':
      return '这道题已不需要回答，请清空后再提交';
    case 'answer.range':
      if ((q.type === 'number' || q.type === 'scale') && q.min !== undefined && q.max !== undefined) {
        return `请填写 ${fmt(q.min)}–${fmt(q.max)}${q.unit ?? ''} 之间的数值`;
      }
      return q.type === 'date' ? '这个日期不在可选范围内，请重新选择' : '超出了可填写的范围，请修改';
    case 'answer.option':
      return '选项已更新，请重新选择';
    case 'answer.exclusive':
      return '「没有」不能和其他选项同时选';
    default:
      return '这道题的回答有误，请检查';
  }
}
