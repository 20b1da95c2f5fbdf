import type { Deps } from '../../shared/deps';
import type { ClientsService } from '../clients';
import type { QuestionnairesService } from './questionnaires.service';
import type { Actor } from '../audit';

// The demo clients' answers to the default intent questionnaire: one lead of each kind (A, B, D), so
// the consultant's lead list and the doctor's view have something to show on `npm start`.
const COMMON = {
  expected_effect: ['natural'], downtime: 'week', budget_flex: 'some', health_general: 'good', chronic: ['none'], allergies: ['none'],
  medications: ['none'], pregnancy: 'no', past_experience: 'never', risk_understanding: 'clear', recovery_understanding: 'clear',
  maintenance: 'regular', result_expectation: 'varies', heard_from: ['xiaohongshu'], influences: ['doctor', 'safety'], motivation: ['confidence'],
  risk_attitude: 'balanced', preference: 'natural', decision_style: 'quick', visit: 'soon', eagerness: 9, timeline: 'within_1m',
};
const DEMO_ANSWERS: { openid: string; submissionId: string; answers: Record<string, unknown> }[] = [
  {
    openid: 'demo-openid-lin', submissionId: '5b0f3c1e-8d2a-4f6b-9c31-7e2d4a9b1c01',
    answers: { ...COMMON, areas: ['nose', 'skin'], area_detail: '鼻梁偏低，想自然一点', budget_max: 60000, budget_min: 30000, allergies: ['local_anesthetic'] },
  },
  {
    openid: 'demo-openid-wang', submissionId: '5b0f3c1e-8d2a-4f6b-9c31-7e2d4a9b1c02',
    answers: {
      ...COMMON, areas: ['eyes'], budget_max: 20000, timeline: 'within_3m', eagerness: 6, budget_flex: 'strict', visit: 'later',
      decision_style: 'compare', recovery_understanding: 'partly', past_experience: 'non_surgical', past_procedures: ['botulinum'], past_satisfaction: 'ok',
    },
  },
  {
    openid: 'demo-openid-chen', submissionId: '5b0f3c1e-8d2a-4f6b-9c31-7e2d4a9b1c03',
    answers: {
      ...COMMON, areas: ['body'], budget_max: 5000, timeline: 'undecided', eagerness: 3, budget_flex: 'strict', visit: 'online', downtime: 'none',
      decision_style: 'family', result_expectation: 'guaranteed',
    },
  },
];

/**
 * Demo only: each demo client gives the consents and submits the intent questionnaire once (fixed
 * submission ids, so a second start or a second instance changes nothing). Returns how many submitted.
 */
export async function seedDemoQuestionnaires(deps: Deps, services: { clients: ClientsService; questionnaires: QuestionnairesService }): Promise<number> {
  let submitted = 0;
  const [version] = await deps.db.query(
    "SELECT v.public_id FROM questionnaire_templates t JOIN questionnaire_versions v ON v.id = t.published_version_id WHERE t.code = 'intent'",
  );
  if (!version) return 0;
  for (const d of DEMO_ANSWERS) {
    const [client] = await deps.db.query(
      "SELECT c.id FROM clients c LEFT JOIN client_intents i ON i.client_id = c.id WHERE c.openid = ? AND c.status = 'active' AND i.client_id IS NULL",
      [d.openid],
    );
    if (!client) continue;
    const actor: Actor = { type: 'client', id: client.id, role: 'client', ip: null, requestId: null };
    for (const purpose of ['privacy', 'health'] as const) {
      const policyVersion = purpose === 'privacy' ? deps.config.policy.privacyVersion : deps.config.policy.healthConsentVersion;
      await services.clients.grantConsent(client.id, { purpose, policyVersion }, actor);
    }
    const res = await services.questionnaires.submit(client.id, 'intent', { submissionId: d.submissionId, versionId: version.public_id, answers: d.answers }, actor);
    if (!res.replayed) submitted++;
  }
  return submitted;
}
