/**
 * The small print under a question: how many to pick, the number range, a big budget in 万.
 * Pure (no wx): the staff console's questionnaire preview shows the same words as the phone.
 */
/** The component receives any template's question, so the type is a plain string here. */
interface Ranged { type: string; min?: number; max?: number; unit?: string }

export function hintOf(q: Ranged): string {
  if (q.type === 'multiple' || q.type === 'body_area') {
    if (q.max !== undefined && q.max === q.min) return `请选择 ${q.max} 项`;
    if (q.max !== undefined) return `可多选，最多 ${q.max} 项`;
    return '可多选';
  }
  if (q.type === 'number' && q.min !== undefined && q.max !== undefined) return `${q.min}–${q.max}${q.unit ?? ''}`;
  return '';
}

/** 50000 元 → 5万元: big budgets are easier to check in 万. */
export function readable(q: Ranged, v: unknown): string {
  if (typeof v !== 'number' || q.unit !== '元' || v < 10000) return '';
  return `约 ${Math.round(v / 100) / 100} 万元`;
}

interface Pickable { max?: number; options?: { value: string; none?: boolean }[] }

/**
 * The answer after tapping an option of a multiple choice: a tap on a picked option unpicks it;
 * "none of these" stands alone (picking it clears the others, picking another clears it); past
 * `max` nothing changes (`tooMany`). The template's order is kept, so the answer reads like the list.
 */
export function toggleOption(q: Pickable, picked: string[], value: string): { answer: string[] } | { tooMany: number } | null {
  const options = q.options ?? [];
  if (picked.includes(value)) return { answer: picked.filter((x) => x !== value) };
  const option = options.find((o) => o.value === value);
  if (!option) return null;
  if (option.none) return { answer: [value] };
  const rest = picked.filter((x) => !options.some((o) => o.value === x && o.none));
  if (q.max !== undefined && rest.length >= q.max) return { tooMany: q.max };
  return { answer: options.map((o) => o.value).filter((x) => x === value || rest.includes(x)) };
}
