/**
 * 我的方案: the doctor's plans (/api/mp/plans), asking for a change, accepting a revision with an
 * appointment (which creates the intent letter 意向书), and reading the letter.
 */
import { request } from '../utils/request';
import type { Appointment, AppointmentKind } from './appointments';

export type PlanStatus = 'draft' | 'proposed' | 'change_requested' | 'accepted' | 'withdrawn';

export interface PlanOption {
  projectCodes?: string[];
  description: string;
}

export interface PlanSummary {
  id: string;
  status: PlanStatus;
  currentRevision: number;
  acceptedRevision: number | null;
  priceMinFen: number;
  priceMaxFen: number;
  proposedAt: string | null;
  acceptedAt: string | null;
  updatedAt: string;
  doctor: { name: string } | null;
}

export interface PlanRevision {
  revision: number;
  options: { surgical?: PlanOption; nonSurgical?: PlanOption };
  priceMinFen: number;
  priceMaxFen: number;
  recoveryDays: number;
  riskPlan?: string | null;
  createdAt: string;
  proposedAt: string | null;
}

export interface ChangeRequest {
  id: string;
  revision: number;
  comment: string | null;
  createdAt: string;
}

export interface Plan extends PlanSummary {
  revision: PlanRevision;
  revisions: { revision: number; proposedAt: string | null }[];
  changeRequests: ChangeRequest[];
  letterId: string | null;
}

export interface IntentLetter {
  id: string;
  planId: string;
  revision: number;
  confirmedAt: string;
  /** The frozen copy of what the client accepted. */
  snapshot: {
    planId: string;
    revision: number;
    doctor: { name: string } | null;
    options: { surgical?: PlanOption; nonSurgical?: PlanOption };
    priceMinFen: number;
    priceMaxFen: number;
    recoveryDays: number;
    riskPlan: string | null;
    proposedAt: string | null;
    confirmedAt: string;
    appointment: { id: string; kind: AppointmentKind; at: string; durationMinutes: number };
  } | null;
  /** The appointment as it is now (it may have been confirmed or moved since). */
  appointment: Appointment | null;
}

export function listPlans(): Promise<{ items: PlanSummary[] }> {
  return request<{ items: PlanSummary[] }>({ path: '/api/mp/plans' });
}

/** One plan at its current revision, or at an earlier revision the doctor showed. */
export function getPlan(id: string, revision?: number): Promise<Plan> {
  return request<Plan>({ path: `/api/mp/plans/${encodeURIComponent(id)}`, query: { revision } });
}

/** Asks the doctor to change the revision shown. Not retried: a second comment would be a second request. */
export function requestChange(id: string, body: { revision: number; comment: string }): Promise<Plan> {
  return request<Plan>({ method: 'POST', path: `/api/mp/plans/${encodeURIComponent(id)}/change-requests`, data: body });
}

/**
 * Accepts the revision shown and asks for an appointment (`at` with its +08:00 offset). Safe to
 * retry: a second acceptance is refused (409 PLAN_ALREADY_ACCEPTED) with the letter's id.
 */
export function acceptPlan(id: string, body: { revision: number; appointment: { at: string; kind: AppointmentKind; note?: string } }): Promise<IntentLetter> {
  return request<IntentLetter>({ method: 'POST', path: `/api/mp/plans/${encodeURIComponent(id)}/accept`, data: body, idempotent: true });
}

export function getLetter(id: string): Promise<IntentLetter> {
  return request<IntentLetter>({ path: `/api/mp/intent-letters/${encodeURIComponent(id)}` });
}
