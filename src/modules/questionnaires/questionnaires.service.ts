import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { ageOn } from '../../shared/clock';
import { AppError, notFound } from '../../shared/errors';
import { isDeadlock, isDuplicateKey, runInTransaction } from '../../shared/db';
import { FieldCipher, publicId as newPublicId, sha256 } from '../../shared/crypto';
import { createLogger, Logger } from '../../shared/logger';
import type { Actor, AuditRecord, AuditService } from '../audit';
import type { ClientsService } from '../clients';
import { mayAccess, readClientField } from '../clients';
import type { TagDimension, TagSet, TagsService } from '../tags';
import type { ClientStage, JourneyService, StageMove } from '../journey';
import type { PointsService } from '../points';
import { PointsErrors } from '../points';
import { Answers, AnswerValue, CompiledDefinition, checkDraftAnswers, checkSubmission, compile } from './questionnaires.answers';
import { Definition, indexQuestions, LeadGrade, QUESTIONNAIRE_TAG_DIMENSIONS, RiskLevel, validateDefinition } from './questionnaires.definition';
import { assess, Assessment, displayAnswer } from './questionnaires.rules';
import { QuestionnaireErrors } from './questionnaires.errors';

export interface QuestionnairesDeps {
  db: DataSource;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditService;
  clients: ClientsService;
  tags: TagsService;
  journey: JourneyService;
  points: PointsService;
  /** Module logger; a silent-by-level one is made when not given. */
  logger?: Logger;
}

/**
 * Associated data of every encrypted questionnaire column: binds a ciphertext to its row, so a
 * value copied elsewhere fails to decrypt (the re-encryption command needs the same).
 */
export const questionnaireAad = {
  draft: (clientId: number, templateId: number) => `questionnaire_drafts:${clientId}:${templateId}:answers`,
  answers: (responsePublicId: string) => `questionnaire_responses:${responsePublicId}:answers`,
  healthAnswers: (responsePublicId: string) => `questionnaire_responses:${responsePublicId}:health_answers`,
  safetyFlags: (responsePublicId: string) => `questionnaire_responses:${responsePublicId}:safety_flags`,
};

/** A version as the service uses it; published ones are cached for the life of the process (they never change). */
interface LoadedVersion {
  id: number;
  publicId: string;
  templateId: number;
  number: number;
  status: 'draft' | 'published';
  compiled: CompiledDefinition;
  /** The definition without its rules: what a client is shown. */
  clientSections: Definition['sections'];
  healthConsentRequired: boolean;
}

interface TemplateRow {
  id: number;
  publicId: string;
  code: string;
  title: string;
  publishedVersionId: number | null;
}

export interface ClientTemplateView {
  code: string;
  versionId: string;
  version: number;
  title: string;
  intro?: string;
  /** Some questions are health data: the client must give the health-data consent before answering them. */
  healthConsentRequired: boolean;
  sections: Definition['sections'];
}

export interface DraftView {
  versionId: string;
  answers: Answers;
  revision: number;
  startedAt: Date | null;
  updatedAt: Date | null;
  submitted: boolean;
  carriedOver: boolean;
}

export interface SubmissionInput {
  submissionId: string;
  versionId: string;
  answers: Record<string, unknown>;
}

/** What the client sees of a submission: no grade, score or flags (those are for staff). */
export interface ClientSummary {
  areas: { value: string; label: string }[];
  budgetMaxFen: number | null;
  budgetMinFen: number | null;
  message: string;
}

export interface SubmissionResult {
  id: string;
  versionId: string;
  submittedAt: Date;
  pointsEarned: number;
  replayed: boolean;
  summary: ClientSummary;
}

export interface VersionRef {
  id: string;
  number: number;
  status: 'draft' | 'published';
  createdAt: Date;
  publishedAt: Date | null;
  current: boolean;
}
export interface TemplateView {
  id: string;
  code: string;
  title: string;
  publishedVersionId: string | null;
  versions: VersionRef[];
}
export interface VersionView extends VersionRef {
  templateId: string;
  code: string;
  definition: Definition;
}

export interface LeadsQuery {
  grade?: LeadGrade[];
  project?: string;
  consultantId?: string;
  unassigned?: boolean;
  clientId?: string;
  page: number;
  pageSize: number;
}

export interface LeadItem {
  client: { id: string; name: string | null; gender: string; age: number | null; stage: string; consultant: { id: string; displayName: string } | null };
  responseId: string;
  submittedAt: Date;
  leadGrade: LeadGrade;
  intentScore: number;
  intentComponents: Record<string, number>;
  riskTolerance: RiskLevel;
  projects: { value: string; label: string }[];
  budgetMaxFen: number | null;
  budgetMinFen: number | null;
  budgetBand: string | null;
  expectationFlags: { code: string; label: string }[];
  completenessPct: number;
  keyAnswers: { id: string; title: string; answer: unknown }[];
}

export interface StaffResponseView {
  id: string;
  client: { id: string };
  template: { code: string; title: string };
  versionId: string;
  versionNumber: number;
  submittedAt: Date;
  intentScore: number;
  intentComponents: Record<string, number>;
  leadGrade: LeadGrade;
  riskTolerance: RiskLevel;
  completenessPct: number;
  expectationFlags: { code: string; label: string }[];
  sections: { id: string; title: string; sensitive: boolean; answers: { id: string; title: string; type: string; value: AnswerValue; display: unknown }[] }[];
  /** Doctors and the director only. */
  safetyFlags?: { code: string; label: string; severity: 'caution' | 'contraindication' }[];
  healthErased?: boolean;
  /** What was left out for this role. */
  redacted?: string[];
}

/** For other modules (plans, metrics): the client's newest intent questionnaire. */
export interface LatestResponse {
  publicId: string;
  versionId: string;
  submittedAt: Date;
  intentScore: number;
  leadGrade: LeadGrade;
}

/** The client row locked for a submission, with the submission's first checks (lockForSubmission). */
interface SubmissionLock {
  id: number;
  publicId: string;
  birthDate: string | null;
  stage: ClientStage;
  storedResponseId: number | null;
  publishedVersionId: number | null;
}

interface ResponseRow {
  id: number;
  public_id: string;
  client_id: number;
  template_id: number;
  version_id: number;
  request_hash: string;
  submitted_at: Date;
  points_awarded: number;
  answers_enc: Buffer;
}

const CLIENT_MESSAGE = '感谢您的填写！您的专属顾问会根据您的想法尽快与您联系，为您安排合适的面诊。';

function parseJson<T>(v: T | string | null | undefined, fallback: T): T {
  if (v === null || v === undefined) return fallback;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}

/** Keys sorted at every level, so the same answers always hash the same. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/**
 * Questionnaires: versioned templates managed by the director; the client's
 * draft (autosaved, encrypted, resumable on any phone) and idempotent submission, which in one
 * transaction stores the response, updates the archive (intent, medical history), scores and flags
 * it by the version's rules, sets tags and the stage, grants the points once per version and leaves
 * the bot its tag-sync outbox rows. Staff read leads and (audited) responses.
 */
export class QuestionnairesService {
  private readonly log: Logger;
  private readonly published = new Map<number, LoadedVersion>();
  /**
   * Templates by code as last read, for submissions only: the published version is read again
   * under the client lock, so a stale entry costs a second try, never an answer to an old version.
   */
  private readonly submitTemplates = new Map<string, TemplateRow>();

  constructor(private readonly deps: QuestionnairesDeps) {
    this.log = deps.logger ?? createLogger('info', { module: 'questionnaires' });
  }

  // ---------------------------------------------------------------- versions and templates (loading)

  private async templateBy(m: EntityManager, by: { code: string } | { publicId: string }, lock = false): Promise<TemplateRow | null> {
    const [col, value] = 'code' in by ? ['code', by.code] : ['public_id', by.publicId];
    const rows: TemplateRow[] = await m.query(
      `SELECT id, public_id AS publicId, code, title, published_version_id AS publishedVersionId FROM questionnaire_templates WHERE ${col} = ?${lock ? ' FOR UPDATE' : ''}`,
      [value],
    );
    return rows[0] ?? null;
  }

  private async requireTemplate(code: string): Promise<TemplateRow> {
    const t = await this.templateBy(this.deps.db.manager, { code });
    if (!t) throw notFound('Questionnaire');
    return t;
  }

  /** A version by internal id; published ones come from (and go into) the process cache. */
  private async loadVersion(id: number, m: EntityManager = this.deps.db.manager): Promise<LoadedVersion | null> {
    const cached = this.published.get(id);
    if (cached) return cached;
    const rows: { id: number; public_id: string; template_id: number; number: number; status: 'draft' | 'published'; definition: Definition | string }[] =
      await m.query('SELECT id, public_id, template_id, number, status, definition FROM questionnaire_versions WHERE id = ?', [id]);
    const row = rows[0];
    if (!row) return null;
    const def = parseJson<Definition>(row.definition, null as unknown as Definition);
    const questions = indexQuestions(def);
    const { rules: _rules, ...rest } = def;
    const loaded: LoadedVersion = {
      id: row.id,
      publicId: row.public_id,
      templateId: row.template_id,
      number: row.number,
      status: row.status,
      compiled: compile(def, questions),
      clientSections: rest.sections,
      healthConsentRequired: [...questions.values()].some((q) => q.sensitive),
    };
    if (row.status === 'published') this.published.set(id, loaded);
    return loaded;
  }

  private async versionIdOf(publicId: string): Promise<number | null> {
    const rows: { id: number }[] = await this.deps.db.query('SELECT id FROM questionnaire_versions WHERE public_id = ?', [publicId]);
    return rows[0]?.id ?? null;
  }

  /** The version clients get now; 409 QUESTIONNAIRE_NOT_PUBLISHED when there is none. */
  private async currentOf(t: TemplateRow): Promise<LoadedVersion> {
    const v = t.publishedVersionId === null ? null : await this.loadVersion(t.publishedVersionId);
    if (!v) throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_NOT_PUBLISHED, 'This questionnaire has no published version yet');
    return v;
  }

  /** Answers are only taken for the version clients get now: an older or unpublished one → 409 with the current id. */
  private async requireCurrent(t: TemplateRow, versionPublicId: string): Promise<LoadedVersion> {
    const current = await this.currentOf(t);
    if (current.publicId === versionPublicId) return current;
    const id = await this.versionIdOf(versionPublicId);
    const other = id === null ? null : await this.loadVersion(id);
    const reason = !other || other.templateId !== t.id ? 'unknown' : other.status === 'published' ? 'superseded' : 'unpublished';
    throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_VERSION_NOT_CURRENT, 'These answers are for a version that is not the current one; fetch the questionnaire again', {
      field: 'body.versionId', reason, currentVersionId: current.publicId,
    });
  }

  // ---------------------------------------------------------------- mini-program

  /** The published version of a template for the client to fill in; the rules stay on the server. */
  async publishedFor(code: string): Promise<ClientTemplateView> {
    const t = await this.requireTemplate(code);
    const v = await this.currentOf(t);
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

  private openAnswers(blob: Buffer | null, aad: string, where: Record<string, unknown>): Answers {
    if (!blob) return {};
    try {
      return JSON.parse(this.deps.cipher.decrypt(blob, aad)) as Answers;
    } catch {
      this.log.error(where, 'stored questionnaire answers cannot be decrypted; answered as empty');
      return {};
    }
  }

  /**
   * The client's draft for the current version. A draft saved on an older version is carried over:
   * answers to questions that still exist, in a shape that still fits, are kept.
   */
  async getDraft(clientId: number, code: string): Promise<DraftView> {
    const t = await this.requireTemplate(code);
    const v = await this.currentOf(t);
    const rows: { version_id: number; answers_enc: Buffer | null; revision: number; started_at: Date; updated_at: Date; submitted_response_id: number | null }[] =
      await this.deps.db.query(
        'SELECT version_id, answers_enc, revision, started_at, updated_at, submitted_response_id FROM questionnaire_drafts WHERE client_id = ? AND template_id = ?',
        [clientId, t.id],
      );
    const row = rows[0];
    if (!row) return { versionId: v.publicId, answers: {}, revision: 0, startedAt: null, updatedAt: null, submitted: false, carriedOver: false };
    let answers = this.openAnswers(row.answers_enc, questionnaireAad.draft(clientId, t.id), { clientId, templateId: t.id });
    const carriedOver = row.version_id !== v.id && Object.keys(answers).length > 0;
    if (carriedOver) answers = checkDraftAnswers(v.compiled, answers, this.deps.clock.now()).kept;
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
    const now = this.deps.clock.now();
    const t = await this.requireTemplate(code);
    const v = await this.requireCurrent(t, input.versionId);
    const { kept, problems } = checkDraftAnswers(v.compiled, input.answers, now);
    if (problems.length) throw this.invalid(problems);
    const health = Object.keys(kept).some((qid) => v.compiled.questions.get(qid)!.sensitive);
    const enc = this.deps.cipher.encryptJson(kept, questionnaireAad.draft(clientId, t.id));
    return runInTransaction(this.deps.db, async (m) => {
      const client = await this.lockClient(m, clientId);
      if (health) await this.deps.clients.requireHealthConsent(m, clientId, client.birthDate);
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

  private invalid(problems: { field: string; message: string; type?: string }[]): AppError {
    return new AppError(QuestionnaireErrors.QUESTIONNAIRE_INVALID_ANSWERS, 'Some answers are not valid', problems);
  }

  /** Locks the client row (serialises one client's submissions and drafts); a missing or deleted client → 404. */
  private async lockClient(m: EntityManager, clientId: number): Promise<{ id: number; publicId: string; birthDate: string | null }> {
    const rows: { id: number; publicId: string; birthDate: string | null; status: string }[] = await m.query(
      "SELECT id, public_id AS publicId, DATE_FORMAT(birth_date, '%Y-%m-%d') AS birthDate, status FROM clients WHERE id = ? FOR UPDATE",
      [clientId],
    );
    if (!rows[0] || rows[0].status !== 'active') throw notFound('Client');
    return rows[0];
  }

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
    const v = (await this.loadVersion(row.version_id))!;
    const answers = this.openAnswers(row.answers_enc, questionnaireAad.answers(row.public_id), { responseId: row.id });
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
    const cached = fresh ? undefined : this.submitTemplates.get(code);
    if (cached?.publishedVersionId && this.published.get(cached.publishedVersionId)?.publicId === versionPublicId) return cached;
    const t = await this.requireTemplate(code);
    this.submitTemplates.set(code, t);
    return t;
  }

  private async submitOnce(clientId: number, code: string, input: SubmissionInput, actor: Actor, fresh: boolean): Promise<SubmissionResult | 'stale'> {
    const submissionId = input.submissionId.toLowerCase();
    const hash = this.requestHash(code, input);
    const now = this.deps.clock.now();
    const t = await this.templateForSubmission(code, input.versionId, fresh);
    let v: LoadedVersion;
    let checked: ReturnType<typeof checkSubmission>;
    try {
      v = await this.requireCurrent(t, input.versionId);
      checked = checkSubmission(v.compiled, input.answers, now);
      if (checked.problems.length) throw this.invalid(checked.problems);
    } catch (err) {
      // A retry of a submission that went through (say, before a newer version was published) gets its result back.
      const prior = await this.findSubmission(this.deps.db.manager, clientId, submissionId);
      if (prior) return this.replay(prior, hash);
      throw err;
    }
    const a = assess(v.compiled, checked.answers, checked.visible);

    const plain: Answers = {};
    const health: Answers = {};
    for (const [qid, value] of Object.entries(checked.answers)) (v.compiled.questions.get(qid)!.sensitive ? health : plain)[qid] = value;
    const hasHealth = Object.keys(health).length > 0;
    const pid = newPublicId();
    const { cipher } = this.deps;
    const answersEnc = cipher.encryptJson(plain, questionnaireAad.answers(pid));
    const healthEnc = hasHealth ? cipher.encryptJson(health, questionnaireAad.healthAnswers(pid)) : null;
    const safetyEnc = cipher.encryptJson(a.safetyFlags, questionnaireAad.safetyFlags(pid));

    const result = await runInTransaction(
      this.deps.db, async (m): Promise<{ replay: ResponseRow } | { stale: true } | { pointsEarned: number }> => {
        const client = await this.lockForSubmission(m, clientId, submissionId, t.id);
        // A twin of this request may have committed while we waited for the lock.
        const again = client.storedResponseId === null ? null : await this.findSubmission(m, clientId, submissionId);
        if (again) return { replay: again };
        // The answers were checked against the version current then; a newer one may have been published since.
        if (Number(client.publishedVersionId) !== v.id) return { stale: true };
        if (hasHealth) await this.deps.clients.requireHealthConsent(m, clientId, client.birthDate);

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
          await this.deps.clients.mergeMedical(m, client, a.medical, actor, { type: 'client', id: clientId }, 'questionnaire', { auditInto: audit });
        }
        // The stage tag is written with the questionnaire's tags: one read of the tag set, one sync row.
        const move = await this.deps.journey.moveTo(m, clientId, 'surveyed', actor, { reason: 'questionnaire', at: now, lockedStage: client.stage, deferTag: true });
        await this.applyTags(m, clientId, a, move.tag);
        audit.push({ action: 'questionnaire.submit', clientId, details: { responseId: pid, versionId: v.publicId, code } });
        await this.deps.audit.recordMany(actor, audit, m);
        return { pointsEarned };
      },
      // A lost race on the submission's unique key is settled by running again: the twin is then found.
      { retryIf: (err) => isDeadlock(err) || isDuplicateKey(err) },
    );
    if ('replay' in result) return this.replay(result.replay, hash);
    if ('stale' in result) {
      this.submitTemplates.delete(code);
      return 'stale';
    }
    this.log.debug({ clientId, responseId: pid, grade: a.leadGrade, score: a.intentScore }, 'questionnaire submitted');
    return { id: pid, versionId: v.publicId, submittedAt: now, pointsEarned: result.pointsEarned, replayed: false, summary: this.summaryOf(v, checked.answers) };
  }

  /** The questionnaire points, once per client and version (PointsService's key); 0 when already granted. */
  private async grantPoints(m: EntityManager, clientId: number, versionPublicId: string): Promise<number> {
    try {
      const r = await this.deps.points.earnForQuestionnaire(m, clientId, versionPublicId);
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
      risk_tolerance: a.riskTolerance, expectation_flags: JSON.stringify(a.expectationFlags), key_answers: JSON.stringify(a.keyAnswers),
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
    const locked = await this.deps.tags.lockDimensions(m, clientId, stageTag ? [...QUESTIONNAIRE_TAG_DIMENSIONS, stageTag.dimension] : QUESTIONNAIRE_TAG_DIMENSIONS);
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
    await this.deps.tags.setDimensions(m, clientId, changed, sources, { current: locked });
  }

  /** The client's newest submission of a template, as the client may see it; 404 when none. */
  async latestOwn(clientId: number, code: string): Promise<Omit<SubmissionResult, 'replayed'>> {
    const t = await this.requireTemplate(code);
    const rows: ResponseRow[] = await this.deps.db.query(
      `SELECT id, public_id, client_id, template_id, version_id, request_hash, submitted_at, points_awarded, answers_enc
         FROM questionnaire_responses WHERE client_id = ? AND template_id = ? ORDER BY submitted_at DESC, id DESC LIMIT 1`,
      [clientId, t.id],
    );
    if (!rows[0]) throw notFound('Submission');
    const { replayed: _r, ...view } = await this.replay(rows[0], rows[0].request_hash);
    return view;
  }

  /** The client's newest intent response (contract with plans and metrics), or null. */
  async latestResponseFor(clientId: number, m: EntityManager = this.deps.db.manager): Promise<LatestResponse | null> {
    const rows: { public_id: string; version_public_id: string; submitted_at: Date; intent_score: number; lead_grade: LeadGrade }[] = await m.query(
      `SELECT r.public_id, v.public_id AS version_public_id, r.submitted_at, r.intent_score, r.lead_grade
         FROM client_intents i JOIN questionnaire_responses r ON r.id = i.latest_response_id JOIN questionnaire_versions v ON v.id = r.version_id
        WHERE i.client_id = ?`,
      [clientId],
    );
    const r = rows[0];
    return r ? { publicId: r.public_id, versionId: r.version_public_id, submittedAt: r.submitted_at, intentScore: Number(r.intent_score), leadGrade: r.lead_grade } : null;
  }

  // ---------------------------------------------------------------- staff: templates (director)

  private definitionOrThrow(input: unknown): Definition {
    const { value, problems } = validateDefinition(input, 'body.definition');
    if (!value) throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_DEFINITION_INVALID, 'The questionnaire definition is not valid', problems);
    return value;
  }

  private async versionRefs(templateId: number, publishedVersionId: number | null): Promise<VersionRef[]> {
    const rows: { public_id: string; id: number; number: number; status: 'draft' | 'published'; created_at: Date; published_at: Date | null }[] =
      await this.deps.db.query(
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
    const rows: TemplateRow[] = await this.deps.db.query(
      'SELECT id, public_id AS publicId, code, title, published_version_id AS publishedVersionId FROM questionnaire_templates ORDER BY code',
    );
    return Promise.all(rows.map((t) => this.templateView(t)));
  }

  async getTemplate(templatePublicId: string): Promise<TemplateView> {
    const t = await this.templateBy(this.deps.db.manager, { publicId: templatePublicId });
    if (!t) throw notFound('Questionnaire');
    return this.templateView(t);
  }

  async getVersion(versionPublicId: string): Promise<VersionView> {
    const rows: { id: number; public_id: string; number: number; status: 'draft' | 'published'; definition: Definition | string; created_at: Date; published_at: Date | null;
      template_public_id: string; code: string; published_version_id: number | null }[] = await this.deps.db.query(
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
      await runInTransaction(this.deps.db, async (m) => {
        const tpid = newPublicId();
        const res = await m.query('INSERT INTO questionnaire_templates (public_id, code, title) VALUES (?, ?, ?)', [tpid, input.code, def.title]);
        const vpid = newPublicId();
        await m.query(
          "INSERT INTO questionnaire_versions (public_id, template_id, number, status, definition, created_by) VALUES (?, ?, 1, 'draft', ?, ?)",
          [vpid, Number(res.insertId), JSON.stringify(def), actor.id],
        );
        await this.deps.audit.record(actor, 'questionnaire.template.create', { details: { templateId: tpid, code: input.code, versionId: vpid } }, m);
      });
    } catch (err) {
      if (isDuplicateKey(err) && String((err as Error).message).includes('uq_questionnaire_templates_code')) {
        throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_CODE_TAKEN, 'A questionnaire with this code exists', { field: 'body.code' });
      }
      throw err;
    }
    return this.templateView((await this.templateBy(this.deps.db.manager, { code: input.code }))!);
  }

  /**
   * A new draft version, a copy of `fromVersionId` (default: the published one, else the newest).
   * One draft per template at a time (409 QUESTIONNAIRE_DRAFT_EXISTS names it). Audited.
   */
  async createDraftVersion(actor: Actor, templatePublicId: string, input: { fromVersionId?: string }): Promise<VersionView> {
    const pid = newPublicId();
    await runInTransaction(this.deps.db, async (m) => {
      const t = await this.templateBy(m, { publicId: templatePublicId }, true);
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
      await this.deps.audit.record(actor, 'questionnaire.version.create', { details: { templateId: t.publicId, versionId: pid, from: source.public_id } }, m);
    });
    return this.getVersion(pid);
  }

  /** Replaces a draft version's definition. Only a draft: `WHERE status = 'draft'`, a published one → 409. Audited. */
  async updateDraftVersion(actor: Actor, versionPublicId: string, definition: unknown): Promise<VersionView> {
    const def = this.definitionOrThrow(definition);
    await runInTransaction(this.deps.db, async (m) => {
      const res = await m.query("UPDATE questionnaire_versions SET definition = ? WHERE public_id = ? AND status = 'draft'", [JSON.stringify(def), versionPublicId]);
      if (Number(res.affectedRows) !== 1) {
        const rows: unknown[] = await m.query('SELECT id FROM questionnaire_versions WHERE public_id = ?', [versionPublicId]);
        if (!rows.length) throw notFound('Questionnaire version');
        throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_VERSION_NOT_DRAFT, 'A published version never changes; create a new draft version to edit');
      }
      await this.deps.audit.record(actor, 'questionnaire.version.update', { details: { versionId: versionPublicId } }, m);
    });
    return this.getVersion(versionPublicId);
  }

  /**
   * Publishes a draft: from now on clients get it, and answers for the previous version are
   * refused (QUESTIONNAIRE_VERSION_NOT_CURRENT). The definition is checked again. Audited.
   */
  async publish(actor: Actor, versionPublicId: string): Promise<VersionView> {
    const now = this.deps.clock.now();
    await runInTransaction(this.deps.db, async (m) => {
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
      await this.deps.audit.record(actor, 'questionnaire.version.publish', { details: { versionId: versionPublicId } }, m);
    });
    // Other instances find out under the client lock of their next submission (submitOnce).
    this.submitTemplates.clear();
    return this.getVersion(versionPublicId);
  }

  // ---------------------------------------------------------------- staff: leads and responses

  private labelsOf(v: LoadedVersion | null, flags: string[]): { code: string; label: string }[] {
    const rules = v?.compiled.def.rules;
    return flags.map((code) => ({ code, label: rules?.expectationFlags?.find((f) => f.code === code)?.label ?? code }));
  }

  private personalName(publicId: string, enc: Buffer | null, clientId: number): string | null {
    return readClientField(this.deps.cipher, publicId, 'name', enc, () => {
      this.log.error({ clientId }, 'client name cannot be decrypted; answered as null');
    });
  }

  /**
   * Leads for follow-up: clients with a submitted questionnaire, A first, then by
   * score. A consultant sees the clients assigned to them (as with the archive itself); doctors and
   * the director see all, the director can filter by consultant or unassigned. No health data.
   * Audited 'lead.list' with the client ids shown.
   */
  async leads(actor: Actor, q: LeadsQuery): Promise<{ items: LeadItem[]; page: number; pageSize: number; total: number }> {
    // Which clients: the client-access rule (archive: intent answers without health).
    this.deps.clients.access.requireScope(actor, 'archive');
    const scope = this.deps.clients.access.filter(actor, 'archive');
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
    const clause = where.join(' AND ');
    const [{ total }]: { total: number | string }[] = await this.deps.db.query(
      `SELECT COUNT(*) AS total FROM client_intents i JOIN clients c ON c.id = i.client_id WHERE ${clause}`, params,
    );
    const rows: Record<string, any>[] = await this.deps.db.query(
      `SELECT i.*, c.public_id AS client_public_id, c.name_enc, c.gender, DATE_FORMAT(c.birth_date, '%Y-%m-%d') AS birth_date, c.stage,
              s.public_id AS consultant_public_id, s.display_name AS consultant_name, r.public_id AS response_public_id, r.version_id
         FROM client_intents i JOIN clients c ON c.id = i.client_id
         JOIN questionnaire_responses r ON r.id = i.latest_response_id
         LEFT JOIN staff s ON s.id = c.consultant_id
        WHERE ${clause}
        ORDER BY i.lead_grade ASC, i.intent_score DESC, i.submitted_at DESC, i.client_id DESC LIMIT ? OFFSET ?`,
      [...params, q.pageSize, (q.page - 1) * q.pageSize],
    );
    const now = this.deps.clock.now();
    const items: LeadItem[] = [];
    for (const r of rows) {
      const v = await this.loadVersion(Number(r.version_id));
      const questions = v?.compiled.questions;
      const projectsQ = v?.compiled.def.rules.archive?.projects;
      const keyAnswers = parseJson<Answers>(r.key_answers, {});
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
        projects: parseJson<string[]>(r.projects, []).map((value) => ({
          value, label: (projectsQ && questions?.get(projectsQ)?.optionByValue.get(value)?.label) || value,
        })),
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
    await this.deps.audit.record(actor, 'lead.list', {
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
    const rows: Record<string, any>[] = await this.deps.db.query(
      `SELECT r.*, c.public_id AS client_public_id, c.consultant_id, c.status AS client_status, t.code, t.title
         FROM questionnaire_responses r JOIN clients c ON c.id = r.client_id JOIN questionnaire_templates t ON t.id = r.template_id
        WHERE r.public_id = ?`,
      [responsePublicId],
    );
    const r = rows[0];
    if (!r || r.client_status !== 'active') throw notFound('Questionnaire response');
    const clientId = Number(r.client_id);
    const owner = { consultantId: r.consultant_id === null ? null : Number(r.consultant_id) };
    this.deps.clients.access.requireScope(actor, 'archive');
    if (!mayAccess(actor, owner, 'archive')) {
      await this.deps.audit.record(actor, 'client.read', { clientId, allowed: false, details: { via: 'questionnaire_response', responseId: responsePublicId, reason: 'not_assigned', role: actor.role } });
      throw notFound('Questionnaire response');
    }
    const withHealth = mayAccess(actor, owner, 'health');
    const v = (await this.loadVersion(Number(r.version_id)))!;
    const where = { responseId: Number(r.id) };
    const answers: Answers = { ...this.openAnswers(r.answers_enc, questionnaireAad.answers(r.public_id), where) };
    const healthErased = r.health_answers_enc === null && r.safety_flags_enc === null;
    if (withHealth) Object.assign(answers, this.openAnswers(r.health_answers_enc, questionnaireAad.healthAnswers(r.public_id), where));

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
    await this.deps.audit.record(actor, 'client.read', {
      clientId,
      details: { via: 'questionnaire_response', responseId: r.public_id, role: actor.role, sections: ['questionnaire', ...(withHealth ? ['health', 'safety_flags'] : [])] },
    });
    return view;
  }

  private openText(blob: Buffer, aad: string, where: Record<string, unknown>): string | null {
    try {
      return this.deps.cipher.decrypt(blob, aad);
    } catch {
      this.log.error(where, 'stored questionnaire value cannot be decrypted; answered as empty');
      return null;
    }
  }

  // ---------------------------------------------------------------- the client's rights over the archive (PIPL)

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
        const v = await this.loadVersion(r.version_id, m);
        const answers = {
          ...this.openAnswers(r.answers_enc, questionnaireAad.answers(r.public_id), { clientId }),
          ...this.openAnswers(r.health_answers_enc, questionnaireAad.healthAnswers(r.public_id), { clientId }),
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
