/**
 * 满意度 and 投诉: the satisfaction surveys after a procedure (ten indicators 1–5 and NPS 0–10),
 * sharing a good experience, and complaints (/api/mp/surveys, /api/mp/complaints).
 */
import { request } from '../utils/request';
import { newRequestId } from './questionnaire';

export const INDICATORS = [
  'attitude', 'professionalism', 'environment', 'communication', 'waiting', 'explanation', 'painManagement', 'aftercare', 'value', 'privacy',
] as const;
export type Indicator = (typeof INDICATORS)[number];

export interface Survey {
  id: string;
  status: 'open' | 'answered' | 'expired';
  expiresAt: string;
  order: { id: string; paidAt: string | null; doctor: { name: string } | null; projects: { id: string; name: string }[] };
  questions: { key: Indicator; label: string }[];
  answer: { indicators: Record<Indicator, number> | null; nps: number; comment: string | null; answeredAt: string; via: 'miniprogram' | 'bot' } | null;
  /** A promoter (NPS 9–10) who has not shared yet. */
  canShare: boolean;
  sharedAt: string | null;
}

/** Where a shared experience counts; WeChat chats and Moments are left out (WeChat forbids rewarding shares). */
export const SHARE_CHANNELS: { value: string; label: string }[] = [
  { value: 'xiaohongshu', label: '小红书' },
  { value: 'dianping', label: '大众点评' },
  { value: 'douyin', label: '抖音' },
  { value: 'weibo', label: '微博' },
  { value: 'other', label: '其他平台' },
];

export type ComplaintCategory = 'treatment_effect' | 'complication' | 'service_attitude' | 'billing' | 'waiting' | 'environment' | 'privacy' | 'other';

export const COMPLAINT_CATEGORIES: { value: ComplaintCategory; label: string }[] = [
  { value: 'treatment_effect', label: '治疗效果' },
  { value: 'complication', label: '术后不适或并发症' },
  { value: 'service_attitude', label: '服务态度' },
  { value: 'billing', label: '收费问题' },
  { value: 'waiting', label: '等候时间' },
  { value: 'environment', label: '就诊环境' },
  { value: 'privacy', label: '隐私保护' },
  { value: 'other', label: '其他' },
];

export interface Complaint {
  id: string;
  category: ComplaintCategory | null;
  status: 'open' | 'resolved';
  createdAt: string;
  resolvedAt: string | null;
}

export function listSurveys(): Promise<{ items: Survey[] }> {
  return request<{ items: Survey[] }>({ path: '/api/mp/surveys' });
}

export function getSurvey(id: string): Promise<Survey> {
  return request<Survey>({ path: `/api/mp/surveys/${encodeURIComponent(id)}` });
}

/** Answers once; the same answer again replays, so a retry is safe. */
export function answerSurvey(id: string, body: { indicators: Record<Indicator, number>; nps: number; comment?: string }): Promise<{ survey: Survey; replayed: boolean }> {
  return request<{ survey: Survey; replayed: boolean }>({ method: 'POST', path: `/api/mp/surveys/${encodeURIComponent(id)}/answers`, data: body, idempotent: true });
}

/** Records where a promoter shared their experience; the points come once. */
export function shareSurvey(id: string, channel: string): Promise<{ sharedAt: string; channel: string; points: number; replayed: boolean }> {
  return request({ method: 'POST', path: `/api/mp/surveys/${encodeURIComponent(id)}/share`, data: { channel }, idempotent: true });
}

/** Files a complaint; `requestId` (kept by the page until success) makes a retry harmless. */
export function fileComplaint(body: { category: ComplaintCategory; text: string; orderId?: string; requestId: string }): Promise<{ complaint: Complaint; replayed: boolean }> {
  return request<{ complaint: Complaint; replayed: boolean }>({ method: 'POST', path: '/api/mp/complaints', data: body, idempotent: true });
}

export function listComplaints(): Promise<{ items: Complaint[] }> {
  return request<{ items: Complaint[] }>({ path: '/api/mp/complaints' });
}

export { newRequestId };
