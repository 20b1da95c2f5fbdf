/**
 * Helpers for the consultation pages' tests (packageSurvey): the questionnaire templates as the
 * API serves them, and driving question components from a rendered page.
 */
import { DEFAULT_INTENT_DEFINITION } from '../../../migrations/1795400200000-Questionnaires';
import type { JComponent, RenderOptions, Rendered } from '../helpers/render';
import { mpModule, renderPage } from '../helpers/render';

export const INTENT_VERSION_ID = 'hB3niM6JkomjdAkJjIFQFQ';

/** GET /api/mp/questionnaires/intent as the API answers it: the default definition without its rules. */
export function intentTemplate(): any {
  const { rules: _rules, ...def } = JSON.parse(JSON.stringify(DEFAULT_INTENT_DEFINITION));
  return { code: 'intent', versionId: INTENT_VERSION_ID, version: 1, healthConsentRequired: true, ...def };
}

/** A small template with one question of every type and a show-if. */
export function allTypesTemplate(): any {
  return {
    code: 'intent',
    versionId: 'AllTypesVersion0000001',
    version: 3,
    title: '测试问卷',
    intro: '测试用',
    healthConsentRequired: false,
    sections: [
      {
        id: 'one',
        title: '第一部分',
        questions: [
          { id: 'pick', type: 'single', title: '单选题', required: true, options: [{ value: 'yes', label: '是' }, { value: 'no', label: '否' }] },
          { id: 'why', type: 'text', title: '为什么选是？', required: true, max: 20, showIf: { q: 'pick', in: ['yes'] } },
          {
            id: 'many', type: 'multiple', title: '多选题', required: true, min: 1, max: 2,
            options: [{ value: 'a', label: '甲' }, { value: 'b', label: '乙' }, { value: 'c', label: '丙' }, { value: 'none', label: '都没有', none: true }],
          },
          { id: 'eager', type: 'scale', title: '打分题', required: true, min: 1, max: 10, minLabel: '一般', maxLabel: '非常' },
          { id: 'budget', type: 'number', title: '数字题', required: true, unit: '元', moneyUnitFen: 100, min: 0, max: 100000 },
          { id: 'nick', type: 'text', title: '短文本题', max: 10 },
          { id: 'story', type: 'textarea', title: '长文本题', max: 300 },
          { id: 'when', type: 'date', title: '日期题', dateRange: 'future' },
          {
            id: 'areas', type: 'body_area', title: '部位题', required: true, min: 1, max: 3,
            options: [{ value: 'nose', label: '鼻部' }, { value: 'eyes', label: '眼部' }, { value: 'body', label: '身体（吸脂、塑形）' }, { value: 'scalp', label: '头皮' }],
          },
        ],
      },
      {
        id: 'two',
        title: '第二部分',
        questions: [{ id: 'last', type: 'single', title: '最后一题', required: true, options: [{ value: 'ok', label: '好' }] }],
      },
    ],
  };
}

/** A draft as GET/PUT …/draft answer it. */
export function draft(answers: Record<string, unknown> = {}, over: Record<string, unknown> = {}): any {
  return { versionId: INTENT_VERSION_ID, answers, revision: Object.keys(answers).length ? 3 : 0, startedAt: null, updatedAt: null, submitted: false, carriedOver: false, ...over };
}

/** GET /api/mp/me with or without the privacy and health consents. */
export function profile(consented: boolean): any {
  const c = consented ? { policyVersion: '2026-01', current: true } : null;
  return {
    id: 'ClientPublicId00000001', name: null, gender: 'female', birthDate: '1995-05-01', phone: null, address: null, referralCode: 'K7M2P9QX',
    stage: 'lead', consents: { privacy: c, health: c, guardian: null },
  };
}

/** Sets the page timings (autosave quiet time, request retry waits) to 0 so tests never wait. */
export function noWaiting(): void {
  mpModule<{ timing: { autosaveMs: number } }>('packageSurvey/lib/form').timing.autosaveMs = 0;
  mpModule<{ config: { retryDelaysMs: number[] } }>('utils/config').config.retryDelaysMs = [0, 0];
}

/** renderPage() with the page timings at 0 and, for end-to-end tests, the API's base URL. */
export function render(pagePath: string, opts: RenderOptions & { baseUrl?: string } = {}): Promise<Rendered> {
  noWaiting();
  if (opts.baseUrl) mpModule<{ setBaseUrl(url: string): void }>('utils/request').setBaseUrl(opts.baseUrl);
  return renderPage(pagePath, opts);
}

/** A mini-program module (e.g. 'services/me') talking to `baseUrl`. */
export function mpService<T>(modulePath: string, baseUrl: string): T {
  noWaiting();
  mpModule<{ setBaseUrl(url: string): void }>('utils/request').setBaseUrl(baseUrl);
  return mpModule<T>(modulePath);
}

/**
 * Waits until `done()` holds: answers of the API, the retries' waits and the promise chains after
 * them all run on their own time, which a single flush does not cover. Fails after 15 s.
 */
export async function until(page: Rendered, done: () => boolean, what = 'the page to settle'): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.flush();
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until every request is answered and the page is not saving or submitting. */
export function settled(page: Rendered): Promise<void> {
  return until(page, () => page.wx.calls.length === page.wx.answered && page.data.saveState !== 'saving' && !page.data.submitting, 'requests to finish');
}

/** The question component showing question `id`. */
export function question(page: Rendered, id: string): JComponent {
  const found = page.comp.querySelectorAll('.qi').find((c) => c.instance.data.question?.id === id);
  if (!found) throw new Error(`question ${id} is not shown; shown: ${page.comp.querySelectorAll('.qi').map((c) => c.instance.data.question?.id).join(', ')}`);
  return found;
}

export function shownQuestions(page: Rendered): string[] {
  return page.comp.querySelectorAll('.qi').map((c) => c.instance.data.question.id as string);
}

function textOf(c: JComponent): string {
  return (c.dom.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** The message under a question ('' when none). */
export function errorOf(page: Rendered, id: string): string {
  const el = question(page, id).querySelector('.q-error');
  return el ? textOf(el) : '';
}

/** Taps the option with this label (single, multiple, or a body-area chip). */
export async function choose(page: Rendered, id: string, label: string): Promise<void> {
  const q = question(page, id);
  const host = q.querySelector('.q-body-area');
  const options = host ? host.querySelectorAll('.area-chip') : q.querySelectorAll('.q-option');
  const option = options.find((o) => textOf(o).replace(/^✓ /, '') === label);
  if (!option) throw new Error(`question ${id} has no option ${label}; options: ${options.map(textOf).join(' | ')}`);
  option.dispatchEvent('tap');
  await page.flush();
}

export async function scale(page: Rendered, id: string, n: number): Promise<void> {
  const point = question(page, id).querySelectorAll('.q-scale-point').find((p) => textOf(p) === String(n));
  if (!point) throw new Error(`question ${id} has no point ${n}`);
  point.dispatchEvent('tap');
  await page.flush();
}

/** Types into a number, text or textarea question. */
export async function type(page: Rendered, id: string, value: string): Promise<void> {
  const field = question(page, id).querySelector('.q-input') ?? question(page, id).querySelector('.q-textarea');
  if (!field) throw new Error(`question ${id} has no input`);
  (field.dom as unknown as { value: string }).value = value;
  field.dispatchEvent('input', { detail: { value, cursor: value.length } });
  await page.flush();
}

/**
 * Answers the shown questions of the current section that `answers` has, the way a client does:
 * taps on options and scale points, typing into fields, picking dates.
 */
export async function answerShown(page: Rendered, answers: Record<string, unknown>): Promise<string[]> {
  const done: string[] = [];
  // An answer may open follow-up questions (show-if): look again after each one.
  for (let id = next(); id; id = next()) {
    const q = question(page, id).instance.data.question as { type: string; options?: { value: string; label: string }[] };
    const v = answers[id];
    const label = (value: string) => q.options!.find((o) => o.value === value)!.label;
    switch (q.type) {
      case 'single':
        await choose(page, id, label(v as string));
        break;
      case 'multiple':
      case 'body_area':
        for (const x of v as string[]) await choose(page, id, label(x));
        break;
      case 'scale':
        await scale(page, id, v as number);
        break;
      case 'date':
        await pickDate(page, id, v as string);
        break;
      default:
        await type(page, id, String(v));
    }
    done.push(id);
  }
  return done;

  function next(): string | undefined {
    return shownQuestions(page).find((id) => id in answers && !done.includes(id));
  }
}

export async function pickDate(page: Rendered, id: string, value: string): Promise<void> {
  const picker = question(page, id).querySelector('.q-picker');
  if (!picker) throw new Error(`question ${id} has no date picker`);
  picker.dispatchEvent('change', { detail: { value } });
  await page.flush();
}
