import Joi from 'joi';
import type { FieldProblem } from '../../shared/errors';

/**
 * A questionnaire template's definition: sections of questions, and the rules
 * that turn answers into the archive, scores, flags and tags. Stored as JSON on the version row;
 * a published version never changes. Structure is checked by `definitionSchema` (joi), meaning by
 * `checkDefinition` (ids, references, ranges), together in `validateDefinition`.
 */

export const QUESTION_TYPES = ['single', 'multiple', 'scale', 'number', 'text', 'textarea', 'date', 'body_area'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];
/** Types answered by picking options; `body_area` is a multiple choice shown as a body picker. */
export const CHOICE_TYPES: readonly QuestionType[] = ['single', 'multiple', 'body_area'];
export const MULTI_TYPES: readonly QuestionType[] = ['multiple', 'body_area'];
export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const LEAD_GRADES = ['A', 'B', 'C', 'D'] as const;
export type LeadGrade = (typeof LEAD_GRADES)[number];
/** Tag dimensions a questionnaire may set ('stage' belongs to the journey, 'rfm' to the nightly run). */
export const QUESTIONNAIRE_TAG_DIMENSIONS = ['project', 'value_tier', 'lead_grade'] as const;
export type QuestionnaireTagDimension = (typeof QUESTIONNAIRE_TAG_DIMENSIONS)[number];

export interface OptionDef {
  value: string;
  label: string;
  /** "None of these": cannot be combined with other options and never written into the archive. */
  none?: boolean;
  /** Text written into the medical history instead of the label (e.g. pregnancy "yes" → "妊娠期"). */
  archiveAs?: string;
  /** Not written into the medical history (e.g. "other", whose text question says what it is). */
  noArchive?: boolean;
}

export interface QuestionDef {
  id: string;
  type: QuestionType;
  title: string;
  help?: string;
  required?: boolean;
  /** Health data: needs the health consent, stored apart, shown to doctors and the director only. */
  sensitive?: boolean;
  options?: OptionDef[];
  /** scale/number: value range; multiple/body_area: how many picks; text/textarea: length. */
  min?: number;
  max?: number;
  /** number: decimal places allowed (0 by default). */
  decimals?: number;
  unit?: string;
  /** number: money, and how many fen one unit is (100 for 元). */
  moneyUnitFen?: number;
  /** number: must not exceed the answer to this other number question (e.g. budget minimum ≤ maximum). */
  notAbove?: string;
  /** date: only past (up to today) or only future (from today) dates. */
  dateRange?: 'past' | 'future';
  minLabel?: string;
  maxLabel?: string;
  /** Shown only when this holds on earlier answers; a hidden question must not be answered. */
  showIf?: Condition;
}

export interface SectionDef {
  id: string;
  title: string;
  description?: string;
  /** Every question of the section is sensitive (health). */
  sensitive?: boolean;
  questions: QuestionDef[];
}

export interface LeafCondition {
  q: string;
  /** Single answer is one of, or a multiple answer holds any of. */
  in?: string[];
  /** Same as `in`; reads better on multiple answers. */
  anyOf?: string[];
  allOf?: string[];
  noneOf?: string[];
  gte?: number;
  lte?: number;
  answered?: boolean;
  /** A money answer is below `factor` × the lowest price (rules.priceRanges) of any area picked in this question. */
  belowPriceOf?: string;
  factor?: number;
}
export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | LeafCondition;

export interface PointsPart {
  /** A choice question; a multiple answer scores its best option. */
  q: string;
  points: Record<string, number>;
  /** Points when unanswered (hidden or optional). */
  missing?: number;
  weight?: number;
}
export interface CasesPart {
  /** First case that holds gives the points, else `else`. */
  cases: { when: Condition; points: number }[];
  else: number;
  weight?: number;
}
export type ScorePart = PointsPart | CasesPart;

export interface IntentComponent {
  id: string;
  label?: string;
  weight: number;
  parts: ScorePart[];
}

export interface FlagRule {
  code: string;
  label: string;
  when: Condition;
}
export interface SafetyFlagRule extends FlagRule {
  severity: 'caution' | 'contraindication';
}

export interface TagRule {
  dimension: QuestionnaireTagDimension;
  q: string;
  map: Record<string, string[]>;
}

export interface MedicalMapping {
  allergies?: string[];
  medications?: string[];
  conditions?: string[];
  pastProcedures?: { q: string; satisfaction?: { q: string; satisfied: string[] } };
}

export interface ArchiveMapping {
  /** Choice question whose options are the projects/areas of interest. */
  projects?: string;
  budgetMax?: string;
  budgetMin?: string;
  /** Non-health answers shown to consultants with the lead. */
  keyAnswers?: string[];
  /** Health answers merged into the client's medical history. */
  medical?: MedicalMapping;
}

/** Scoring and flag rules are data: one generic evaluator reads them. */
export interface Rules {
  intent: { components: IntentComponent[] };
  /** Highest first; the first whose `min` the score reaches wins; the last has min 0. */
  grades: { grade: LeadGrade; min: number; tag?: string }[];
  risk?: { cases: { when: Condition; level: RiskLevel }[]; default: RiskLevel };
  /** Typical price range of each area/project option, in fen. */
  priceRanges?: Record<string, { minFen: number; maxFen: number }>;
  /** Highest first; the first whose `minFen` the budget maximum reaches wins; the last has minFen 0. */
  budgetBands?: { band: string; minFen: number; valueTier?: string }[];
  expectationFlags?: FlagRule[];
  safetyFlags?: SafetyFlagRule[];
  tags?: TagRule[];
  archive?: ArchiveMapping;
}

export interface Definition {
  title: string;
  intro?: string;
  sections: SectionDef[];
  rules: Rules;
}

// ---------------------------------------------------------------- structure (joi)

const ID = /^[a-z][a-z0-9_]{0,31}$/;
const PRINTABLE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
const id = Joi.string().pattern(ID).messages({ 'string.pattern.base': '{{#label}} must be lower-case letters, digits and _ (max 32), starting with a letter' });
const text = (max: number) => Joi.string().min(1).max(max).pattern(/\S/).pattern(PRINTABLE, 'printable');
const score = Joi.number().integer().min(0).max(100);
const values = Joi.array().items(Joi.string().max(64)).min(1).max(100);

const condition = Joi.alternatives()
  .conditional(Joi.object({ all: Joi.exist() }).unknown(), { then: Joi.object({ all: Joi.array().items(Joi.link('#condition')).min(1).max(20).required() }) })
  .conditional(Joi.object({ any: Joi.exist() }).unknown(), { then: Joi.object({ any: Joi.array().items(Joi.link('#condition')).min(1).max(20).required() }) })
  .conditional(Joi.object({ not: Joi.exist() }).unknown(), { then: Joi.object({ not: Joi.link('#condition').required() }) })
  .conditional(Joi.any(), {
    then: Joi.object({
      q: id.required(),
      in: values,
      anyOf: values,
      allOf: values,
      noneOf: values,
      gte: Joi.number(),
      lte: Joi.number(),
      answered: Joi.boolean(),
      belowPriceOf: id,
      factor: Joi.number().greater(0).max(10),
    })
      .or('in', 'anyOf', 'allOf', 'noneOf', 'gte', 'lte', 'answered', 'belowPriceOf')
      .with('factor', 'belowPriceOf'),
  })
  .id('condition');

const option = Joi.object({
  value: Joi.string().pattern(/^[a-z0-9][a-z0-9_-]{0,63}$/).required()
    .messages({ 'string.pattern.base': '{{#label}} must be lower-case letters, digits, _ and - (max 64)' }),
  label: text(100).required(),
  none: Joi.boolean(),
  archiveAs: text(100),
  noArchive: Joi.boolean(),
});

const question = Joi.object({
  id: id.required(),
  type: Joi.string().valid(...QUESTION_TYPES).required(),
  title: text(300).required(),
  help: text(1000),
  required: Joi.boolean(),
  sensitive: Joi.boolean(),
  options: Joi.array().items(option).min(1).max(100),
  min: Joi.number(),
  max: Joi.number(),
  decimals: Joi.number().integer().min(0).max(2),
  unit: text(16),
  moneyUnitFen: Joi.number().integer().valid(1, 100),
  notAbove: id,
  dateRange: Joi.string().valid('past', 'future'),
  minLabel: text(32),
  maxLabel: text(32),
  showIf: condition,
});

const section = Joi.object({
  id: id.required(),
  title: text(100).required(),
  description: text(1000),
  sensitive: Joi.boolean(),
  questions: Joi.array().items(question).min(1).max(100).required(),
});

const part = Joi.alternatives().try(
  Joi.object({ q: id.required(), points: Joi.object().pattern(Joi.string(), score).min(1).required(), missing: score, weight: Joi.number().greater(0).max(100) }),
  Joi.object({
    cases: Joi.array().items(Joi.object({ when: condition.required(), points: score.required() })).min(1).max(50).required(),
    else: score.required(),
    weight: Joi.number().greater(0).max(100),
  }),
);

const flag = Joi.object({ code: id.required(), label: text(100).required(), when: condition.required() });
// Money is stored in fen in signed INT columns (client_intents.budget_*_fen, price ranges): 2e9 fits.
const MAX_FEN = 2_000_000_000;
const fen = Joi.number().integer().min(0).max(MAX_FEN);

const rules = Joi.object({
  intent: Joi.object({
    components: Joi.array().items(Joi.object({
      id: id.required(), label: text(32), weight: Joi.number().greater(0).max(100).required(), parts: Joi.array().items(part).min(1).max(20).required(),
    })).min(1).max(10).required(),
  }).required(),
  grades: Joi.array().items(Joi.object({ grade: Joi.string().valid(...LEAD_GRADES).required(), min: score.required(), tag: text(48) })).min(1).max(4).required(),
  risk: Joi.object({
    cases: Joi.array().items(Joi.object({ when: condition.required(), level: Joi.string().valid(...RISK_LEVELS).required() })).max(50).required(),
    default: Joi.string().valid(...RISK_LEVELS).required(),
  }),
  priceRanges: Joi.object().pattern(Joi.string(), Joi.object({ minFen: fen.required(), maxFen: fen.required() })),
  budgetBands: Joi.array().items(Joi.object({ band: id.max(16).required(), minFen: fen.required(), valueTier: text(48) })).min(1).max(10),
  expectationFlags: Joi.array().items(flag).max(50),
  safetyFlags: Joi.array().items(flag.keys({ severity: Joi.string().valid('caution', 'contraindication').required() })).max(50),
  tags: Joi.array().items(Joi.object({
    dimension: Joi.string().valid(...QUESTIONNAIRE_TAG_DIMENSIONS).required(),
    q: id.required(),
    map: Joi.object().pattern(Joi.string(), Joi.array().items(text(48)).min(1).max(10)).min(1).required(),
  })).max(20),
  archive: Joi.object({
    projects: id,
    budgetMax: id,
    budgetMin: id,
    keyAnswers: Joi.array().items(id).max(50),
    medical: Joi.object({
      allergies: Joi.array().items(id).max(10),
      medications: Joi.array().items(id).max(10),
      conditions: Joi.array().items(id).max(10),
      pastProcedures: Joi.object({
        q: id.required(),
        satisfaction: Joi.object({ q: id.required(), satisfied: values.required() }),
      }),
    }),
  }),
});

/** The structure of a definition; unknown keys are refused everywhere. */
export const definitionSchema = Joi.object({
  title: text(100).required(),
  intro: text(2000),
  sections: Joi.array().items(section).min(1).max(30).required(),
  rules: rules.required(),
}).required();

// ---------------------------------------------------------------- meaning

/** A question with where it sits: its section, its position in the whole form, its options by value. */
export interface IndexedQuestion extends QuestionDef {
  sensitive: boolean;
  required: boolean;
  order: number;
  path: string;
  optionByValue: Map<string, OptionDef>;
}

/** The questions of a definition by id, in form order. */
export function indexQuestions(def: Definition): Map<string, IndexedQuestion> {
  const out = new Map<string, IndexedQuestion>();
  let order = 0;
  def.sections.forEach((s, si) =>
    s.questions.forEach((q, qi) => {
      if (out.has(q.id)) return; // reported by checkDefinition
      out.set(q.id, {
        ...q,
        sensitive: Boolean(s.sensitive || q.sensitive),
        required: Boolean(q.required),
        order: order++,
        path: `sections.${si}.questions.${qi}`,
        optionByValue: new Map((q.options ?? []).map((o) => [o.value, o])),
      });
    }),
  );
  return out;
}

const LEAF_OPS = ['in', 'anyOf', 'allOf', 'noneOf', 'answered', 'belowPriceOf'] as const;

/**
 * Checks what joi cannot: unique ids and option values, options only where they belong, ranges,
 * show-if conditions on earlier questions only (so no cycle can exist), and rules that refer to
 * questions and options that exist. Consultants see scores, grades, risk tolerance, expectation
 * flags, tags and key answers, so none of those may depend on a sensitive (health) answer.
 */
export function checkDefinition(def: Definition, prefix = 'definition'): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (path: string, message: string, type: string) => problems.push({ field: `${prefix}.${path}`, message, type });

  const sectionIds = new Set<string>();
  const seen = new Map<string, string>();
  def.sections.forEach((s, si) => {
    if (sectionIds.has(s.id)) add(`sections.${si}.id`, `section id '${s.id}' is used twice`, 'definition.duplicate_id');
    sectionIds.add(s.id);
    s.questions.forEach((q, qi) => {
      const path = `sections.${si}.questions.${qi}`;
      if (seen.has(q.id)) add(`${path}.id`, `question id '${q.id}' is already used at ${seen.get(q.id)}`, 'definition.duplicate_id');
      else seen.set(q.id, path);
    });
  });
  const questions = indexQuestions(def);

  for (const q of questions.values()) checkQuestion(q, questions, add);

  // Show-if: earlier questions only (a forward reference or a cycle is refused).
  for (const q of questions.values()) {
    if (q.showIf) checkCondition(q.showIf, `${q.path}.showIf`, questions, def.rules, add, { before: q.order, self: q.id });
  }

  checkRules(def.rules, questions, add);
  return problems;
}

type Add = (path: string, message: string, type: string) => void;

function checkQuestion(q: IndexedQuestion, questions: Map<string, IndexedQuestion>, add: Add): void {
  const p = q.path;
  const choice = CHOICE_TYPES.includes(q.type);
  if (choice && !q.options?.length) add(`${p}.options`, `a ${q.type} question needs options`, 'definition.options_missing');
  if (!choice && q.options) add(`${p}.options`, `a ${q.type} question has no options`, 'definition.options_not_allowed');
  const values = new Set<string>();
  (q.options ?? []).forEach((o, oi) => {
    if (values.has(o.value)) add(`${p}.options.${oi}.value`, `option value '${o.value}' is used twice in '${q.id}'`, 'definition.duplicate_option');
    values.add(o.value);
  });
  if (q.min !== undefined && q.max !== undefined && q.min > q.max) add(`${p}.min`, `min (${q.min}) is greater than max (${q.max})`, 'definition.range');
  if (q.type === 'scale') {
    if (q.min === undefined || q.max === undefined) add(p, 'a scale needs min and max', 'definition.range');
    else if (!Number.isInteger(q.min) || !Number.isInteger(q.max) || q.max - q.min > 100) add(p, 'a scale runs between two integers at most 100 apart', 'definition.range');
  }
  if (MULTI_TYPES.includes(q.type) || q.type === 'text' || q.type === 'textarea') {
    for (const k of ['min', 'max'] as const) {
      const v = q[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) add(`${p}.${k}`, `${k} of a ${q.type} question is a count (a whole number ≥ 0)`, 'definition.range');
    }
    if (MULTI_TYPES.includes(q.type) && q.min !== undefined && q.options && q.min > q.options.length) {
      add(`${p}.min`, `min (${q.min}) is more than the ${q.options.length} options`, 'definition.range');
    }
  }
  if (q.type === 'single' && (q.min !== undefined || q.max !== undefined)) add(p, 'a single-choice question has no min/max', 'definition.not_allowed');
  if (q.type === 'number' && q.moneyUnitFen !== undefined) {
    // A money answer becomes fen in the archive: without bounds, 1e15 would overflow the column (a 500, not a 400).
    if (q.min === undefined || q.min < 0) add(`${p}.min`, 'a money question needs min ≥ 0', 'definition.range');
    if (q.max === undefined) add(`${p}.max`, `a money question needs max (max × moneyUnitFen at most ${MAX_FEN} fen)`, 'definition.range');
    else if (q.max * q.moneyUnitFen > MAX_FEN) {
      add(`${p}.max`, `max × moneyUnitFen (${q.max * q.moneyUnitFen} fen) is above ${MAX_FEN} fen`, 'definition.range');
    }
  }
  if (q.type === 'date' && (q.min !== undefined || q.max !== undefined)) add(p, 'a date question uses dateRange, not min/max', 'definition.not_allowed');
  const only = (key: keyof QuestionDef, types: QuestionType[]) => {
    if (q[key] !== undefined && !types.includes(q.type)) add(`${p}.${key}`, `${key} applies to ${types.join('/')} questions only`, 'definition.not_allowed');
  };
  only('decimals', ['number']);
  only('unit', ['number', 'scale']);
  only('moneyUnitFen', ['number']);
  only('notAbove', ['number']);
  only('dateRange', ['date']);
  only('minLabel', ['scale']);
  only('maxLabel', ['scale']);
  if (q.notAbove !== undefined) {
    const other = questions.get(q.notAbove);
    if (!other) add(`${p}.notAbove`, `question '${q.notAbove}' does not exist`, 'definition.unknown_question');
    else if (other.type !== 'number' || other.id === q.id) add(`${p}.notAbove`, `'${q.notAbove}' is not another number question`, 'definition.wrong_type');
  }
  (q.options ?? []).forEach((o, oi) => {
    if (o.none && !MULTI_TYPES.includes(q.type) && q.type !== 'single') add(`${p}.options.${oi}.none`, 'none applies to choice options', 'definition.not_allowed');
  });
}

function checkCondition(
  c: Condition, path: string, questions: Map<string, IndexedQuestion>, rules: Rules, add: Add, scope: { before?: number; self?: string } = {},
): void {
  if ('all' in c) return c.all.forEach((x, i) => checkCondition(x, `${path}.all.${i}`, questions, rules, add, scope));
  if ('any' in c) return c.any.forEach((x, i) => checkCondition(x, `${path}.any.${i}`, questions, rules, add, scope));
  if ('not' in c) return checkCondition(c.not, `${path}.not`, questions, rules, add, scope);
  const q = questions.get(c.q);
  if (!q) return add(`${path}.q`, `condition refers to question '${c.q}', which does not exist`, 'definition.unknown_question');
  if (scope.self === c.q) return add(`${path}.q`, `question '${c.q}' cannot depend on itself`, 'definition.condition_cycle');
  if (scope.before !== undefined && q.order >= scope.before) {
    return add(`${path}.q`, `condition refers to '${c.q}', which comes later in the form; show-if may only use earlier questions`, 'definition.forward_reference');
  }
  const ops = LEAF_OPS.filter((k) => c[k] !== undefined);
  const numeric = c.gte !== undefined || c.lte !== undefined;
  if (ops.length + (numeric ? 1 : 0) !== 1) add(path, 'a condition uses exactly one test (in, anyOf, allOf, noneOf, gte/lte, answered or belowPriceOf)', 'definition.condition');
  for (const k of ['in', 'anyOf', 'allOf', 'noneOf'] as const) {
    const list = c[k];
    if (!list) continue;
    if (!CHOICE_TYPES.includes(q.type)) {
      add(`${path}.${k}`, `'${c.q}' is a ${q.type} question; ${k} needs a choice question`, 'definition.wrong_type');
      continue;
    }
    list.forEach((v, i) => {
      if (!q.optionByValue.has(v)) add(`${path}.${k}.${i}`, `'${c.q}' has no option '${v}'`, 'definition.unknown_option');
    });
  }
  if (numeric && q.type !== 'number' && q.type !== 'scale') add(path, `'${c.q}' is a ${q.type} question; gte/lte need a number or scale`, 'definition.wrong_type');
  if (c.belowPriceOf !== undefined) {
    if (q.type !== 'number' || !q.moneyUnitFen) add(`${path}.q`, `'${c.q}' is not a money question (number with moneyUnitFen)`, 'definition.wrong_type');
    const areas = questions.get(c.belowPriceOf);
    if (!areas) add(`${path}.belowPriceOf`, `question '${c.belowPriceOf}' does not exist`, 'definition.unknown_question');
    else if (!CHOICE_TYPES.includes(areas.type)) add(`${path}.belowPriceOf`, `'${c.belowPriceOf}' is not a choice question`, 'definition.wrong_type');
    else if (!rules.priceRanges) add(`${path}.belowPriceOf`, 'belowPriceOf needs rules.priceRanges', 'definition.price_ranges_missing');
    else if (scope.before !== undefined && areas.order >= scope.before) add(`${path}.belowPriceOf`, `'${c.belowPriceOf}' comes later in the form`, 'definition.forward_reference');
  }
}

/** Every question a condition reads. */
export function conditionQuestions(c: Condition, out: string[] = []): string[] {
  if ('all' in c) c.all.forEach((x) => conditionQuestions(x, out));
  else if ('any' in c) c.any.forEach((x) => conditionQuestions(x, out));
  else if ('not' in c) conditionQuestions(c.not, out);
  else {
    out.push(c.q);
    if (c.belowPriceOf) out.push(c.belowPriceOf);
  }
  return out;
}

function checkRules(rules: Rules, questions: Map<string, IndexedQuestion>, add: Add): void {
  const cond = (c: Condition, path: string) => checkCondition(c, path, questions, rules, add);
  // What consultants see may not be derived from health answers (DOMAIN.md, three-tier access).
  const notSensitive = (ids: string[], path: string) => {
    for (const qid of new Set(ids)) {
      if (questions.get(qid)?.sensitive) add(path, `'${qid}' is a health question; rules seen by consultants cannot use it`, 'definition.sensitive_reference');
    }
  };
  const choiceQuestion = (qid: string, path: string): IndexedQuestion | undefined => {
    const q = questions.get(qid);
    if (!q) add(path, `question '${qid}' does not exist`, 'definition.unknown_question');
    else if (!CHOICE_TYPES.includes(q.type)) add(path, `'${qid}' is a ${q.type} question, not a choice question`, 'definition.wrong_type');
    else return q;
    return undefined;
  };

  const componentIds = new Set<string>();
  rules.intent.components.forEach((comp, ci) => {
    const base = `rules.intent.components.${ci}`;
    if (componentIds.has(comp.id)) add(`${base}.id`, `component id '${comp.id}' is used twice`, 'definition.duplicate_id');
    componentIds.add(comp.id);
    comp.parts.forEach((part, pi) => {
      const pp = `${base}.parts.${pi}`;
      if ('q' in part) {
        const q = choiceQuestion(part.q, `${pp}.q`);
        if (q) {
          for (const v of Object.keys(part.points)) if (!q.optionByValue.has(v)) add(`${pp}.points.${v}`, `'${part.q}' has no option '${v}'`, 'definition.unknown_option');
        }
        notSensitive([part.q], `${pp}.q`);
      } else {
        part.cases.forEach((c, i) => {
          cond(c.when, `${pp}.cases.${i}.when`);
          notSensitive(conditionQuestions(c.when), `${pp}.cases.${i}.when`);
        });
      }
    });
  });

  const grades = rules.grades;
  const letters = new Set<string>();
  grades.forEach((g, i) => {
    if (letters.has(g.grade)) add(`rules.grades.${i}.grade`, `grade ${g.grade} is listed twice`, 'definition.duplicate_id');
    letters.add(g.grade);
    if (i > 0 && g.min >= grades[i - 1].min) add(`rules.grades.${i}.min`, 'grades go from the highest threshold down', 'definition.order');
  });
  if (grades[grades.length - 1].min !== 0) add(`rules.grades.${grades.length - 1}.min`, 'the last grade must start at 0 so every score has a grade', 'definition.range');

  rules.risk?.cases.forEach((c, i) => {
    cond(c.when, `rules.risk.cases.${i}.when`);
    notSensitive(conditionQuestions(c.when), `rules.risk.cases.${i}.when`);
  });

  for (const [key, r] of Object.entries(rules.priceRanges ?? {})) {
    if (r.minFen > r.maxFen) add(`rules.priceRanges.${key}.minFen`, 'minFen is greater than maxFen', 'definition.range');
  }
  const bands = rules.budgetBands ?? [];
  const bandIds = new Set<string>();
  bands.forEach((b, i) => {
    if (bandIds.has(b.band)) add(`rules.budgetBands.${i}.band`, `band '${b.band}' is listed twice`, 'definition.duplicate_id');
    bandIds.add(b.band);
    if (i > 0 && b.minFen >= bands[i - 1].minFen) add(`rules.budgetBands.${i}.minFen`, 'budget bands go from the highest minimum down', 'definition.order');
  });
  if (bands.length && bands[bands.length - 1].minFen !== 0) add(`rules.budgetBands.${bands.length - 1}.minFen`, 'the last band must start at 0', 'definition.range');
  if (bands.length && !rules.archive?.budgetMax) add('rules.budgetBands', 'budget bands need rules.archive.budgetMax', 'definition.budget_missing');

  for (const [key, list] of [['expectationFlags', rules.expectationFlags ?? []], ['safetyFlags', rules.safetyFlags ?? []]] as const) {
    const codes = new Set<string>();
    list.forEach((f, i) => {
      if (codes.has(f.code)) add(`rules.${key}.${i}.code`, `flag code '${f.code}' is used twice`, 'definition.duplicate_id');
      codes.add(f.code);
      cond(f.when, `rules.${key}.${i}.when`);
      if (key === 'expectationFlags') notSensitive(conditionQuestions(f.when), `rules.${key}.${i}.when`);
    });
  }

  (rules.tags ?? []).forEach((t, i) => {
    const q = choiceQuestion(t.q, `rules.tags.${i}.q`);
    if (q) for (const v of Object.keys(t.map)) if (!q.optionByValue.has(v)) add(`rules.tags.${i}.map.${v}`, `'${t.q}' has no option '${v}'`, 'definition.unknown_option');
    notSensitive([t.q], `rules.tags.${i}.q`);
  });

  const a = rules.archive;
  if (!a) return;
  if (a.projects) {
    choiceQuestion(a.projects, 'rules.archive.projects');
    notSensitive([a.projects], 'rules.archive.projects');
  }
  for (const k of ['budgetMax', 'budgetMin'] as const) {
    const qid = a[k];
    if (!qid) continue;
    const q = questions.get(qid);
    if (!q) add(`rules.archive.${k}`, `question '${qid}' does not exist`, 'definition.unknown_question');
    else if (q.type !== 'number' || !q.moneyUnitFen) add(`rules.archive.${k}`, `'${qid}' is not a money question (number with moneyUnitFen)`, 'definition.wrong_type');
    notSensitive([qid], `rules.archive.${k}`);
  }
  (a.keyAnswers ?? []).forEach((qid, i) => {
    if (!questions.has(qid)) add(`rules.archive.keyAnswers.${i}`, `question '${qid}' does not exist`, 'definition.unknown_question');
    notSensitive([qid], `rules.archive.keyAnswers.${i}`);
  });
  const med = a.medical;
  if (med) {
    for (const k of ['allergies', 'medications', 'conditions'] as const) {
      (med[k] ?? []).forEach((qid, i) => {
        const q = questions.get(qid);
        if (!q) add(`rules.archive.medical.${k}.${i}`, `question '${qid}' does not exist`, 'definition.unknown_question');
        else if (!q.sensitive) add(`rules.archive.medical.${k}.${i}`, `'${qid}' feeds the medical history, so it must be sensitive`, 'definition.not_sensitive');
        else if (!CHOICE_TYPES.includes(q.type) && q.type !== 'text' && q.type !== 'textarea') add(`rules.archive.medical.${k}.${i}`, `'${qid}' is not a choice or text question`, 'definition.wrong_type');
      });
    }
    const pp = med.pastProcedures;
    if (pp) {
      const q = choiceQuestion(pp.q, 'rules.archive.medical.pastProcedures.q');
      if (q && !q.sensitive) add('rules.archive.medical.pastProcedures.q', `'${pp.q}' feeds the medical history, so it must be sensitive`, 'definition.not_sensitive');
      if (pp.satisfaction) {
        const s = choiceQuestion(pp.satisfaction.q, 'rules.archive.medical.pastProcedures.satisfaction.q');
        pp.satisfaction.satisfied.forEach((v, i) => {
          if (s && !s.optionByValue.has(v)) add(`rules.archive.medical.pastProcedures.satisfaction.satisfied.${i}`, `'${s.id}' has no option '${v}'`, 'definition.unknown_option');
        });
      }
    }
  }
}

/** Structure then meaning; the definition (joi-normalised) when valid, the problems otherwise. */
export function validateDefinition(input: unknown, prefix = 'definition'): { value: Definition; problems: [] } | { value: null; problems: FieldProblem[] } {
  const { value, error } = definitionSchema.validate(input, { abortEarly: false, allowUnknown: false, convert: false });
  if (error) {
    return {
      value: null,
      problems: error.details.map((d) => ({ field: [prefix, ...d.path].join('.'), message: d.message.replace(/"/g, ''), type: d.type })),
    };
  }
  const problems = checkDefinition(value as Definition, prefix);
  return problems.length ? { value: null, problems } : { value: value as Definition, problems: [] };
}
