/**
 * Editing a questionnaire draft in the console: the checks worth making before sending (the API
 * checks everything else and answers per field), the API's problems placed by field, and the
 * small edits (a new question, a changed type) that keep a definition well-formed.
 */
import type { Question, Section } from './preview';

export const QUESTION_TYPE_LABELS: Record<string, string> = {
  single: '单选', multiple: '多选', body_area: '部位选择（多选）', scale: '打分', number: '数字', text: '短文本', textarea: '长文本', date: '日期',
};
const CHOICE = ['single', 'multiple', 'body_area'];
const ID = /^[a-z][a-z0-9_]{0,31}$/;
const VALUE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface EditableDefinition { title: string; intro?: string; sections: Section[]; rules?: unknown }

/** Problems found before sending, by field path (`sections.0.questions.2.title`), in Chinese. */
export function draftProblems(def: EditableDefinition): Record<string, string> {
  const out: Record<string, string> = {};
  const blank = (s: string | undefined) => !s || !s.trim();
  if (blank(def.title)) out.title = '请填写问卷标题';
  if (!def.sections.length) out.sections = '至少要有一个部分';
  const ids = new Set<string>();
  def.sections.forEach((s, si) => {
    if (blank(s.title)) out[`sections.${si}.title`] = '请填写部分标题';
    if (!s.questions.length) out[`sections.${si}.questions`] = '这个部分还没有题目';
    s.questions.forEach((q, qi) => {
      const p = `sections.${si}.questions.${qi}`;
      if (!ID.test(q.id)) out[`${p}.id`] = '题号只能用小写字母、数字和下划线，以字母开头';
      else if (ids.has(q.id)) out[`${p}.id`] = `题号 ${q.id} 重复了`;
      ids.add(q.id);
      if (blank(q.title)) out[`${p}.title`] = '请填写题目';
      if (CHOICE.includes(q.type)) {
        if (!q.options?.length) out[`${p}.options`] = '请至少添加一个选项';
        const values = new Set<string>();
        (q.options ?? []).forEach((o, oi) => {
          if (blank(o.label)) out[`${p}.options.${oi}.label`] = '请填写选项文字';
          if (!VALUE.test(o.value)) out[`${p}.options.${oi}.value`] = '选项代码只能用小写字母、数字、_ 和 -';
          else if (values.has(o.value)) out[`${p}.options.${oi}.value`] = `选项代码 ${o.value} 重复了`;
          values.add(o.value);
        });
      }
      if (q.type === 'scale' && (q.min === undefined || q.max === undefined)) out[`${p}.min`] = '打分题需要最小值和最大值';
      if (q.min !== undefined && q.max !== undefined && q.min > q.max) out[`${p}.min`] = '最小值不能大于最大值';
    });
  });
  return out;
}

/**
 * The API's QUESTIONNAIRE_DEFINITION_INVALID details (`body.definition.sections.0.questions.1.title`)
 * by the same paths as draftProblems; those that name no field of the editor (the rules) are listed apart.
 */
export function placeProblems(details: unknown, editorPaths: (path: string) => boolean): { byPath: Record<string, string>; other: string[] } {
  const byPath: Record<string, string> = {};
  const other: string[] = [];
  for (const d of Array.isArray(details) ? details : []) {
    const field = typeof d?.field === 'string' ? d.field.replace(/^body\.definition\.?/, '') : '';
    const message = typeof d?.message === 'string' ? d.message : '不正确';
    if (field && editorPaths(field)) byPath[field] = byPath[field] ? `${byPath[field]}；${message}` : message;
    else other.push(field ? `${field}: ${message}` : message);
  }
  return { byPath, other };
}

/** The problem of a question: its own fields' messages, joined (shown under the question). */
export function questionProblems(problems: Record<string, string>, si: number, qi: number): string[] {
  const prefix = `sections.${si}.questions.${qi}`;
  return Object.entries(problems).filter(([k]) => k === prefix || k.startsWith(`${prefix}.`)).map(([, v]) => v);
}

/** A new question with an id no other question has. */
export function newQuestion(def: EditableDefinition, type = 'single'): Question {
  const taken = new Set(def.sections.flatMap((s) => s.questions.map((q) => q.id)));
  let n = taken.size + 1;
  while (taken.has(`q${n}`)) n++;
  return retype({ id: `q${n}`, type: type as Question['type'], title: '' }, type);
}

/** A question moved to another type: options only on choices, ranges only where they mean something. */
export function retype(q: Question, type: string): Question {
  const next: Question = { ...q, type: type as Question['type'] };
  if (CHOICE.includes(type)) next.options = q.options?.length ? q.options : [{ value: 'a', label: '' }, { value: 'b', label: '' }];
  else delete next.options;
  if (type === 'scale') {
    next.min = q.min ?? 1;
    next.max = q.max ?? 5;
  }
  if (type === 'single' || type === 'date') {
    delete next.min;
    delete next.max;
  }
  for (const k of ['unit', 'decimals', 'moneyUnitFen', 'notAbove'] as const) if (type !== 'number' && !(k === 'unit' && type === 'scale')) delete next[k];
  for (const k of ['minLabel', 'maxLabel'] as const) if (type !== 'scale') delete next[k];
  if (type !== 'date') delete next.dateRange;
  return next;
}

/** An optional text field as typed: empty removes the key (the API refuses blank strings). */
export function setText<T extends object>(target: T, key: keyof T, value: string): void {
  if (value.trim() === '') delete target[key];
  else (target as Record<keyof T, unknown>)[key] = value;
}
