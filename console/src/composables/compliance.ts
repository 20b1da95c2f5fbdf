/** The advertising rules' categories as the desk reads them (医疗广告管理办法). */
export const CATEGORY_LABELS: Record<string, string> = {
  guaranteed_effect: '承诺疗效', absolute_terms: '绝对化用语', before_after: '术前术后对比', testimonial: '患者证言', appearance_anxiety: '制造容貌焦虑',
};
export const categoryLabel = (c: string) => CATEGORY_LABELS[c] ?? c;

export interface Violation { category: string; words: string[] }
export interface Segment { text: string; category: string | null; word?: string }

/**
 * The text cut into plain and offending pieces for highlighting: each banned word the API found is
 * marked where it stands, longer words first so "前后对比" is one mark, not "前后" inside it; marks
 * never overlap. Only words the API reported are marked (the API masks allowed phrases such as
 * "最近" before looking, so "最" alone is reported only when it stands outside them).
 */
export function highlightSegments(text: string, violations: Violation[]): Segment[] {
  const words = violations.flatMap((v) => v.words.map((word) => ({ word, category: v.category }))).filter((w) => w.word).sort((a, b) => b.word.length - a.word.length);
  const marks: { start: number; end: number; category: string; word: string }[] = [];
  for (const w of words) {
    for (let at = text.indexOf(w.word); at >= 0; at = text.indexOf(w.word, at + w.word.length)) {
      const end = at + w.word.length;
      if (!marks.some((m) => at < m.end && end > m.start)) marks.push({ start: at, end, category: w.category, word: w.word });
    }
  }
  marks.sort((a, b) => a.start - b.start);
  const out: Segment[] = [];
  let pos = 0;
  for (const m of marks) {
    if (m.start > pos) out.push({ text: text.slice(pos, m.start), category: null });
    out.push({ text: text.slice(m.start, m.end), category: m.category, word: m.word });
    pos = m.end;
  }
  if (pos < text.length) out.push({ text: text.slice(pos), category: null });
  return out;
}
