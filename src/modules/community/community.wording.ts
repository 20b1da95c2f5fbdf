import fs from 'node:fs';
import Joi from 'joi';

/**
 * Wording mainland advertising rules forbid in medical-aesthetics ads (DOMAIN.md, community; 广告法,
 * 医疗广告管理办法, 医疗美容广告执法指南), by category. `allowed` lists everyday phrases that contain a
 * banned word but make no claim ("最近", "第一次"); they are masked before matching.
 */
export interface BannedWording {
  categories: Record<string, string[]>;
  allowed: string[];
}

export const DEFAULT_BANNED_WORDING: BannedWording = {
  categories: {
    guaranteed_effect: [
      '保证', '确保', '包治', '根治', '永久', '永不反弹', '不反弹', '无效退款', '不满意退款', '百分百', '100%', '零风险', '无风险', '无副作用',
      '无痛', '立竿见影', '一次见效', '治愈率', '有效率', '药到病除',
    ],
    absolute_terms: [
      '最', '第一', '国家级', '世界级', '顶级', '唯一', '首选', '首家', '首个', '独家', '极致', '王牌', '全网', '领先', '史无前例', '万能', '权威', '金牌',
    ],
    before_after: ['术前术后', '前后对比', '对比图', '效果对比', '改善前后', '治疗前后', '使用前后', '前后变化', '对比照'],
    testimonial: ['体验官', '患者证言', '顾客证言', '亲身经历', '真实案例', '真人案例', '案例分享', '客户评价', '见证', '口碑推荐', '素人改造'],
    appearance_anxiety: ['丑', '自卑', '颜值焦虑', '容貌焦虑', '外貌焦虑', '不整就', '没人爱', '嫁不出去', '整容改命', '颜值即正义', '丑小鸭', '不敢见人'],
  },
  allowed: ['最近', '最后', '最终', '最新消息', '第一次', '第一天', '第一步', '第一周', '第一期'],
};

const fileSchema = Joi.object({
  categories: Joi.object()
    .pattern(Joi.string().pattern(/^[a-z][a-z0-9_]{0,31}$/), Joi.array().items(Joi.string().trim().min(1).max(32)).min(1).required())
    .min(1)
    .required(),
  allowed: Joi.array().items(Joi.string().trim().min(1).max(32)).default([]),
}).required();

/** The banned wording: the JSON file named by COMMUNITY_BANNED_WORDING_FILE, or the built-in list. Throws naming the file's problems. */
export function loadBannedWording(file: string | null): BannedWording {
  if (!file) return DEFAULT_BANNED_WORDING;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`COMMUNITY_BANNED_WORDING_FILE ${file} cannot be read as JSON: ${(err as Error).message}`);
  }
  const { value, error } = fileSchema.validate(raw, { abortEarly: false });
  if (error) throw new Error(`COMMUNITY_BANNED_WORDING_FILE ${file}: ${error.details.map((d) => d.message).join('; ')}`);
  return value as BannedWording;
}

// Full-width forms, case, spaces and filler symbols are not a way around the list ("保 证", "１００％", "最*好").
function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\u200b-\u200d\ufeff*·•_~|\\/\-.,，。、!！?？:：;；"'“”‘’()（）【】[\]<>《》]+/g, '');
}

/** Each category with the banned words found in `texts` (categories and words in list order); empty when compliant. */
export function findBannedWording(list: BannedWording, texts: string[]): { category: string; words: string[] }[] {
  let haystack = texts.map(normalize).join('\n');
  // Allowed phrases are masked first, longest first, so "最近" does not count as "最".
  for (const phrase of [...list.allowed].map(normalize).sort((a, b) => b.length - a.length)) {
    if (phrase) haystack = haystack.split(phrase).join('\u0000'.repeat(phrase.length));
  }
  const violations: { category: string; words: string[] }[] = [];
  for (const [category, words] of Object.entries(list.categories)) {
    const found = [...new Set(words.filter((w) => normalize(w) && haystack.includes(normalize(w))))];
    if (found.length) violations.push({ category, words: found });
  }
  return violations;
}
