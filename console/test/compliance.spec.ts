import { describe, expect, it } from 'vitest';
import { categoryLabel, highlightSegments } from '../src/composables/compliance';

describe('highlighting the banned wording the compliance check found', () => {
  it('marks each occurrence with its category, the rest stays plain', () => {
    const segs = highlightSegments('保证效果，保证满意！', [{ category: 'guaranteed_effect', words: ['保证'] }]);
    expect(segs).toEqual([
      { text: '保证', category: 'guaranteed_effect', word: '保证' }, { text: '效果，', category: null },
      { text: '保证', category: 'guaranteed_effect', word: '保证' }, { text: '满意！', category: null },
    ]);
  });

  it('prefers the longer word where two overlap, and keeps emoji and surrounding text whole', () => {
    const segs = highlightSegments('🌸看前后对比图😊', [{ category: 'before_after', words: ['前后对比', '对比图'] }]);
    expect(segs.map((s) => s.text).join('')).toBe('🌸看前后对比图😊');
    expect(segs.filter((s) => s.category)).toEqual([{ text: '前后对比', category: 'before_after', word: '前后对比' }]);
  });

  it('marks words of several categories, in text order; nothing to mark gives the text back as one plain piece', () => {
    const segs = highlightSegments('全网最低价，不整就没人爱', [{ category: 'absolute_terms', words: ['全网', '最'] }, { category: 'appearance_anxiety', words: ['不整就', '没人爱'] }]);
    expect(segs.filter((s) => s.category).map((s) => `${s.text}:${categoryLabel(s.category!)}`)).toEqual(['全网:绝对化用语', '最:绝对化用语', '不整就:制造容貌焦虑', '没人爱:制造容貌焦虑']);
    expect(highlightSegments('温和护肤', [])).toEqual([{ text: '温和护肤', category: null }]);
    expect(highlightSegments('', [{ category: 'x', words: [''] }])).toEqual([]);
  });
});
