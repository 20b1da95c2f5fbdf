/**
 * One-time subscription messages 订阅消息: the template ids the API sends reminders with, and the
 * report of what wx.requestSubscribeMessage answered (POST /api/mp/subscriptions), so a reminder
 * can reach a client who is not a WeCom contact.
 */
import { request } from '../utils/request';
import type { ApiBody, ApiOk } from './api';

/**
 * Template ids as configured on the API: `followup` is CARE_SUBSCRIBE_TEMPLATE_ID, the template of
 * the follow-up reminders (and RFM offers) the API sends to clients who are not WeCom contacts.
 * Set it to the id from the mini-program admin console (订阅消息); both sides must agree.
 */
export const REMINDER_TEMPLATES = {
  followup: 'followup-reminder',
};

/** What wx.requestSubscribeMessage answers per template, as the API accepts it. */
export type SubscribeResult = ApiBody<'/api/mp/subscriptions', 'post'>['result'];
const RESULTS: SubscribeResult[] = ['accept', 'acceptWithAudio', 'acceptWithAlert', 'reject', 'ban', 'filter'];

export type SubscriptionCredit = ApiOk<'/api/mp/subscriptions', 'post'>;

export function isAccepted(result: string): boolean {
  return result === 'accept' || result === 'acceptWithAudio' || result === 'acceptWithAlert';
}

/** The per-template answers of a wx.requestSubscribeMessage success, ignoring errMsg and unknown values. */
export function resultsOf(res: Record<string, unknown>, tmplIds: string[]): Record<string, SubscribeResult> {
  const out: Record<string, SubscribeResult> = {};
  for (const id of tmplIds) {
    const r = res[id];
    if (typeof r === 'string' && (RESULTS as string[]).includes(r)) out[id] = r as SubscribeResult;
  }
  return out;
}

/** Tells the API what the client answered for one template (accept = one reminder allowed). */
export function reportSubscription(templateId: string, result: SubscribeResult): Promise<SubscriptionCredit> {
  // Not idempotent: each accept is one more credit, so a network retry could grant two.
  return request<SubscriptionCredit>({ method: 'POST', path: '/api/mp/subscriptions', data: { templateId, result } });
}

export function getSubscriptions(): Promise<ApiOk<'/api/mp/subscriptions'>> {
  return request<ApiOk<'/api/mp/subscriptions'>>({ path: '/api/mp/subscriptions' });
}
