import type { TestContext } from './context';
import { bearer, clientToken, createClient, createStaff, staffToken } from './factories';
import type { Client } from '../../src/modules/clients/clients.entity';
import type { Staff } from '../../src/modules/staff/staff.entity';
import { publicId } from '../../src/shared/crypto';
import { SHANGHAI_OFFSET_MS } from '../../src/shared/clock';

const DAY = 86400_000;

/** A plan body as a doctor would write it; every field can be overridden. */
export function planBody(overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    analysis: {
      reasonableness: '期望与面部条件基本相符',
      feasibility: '鼻背低平，假体隆鼻可行',
      risk: '青霉素过敏史，术前需皮试替代方案',
      expectationMatch: '客户希望自然效果，与方案一致',
    },
    riskPlan: '术前停用阿司匹林7天；过敏史：避免青霉素类抗生素',
    options: {
      surgical: { projectCodes: ['rhinoplasty'], description: '膨体隆鼻 + 耳软骨鼻尖' },
      nonSurgical: { projectCodes: ['hyaluronic_filler'], description: '玻尿酸注射隆鼻，维持约12个月' },
    },
    priceMinFen: 2_000_000,
    priceMaxFen: 3_500_000,
    recoveryDays: 14,
    ...overrides,
  };
}

/**
 * An instant on the Asia/Shanghai calendar `days` after the clock's day, at hh:mm Beijing time,
 * as an ISO string with its +08:00 offset (what the mini-program sends).
 */
export function slot(t: TestContext, days: number, hhmm = '10:00'): string {
  const local = new Date(t.clock.now().getTime() + SHANGHAI_OFFSET_MS + days * DAY);
  return `${local.toISOString().slice(0, 10)}T${hhmm}:00+08:00`;
}

/** Grants the current privacy and health consents for a client (service call, as the route would). */
export async function grantHealthConsent(t: TestContext, client: Client): Promise<void> {
  const actor = { type: 'client' as const, id: client.id, role: 'client', ip: null, requestId: null };
  await t.services.clients.grantConsent(client.id, { purpose: 'privacy', policyVersion: t.config.policy.privacyVersion }, actor);
  await t.services.clients.grantConsent(client.id, { purpose: 'health', policyVersion: t.config.policy.healthConsentVersion }, actor);
}

export interface StaffSet {
  doctor: Staff;
  doctorToken: string;
  director: Staff;
  directorToken: string;
  consultant: Staff;
  consultantToken: string;
  service: Staff;
  serviceToken: string;
}

/** One staff member of every role, with their session tokens. */
export async function staffSet(t: TestContext): Promise<StaffSet> {
  const [doctor, director, consultant, service] = await Promise.all([
    createStaff(t, 'doctor'), createStaff(t, 'director'), createStaff(t, 'consultant'), createStaff(t, 'customer_service'),
  ]);
  return {
    doctor, director, consultant, service,
    doctorToken: await staffToken(t, doctor),
    directorToken: await staffToken(t, director),
    consultantToken: await staffToken(t, consultant),
    serviceToken: await staffToken(t, service),
  };
}

/** A client with the health consent (assigned to `consultant` when given) and a mini-program token. */
export async function consentingClient(t: TestContext, opts: { consultant?: Staff; overrides?: Partial<Client> } = {}): Promise<{ client: Client; token: string }> {
  const client = await createClient(t, { consultantId: opts.consultant?.id ?? null, ...opts.overrides });
  await grantHealthConsent(t, client);
  return { client, token: await clientToken(t, client) };
}

/** A plan written by the doctor through the API, proposed unless told otherwise; returns its public id. */
export async function proposedPlan(t: TestContext, doctorToken: string, clientPublicId: string, opts: { propose?: boolean; body?: Record<string, unknown> } = {}): Promise<string> {
  const created = await t.http.post(`/api/staff/clients/${clientPublicId}/plans`).set(bearer(doctorToken)).send(planBody(opts.body));
  if (created.status !== 201) throw new Error(`plan create: ${created.status} ${JSON.stringify(created.body)}`);
  if (opts.propose !== false) {
    const proposed = await t.http.post(`/api/staff/plans/${created.body.id}/propose`).set(bearer(doctorToken));
    if (proposed.status !== 200) throw new Error(`plan propose: ${proposed.status} ${JSON.stringify(proposed.body)}`);
  }
  return created.body.id as string;
}

/**
 * Questionnaire rows as the questionnaires module writes them, for the metrics: a draft started at
 * `startedAt` (unless `draft: false`), and when `submittedAt` is given a response with its completeness.
 */
export async function insertSurvey(
  t: TestContext, clientId: number, opts: { startedAt?: Date; submittedAt?: Date; completenessPct?: number; draft?: boolean; templateId?: number },
): Promise<void> {
  const templateId = opts.templateId ?? 1;
  let responseId: number | null = null;
  if (opts.submittedAt) {
    const res = await t.deps.db.query(
      `INSERT INTO questionnaire_responses (public_id, client_id, template_id, version_id, submission_id, request_hash, submitted_at, intent_score,
         intent_components, lead_grade, risk_tolerance, completeness_pct, expectation_flags, answers_enc)
       VALUES (?, ?, ?, 1, UUID(), REPEAT('0', 64), ?, 60, '{}', 'B', 'medium', ?, '[]', 'x')`,
      [publicId(), clientId, templateId, opts.submittedAt, opts.completenessPct ?? 100],
    );
    responseId = Number(res.insertId);
  }
  if (opts.draft !== false) {
    const started = opts.startedAt ?? opts.submittedAt!;
    await t.deps.db.query(
      `INSERT INTO questionnaire_drafts (client_id, template_id, version_id, answers_enc, revision, started_at, updated_at, submitted_response_id)
       VALUES (?, ?, 1, NULL, 1, ?, ?, ?)`,
      [clientId, templateId, started, opts.submittedAt ?? started, responseId],
    );
  }
}
