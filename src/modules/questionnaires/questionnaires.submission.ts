import type { EntityManager } from 'typeorm';
import { AppError, notFound } from '../../shared/errors';
import { isDeadlock, isDuplicateKey, runInTransaction } from '../../shared/db';
import { publicId as newPublicId, sha256 } from '../../shared/crypto';
import type { Actor, AuditRecord } from '../audit';
import type { TagDimension, TagSet } from '../tags';
import type { StageMove } from '../journey';
import { PointsErrors } from '../points';
import { Answers, checkSubmission } from './questionnaires.answers';
import { LeadGrade, QUESTIONNAIRE_TAG_DIMENSIONS } from './questionnaires.definition';
import { assess, Assessment } from './questionnaires.rules';
import { QuestionnaireErrors } from './questionnaires.errors';
import { questionnaireAad, LoadedVersion, TemplateRow, SubmissionLock, ResponseRow, CLIENT_MESSAGE, canonical, QuestionnairesSupport } from './questionnaires.shared';
import type { SubmissionInput, ClientSummary, SubmissionResult, LatestResponse } from './questionnaires.types';

/** The idempotent submission: in one transaction the response, the archive (intent, medical history), score and flags, tags, stage and points once per version. */
export class QuestionnaireSubmissions {
  constructor(private readonly s: QuestionnairesSupport) {}


  /**
   * lockClient for a submission, with what the submission checks first in the same statement: the
   * stage (for JourneyService.moveTo), whether this submission id is already stored, and the
   * template's published version now. The subqueries are plain reads (MySQL and MariaDB lock only
   * the rows of the outer table), done once the lock is granted: a twin that committed while this
   * one waited is seen; a miss would still end on the submission's unique key and a retry.
   */
  private async lockForSubmission(m: EntityManager, clientId: number, submissionId: string, templateId: number): Promise<SubmissionLock> {
    const rows: (SubmissionLock & { status: string })[] = await m.query(
      `SELECT c.id, c.public_id AS publicId, DATE_FORMAT(c.birth_date, '%Y-%m-%d') AS birthDate, c.status, c.stage,
              (SELECT r.id FROM questionnaire_responses r WHERE r.client_id = c.id AND r.submission_id = ?) AS storedResponseId,
              (SELECT t.published_version_id FROM questionnaire_templates t WHERE t.id = ?) AS publishedVersionId
         FROM clients c WHERE c.id = ? FOR UPDATE`,
      [submissionId, templateId, clientId],
    );
    if (!rows[0] || rows[0].status !== 'active') throw notFound('Client');
    return rows[0];
  }

  private requestHash(code: string, input: SubmissionInput): string {
    return sha256(JSON.stringify([code, input.versionId, canonical(input.answers)]));
  }

  private async findSubmission(m: EntityManager, clientId: number, submissionId: string): Promise<ResponseRow | null> {
    const rows: ResponseRow[] = await m.query(
      `SELECT id, public_id, client_id, template_id, version_id, request_hash, submitted_at, points_awarded, answers_enc
         FROM questionnaire_responses WHERE client_id = ? AND submission_id = ?`,
      [clientId, submissionId],
    );
    return rows[0] ?? null;
  }

  private summaryOf(v: LoadedVersion, answers: Answers): ClientSummary {
    const archive = v.compiled.def.rules.archive ?? {};
    const q = archive.projects ? v.compiled.questions.get(archive.projects) : undefined;
    const picked = q ? answers[q.id] : undefined;
    const money = (qid?: string) => {
      const a = qid ? answers[qid] : undefined;
      return typeof a === 'number' ? Math.round(a * (v.compiled.questions.get(qid!)!.moneyUnitFen ?? 100)) : null;
    };
    return {
      areas: (Array.isArray(picked) ? picked : typeof picked === 'string' ? [picked] : [])
        .filter((x) => !q!.optionByValue.get(x)?.none)
        .map((x) => ({ value: x, label: q!.optionByValue.get(x)?.label ?? x })),
      budgetMaxFen: money(archive.budgetMax),
      budgetMinFen: money(archive.budgetMin),
      message: CLIENT_MESSAGE,
    };
  }

  private async replay(row: ResponseRow, hash: string): Promise<SubmissionResult> {
    if (row.request_hash !== hash) {
      throw new AppError(QuestionnaireErrors.IDEMPOTENCY_KEY_REUSED, 'This submission id was already used with other answers', { field: 'body.submissionId' });
    }
    const v = (await this.s.loadVersion(row.version_id))!;
    const answers = this.s.openAnswers(row.answers_enc, questionnaireAad.answers(row.public_id), { responseId: row.id });
    return {
      id: row.public_id, versionId: v.publicId, submittedAt: row.submitted_at, pointsEarned: Number(row.points_awarded), replayed: true,
      summary: this.summaryOf(v, answers),
    };
  }

  /**
   * Submits the questionnaire. The same submission id with the same answers
   * returns the first result (nothing new is written); with other answers → 409. Everything is
   * checked before any write: the version is the current one, every answer fits (per-question
   * errors, 400 QUESTIONNAIRE_INVALID_ANSWERS), health answers have the health consent. Then one
   * transaction, the client row locked first: response, draft, intent archive, medical history,
   * tags, stage, points once per version, audit; the tag changes leave tag_sync outbox rows.
   */
  async submit(clientId: number, code: string, input: SubmissionInput, actor: Actor): Promise<SubmissionResult> {
    // The template from the cache turned out stale under the client lock (a version was published
    // meanwhile): once more with a fresh read, which then refuses the old version as usual.
    for (let attempt = 1; ; attempt++) {
      const result = await this.submitOnce(clientId, code, input, actor, attempt > 1);
      if (result !== 'stale') return result;
      if (attempt === 3) throw new Error(`questionnaire ${code}: its published version kept changing during one submission`);
    }
  }

  /**
   * The template for a submission of `versionPublicId`: the cached one when that version is its
   * current one (submitOnce checks it again under the client lock), else read now.
   */
  private async templateForSubmission(code: string, versionPublicId: string, fresh: boolean): Promise<TemplateRow> {
    const cached = fresh ? undefined : this.s.submitTemplates.get(code);
    if (cached?.publishedVersionId && this.s.published.get(cached.publishedVersionId)?.publicId === versionPublicId) return cached;
    const t = await this.s.requireTemplate(code);
    this.s.submitTemplates.set(code, t);
    return t;
  }

  private async submitOnce(clientId: number, code: string, input: SubmissionInput, actor: Actor, fresh: boolean): Promise<SubmissionResult | 'stale'> {
    const submissionId = input.submissionId.toLowerCase();
    const hash = this.requestHash(code, input);
    const now = this.s.deps.clock.now();
    const t = await this.templateForSubmission(code, input.versionId, fresh);
    let v: LoadedVersion;
    let checked: ReturnType<typeof checkSubmission>;
    try {
      v = await this.s.requireCurrent(t, input.versionId);
      checked = checkSubmission(v.compiled, input.answers, now);
      if (checked.problems.length) throw this.s.invalid(checked.problems);
    } catch (err) {
      // A retry of a submission that went through (say, before a newer version was published) gets its result back.
      const prior = await this.findSubmission(this.s.deps.db.manager, clientId, submissionId);
      if (prior) return this.replay(prior, hash);
      throw err;
    }
    const a = assess(v.compiled, checked.answers, checked.visible);

    const plain: Answers = {};
    const health: Answers = {};
    for (const [qid, value] of Object.entries(checked.answers)) (v.compiled.questions.get(qid)!.sensitive ? health : plain)[qid] = value;
    const hasHealth = Object.keys(health).length > 0;
    const pid = newPublicId();
    const { cipher } = this.s.deps;
    const answersEnc = cipher.encryptJson(plain, questionnaireAad.answers(pid));
    const healthEnc = hasHealth ? cipher.encryptJson(health, questionnaireAad.healthAnswers(pid)) : null;
    const safetyEnc = cipher.encryptJson(a.safetyFlags, questionnaireAad.safetyFlags(pid));

    const result = await runInTransaction(
      this.s.deps.db, async (m): Promise<{ replay: ResponseRow } | { stale: true } | { pointsEarned: number }> => {
        const client = await this.lockForSubmission(m, clientId, submissionId, t.id);
        // A twin of this request may have committed while we waited for the lock.
        const again = client.storedResponseId === null ? null : await this.findSubmission(m, clientId, submissionId);
        if (again) return { replay: again };
        // The answers were checked against the version current then; a newer one may have been published since.
        if (Number(client.publishedVersionId) !== v.id) return { stale: true };
        if (hasHealth) await this.s.deps.clients.requireHealthConsent(m, clientId, client.birthDate);

        const pointsEarned = await this.grantPoints(m, clientId, v.publicId);
        const res = await m.query(
          `INSERT INTO questionnaire_responses (public_id, client_id, template_id, version_id, submission_id, request_hash, submitted_at, intent_score,
             intent_components, lead_grade, risk_tolerance, completeness_pct, expectation_flags, answers_enc, health_answers_enc, safety_flags_enc, points_awarded)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            pid, clientId, t.id, v.id, submissionId, hash, now, a.intentScore, JSON.stringify(a.components), a.leadGrade, a.riskTolerance,
            a.completenessPct, JSON.stringify(a.expectationFlags), answersEnc, healthEnc, safetyEnc, pointsEarned,
          ],
        );
        const responseId = Number(res.insertId);
        await this.writeArchive(m, clientId, t.id, v.id, responseId, a, now);
        // The audit rows of this submission (the medical history's, then its own) go in one INSERT at the end.
        const audit: AuditRecord[] = [];
        if (a.medical && hasHealth) {
          await this.s.deps.clients.mergeMedical(m, client, a.medical, actor, { type: 'client', id: clientId }, 'questionnaire', { auditInto: audit });
        }
        // The stage tag is written with the questionnaire's tags: one read of the tag set, one sync row.
        const move = await this.s.deps.journey.moveTo(m, clientId, 'surveyed', actor, { reason: 'questionnaire', at: now, lockedStage: client.stage, deferTag: true });
        await this.applyTags(m, clientId, a, move.tag);
        audit.push({ action: 'questionnaire.submit', clientId, details: { responseId: pid, versionId: v.publicId, code } });
        await this.s.deps.audit.recordMany(actor, audit, m);
        return { pointsEarned };
      },
      // A lost race on the submission's unique key is settled by running again: the twin is then found.
      { retryIf: (err) => isDeadlock(err) || isDuplicateKey(err) },
    );
    if ('replay' in result) return this.replay(result.replay, hash);
    if ('stale' in result) {
      this.s.submitTemplates.delete(code);
      return 'stale';
    }
    this.s.log.debug({ clientId, responseId: pid, grade: a.leadGrade, score: a.intentScore }, 'questionnaire submitted');
    return { id: pid, versionId: v.publicId, submittedAt: now, pointsEarned: result.pointsEarned, replayed: false, summary: this.summaryOf(v, checked.answers) };
  }

  /** The questionnaire points, once per client and version (PointsService's key); 0 when already granted. */
  private async grantPoints(m: EntityManager, clientId: number, versionPublicId: string): Promise<number> {
    try {
      const r = await this.s.deps.points.earnForQuestionnaire(m, clientId, versionPublicId);
      return r && !r.replayed ? r.entry.delta : 0;
    } catch (err) {
      // Granted before under another points setting: still granted once, nothing more to give.
      if (err instanceof AppError && err.code === PointsErrors.IDEMPOTENCY_KEY_REUSED) return 0;
      throw err;
    }
  }

  /** The draft row is kept (started vs submitted) with its answers cleared; the archive's intent part is replaced. */
  private async writeArchive(m: EntityManager, clientId: number, templateId: number, versionId: number, responseId: number, a: Assessment, now: Date): Promise<void> {
    await m.query(
      `INSERT INTO questionnaire_drafts (client_id, template_id, version_id, answers_enc, revision, started_at, updated_at, submitted_response_id)
       VALUES (?, ?, ?, NULL, 1, ?, ?, ?)
       ON DUPLICATE KEY UPDATE version_id = VALUES(version_id), answers_enc = NULL, revision = revision + 1, updated_at = VALUES(updated_at),
         submitted_response_id = VALUES(submitted_response_id)`,
      [clientId, templateId, versionId, now, now, responseId],
    );
    const cols = {
      latest_response_id: responseId, template_id: templateId, projects: JSON.stringify(a.projects), budget_max_fen: a.budgetMaxFen, budget_min_fen: a.budgetMinFen,
      budget_band: a.budgetBand, intent_score: a.intentScore, intent_components: JSON.stringify(a.components), lead_grade: a.leadGrade,
      risk_tolerance: a.riskTolerance, expectation_flags: JSON.stringify(a.expectationFlags), key_answers_enc: this.s.deps.cipher.encryptJson(a.keyAnswers, questionnaireAad.keyAnswers(clientId)),
      completeness_pct: a.completenessPct, submitted_at: now, updated_at: now,
    };
    const names = Object.keys(cols);
    await m.query(
      `INSERT INTO client_intents (client_id, ${names.join(', ')}) VALUES (?, ${names.map(() => '?').join(', ')})
       ON DUPLICATE KEY UPDATE ${names.map((n) => `${n} = VALUES(${n})`).join(', ')}`,
      [clientId, ...Object.values(cols)],
    );
  }

  /**
   * Tag rules: project interest, value tier, lead grade. Tags other sources set
   * (staff, spend) are kept: a project tag from staff stays, and a value tier from real spending
   * outranks a stated budget. A dimension whose set does not change is not touched (no outbox row).
   * `stageTag`: the stage tag of the move this submission made, written in the same go.
   */
  private async applyTags(m: EntityManager, clientId: number, a: Assessment, stageTag?: StageMove['tag']): Promise<void> {
    const locked = await this.s.deps.tags.lockDimensions(m, clientId, stageTag ? [...QUESTIONNAIRE_TAG_DIMENSIONS, stageTag.dimension] : QUESTIONNAIRE_TAG_DIMENSIONS);
    const changed: TagSet = {};
    const sources: Partial<Record<TagDimension, string>> = {};
    for (const dim of QUESTIONNAIRE_TAG_DIMENSIONS) {
      const current = locked.rows.filter((r) => r.dimension === dim);
      const foreign = current.filter((r) => r.source !== 'questionnaire').map((r) => r.value);
      if (dim === 'value_tier' && foreign.length) continue;
      const wanted = [...new Set([...a.tags[dim], ...(dim === 'project' ? foreign : [])])];
      const have = new Set(current.map((r) => r.value));
      if (wanted.length === have.size && wanted.every((x) => have.has(x))) continue;
      changed[dim] = wanted;
      sources[dim] = 'questionnaire';
    }
    if (stageTag) {
      changed[stageTag.dimension] = stageTag.values;
      sources[stageTag.dimension] = stageTag.source;
    }
    // All changed dimensions in one go: one sync row for the bot, not one per dimension.
    await this.s.deps.tags.setDimensions(m, clientId, changed, sources, { current: locked });
  }

  /** The client's newest submission of a template, as the client may see it; 404 when none. */
  async latestOwn(clientId: number, code: string): Promise<Omit<SubmissionResult, 'replayed'>> {
    const t = await this.s.requireTemplate(code);
    const rows: ResponseRow[] = await this.s.deps.db.query(
      `SELECT id, public_id, client_id, template_id, version_id, request_hash, submitted_at, points_awarded, answers_enc
         FROM questionnaire_responses WHERE client_id = ? AND template_id = ? ORDER BY submitted_at DESC, id DESC LIMIT 1`,
      [clientId, t.id],
    );
    if (!rows[0]) throw notFound('Submission');
    const { replayed: _r, ...view } = await this.replay(rows[0], rows[0].request_hash);
    return view;
  }

  /** The client's newest intent response (contract with plans and metrics), or null. */
  async latestResponseFor(clientId: number, m: EntityManager = this.s.deps.db.manager): Promise<LatestResponse | null> {
    const rows: { public_id: string; version_public_id: string; submitted_at: Date; intent_score: number; lead_grade: LeadGrade }[] = await m.query(
      `SELECT r.public_id, v.public_id AS version_public_id, r.submitted_at, r.intent_score, r.lead_grade
         FROM client_intents i JOIN questionnaire_responses r ON r.id = i.latest_response_id JOIN questionnaire_versions v ON v.id = r.version_id
        WHERE i.client_id = ?`,
      [clientId],
    );
    const r = rows[0];
    return r ? { publicId: r.public_id, versionId: r.version_public_id, submittedAt: r.submitted_at, intentScore: Number(r.intent_score), leadGrade: r.lead_grade } : null;
  }
}
