import type { CaseGrade } from './feedback.entity';

/** The ten satisfaction indicators (DOMAIN.md: attitude, professionalism, environment…), each scored 1–5. */
export const INDICATORS = [
  'attitude', 'professionalism', 'environment', 'communication', 'waiting', 'explanation', 'painManagement', 'aftercare', 'value', 'privacy',
] as const;
export type Indicator = (typeof INDICATORS)[number];
export type IndicatorScores = Record<Indicator, number>;

/** How the mini-program labels each indicator. */
export const INDICATOR_LABELS: Record<Indicator, string> = {
  attitude: '服务态度',
  professionalism: '医生专业水平',
  environment: '就诊环境与卫生',
  communication: '术前沟通',
  waiting: '等候时间',
  explanation: '风险与费用说明',
  painManagement: '疼痛控制',
  aftercare: '术后关怀',
  value: '性价比',
  privacy: '隐私保护',
};

/** The column of each indicator in satisfaction_surveys. */
export const INDICATOR_COLUMNS: Record<Indicator, string> = {
  attitude: 'score_attitude',
  professionalism: 'score_professionalism',
  environment: 'score_environment',
  communication: 'score_communication',
  waiting: 'score_waiting',
  explanation: 'score_explanation',
  painManagement: 'score_pain_management',
  aftercare: 'score_aftercare',
  value: 'score_value',
  privacy: 'score_privacy',
};

/** Where review sharing counts. WeChat chats and Moments are left out on purpose: WeChat forbids rewarding shares (诱导分享). */
export const SHARE_CHANNELS = ['xiaohongshu', 'dianping', 'douyin', 'weibo', 'other'] as const;
export type ShareChannel = (typeof SHARE_CHANNELS)[number];

/** 投诉 categories a client picks from; the grade of the case follows from it. */
export const COMPLAINT_CATEGORIES = [
  'treatment_effect', 'complication', 'service_attitude', 'billing', 'waiting', 'environment', 'privacy', 'other',
] as const;
export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number];

// Medical outcomes and privacy breaches are the disputes (纠纷) that hurt most; they go first.
const COMPLAINT_GRADES: Record<ComplaintCategory, CaseGrade> = {
  treatment_effect: 'high',
  complication: 'high',
  privacy: 'high',
  service_attitude: 'medium',
  billing: 'medium',
  waiting: 'low',
  environment: 'low',
  other: 'low',
};

export interface CaseThresholds {
  /** NPS at or below this opens a case. */
  caseNpsAtMost: number;
  /** Any indicator at or below this opens a case. */
  caseIndicatorAtMost: number;
}

/** Standard NPS bands: promoters 9–10, detractors 0–6. */
export const PROMOTER_FROM = 9;
export const DETRACTOR_AT_MOST = 6;

/**
 * The grade of the case a survey answer opens, or null when it opens none. A very low NPS (0–3) or
 * an indicator at 1 is high; an NPS in the case band is medium; a low indicator alone is low.
 */
export function surveyCaseGrade(t: CaseThresholds, nps: number, indicators: Partial<IndicatorScores> | null): CaseGrade | null {
  const scores = indicators ? Object.values(indicators).filter((v): v is number => typeof v === 'number') : [];
  const lowest = scores.length ? Math.min(...scores) : null;
  const npsLow = nps <= t.caseNpsAtMost;
  const indicatorLow = lowest !== null && lowest <= t.caseIndicatorAtMost;
  if (!npsLow && !indicatorLow) return null;
  if (nps <= 3 || lowest === 1) return 'high';
  return npsLow ? 'medium' : 'low';
}

export function complaintGrade(category: ComplaintCategory): CaseGrade {
  return COMPLAINT_GRADES[category];
}

/** NPS = promoters% − detractors%, one decimal; null without answers. */
export function netPromoterScore(responses: number, promoters: number, detractors: number): number | null {
  if (!responses) return null;
  return Math.round(((promoters - detractors) * 1000) / responses) / 10;
}

/** The win-back vouchers a supervisor may choose from when resolving a case (their benefits: table voucher_rules). */
export const WINBACK_RULES = ['winback_amount', 'winback_percent', 'winback_care'] as const;
export type WinbackRule = (typeof WINBACK_RULES)[number];
