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
