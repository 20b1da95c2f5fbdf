import { AppError } from '../../shared/errors';
import { runInTransaction } from '../../shared/db';
import { checkDraftAnswers } from './questionnaires.answers';
import { QuestionnaireErrors } from './questionnaires.errors';
import { questionnaireAad, QuestionnairesSupport } from './questionnaires.shared';
import type { ClientTemplateView, DraftView } from './questionnaires.types';

/** The client's side before submitting: the published version to fill in, and the autosaved, encrypted draft. */
export class QuestionnaireDrafts {
  constructor(private readonly s: QuestionnairesSupport) {}

  /** The published version of a template for the client to fill in; the rules stay on the server. */
  async publishedFor(code: string): Promise<ClientTemplateView> {
    const t = await this.s.requireTemplate(code);
    const v = await this.s.currentOf(t);
    return {
      code: t.code,
      versionId: v.publicId,
      version: v.number,
      title: v.compiled.def.title,
      ...(v.compiled.def.intro ? { intro: v.compiled.def.intro } : {}),
      healthConsentRequired: v.healthConsentRequired,
      sections: v.clientSections,
    };
  }


  /**
   * The client's draft for the current version. A draft saved on an older version is carried over:
   * answers to questions that still exist, in a shape that still fits, are kept.
   */
  async getDraft(clientId: number, code: string): Promise<DraftView> {
    const t = await this.s.requireTemplate(code);
    const v = await this.s.currentOf(t);
    const rows: { version_id: number; answers_enc: Buffer | null; revision: number; started_at: Date; updated_at: Date; submitted_response_id: number | null }[] =
      await this.s.deps.db.query(
        'SELECT version_id, answers_enc, revision, started_at, updated_at, submitted_response_id FROM questionnaire_drafts WHERE client_id = ? AND template_id = ?',
        [clientId, t.id],
      );
    const row = rows[0];
    if (!row) return { versionId: v.publicId, answers: {}, revision: 0, startedAt: null, updatedAt: null, submitted: false, carriedOver: false };
    let answers = this.s.openAnswers(row.answers_enc, questionnaireAad.draft(clientId, t.id), { clientId, templateId: t.id });
    const carriedOver = row.version_id !== v.id && Object.keys(answers).length > 0;
    if (carriedOver) answers = checkDraftAnswers(v.compiled, answers, this.s.deps.clock.now()).kept;
    return {
      versionId: v.publicId, answers, revision: Number(row.revision), startedAt: row.started_at, updatedAt: row.updated_at,
      submitted: row.submitted_response_id !== null, carriedOver,
    };
  }

  /**
   * Autosaves the draft: known questions with well-formed answers; visibility and
   * `required` wait for the submission. Health answers need the health consent and, like all draft
   * answers, are stored encrypted. With `revision`, a save that does not build on the newest one → 409.
   */
  async saveDraft(clientId: number, code: string, input: { versionId: string; answers: Record<string, unknown>; revision?: number }): Promise<DraftView> {
    const now = this.s.deps.clock.now();
    const t = await this.s.requireTemplate(code);
    const v = await this.s.requireCurrent(t, input.versionId);
    const { kept, problems } = checkDraftAnswers(v.compiled, input.answers, now);
    if (problems.length) throw this.s.invalid(problems);
    const health = Object.keys(kept).some((qid) => v.compiled.questions.get(qid)!.sensitive);
    const enc = this.s.deps.cipher.encryptJson(kept, questionnaireAad.draft(clientId, t.id));
    return runInTransaction(this.s.deps.db, async (m) => {
      const client = await this.s.lockClient(m, clientId);
      if (health) await this.s.deps.clients.requireHealthConsent(m, clientId, client.birthDate);
      const rows: { revision: number; started_at: Date; submitted_response_id: number | null }[] = await m.query(
        'SELECT revision, started_at, submitted_response_id FROM questionnaire_drafts WHERE client_id = ? AND template_id = ? FOR UPDATE',
        [clientId, t.id],
      );
      const row = rows[0];
      const revision = row ? Number(row.revision) : 0;
      if (input.revision !== undefined && input.revision !== revision) {
        throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_DRAFT_CONFLICT, 'The draft was saved meanwhile, maybe on another phone; load it again', {
          field: 'body.revision', revision,
        });
      }
      if (row) {
        await m.query(
          'UPDATE questionnaire_drafts SET version_id = ?, answers_enc = ?, revision = revision + 1, updated_at = ? WHERE client_id = ? AND template_id = ?',
          [v.id, enc, now, clientId, t.id],
        );
      } else {
        await m.query(
          'INSERT INTO questionnaire_drafts (client_id, template_id, version_id, answers_enc, revision, started_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)',
          [clientId, t.id, v.id, enc, now, now],
        );
      }
      return {
        versionId: v.publicId, answers: kept, revision: revision + 1, startedAt: row?.started_at ?? now, updatedAt: now,
        submitted: Boolean(row?.submitted_response_id), carriedOver: false,
      };
    });
  }
}
