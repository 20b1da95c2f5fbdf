import { AppError, notFound } from '../../shared/errors';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import { publicId as newPublicId } from '../../shared/crypto';
import type { Actor } from '../audit';
import { Definition, validateDefinition } from './questionnaires.definition';
import { QuestionnaireErrors } from './questionnaires.errors';
import { TemplateRow, parseJson, QuestionnairesSupport } from './questionnaires.shared';
import type { VersionRef, TemplateView, VersionView } from './questionnaires.types';

/** The director's templates and versions: drafts edited freely, a published version never changes. */
export class QuestionnaireAuthoring {
  constructor(private readonly s: QuestionnairesSupport) {}

  private definitionOrThrow(input: unknown): Definition {
    const { value, problems } = validateDefinition(input, 'body.definition');
    if (!value) throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_DEFINITION_INVALID, 'The questionnaire definition is not valid', problems);
    return value;
  }

  private async versionRefs(templateId: number, publishedVersionId: number | null): Promise<VersionRef[]> {
    const rows: { public_id: string; id: number; number: number; status: 'draft' | 'published'; created_at: Date; published_at: Date | null }[] =
      await this.s.deps.db.query(
        'SELECT id, public_id, number, status, created_at, published_at FROM questionnaire_versions WHERE template_id = ? ORDER BY number DESC',
        [templateId],
      );
    return rows.map((r) => ({
      id: r.public_id, number: r.number, status: r.status, createdAt: r.created_at, publishedAt: r.published_at, current: r.id === publishedVersionId,
    }));
  }

  private async templateView(t: TemplateRow): Promise<TemplateView> {
    const versions = await this.versionRefs(t.id, t.publishedVersionId);
    return { id: t.publicId, code: t.code, title: t.title, publishedVersionId: versions.find((v) => v.current)?.id ?? null, versions };
  }

  async listTemplates(): Promise<TemplateView[]> {
    const rows: TemplateRow[] = await this.s.deps.db.query(
      'SELECT id, public_id AS publicId, code, title, published_version_id AS publishedVersionId FROM questionnaire_templates ORDER BY code',
    );
    return Promise.all(rows.map((t) => this.templateView(t)));
  }

  async getTemplate(templatePublicId: string): Promise<TemplateView> {
    const t = await this.s.templateBy(this.s.deps.db.manager, { publicId: templatePublicId });
    if (!t) throw notFound('Questionnaire');
    return this.templateView(t);
  }

  async getVersion(versionPublicId: string): Promise<VersionView> {
    const rows: { id: number; public_id: string; number: number; status: 'draft' | 'published'; definition: Definition | string; created_at: Date; published_at: Date | null;
      template_public_id: string; code: string; published_version_id: number | null }[] = await this.s.deps.db.query(
      `SELECT v.id, v.public_id, v.number, v.status, v.definition, v.created_at, v.published_at, t.public_id AS template_public_id, t.code, t.published_version_id
         FROM questionnaire_versions v JOIN questionnaire_templates t ON t.id = v.template_id WHERE v.public_id = ?`,
      [versionPublicId],
    );
    const r = rows[0];
    if (!r) throw notFound('Questionnaire version');
    return {
      id: r.public_id, templateId: r.template_public_id, code: r.code, number: r.number, status: r.status, createdAt: r.created_at,
      publishedAt: r.published_at, current: r.id === r.published_version_id, definition: parseJson<Definition>(r.definition, null as unknown as Definition),
    };
  }

  /** A new template with its first (draft) version; the definition is checked in full. Audited. */
  async createTemplate(actor: Actor, input: { code: string; definition: unknown }): Promise<TemplateView> {
    const def = this.definitionOrThrow(input.definition);
    try {
      await runInTransaction(this.s.deps.db, async (m) => {
        const tpid = newPublicId();
        const res = await m.query('INSERT INTO questionnaire_templates (public_id, code, title) VALUES (?, ?, ?)', [tpid, input.code, def.title]);
        const vpid = newPublicId();
        await m.query(
          "INSERT INTO questionnaire_versions (public_id, template_id, number, status, definition, created_by) VALUES (?, ?, 1, 'draft', ?, ?)",
          [vpid, Number(res.insertId), JSON.stringify(def), actor.id],
        );
        await this.s.deps.audit.record(actor, 'questionnaire.template.create', { details: { templateId: tpid, code: input.code, versionId: vpid } }, m);
      });
    } catch (err) {
      if (isDuplicateKey(err) && String((err as Error).message).includes('uq_questionnaire_templates_code')) {
        throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_CODE_TAKEN, 'A questionnaire with this code exists', { field: 'body.code' });
      }
      throw err;
    }
    return this.templateView((await this.s.templateBy(this.s.deps.db.manager, { code: input.code }))!);
  }

  /**
   * A new draft version, a copy of `fromVersionId` (default: the published one, else the newest).
   * One draft per template at a time (409 QUESTIONNAIRE_DRAFT_EXISTS names it). Audited.
   */
  async createDraftVersion(actor: Actor, templatePublicId: string, input: { fromVersionId?: string }): Promise<VersionView> {
    const pid = newPublicId();
    await runInTransaction(this.s.deps.db, async (m) => {
      const t = await this.s.templateBy(m, { publicId: templatePublicId }, true);
      if (!t) throw notFound('Questionnaire');
      const versions: { id: number; public_id: string; number: number; status: string }[] = await m.query(
        'SELECT id, public_id, number, status FROM questionnaire_versions WHERE template_id = ? ORDER BY number DESC', [t.id],
      );
      const draft = versions.find((v) => v.status === 'draft');
      if (draft) {
        throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_DRAFT_EXISTS, 'This questionnaire already has a draft version; edit or publish it', { versionId: draft.public_id });
      }
      const source = input.fromVersionId
        ? versions.find((v) => v.public_id === input.fromVersionId)
        : versions.find((v) => v.id === t.publishedVersionId) ?? versions[0];
      if (!source) throw new AppError('VALIDATION_FAILED', 'No such version of this questionnaire', [{ field: 'body.fromVersionId', message: 'not a version of this questionnaire', type: 'any.invalid' }]);
      await m.query(
        `INSERT INTO questionnaire_versions (public_id, template_id, number, status, definition, created_by)
         SELECT ?, template_id, ?, 'draft', definition, ? FROM questionnaire_versions WHERE id = ?`,
        [pid, versions[0].number + 1, actor.id, source.id],
      );
      await this.s.deps.audit.record(actor, 'questionnaire.version.create', { details: { templateId: t.publicId, versionId: pid, from: source.public_id } }, m);
    });
    return this.getVersion(pid);
  }

  /** Replaces a draft version's definition. Only a draft: `WHERE status = 'draft'`, a published one → 409. Audited. */
  async updateDraftVersion(actor: Actor, versionPublicId: string, definition: unknown): Promise<VersionView> {
    const def = this.definitionOrThrow(definition);
    await runInTransaction(this.s.deps.db, async (m) => {
      const res = await m.query("UPDATE questionnaire_versions SET definition = ? WHERE public_id = ? AND status = 'draft'", [JSON.stringify(def), versionPublicId]);
      if (Number(res.affectedRows) !== 1) {
        const rows: unknown[] = await m.query('SELECT id FROM questionnaire_versions WHERE public_id = ?', [versionPublicId]);
        if (!rows.length) throw notFound('Questionnaire version');
        throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_VERSION_NOT_DRAFT, 'A published version never changes; create a new draft version to edit');
      }
      await this.s.deps.audit.record(actor, 'questionnaire.version.update', { details: { versionId: versionPublicId } }, m);
    });
    return this.getVersion(versionPublicId);
  }

  /**
   * Publishes a draft: from now on clients get it, and answers for the previous version are
   * refused (QUESTIONNAIRE_VERSION_NOT_CURRENT). The definition is checked again. Audited.
   */
  async publish(actor: Actor, versionPublicId: string): Promise<VersionView> {
    const now = this.s.deps.clock.now();
    await runInTransaction(this.s.deps.db, async (m) => {
      const rows: { id: number; template_id: number; status: string; definition: Definition | string }[] = await m.query(
        'SELECT id, template_id, status, definition FROM questionnaire_versions WHERE public_id = ?', [versionPublicId],
      );
      const v = rows[0];
      if (!v) throw notFound('Questionnaire version');
      // Template first, then the version: the same order as createDraftVersion.
      await m.query('SELECT id FROM questionnaire_templates WHERE id = ? FOR UPDATE', [v.template_id]);
      const def = this.definitionOrThrow(parseJson(v.definition, null));
      const res = await m.query(
        "UPDATE questionnaire_versions SET status = 'published', published_at = ?, published_by = ? WHERE id = ? AND status = 'draft'",
        [now, actor.id, v.id],
      );
      if (Number(res.affectedRows) !== 1) throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_VERSION_NOT_DRAFT, 'This version is already published');
      await m.query('UPDATE questionnaire_templates SET published_version_id = ?, title = ? WHERE id = ?', [v.id, def.title, v.template_id]);
      await this.s.deps.audit.record(actor, 'questionnaire.version.publish', { details: { versionId: versionPublicId } }, m);
    });
    // Other instances find out under the client lock of their next submission (submitOnce).
    this.s.submitTemplates.clear();
    return this.getVersion(versionPublicId);
  }
}
