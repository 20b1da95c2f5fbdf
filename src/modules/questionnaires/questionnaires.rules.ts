import type { MedicalHistory, PastProcedure } from '../clients';
import { Answers, AnswerValue, CompiledDefinition, evaluate } from './questionnaires.answers';
import type { IndexedQuestion, LeadGrade, QuestionnaireTagDimension, RiskLevel, ScorePart } from './questionnaires.definition';

/** What a submission says about the client, worked out from the version's rules alone. */
export interface Assessment {
  intentScore: number;
  /** Each intent component's score (0–100), e.g. { urgency, budget_fit, readiness }. */
  components: Record<string, number>;
  leadGrade: LeadGrade;
  riskTolerance: RiskLevel;
  expectationFlags: string[];
  /** For doctors (health): stored encrypted. */
  safetyFlags: { code: string; severity: 'caution' | 'contraindication' }[];
  tags: Record<QuestionnaireTagDimension, string[]>;
  /** Choice values of the archive's projects question (areas of interest). */
  projects: string[];
  budgetMaxFen: number | null;
  budgetMinFen: number | null;
  budgetBand: string | null;
  /** Health answers mapped onto the medical history; null when none were given. */
  medical: Partial<MedicalHistory> | null;
  keyAnswers: Answers;
  /** Optional questions answered / optional questions shown, in %. */
  completenessPct: number;
}

const clamp = (n: number) => Math.max(0, Math.min(100, n));
const asList = (v: AnswerValue | undefined): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

function partScore(part: ScorePart, answers: Answers, c: CompiledDefinition): number {
  if ('q' in part) {
    const picked = asList(answers[part.q]);
    const pts = picked.map((v) => part.points[v]).filter((p): p is number => p !== undefined);
    return pts.length ? Math.max(...pts) : part.missing ?? 0;
  }
  const hit = part.cases.find((k) => evaluate(k.when, answers, c.def.rules, c.questions));
  return hit ? hit.points : part.else;
}

/** Answer values of the questions listed, as archive text: option labels (or archiveAs), texts as given, none/noArchive options left out. */
function archiveTexts(qids: string[] | undefined, answers: Answers, questions: Map<string, IndexedQuestion>): string[] {
  const out: string[] = [];
  for (const qid of qids ?? []) {
    const q = questions.get(qid);
    const v = answers[qid];
    if (!q || v === undefined) continue;
    if (q.options) {
      for (const value of asList(v)) {
        const o = q.optionByValue.get(value);
        if (o && !o.none && !o.noArchive) out.push(o.archiveAs ?? o.label);
      }
    } else if (typeof v === 'string' && v.trim()) out.push(v.trim());
  }
  return [...new Set(out)];
}

function medicalOf(c: CompiledDefinition, answers: Answers): Partial<MedicalHistory> | null {
  const map = c.def.rules.archive?.medical;
  if (!map) return null;
  const out: Partial<MedicalHistory> = {};
  let any = false;
  for (const k of ['allergies', 'medications', 'conditions'] as const) {
    if (!map[k]?.some((qid) => answers[qid] !== undefined)) continue;
    out[k] = archiveTexts(map[k], answers, c.questions);
    any = true;
  }
  const pp = map.pastProcedures;
  if (pp && answers[pp.q] !== undefined) {
    const satisfaction = pp.satisfaction ? answers[pp.satisfaction.q] : undefined;
    const satisfied = pp.satisfaction && typeof satisfaction === 'string' ? pp.satisfaction.satisfied.includes(satisfaction) : undefined;
    out.pastProcedures = archiveTexts([pp.q], answers, c.questions).map((name): PastProcedure => (satisfied === undefined ? { name } : { name, satisfied }));
    any = true;
  }
  return any ? out : null;
}

/**
 * Runs a version's rules over validated, visible answers: intent score as the
 * weighted mean of its components, the grade by threshold, risk tolerance, expectation and safety
 * flags, tags, and the archive's projects, budget and medical history. Pure: no I/O, no clock.
 */
export function assess(c: CompiledDefinition, answers: Answers, visible: Set<string>): Assessment {
  const { rules } = c.def;
  const holds = (cond: Parameters<typeof evaluate>[0]) => evaluate(cond, answers, rules, c.questions);

  const components: Record<string, number> = {};
  let weighted = 0;
  let weights = 0;
  for (const comp of rules.intent.components) {
    let sum = 0;
    let w = 0;
    for (const part of comp.parts) {
      sum += partScore(part, answers, c) * (part.weight ?? 1);
      w += part.weight ?? 1;
    }
    components[comp.id] = Math.round(clamp(sum / w));
    weighted += (sum / w) * comp.weight;
    weights += comp.weight;
  }
  const intentScore = Math.round(clamp(weighted / weights));
  const grade = rules.grades.find((g) => intentScore >= g.min) ?? rules.grades[rules.grades.length - 1];
  const riskTolerance = rules.risk ? rules.risk.cases.find((k) => holds(k.when))?.level ?? rules.risk.default : 'medium';

  const archive = rules.archive ?? {};
  const money = (qid: string | undefined): number | null => {
    const v = qid ? answers[qid] : undefined;
    return typeof v === 'number' ? Math.round(v * (c.questions.get(qid!)!.moneyUnitFen ?? 100)) : null;
  };
  const budgetMaxFen = money(archive.budgetMax);
  const budgetMinFen = money(archive.budgetMin);
  const band = budgetMaxFen === null ? undefined : rules.budgetBands?.find((b) => budgetMaxFen >= b.minFen);

  const tags: Record<QuestionnaireTagDimension, string[]> = { project: [], value_tier: [], lead_grade: [] };
  for (const t of rules.tags ?? []) for (const v of asList(answers[t.q])) tags[t.dimension].push(...(t.map[v] ?? []));
  if (band?.valueTier) tags.value_tier.push(band.valueTier);
  if (grade.tag) tags.lead_grade.push(grade.tag);
  for (const k of Object.keys(tags) as QuestionnaireTagDimension[]) tags[k] = [...new Set(tags[k])];

  const optional = [...visible].filter((qid) => !c.questions.get(qid)!.required);
  const answeredOptional = optional.filter((qid) => answers[qid] !== undefined).length;

  const keyAnswers: Answers = {};
  for (const qid of archive.keyAnswers ?? []) if (answers[qid] !== undefined) keyAnswers[qid] = answers[qid];

  return {
    intentScore,
    components,
    leadGrade: grade.grade,
    riskTolerance,
    expectationFlags: (rules.expectationFlags ?? []).filter((f) => holds(f.when)).map((f) => f.code),
    safetyFlags: (rules.safetyFlags ?? []).filter((f) => holds(f.when)).map((f) => ({ code: f.code, severity: f.severity })),
    tags,
    projects: archive.projects ? asList(answers[archive.projects]).filter((v) => !c.questions.get(archive.projects!)!.optionByValue.get(v)?.none) : [],
    budgetMaxFen,
    budgetMinFen,
    budgetBand: band?.band ?? null,
    medical: medicalOf(c, answers),
    keyAnswers,
    completenessPct: optional.length ? Math.round((answeredOptional / optional.length) * 100) : 100,
  };
}

/** An answer as people read it: option labels instead of values. */
export function displayAnswer(q: IndexedQuestion, v: AnswerValue): string | number | string[] {
  if (!q.options) return v;
  const label = (x: string) => q.optionByValue.get(x)?.label ?? x;
  return Array.isArray(v) ? v.map(label) : typeof v === 'string' ? label(v) : v;
}
