import { ageOn } from '../../shared/clock';
import { notFound } from '../../shared/errors';
import type { Actor } from '../audit';
import { mayAccess, readClientField } from '../clients';
import { Answers } from './questionnaires.answers';
import { displayAnswer } from './questionnaires.rules';
import { questionnaireAad, LoadedVersion, parseJson, QuestionnairesSupport } from './questionnaires.shared';
import type { LeadsQuery, LeadItem, StaffResponseView } from './questionnaires.types';

export type LeadFilters = Omit<LeadsQuery, 'page' | 'pageSize'>;

/**
 * Which leads an actor sees under a list's filters: the client-access rule (archive: intent
 * answers without health) — a consultant their own clients, doctors and the director all, and
 * only the director filters by consultant or unassigned. Shared by the list and its file.
 */
export function leadsWhere(s: QuestionnairesSupport, actor: Actor, q: LeadFilters): { where: string[]; params: unknown[] } {
  s.deps.clients.access.requireScope(actor, 'archive');
  const scope = s.deps.clients.access.filter(actor, 'archive');
  const where = ["c.status = 'active'", scope.sql];
  const params: unknown[] = [...scope.params];
  if (actor.role === 'director') {
    if (q.unassigned) where.push('c.consultant_id IS NULL');
    if (q.consultantId) {
      where.push('c.consultant_id = (SELECT id FROM staff WHERE public_id = ?)');
      params.push(q.consultantId);
    }
  }
  if (q.clientId) {
    where.push('c.public_id = ?');
    params.push(q.clientId);
  }
  if (q.grade?.length) {
    where.push(`i.lead_grade IN (${q.grade.map(() => '?').join(', ')})`);
    params.push(...q.grade);
  }
  if (q.project) {
    where.push('JSON_CONTAINS(i.projects, ?)');
    params.push(JSON.stringify(q.project));
  }
  return { where, params };
}

/** Project values of a lead with their labels in the version that asked. */
export function projectLabels(v: LoadedVersion | null, stored: unknown): { value: string; label: string }[] {
  const projectsQ = v?.compiled.def.rules.archive?.projects;
  const options = projectsQ ? v?.compiled.questions.get(projectsQ)?.optionByValue : undefined;
  return parseJson<string[]>(stored as string, []).map((value) => ({ value, label: options?.get(value)?.label || value }));
}

/** Staff reading leads and (audited) responses, health answers only where the access rule allows. */
export class QuestionnaireLeads {
  constructor(private readonly s: QuestionnairesSupport) {}

  private labelsOf(v: LoadedVersion | null, flags: string[]): { code: string; label: string }[] {
    const rules = v?.compiled.def.rules;
    return flags.map((code) => ({ code, label: rules?.expectationFlags?.find((f) => f.code === code)?.label ?? code }));
  }

  private personalName(publicId: string, enc: Buffer | null, clientId: number): string | null {
    return readClientField(this.s.deps.cipher, publicId, 'name', enc, () => {
      this.s.log.error({ clientId }, 'client name cannot be decrypted; answered as null');
    });
  }

  /**
   * Leads for follow-up: clients with a submitted questionnaire, A first, then by
   * score. A consultant sees the clients assigned to them (as with the archive itself); doctors and
   * the director see all, the director can filter by consultant or unassigned. No health data.
   * Audited 'lead.list' with the client ids shown.
   */
  async leads(actor: Actor, q: LeadsQuery): Promise<{ items: LeadItem[]; page: number; pageSize: number; total: number }> {
    const { where, params } = leadsWhere(this.s, actor, q);
    const clause = where.join(' AND ');
    const [{ total }]: { total: number | string }[] = await this.s.deps.db.query(
      `SELECT COUNT(*) AS total FROM client_intents i JOIN clients c ON c.id = i.client_id WHERE ${clause}`, params,
    );
    const rows: Record<string, any>[] = await this.s.deps.db.query(
      `SELECT i.*, c.public_id AS client_public_id, c.name_enc, c.gender, DATE_FORMAT(c.birth_date, '%Y-%m-%d') AS birth_date, c.stage,
              s.public_id AS consultant_public_id, s.display_name AS consultant_name, r.public_id AS response_public_id, r.version_id
         FROM client_intents i JOIN clients c ON c.id = i.client_id
         JOIN questionnaire_responses r ON r.id = i.latest_response_id
         LEFT JOIN staff s ON s.id = c.consultant_id
        WHERE ${clause}
        ORDER BY i.lead_grade ASC, i.intent_score DESC, i.submitted_at DESC, i.client_id DESC LIMIT ? OFFSET ?`,
      [...params, q.pageSize, (q.page - 1) * q.pageSize],
    );
    const now = this.s.deps.clock.now();
    const items: LeadItem[] = [];
    for (const r of rows) {
      const v = await this.s.loadVersion(Number(r.version_id));
      const questions = v?.compiled.questions;
      const keyAnswers = this.s.openAnswers(r.key_answers_enc, questionnaireAad.keyAnswers(Number(r.client_id)), { clientId: Number(r.client_id) });
      items.push({
        client: {
          id: r.client_public_id,
          name: this.personalName(r.client_public_id, r.name_enc, Number(r.client_id)),
          gender: r.gender,
          age: r.birth_date ? ageOn(r.birth_date, now) : null,
          stage: r.stage,
          consultant: r.consultant_public_id ? { id: r.consultant_public_id, displayName: r.consultant_name } : null,
        },
        responseId: r.response_public_id,
        submittedAt: r.submitted_at,
        leadGrade: r.lead_grade,
        intentScore: Number(r.intent_score),
        intentComponents: parseJson(r.intent_components, {}),
        riskTolerance: r.risk_tolerance,
        projects: projectLabels(v, r.projects),
        budgetMaxFen: r.budget_max_fen === null ? null : Number(r.budget_max_fen),
        budgetMinFen: r.budget_min_fen === null ? null : Number(r.budget_min_fen),
        budgetBand: r.budget_band,
        expectationFlags: this.labelsOf(v, parseJson<string[]>(r.expectation_flags, [])),
        completenessPct: Number(r.completeness_pct),
        keyAnswers: Object.entries(keyAnswers).map(([id, value]) => {
          const question = questions?.get(id);
          return { id, title: question?.title ?? id, answer: question ? displayAnswer(question, value) : value };
        }),
      });
    }
    await this.s.deps.audit.record(actor, 'lead.list', {
      details: {
        role: actor.role, page: q.page, results: rows.length, clientIds: rows.map((r) => Number(r.client_id)),
        filters: (['grade', 'project', 'consultantId', 'unassigned'] as const).filter((k) => q[k] !== undefined),
      },
    });
    return { items, page: q.page, pageSize: q.pageSize, total: Number(total) };
  }

  /**
   * One submitted questionnaire for staff, audited as a read of the client archive ('client.read').
   * Doctors and the director get every answer with the safety flags; a consultant (own clients
   * only, like the archive) gets it without the health answers and safety flags (`redacted`).
   * A client the actor may not see answers 404, and the refusal is audited.
   */
  async responseForStaff(actor: Actor, responsePublicId: string): Promise<StaffResponseView> {
    const rows: Record<string, any>[] = await this.s.deps.db.query(
      `SELECT r.*, c.public_id AS client_public_id, c.consultant_id, c.status AS client_status, t.code, t.title
         FROM questionnaire_responses r JOIN clients c ON c.id = r.client_id JOIN questionnaire_templates t ON t.id = r.template_id
        WHERE r.public_id = ?`,
      [responsePublicId],
    );
    const r = rows[0];
    if (!r || r.client_status !== 'active') throw notFound('Questionnaire response');
    const clientId = Number(r.client_id);
    const owner = { consultantId: r.consultant_id === null ? null : Number(r.consultant_id) };
    this.s.deps.clients.access.requireScope(actor, 'archive');
    if (!mayAccess(actor, owner, 'archive')) {
      await this.s.deps.audit.record(actor, 'client.read', { clientId, allowed: false, details: { via: 'questionnaire_response', responseId: responsePublicId, reason: 'not_assigned', role: actor.role } });
      throw notFound('Questionnaire response');
    }
    const withHealth = mayAccess(actor, owner, 'health');
    const v = (await this.s.loadVersion(Number(r.version_id)))!;
    const where = { responseId: Number(r.id) };
    const answers: Answers = { ...this.s.openAnswers(r.answers_enc, questionnaireAad.answers(r.public_id), where) };
    const healthErased = r.health_answers_enc === null && r.safety_flags_enc === null;
    if (withHealth) Object.assign(answers, this.s.openAnswers(r.health_answers_enc, questionnaireAad.healthAnswers(r.public_id), where));

    const view: StaffResponseView = {
      id: r.public_id,
      client: { id: r.client_public_id },
      template: { code: r.code, title: r.title },
      versionId: v.publicId,
      versionNumber: v.number,
      submittedAt: r.submitted_at,
      intentScore: Number(r.intent_score),
      intentComponents: parseJson(r.intent_components, {}),
      leadGrade: r.lead_grade,
      riskTolerance: r.risk_tolerance,
      completenessPct: Number(r.completeness_pct),
      expectationFlags: this.labelsOf(v, parseJson<string[]>(r.expectation_flags, [])),
      sections: v.compiled.def.sections
        .map((s) => ({
          id: s.id,
          title: s.title,
          sensitive: Boolean(s.sensitive),
          answers: s.questions
            .map((q) => v.compiled.questions.get(q.id)!)
            .filter((q) => answers[q.id] !== undefined && (withHealth || !q.sensitive))
            .map((q) => ({ id: q.id, title: q.title, type: q.type, value: answers[q.id], display: displayAnswer(q, answers[q.id]) })),
        }))
        .filter((s) => s.answers.length > 0 || (withHealth && s.sensitive)),
    };
    if (withHealth) {
      const flags = parseJson<{ code: string; severity: 'caution' | 'contraindication' }[]>(
        r.safety_flags_enc ? this.openText(r.safety_flags_enc, questionnaireAad.safetyFlags(r.public_id), where) : null, [],
      );
      view.safetyFlags = flags.map((f) => ({ ...f, label: v.compiled.def.rules.safetyFlags?.find((x) => x.code === f.code)?.label ?? f.code }));
      if (healthErased) view.healthErased = true;
    } else {
      view.redacted = ['health_answers', 'safety_flags'];
    }
    await this.s.deps.audit.record(actor, 'client.read', {
      clientId,
      details: { via: 'questionnaire_response', responseId: r.public_id, role: actor.role, sections: ['questionnaire', ...(withHealth ? ['health', 'safety_flags'] : [])] },
    });
    return view;
  }

  private openText(blob: Buffer, aad: string, where: Record<string, unknown>): string | null {
    try {
      return this.s.deps.cipher.decrypt(blob, aad);
    } catch {
      this.s.log.error(where, 'stored questionnaire value cannot be decrypted; answered as empty');
      return null;
    }
  }
}
