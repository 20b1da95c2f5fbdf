import { randomUUID } from 'node:crypto';
import type { TestContext } from './context';
import { bearer } from './factories';
import { SYSTEM_ACTOR, type Actor } from '../../src/modules/audit';
import { DEFAULT_INTENT_DEFINITION } from '../../migrations/1795400200000-Questionnaires';

/** The default intent questionnaire's published version (seeded by the migration with fixed ids). */
export const INTENT_VERSION_ID = 'hB3niM6JkomjdAkJjIFQFQ';
export const INTENT_TEMPLATE_ID = 'NLAo85ihEPKcueUaQkhbjA';

/** A deep copy of the default definition, to derive test templates from. */
export function intentDefinition(): any {
  return JSON.parse(JSON.stringify(DEFAULT_INTENT_DEFINITION));
}

/**
 * A complete, valid set of answers to the default intent questionnaire: a hot lead (grade A, score
 * 98) wanting nose and skin work with a 50 000 元 budget, allergic to local anaesthetics, on
 * anticoagulants, who had a filler before and was satisfied.
 */
export function intentAnswers(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const answers: Record<string, unknown> = {
    areas: ['nose', 'skin'],
    area_detail: '鼻梁偏低',
    expected_effect: ['natural'],
    downtime: 'week',
    timeline: 'within_1m',
    budget_max: 50000,
    budget_min: 20000,
    budget_flex: 'some',
    health_general: 'good',
    chronic: ['none'],
    allergies: ['local_anesthetic'],
    medications: ['anticoagulant'],
    pregnancy: 'no',
    past_experience: 'non_surgical',
    past_procedures: ['filler'],
    past_satisfaction: 'ok',
    risk_understanding: 'clear',
    recovery_understanding: 'clear',
    maintenance: 'regular',
    result_expectation: 'varies',
    heard_from: ['xiaohongshu'],
    influences: ['doctor', 'safety'],
    motivation: ['confidence'],
    eagerness: 9,
    risk_attitude: 'balanced',
    preference: 'natural',
    decision_style: 'quick',
    visit: 'soon',
    ...overrides,
  };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete answers[k];
  return answers;
}

/** Answers that grade as D: no hurry, a budget far below a nose job, not ready to visit. */
export function coldLeadAnswers(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return intentAnswers({
    areas: ['nose'], timeline: 'undecided', eagerness: 3, budget_max: 3000, budget_min: 1000, budget_flex: 'strict',
    visit: 'online', decision_style: 'family', recovery_understanding: 'none', ...overrides,
  });
}

/** Gives a client the current privacy and health-data consents (as the mini-program would before the health section). */
export async function giveHealthConsent(t: TestContext, clientId: number): Promise<void> {
  const actor: Actor = { type: 'client', id: clientId, role: 'client', ip: null, requestId: null };
  await t.services.clients.grantConsent(clientId, { purpose: 'privacy', policyVersion: t.config.policy.privacyVersion }, actor);
  await t.services.clients.grantConsent(clientId, { purpose: 'health', policyVersion: t.config.policy.healthConsentVersion }, actor);
}

/** POST a submission of the intent questionnaire (or another code) through the real route. */
export function submitIntent(
  t: TestContext, token: string, answers: Record<string, unknown>, opts: { submissionId?: string; versionId?: string; code?: string; agent?: TestContext['http'] } = {},
) {
  return (opts.agent ?? t.http)
    .post(`/api/mp/questionnaires/${opts.code ?? 'intent'}/submissions`)
    .set(bearer(token))
    .send({ submissionId: opts.submissionId ?? randomUUID(), versionId: opts.versionId ?? INTENT_VERSION_ID, answers });
}

let seq = 0;
/** A unique template code, so tests that publish versions never touch the shared 'intent' template. */
export function uniqueCode(prefix = 'tq'): string {
  return `${prefix}_${Date.now().toString(36)}${(seq++).toString(36)}${Math.random().toString(36).slice(2, 5)}`;
}

/** A director actor for service calls. */
export function directorActor(staffId: number): Actor {
  return { type: 'staff', id: staffId, role: 'director', ip: null, requestId: null };
}

/** Creates and publishes a template of its own (default definition unless given); returns its code and version id. */
export async function publishedTemplate(t: TestContext, definition: any = intentDefinition(), actor: Actor = SYSTEM_ACTOR): Promise<{ code: string; templateId: string; versionId: string }> {
  const code = uniqueCode();
  const tpl = await t.services.questionnaires.createTemplate(actor, { code, definition });
  const versionId = tpl.versions[0].id;
  await t.services.questionnaires.publish(actor, versionId);
  return { code, templateId: tpl.id, versionId };
}
