import { describe, expect, it } from 'vitest';
import { numberAnswer, previewPage, sectionComplete, tapOption, withAnswer, type DefinitionForm } from '../src/views/settings/preview';
import { draftProblems, newQuestion, placeProblems, questionProblems, retype } from '../src/views/settings/draft';
import { auditRange, clientLookup } from '../src/views/settings/audit';
import { offsetMinutes, offsetText } from '../src/views/settings/labels';
import { SETTINGS_MENU_OPERATION, SETTINGS_PAGES } from '../src/views/settings/routes';
import { OPERATION_ROLES } from '../src/api/roles';
import { admits } from '../src/router';

const form: DefinitionForm = {
  title: '意向问卷 ✨',
  sections: [
    {
      id: 'needs', title: '您的需求', questions: [
        { id: 'areas', type: 'multiple', title: '想改善的部位', required: true, max: 2, options: [{ value: 'nose', label: '鼻部' }, { value: 'eyes', label: '眼部' }, { value: 'skin', label: '皮肤' }, { value: 'none', label: '都没有', none: true }] },
        { id: 'nose_style', type: 'single', title: '鼻型偏好', showIf: { q: 'areas', anyOf: ['nose'] }, options: [{ value: 'natural', label: '自然' }, { value: 'defined', label: '立体' }] },
        { id: 'budget', type: 'number', title: '预算上限', unit: '元', min: 0, max: 1000000 },
      ],
    },
    { id: 'health', title: '健康状况', sensitive: true, questions: [{ id: 'allergy', type: 'text', title: '过敏史', max: 10 }] },
  ],
};

describe('questionnaire preview: the phone’s rules on a draft', () => {
  it('shows a show-if question only once its condition holds, and numbers the shown questions across the form', () => {
    const empty = previewPage(form, {}, 0, false);
    expect(empty.items.map((i) => [i.number, i.id])).toEqual([[1, 'areas'], [2, 'budget']]);
    const nose = previewPage(form, { areas: ['nose'] }, 0, false);
    expect(nose.items.map((i) => [i.number, i.id])).toEqual([[1, 'areas'], [2, 'nose_style'], [3, 'budget']]);
    expect(previewPage(form, { areas: ['nose'] }, 1, false).items.map((i) => i.number)).toEqual([4]);
  });

  it('gives the phone’s hints and says what is wrong with an answer, required ones only after trying to go on', () => {
    const page = previewPage(form, { budget: 1000001 }, 0, false);
    expect(page.items[0]).toMatchObject({ hint: '可多选，最多 2 项', error: '' });
    expect(page.items[1]).toMatchObject({ hint: '0–1000000元', error: '不能超过 1,000,000元', readable: '约 100 万元' });
    expect(previewPage(form, {}, 0, true).items[0].error).toBe('请选择一项');
    expect(sectionComplete(form, {}, 0)).toBe(false);
    expect(sectionComplete(form, { areas: ['eyes'] }, 0)).toBe(true);
    expect(previewPage(form, { allergy: '花粉、海鲜、青霉素、头孢类药物' }, 1, false)).toMatchObject({ sectionSensitive: true, items: [{ error: '最多 10 个字' }] });
  });

  it('taps options as the phone does: max picks, "none of these" alone, single replaces', () => {
    const q = form.sections[0].questions[0];
    let a = tapOption(q, {}, 'nose').answers;
    a = tapOption(q, a, 'skin').answers;
    expect(a.areas).toEqual(['nose', 'skin']);
    expect(tapOption(q, a, 'eyes')).toEqual({ answers: a, tooMany: 2 });
    expect(tapOption(q, a, 'none').answers.areas).toEqual(['none']);
    expect(tapOption(q, a, 'nose').answers.areas).toEqual(['skin']);
    expect(tapOption(form.sections[0].questions[1], { nose_style: 'natural' }, 'defined').answers.nose_style).toBe('defined');
    expect(withAnswer({ x: 'a' }, 'x', [])).toEqual({});
    expect([numberAnswer(''), numberAnswer('12.'), numberAnswer('abc')]).toEqual([null, 12, null]);
  });
});

describe('questionnaire draft editing', () => {
  it('finds blank titles, bad ids and repeated option codes before sending', () => {
    const def = { title: ' ', sections: [{ id: 's', title: '一', questions: [
      { id: 'Q1', type: 'single' as const, title: '', options: [{ value: 'a', label: '是' }, { value: 'a', label: '' }] },
      { id: 'ok', type: 'scale' as const, title: '满意度', min: 5, max: 1 },
    ] }] };
    const problems = draftProblems(def);
    expect(problems).toMatchObject({
      title: '请填写问卷标题', 'sections.0.questions.0.id': expect.stringContaining('小写字母'), 'sections.0.questions.0.title': '请填写题目',
      'sections.0.questions.0.options.1.value': '选项代码 a 重复了', 'sections.0.questions.0.options.1.label': '请填写选项文字', 'sections.0.questions.1.min': '最小值不能大于最大值',
    });
    expect(questionProblems(problems, 0, 1)).toEqual(['最小值不能大于最大值']);
  });

  it('places the API’s problems beside the editor’s fields, and lists the rules’ apart', () => {
    const placed = placeProblems([
      { field: 'body.definition.sections.0.questions.1.title', message: 'too long' },
      { field: 'body.definition.rules.tags.0.q', message: "question 'x' does not exist" },
    ], (p) => p.startsWith('sections.'));
    expect(placed).toEqual({ byPath: { 'sections.0.questions.1.title': 'too long' }, other: ["rules.tags.0.q: question 'x' does not exist"] });
  });

  it('makes a new question with a free id, and keeps options only on choice questions', () => {
    expect(newQuestion(form).id).toBe('q5');
    const scale = retype({ id: 'x', type: 'single', title: 't', options: [{ value: 'a', label: 'A' }] }, 'scale');
    expect(scale).toEqual({ id: 'x', type: 'scale', title: 't', min: 1, max: 5 });
    expect(retype(scale, 'multiple').options).toHaveLength(2);
  });
});

describe('settings pages', () => {
  it('turns a follow-up offset into words and back', () => {
    expect(offsetText(2 * 1440)).toBe('治疗后 2 天');
    expect(offsetText(90)).toBe('治疗后 1 小时 30 分');
    expect(offsetText(null)).toContain('效果到期前');
    expect([offsetMinutes('35', '0'), offsetMinutes('0', '0'), offsetMinutes('400', '1'), offsetMinutes('1.5', '0'), offsetMinutes('0', '24')]).toEqual([50400, null, null, null, null]);
    expect(offsetMinutes('400', '0')).toBe(576000);
  });

  it('asks the audit log for whole Shanghai days (to is the next midnight), also over a month end and a leap day', () => {
    expect(auditRange(['2026-12-01', '2026-12-07'])).toEqual({ from: '2026-12-01T00:00:00+08:00', to: '2026-12-08T00:00:00+08:00' });
    expect(auditRange(['2026-01-31', '2026-01-31']).to).toBe('2026-02-01T00:00:00+08:00');
    expect(auditRange(['2028-02-28', '2028-02-28']).to).toBe('2028-02-29T00:00:00+08:00');
    expect(auditRange(null)).toEqual({});
    expect([clientLookup('AAAAAAAAAAAAAAAAAAAAAA'), clientLookup('138 0013 8000'), clientLookup('王小美'), clientLookup('  ')])
      .toEqual([{ id: 'AAAAAAAAAAAAAAAAAAAAAA' }, { phone: '138 0013 8000' }, { name: '王小美' }, null]);
  });

  it('shows 设置 to every role admitted to one of its pages, and to no other', () => {
    for (const role of ['director', 'doctor', 'consultant', 'customer_service']) {
      const anyPage = SETTINGS_PAGES.some((p) => admits(p.operation, role));
      expect([role, admits(SETTINGS_MENU_OPERATION, role)]).toEqual([role, anyPage]);
    }
    for (const p of SETTINGS_PAGES) expect(p.operation in OPERATION_ROLES).toBe(true);
    expect(SETTINGS_PAGES.filter((p) => admits(p.operation, 'customer_service')).map((p) => p.path)).toEqual(['followups']);
  });
});
