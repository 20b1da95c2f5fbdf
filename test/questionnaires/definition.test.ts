import { validateDefinition, indexQuestions, Definition } from '../../src/modules/questionnaires/questionnaires.definition';
import { checkSubmission, compile } from '../../src/modules/questionnaires/questionnaires.answers';
import { assess } from '../../src/modules/questionnaires/questionnaires.rules';
import { coldLeadAnswers, intentAnswers, intentDefinition } from '../helpers/questionnaires';

const NOW = new Date('2026-06-01T04:00:00.000Z');

function problemsOf(def: unknown) {
  return validateDefinition(def).problems;
}

function assessIntent(answers: Record<string, unknown>, def: Definition = intentDefinition()) {
  const c = compile(def, indexQuestions(def));
  const checked = checkSubmission(c, answers, NOW);
  expect(checked.problems).toEqual([]);
  return assess(c, checked.answers, checked.visible);
}

describe('questionnaire definitions: the validator', () => {
  it('accepts the default intent template shipped by the migration', () => {
    expect(problemsOf(intentDefinition())).toEqual([]);
  });

  it('refuses a show-if condition on a question that does not exist, naming the path', () => {
    const def = intentDefinition();
    def.sections[0].questions[1].showIf = { q: 'no_such_question', in: ['x'] };

    expect(problemsOf(def)).toEqual([
      expect.objectContaining({ field: 'definition.sections.0.questions.1.showIf.q', type: 'definition.unknown_question' }),
    ]);
  });

  it('refuses a duplicate question id (also across sections) and a duplicate section id', () => {
    const def = intentDefinition();
    def.sections[1].questions[0].id = 'areas';
    def.sections[2].id = 'goals';

    const problems = problemsOf(def);

    expect(problems).toEqual(expect.arrayContaining([
      expect.objectContaining({ field: 'definition.sections.1.questions.0.id', type: 'definition.duplicate_id', message: expect.stringContaining('sections.0.questions.0') }),
      expect.objectContaining({ field: 'definition.sections.2.id', type: 'definition.duplicate_id' }),
    ]));
  });

  it('refuses an option without a value, and duplicate option values', () => {
    const noValue = intentDefinition();
    noValue.sections[0].questions[3].options.push({ label: '随便' });
    expect(problemsOf(noValue)).toEqual([expect.objectContaining({ field: 'definition.sections.0.questions.3.options.4.value', type: 'any.required' })]);

    const twice = intentDefinition();
    twice.sections[0].questions[3].options.push({ value: 'week', label: '又一个一周' });
    expect(problemsOf(twice)).toEqual([expect.objectContaining({ field: 'definition.sections.0.questions.3.options.4.value', type: 'definition.duplicate_option' })]);
  });

  it('refuses a forward reference and a self reference in show-if (so a condition cycle cannot exist)', () => {
    const forward = intentDefinition();
    forward.sections[0].questions[0].showIf = { q: 'timeline', in: ['within_1m'] };
    expect(problemsOf(forward)).toEqual([expect.objectContaining({ field: 'definition.sections.0.questions.0.showIf.q', type: 'definition.forward_reference' })]);

    const cycle = intentDefinition();
    cycle.sections[0].questions[3].showIf = { not: { q: 'downtime', in: ['none'] } };
    expect(problemsOf(cycle)).toEqual([expect.objectContaining({ field: 'definition.sections.0.questions.3.showIf.not.q', type: 'definition.condition_cycle' })]);
  });

  it('refuses a condition on an option the question does not have', () => {
    const def = intentDefinition();
    def.sections[0].questions[1].showIf = { q: 'areas', anyOf: ['nose', 'ears'] };
    expect(problemsOf(def)).toEqual([expect.objectContaining({ field: 'definition.sections.0.questions.1.showIf.anyOf.1', type: 'definition.unknown_option' })]);
  });

  it('refuses min above max, a scale without a range, options on a text question and unknown keys', () => {
    const def = intentDefinition();
    def.sections[1].questions[0].min = 10;
    def.sections[1].questions[0].max = 5;
    def.sections[6].questions[2] = { id: 'eagerness', type: 'scale', title: '意愿', required: true };
    def.sections[0].questions[1].options = [{ value: 'a', label: 'A' }];
    expect(problemsOf(def)).toEqual(expect.arrayContaining([
      expect.objectContaining({ field: 'definition.sections.1.questions.0.min', type: 'definition.range' }),
      expect.objectContaining({ field: 'definition.sections.6.questions.2', type: 'definition.range' }),
      expect.objectContaining({ field: 'definition.sections.0.questions.1.options', type: 'definition.options_not_allowed' }),
    ]));

    const unknownKey = intentDefinition();
    unknownKey.sections[0].questions[0].colour = 'red';
    expect(problemsOf(unknownKey)).toEqual([expect.objectContaining({ field: 'definition.sections.0.questions.0.colour', type: 'object.unknown' })]);
  });

  it('refuses rules that refer to missing questions or options', () => {
    const def = intentDefinition();
    def.rules.intent.components[0].parts[0].points.tomorrow = 100;
    def.rules.safetyFlags[0].when = { q: 'allergy', anyOf: ['local_anesthetic'] };
    def.rules.tags[0].map.ears = ['耳部'];
    def.rules.archive.budgetMax = 'budget';
    expect(problemsOf(def)).toEqual(expect.arrayContaining([
      expect.objectContaining({ field: 'definition.rules.intent.components.0.parts.0.points.tomorrow', type: 'definition.unknown_option' }),
      expect.objectContaining({ field: 'definition.rules.safetyFlags.0.when.q', type: 'definition.unknown_question' }),
      expect.objectContaining({ field: 'definition.rules.tags.0.map.ears', type: 'definition.unknown_option' }),
      expect.objectContaining({ field: 'definition.rules.archive.budgetMax', type: 'definition.unknown_question' }),
    ]));
  });

  it('refuses grade thresholds out of order or without a floor at 0', () => {
    const def = intentDefinition();
    def.rules.grades = [{ grade: 'A', min: 50 }, { grade: 'B', min: 60 }];
    expect(problemsOf(def)).toEqual(expect.arrayContaining([
      expect.objectContaining({ field: 'definition.rules.grades.1.min', type: 'definition.order' }),
      expect.objectContaining({ field: 'definition.rules.grades.1.min', type: 'definition.range' }),
    ]));
  });

  it('refuses consultant-visible rules (expectation flags, intent score) that read a health answer', () => {
    const def = intentDefinition();
    def.rules.expectationFlags.push({ code: 'pregnant_lead', label: '怀孕', when: { q: 'pregnancy', in: ['pregnant'] } });
    def.rules.intent.components[2].parts.push({ q: 'allergies', points: { none: 100 } });
    expect(problemsOf(def)).toEqual(expect.arrayContaining([
      expect.objectContaining({ field: 'definition.rules.expectationFlags.6.when', type: 'definition.sensitive_reference' }),
      expect.objectContaining({ field: 'definition.rules.intent.components.2.parts.3.q', type: 'definition.sensitive_reference' }),
    ]));
  });

  it('refuses a money question without bounds that fit the fen columns (min ≥ 0, max × moneyUnitFen ≤ 2,000,000,000), naming the path', () => {
    const noMax = intentDefinition();
    delete noMax.sections[1].questions[0].max;
    const tooBig = intentDefinition();
    tooBig.sections[1].questions[1].max = 20_000_001; // × 100 fen per 元
    const noMin = intentDefinition();
    delete noMin.sections[1].questions[0].min;
    const fits = intentDefinition();
    fits.sections[1].questions[0].max = 20_000_000;
    fits.sections[1].questions[1].max = 20_000_000;

    expect(problemsOf(noMax)).toEqual([expect.objectContaining({ field: 'definition.sections.1.questions.0.max', type: 'definition.range' })]);
    expect(problemsOf(tooBig)).toEqual([expect.objectContaining({ field: 'definition.sections.1.questions.1.max', type: 'definition.range' })]);
    expect(problemsOf(noMin)).toEqual([expect.objectContaining({ field: 'definition.sections.1.questions.0.min', type: 'definition.range' })]);
    expect(problemsOf(fits)).toEqual([]);
  });

  it('with its max, a money answer of 1e15 is an answer problem on the question (a 400), never an overflow', () => {
    const def = intentDefinition();
    const c = compile(def, indexQuestions(def));

    const checked = checkSubmission(c, intentAnswers({ budget_max: 1e15 }), NOW);

    expect(checked.problems).toEqual([expect.objectContaining({ field: expect.stringContaining('budget_max'), type: 'answer.range' })]);
  });
});

describe('questionnaire rules: one generic evaluator over the version’s data', () => {
  it('scores a hot lead A (98) from urgency, budget fit and readiness, with the high-net-worth tier', () => {
    const a = assessIntent(intentAnswers());

    expect(a.components).toEqual({ urgency: 100, budget_fit: 95, readiness: 100 });
    expect(a.intentScore).toBe(98);
    expect(a.leadGrade).toBe('A');
    expect(a.budgetBand).toBe('premium');
    expect(a.budgetMaxFen).toBe(5_000_000);
    expect(a.tags).toEqual({ project: ['鼻部', '皮肤管理'], value_tier: ['高净值'], lead_grade: ['A级-高意向'] });
    expect(a.projects).toEqual(['nose', 'skin']);
  });

  it('grades B, C and D at the default thresholds (75 / 55 / 35)', () => {
    const b = assessIntent(intentAnswers({ timeline: 'within_3m', eagerness: 6, budget_flex: 'strict', visit: 'later', decision_style: 'compare', recovery_understanding: 'partly' }));
    const c = assessIntent(intentAnswers({
      areas: ['nose'], timeline: 'within_6m', eagerness: 5, budget_max: 10000, budget_min: 5000, budget_flex: 'strict', visit: 'later',
      decision_style: 'family', recovery_understanding: 'partly',
    }));
    const d = assessIntent(coldLeadAnswers());

    expect([b.intentScore, b.leadGrade]).toEqual([72, 'B']);
    expect([c.intentScore, c.leadGrade]).toEqual([48, 'C']);
    expect([d.intentScore, d.leadGrade]).toEqual([19, 'D']);
    expect(d.tags.value_tier).toEqual(['普通']);
  });

  it('raises the expectation flags of the issue: no downtime but surgery, guaranteed/permanent result, budget far below the price range', () => {
    const a = assessIntent(coldLeadAnswers({ downtime: 'none', result_expectation: 'guaranteed' }));
    expect(a.expectationFlags).toEqual(['no_downtime_but_surgery', 'expects_guarantee', 'budget_far_below']);

    const permanent = assessIntent(intentAnswers({ areas: ['skin'], maintenance: 'once' }));
    expect(permanent.expectationFlags).toEqual(['expects_permanent']);
    expect(assessIntent(intentAnswers()).expectationFlags).toEqual([]);
  });

  it('raises the safety flags of the issue for the doctor: anaesthetic or hyaluronic allergy, anticoagulants, pregnancy, keloid', () => {
    const a = assessIntent(intentAnswers({ allergies: ['local_anesthetic', 'hyaluronic'], pregnancy: 'pregnant', chronic: ['keloid'] }));
    expect(a.safetyFlags.map((f) => f.code)).toEqual(['allergy_local_anesthetic', 'allergy_hyaluronic', 'anticoagulant', 'pregnancy', 'keloid']);
    expect(a.safetyFlags.find((f) => f.code === 'pregnancy')!.severity).toBe('contraindication');
  });

  it('maps risk tolerance by the rules (safety first → low; effect first and understands the risk → high)', () => {
    expect(assessIntent(intentAnswers({ risk_attitude: 'safety_first' })).riskTolerance).toBe('low');
    expect(assessIntent(intentAnswers({ risk_attitude: 'effect_first' })).riskTolerance).toBe('high');
    expect(assessIntent(intentAnswers()).riskTolerance).toBe('medium');
  });

  it('turns the health answers into the medical history: labels, "none" and "other" left out, the text of "other" kept', () => {
    const a = assessIntent(intentAnswers({ allergies: ['hyaluronic', 'other'], allergy_other: '海鲜', pregnancy: 'breastfeeding' }));
    expect(a.medical).toEqual({
      allergies: ['玻尿酸类产品过敏', '海鲜'],
      medications: ['抗凝/抗血小板药'],
      conditions: ['哺乳期'],
      pastProcedures: [{ name: '玻尿酸填充', satisfied: true }],
    });
  });

  it('changing only the rules data changes the outcome (no code branch decides the grade)', () => {
    const def = intentDefinition();
    def.rules.grades = [{ grade: 'A', min: 99 }, { grade: 'B', min: 90 }, { grade: 'D', min: 0 }];
    def.rules.expectationFlags.push({ code: 'wants_natural', label: '偏好自然', when: { q: 'expected_effect', anyOf: ['natural'] } });

    const a = assessIntent(intentAnswers(), def);

    expect(a.leadGrade).toBe('B');
    expect(a.expectationFlags).toEqual(['wants_natural']);
  });

  it('a number allows the decimal places its question declares, and no more', () => {
    const def = intentDefinition();
    Object.assign(def.sections[1].questions[0], { decimals: 1 });
    const c = compile(def, indexQuestions(def));
    const errorsFor = (v: number) => checkSubmission(c, intentAnswers({ budget_max: v, budget_min: undefined }), NOW).problems;
    expect(errorsFor(1.1)).toEqual([]);
    expect(errorsFor(1.15)).toEqual([expect.objectContaining({ field: 'answers.budget_max', type: 'answer.type' })]);
  });

  it('completeness counts the optional questions shown and answered', () => {
    // Shown optional questions: area_detail, budget_min, notes (past_issue and target_date hidden).
    expect(assessIntent(intentAnswers()).completenessPct).toBe(67);
    expect(assessIntent(intentAnswers({ area_detail: undefined, budget_min: undefined })).completenessPct).toBe(0);
  });
});
