/**
 * 我的方案: the doctor's plans (/api/mp/plans), asking for a change, accepting a revision with an
 * appointment (which creates the intent letter 意向书), and reading the letter.
 */
import { request } from '../utils/request';
import type { ApiBody, ApiOk, ItemOf } from './api';

export type Plans = ApiOk<'/api/mp/plans'>;
export type PlanSummary = ItemOf<Plans>;
export type PlanStatus = PlanSummary['status'];
export type Plan = ApiOk<'/api/mp/plans/{id}'>;
export type PlanRevision = Plan['revision'];
export type PlanOption = NonNullable<PlanRevision['options']['surgical']>;
export type ChangeRequest = ItemOf<Plan['changeRequests']>;
/** The letter with the frozen copy of what the client accepted (`snapshot`) and the appointment as it is now. */
export type IntentLetter = ApiOk<'/api/mp/intent-letters/{id}'>;

export function listPlans(): Promise<Plans> {
  return request<Plans>({ path: '/api/mp/plans' });
}

/** One plan at its current revision, or at an earlier revision the doctor showed. */
export function getPlan(id: string, revision?: number): Promise<Plan> {
  return request<Plan>({ path: `/api/mp/plans/${encodeURIComponent(id)}`, query: { revision } });
}

/** Asks the doctor to change the revision shown. Not retried: a second comment would be a second request. */
export function requestChange(id: string, body: ApiBody<'/api/mp/plans/{id}/change-requests', 'post'>): Promise<ApiOk<'/api/mp/plans/{id}/change-requests', 'post'>> {
  return request<ApiOk<'/api/mp/plans/{id}/change-requests', 'post'>>({ method: 'POST', path: `/api/mp/plans/${encodeURIComponent(id)}/change-requests`, data: body });
}

/**
 * Accepts the revision shown and asks for an appointment (`at` with its +08:00 offset). Safe to
 * retry: a second acceptance is refused (409 PLAN_ALREADY_ACCEPTED) with the letter's id.
 */
export function acceptPlan(id: string, body: ApiBody<'/api/mp/plans/{id}/accept', 'post'>): Promise<ApiOk<'/api/mp/plans/{id}/accept', 'post'>> {
  return request<ApiOk<'/api/mp/plans/{id}/accept', 'post'>>({ method: 'POST', path: `/api/mp/plans/${encodeURIComponent(id)}/accept`, data: body, idempotent: true });
}

export function getLetter(id: string): Promise<IntentLetter> {
  return request<IntentLetter>({ path: `/api/mp/intent-letters/${encodeURIComponent(id)}` });
}
