import type { EntityManager } from 'typeorm';
import type { Actor } from '../audit';
import { displayAnswer } from './questionnaires.rules';
import { QuestionnaireAuthoring } from './questionnaires.authoring';
import { QuestionnaireDrafts } from './questionnaires.drafts';
import { QuestionnaireLeads } from './questionnaires.leads';
import { QuestionnairesDeps, QuestionnairesSupport, questionnaireAad } from './questionnaires.shared';
import { QuestionnaireSubmissions } from './questionnaires.submission';
import type {
  ClientTemplateView, DraftView, LatestResponse, LeadItem, LeadsQuery, StaffResponseView, SubmissionInput, SubmissionResult, TemplateView, VersionView,
} from './questionnaires.types';

/**
 * Questionnaires, one object on `Services`: a facade over its use cases — versioned templates the
 * director manages (`authoring`); the client's autosaved, encrypted draft (`drafts`) and idempotent
 * submission, which in one transaction stores the response, updates the archive, scores and flags
 * it, sets tags and the stage and grants the points once per version (`submissions`); staff reading
 * leads and (audited) responses (`leads`). Each method hands over to the use case that does the work.
 */
export class QuestionnairesService {
  private readonly s: QuestionnairesSupport;
  private readonly drafts: QuestionnaireDrafts;
  private readonly submissions: QuestionnaireSubmissions;
  private readonly authoring: QuestionnaireAuthoring;
  private readonly staffLeads: QuestionnaireLeads;

  constructor(deps: QuestionnairesDeps) {
    this.s = new QuestionnairesSupport(deps);
    this.drafts = new QuestionnaireDrafts(this.s);
    this.submissions = new QuestionnaireSubmissions(this.s);
    this.authoring = new QuestionnaireAuthoring(this.s);
    this.staffLeads = new QuestionnaireLeads(this.s);
  }

  // ---------------------------------------------------------------- mini-program

  publishedFor(code: string): Promise<ClientTemplateView> {
    return this.drafts.publishedFor(code);
  }

  getDraft(clientId: number, code: string): Promise<DraftView> {
    return this.drafts.getDraft(clientId, code);
  }

  saveDraft(clientId: number, code: string, input: { versionId: string; answers: Record<string, unknown>; revision?: number }): Promise<DraftView> {
    return this.drafts.saveDraft(clientId, code, input);
  }

  submit(clientId: number, code: string, input: SubmissionInput, actor: Actor): Promise<SubmissionResult> {
    return this.submissions.submit(clientId, code, input, actor);
  }

  latestOwn(clientId: number, code: string): Promise<Omit<SubmissionResult, 'replayed'>> {
    return this.submissions.latestOwn(clientId, code);
  }

  latestResponseFor(clientId: number, m?: EntityManager): Promise<LatestResponse | null> {
    return this.submissions.latestResponseFor(clientId, m);
  }

  // ---------------------------------------------------------------- staff: templates (director)

  listTemplates(): Promise<TemplateView[]> {
    return this.authoring.listTemplates();
  }

  getTemplate(templatePublicId: string): Promise<TemplateView> {
    return this.authoring.getTemplate(templatePublicId);
  }

  getVersion(versionPublicId: string): Promise<VersionView> {
    return this.authoring.getVersion(versionPublicId);
  }

  createTemplate(actor: Actor, input: { code: string; definition: unknown }): Promise<TemplateView> {
    return this.authoring.createTemplate(actor, input);
  }

  createDraftVersion(actor: Actor, templatePublicId: string, input: { fromVersionId?: string }): Promise<VersionView> {
    return this.authoring.createDraftVersion(actor, templatePublicId, input);
  }

  updateDraftVersion(actor: Actor, versionPublicId: string, definition: unknown): Promise<VersionView> {
    return this.authoring.updateDraftVersion(actor, versionPublicId, definition);
  }

  publish(actor: Actor, versionPublicId: string): Promise<VersionView> {
    return this.authoring.publish(actor, versionPublicId);
  }

  // ---------------------------------------------------------------- staff: leads and responses

  leads(actor: Actor, q: LeadsQuery): Promise<{ items: LeadItem[]; page: number; pageSize: number; total: number }> {
    return this.staffLeads.leads(actor, q);
  }

  responseForStaff(actor: Actor, responsePublicId: string): Promise<StaffResponseView> {
    return this.staffLeads.responseForStaff(actor, responsePublicId);
  }

  /**
   * For ClientsService.addDataHooks: withdrawing the health consent erases the health answers and
   * safety flags (and the drafts, which mix them in); deleting the account erases every
   * questionnaire row of the client; the client's export includes their submitted answers.
   */
  readonly clientDataHooks = {
    onHealthWithdrawn: async (m: EntityManager, clientId: number): Promise<void> => {
      await m.query('UPDATE questionnaire_responses SET health_answers_enc = NULL, safety_flags_enc = NULL WHERE client_id = ?', [clientId]);
      await m.query('UPDATE questionnaire_drafts SET answers_enc = NULL WHERE client_id = ?', [clientId]);
    },
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      await m.query('DELETE FROM client_intents WHERE client_id = ?', [clientId]);
      await m.query('DELETE FROM questionnaire_responses WHERE client_id = ?', [clientId]);
      await m.query('DELETE FROM questionnaire_drafts WHERE client_id = ?', [clientId]);
    },
    exportSections: async (m: EntityManager, clientId: number): Promise<Record<string, unknown>> => {
      const rows: { public_id: string; version_id: number; submitted_at: Date; answers_enc: Buffer; health_answers_enc: Buffer | null; code: string }[] = await m.query(
        `SELECT r.public_id, r.version_id, r.submitted_at, r.answers_enc, r.health_answers_enc, t.code
           FROM questionnaire_responses r JOIN questionnaire_templates t ON t.id = r.template_id WHERE r.client_id = ? ORDER BY r.id`,
        [clientId],
      );
      const questionnaires = [];
      for (const r of rows) {
        const v = await this.s.loadVersion(r.version_id, m);
        const answers = {
          ...this.s.openAnswers(r.answers_enc, questionnaireAad.answers(r.public_id), { clientId }),
          ...this.s.openAnswers(r.health_answers_enc, questionnaireAad.healthAnswers(r.public_id), { clientId }),
        };
        questionnaires.push({
          id: r.public_id, code: r.code, submittedAt: r.submitted_at,
          answers: Object.entries(answers).map(([id, value]) => {
            const q = v?.compiled.questions.get(id);
            return { id, title: q?.title ?? id, answer: q ? displayAnswer(q, value) : value };
          }),
        });
      }
      return { questionnaires };
    },
  };
}
