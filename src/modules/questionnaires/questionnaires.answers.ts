import type { FieldProblem } from '../../shared/errors';
import { shanghaiDate } from '../../shared/clock';
import { CHOICE_TYPES, Condition, Definition, IndexedQuestion, MULTI_TYPES, Rules } from './questionnaires.definition';

/** One answer as the client sends it: an option value, option values, a number, a text or a date. */
export type AnswerValue = string | number | string[];
export type Answers = Record<string, AnswerValue>;

const PRINTABLE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const TEXT_MAX = { text: 200, textarea: 2000 } as const;

/** A parsed, immutable version: what validation and the evaluator need, built once per process. */
export interface CompiledDefinition {
  def: Definition;
  questions: Map<string, IndexedQuestion>;
  /** Questions in form order. */
  ordered: IndexedQuestion[];
}

export function compile(def: Definition, questions: Map<string, IndexedQuestion>): CompiledDefinition {
  return { def, questions, ordered: [...questions.values()].sort((a, b) => a.order - b.order) };
}

/** Null, '' and [] mean "not answered" (a client clearing a field). */
export function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

const problem = (qid: string, message: string, type: string): FieldProblem => ({ field: `answers.${qid}`, message, type });

/**
 * The shape and range of one answer against its question, or null when it fits. Used for drafts
 * (any known question, partial forms) and for submissions (with visibility and `required` too).
 */
export function checkAnswer(q: IndexedQuestion, v: unknown, now: Date, all: Record<string, unknown> = {}): FieldProblem | null {
  const id = q.id;
  if (CHOICE_TYPES.includes(q.type)) {
    if (MULTI_TYPES.includes(q.type)) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return problem(id, `${id} takes a list of option values`, 'answer.type');
      if (new Set(v).size !== v.length) return problem(id, `${id} lists an option twice`, 'answer.duplicate');
      const unknown = (v as string[]).filter((x) => !q.optionByValue.has(x));
      if (unknown.length) return problem(id, `${id} has no option ${unknown.map((x) => `'${x}'`).join(', ')}`, 'answer.option');
      if (v.length > 1 && (v as string[]).some((x) => q.optionByValue.get(x)!.none)) return problem(id, `${id}: "none" cannot be combined with other options`, 'answer.exclusive');
      if (q.min !== undefined && v.length < q.min) return problem(id, `${id} needs at least ${q.min} choices`, 'answer.range');
      if (q.max !== undefined && v.length > q.max) return problem(id, `${id} allows at most ${q.max} choices`, 'answer.range');
      return null;
    }
    if (typeof v !== 'string') return problem(id, `${id} takes one option value`, 'answer.type');
    if (!q.optionByValue.has(v)) return problem(id, `${id} has no option '${v}'`, 'answer.option');
    return null;
  }
  switch (q.type) {
    case 'scale':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return problem(id, `${id} takes a number`, 'answer.type');
      const decimals = q.type === 'scale' ? 0 : q.decimals ?? 0;
      const scaled = v * 10 ** decimals;
      if (Math.abs(Math.round(scaled) - scaled) > 1e-6) {
        return problem(id, decimals ? `${id} allows ${decimals} decimal places` : `${id} takes a whole number`, 'answer.type');
      }
      if (q.min !== undefined && v < q.min) return problem(id, `${id} must be at least ${q.min}`, 'answer.range');
      if (q.max !== undefined && v > q.max) return problem(id, `${id} must be at most ${q.max}`, 'answer.range');
      const cap = q.notAbove ? all[q.notAbove] : undefined;
      if (typeof cap === 'number' && v > cap) return problem(id, `${id} must not be above ${q.notAbove} (${cap})`, 'answer.range');
      return null;
    }
    case 'text':
    case 'textarea': {
      if (typeof v !== 'string') return problem(id, `${id} takes a text`, 'answer.type');
      if (!PRINTABLE.test(v)) return problem(id, `${id} contains control characters`, 'answer.type');
      const len = [...v].length;
      const max = Math.min(q.max ?? TEXT_MAX[q.type], TEXT_MAX[q.type]);
      if (q.min !== undefined && len < q.min) return problem(id, `${id} needs at least ${q.min} characters`, 'answer.range');
      if (len > max) return problem(id, `${id} allows at most ${max} characters`, 'answer.range');
      return null;
    }
    case 'date': {
      if (typeof v !== 'string' || !ISO_DATE.test(v)) return problem(id, `${id} takes a date as YYYY-MM-DD`, 'answer.type');
      const d = new Date(`${v}T00:00:00Z`);
      if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v || v < '1900-01-01') return problem(id, `${id} is not a real date`, 'answer.type');
      const today = shanghaiDate(now);
      if (q.dateRange === 'past' && v > today) return problem(id, `${id} cannot be in the future`, 'answer.range');
      if (q.dateRange === 'future' && v < today) return problem(id, `${id} cannot be in the past`, 'answer.range');
      return null;
    }
    default:
      return problem(id, `${id} has an unknown type`, 'answer.type');
  }
}

/** Answers of a draft: known questions with well-formed values; visibility and `required` wait for the submission. */
export function checkDraftAnswers(c: CompiledDefinition, answers: Record<string, unknown>, now: Date): { kept: Answers; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const kept: Answers = {};
  for (const [qid, v] of Object.entries(answers)) {
    const q = c.questions.get(qid);
    if (!q) {
      problems.push(problem(qid, `${qid} is not a question of this questionnaire`, 'answer.unknown'));
      continue;
    }
    if (isEmpty(v)) continue;
    const p = checkAnswer(q, v, now, answers);
    if (p) problems.push(p);
    else kept[qid] = v as AnswerValue;
  }
  return { kept, problems };
}

/**
 * Checks a submission against the version: unknown ids, hidden questions that
 * were answered, required questions left empty, types, ranges and options. Visibility is worked
 * out in form order on the answers of visible questions only, so a show-if never sees an answer
 * the client should not have given. Returns the visible answers (empties dropped).
 */
export function checkSubmission(
  c: CompiledDefinition, answers: Record<string, unknown>, now: Date,
): { answers: Answers; visible: Set<string>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  for (const qid of Object.keys(answers)) {
    if (!c.questions.has(qid)) problems.push(problem(qid, `${qid} is not a question of this questionnaire`, 'answer.unknown'));
  }
  const given: Answers = {};
  const visible = new Set<string>();
  for (const q of c.ordered) {
    const v = answers[q.id];
    const shown = !q.showIf || evaluate(q.showIf, given, c.def.rules, c.questions);
    if (!shown) {
      if (!isEmpty(v)) problems.push(problem(q.id, `${q.id} is hidden by the earlier answers and must not be answered`, 'answer.hidden'));
      continue;
    }
    visible.add(q.id);
    if (isEmpty(v)) {
      if (q.required) problems.push(problem(q.id, `${q.id} is required`, 'answer.required'));
      continue;
    }
    const p = checkAnswer(q, v, now, answers);
    if (p) problems.push(p);
    else given[q.id] = v as AnswerValue;
  }
  return { answers: given, visible, problems };
}

// ---------------------------------------------------------------- conditions

const asList = (v: AnswerValue | undefined): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/**
 * The one evaluator for show-if, scoring cases, risk and flag rules. An unanswered question makes
 * every test false except `answered: false`; wrap in `not` for the opposite.
 */
export function evaluate(c: Condition, answers: Answers, rules: Rules, questions: Map<string, IndexedQuestion>): boolean {
  if ('all' in c) return c.all.every((x) => evaluate(x, answers, rules, questions));
  if ('any' in c) return c.any.some((x) => evaluate(x, answers, rules, questions));
  if ('not' in c) return !evaluate(c.not, answers, rules, questions);
  const v = answers[c.q];
  if (c.answered !== undefined) return (v !== undefined) === c.answered;
  if (v === undefined) return false;
  const list = asList(v);
  const anyOf = c.in ?? c.anyOf;
  if (anyOf) return list.some((x) => anyOf.includes(x));
  if (c.allOf) return c.allOf.every((x) => list.includes(x));
  if (c.noneOf) return !list.some((x) => c.noneOf!.includes(x));
  if (c.belowPriceOf !== undefined) {
    const unit = questions.get(c.q)?.moneyUnitFen ?? 100;
    if (typeof v !== 'number') return false;
    const budgetFen = v * unit;
    const factor = c.factor ?? 1;
    return asList(answers[c.belowPriceOf]).some((area) => {
      const range = rules.priceRanges?.[area];
      return range !== undefined && budgetFen < range.minFen * factor;
    });
  }
  if (typeof v !== 'number') return false;
  if (c.gte !== undefined && v < c.gte) return false;
  if (c.lte !== undefined && v > c.lte) return false;
  return c.gte !== undefined || c.lte !== undefined;
}
