/**
 * 满意度 and 投诉: the satisfaction surveys after a procedure (ten indicators 1–5 and NPS 0–10),
 * sharing a good experience, and complaints (/api/mp/surveys, /api/mp/complaints).
 */
import { request } from '../utils/request';
import { newRequestId } from './questionnaire';
import type { ApiBody, ApiOk } from './api';

export type Survey = ApiOk<'/api/mp/surveys/{id}'>;
/** The survey's indicators (1–5 each) as the API names them. */
export type Indicator = Survey['questions'][number]['key'];
export type SurveyAnswer = ApiBody<'/api/mp/surveys/{id}/answers', 'post'>;
export type ShareChannel = ApiBody<'/api/mp/surveys/{id}/share', 'post'>['channel'];

/** Where a shared experience counts; WeChat chats and Moments are left out (WeChat forbids rewarding shares). */
export const SHARE_CHANNELS: { value: ShareChannel; label: string }[] = [
  { value: 'xiaohongshu', label: '小红书' },
  { value: 'dianping', label: '大众点评' },
  { value: 'douyin', label: '抖音' },
  { value: 'weibo', label: '微博' },
  { value: 'other', label: '其他平台' },
];

export type ComplaintRequest = ApiBody<'/api/mp/complaints', 'post'>;
export type ComplaintCategory = ComplaintRequest['category'];

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

export type Complaints = ApiOk<'/api/mp/complaints'>;
export type Complaint = Complaints['items'][number];

export function listSurveys(): Promise<ApiOk<'/api/mp/surveys'>> {
  return request<ApiOk<'/api/mp/surveys'>>({ path: '/api/mp/surveys' });
}

export function getSurvey(id: string): Promise<Survey> {
  return request<Survey>({ path: `/api/mp/surveys/${encodeURIComponent(id)}` });
}

/** Answers once; the same answer again replays, so a retry is safe. */
export function answerSurvey(id: string, body: SurveyAnswer): Promise<ApiOk<'/api/mp/surveys/{id}/answers', 'post'>> {
  return request<ApiOk<'/api/mp/surveys/{id}/answers', 'post'>>({ method: 'POST', path: `/api/mp/surveys/${encodeURIComponent(id)}/answers`, data: body, idempotent: true });
}

/** Records where a promoter shared their experience; the points come once. */
export function shareSurvey(id: string, channel: ShareChannel): Promise<ApiOk<'/api/mp/surveys/{id}/share', 'post'>> {
  return request<ApiOk<'/api/mp/surveys/{id}/share', 'post'>>({ method: 'POST', path: `/api/mp/surveys/${encodeURIComponent(id)}/share`, data: { channel }, idempotent: true });
}

/** Files a complaint; `requestId` (kept by the page until success) makes a retry harmless. */
export function fileComplaint(body: ComplaintRequest): Promise<ApiOk<'/api/mp/complaints', 'post'>> {
  return request<ApiOk<'/api/mp/complaints', 'post'>>({ method: 'POST', path: '/api/mp/complaints', data: body, idempotent: true });
}

export function listComplaints(): Promise<Complaints> {
  return request<Complaints>({ path: '/api/mp/complaints' });
}

export { newRequestId };
