import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { AppError, notFound } from '../../shared/errors';
import { FieldCipher } from '../../shared/crypto';
import { createLogger, Logger } from '../../shared/logger';
import type { AuditService } from '../audit';
import type { ClientsService } from '../clients';
import type { TagsService } from '../tags';
import type { ClientStage, JourneyService } from '../journey';
import type { PointsService } from '../points';
import { Answers, CompiledDefinition, compile } from './questionnaires.answers';
import { Definition, indexQuestions } from './questionnaires.definition';
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
  keyAnswers: (clientId: number) => `client_intents:${clientId}:key_answers`,
};

/** A version as the service uses it; published ones are cached for the life of the process (they never change). */
export interface LoadedVersion {
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

export interface TemplateRow {
  id: number;
  publicId: string;
  code: string;
  title: string;
  publishedVersionId: number | null;
}


/** The client row locked for a submission, with the submission's first checks (lockForSubmission). */
export interface SubmissionLock {
  id: number;
  publicId: string;
  birthDate: string | null;
  stage: ClientStage;
  storedResponseId: number | null;
  publishedVersionId: number | null;
}

export interface ResponseRow {
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

export const CLIENT_MESSAGE = '感谢您的填写！您的专属顾问会根据您的想法尽快与您联系，为您安排合适的面诊。';

export function parseJson<T>(v: T | string | null | undefined, fallback: T): T {
  if (v === null || v === undefined) return fallback;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}

/** Keys sorted at every level, so the same answers always hash the same. */
export function canonical(v: unknown): unknown {
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

/** What the questionnaire use cases share: dependencies, loaded versions and templates, reads that never crash. */
export class QuestionnairesSupport {
  readonly log: Logger;
  readonly published = new Map<number, LoadedVersion>();
  /**
   * Templates by code as last read, for submissions only: the published version is read again
   * under the client lock, so a stale entry costs a second try, never an answer to an old version.
   */
  readonly submitTemplates = new Map<string, TemplateRow>();

  constructor(readonly deps: QuestionnairesDeps) {
    this.log = deps.logger ?? createLogger('info', { module: 'questionnaires' });
  }

  async templateBy(m: EntityManager, by: { code: string } | { publicId: string }, lock = false): Promise<TemplateRow | null> {
    const [col, value] = 'code' in by ? ['code', by.code] : ['public_id', by.publicId];
    const rows: TemplateRow[] = await m.query(
      `SELECT id, public_id AS publicId, code, title, published_version_id AS publishedVersionId FROM questionnaire_templates WHERE ${col} = ?${lock ? ' FOR UPDATE' : ''}`,
      [value],
    );
    return rows[0] ?? null;
  }

  async requireTemplate(code: string): Promise<TemplateRow> {
    const t = await this.templateBy(this.deps.db.manager, { code });
    if (!t) throw notFound('Questionnaire');
    return t;
  }

  /** A version by internal id; published ones come from (and go into) the process cache. */
  async loadVersion(id: number, m: EntityManager = this.deps.db.manager): Promise<LoadedVersion | null> {
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

  async versionIdOf(publicId: string): Promise<number | null> {
    const rows: { id: number }[] = await this.deps.db.query('SELECT id FROM questionnaire_versions WHERE public_id = ?', [publicId]);
    return rows[0]?.id ?? null;
  }

  /** The version clients get now; 409 QUESTIONNAIRE_NOT_PUBLISHED when there is none. */
  async currentOf(t: TemplateRow): Promise<LoadedVersion> {
    const v = t.publishedVersionId === null ? null : await this.loadVersion(t.publishedVersionId);
    if (!v) throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_NOT_PUBLISHED, 'This questionnaire has no published version yet');
    return v;
  }

  /** Answers are only taken for the version clients get now: an older or unpublished one → 409 with the current id. */
  async requireCurrent(t: TemplateRow, versionPublicId: string): Promise<LoadedVersion> {
    const current = await this.currentOf(t);
    if (current.publicId === versionPublicId) return current;
    const id = await this.versionIdOf(versionPublicId);
    const other = id === null ? null : await this.loadVersion(id);
    const reason = !other || other.templateId !== t.id ? 'unknown' : other.status === 'published' ? 'superseded' : 'unpublished';
    throw new AppError(QuestionnaireErrors.QUESTIONNAIRE_VERSION_NOT_CURRENT, 'These answers are for a version that is not the current one; fetch the questionnaire again', {
      field: 'body.versionId', reason, currentVersionId: current.publicId,
    });
  }

  openAnswers(blob: Buffer | null, aad: string, where: Record<string, unknown>): Answers {
    if (!blob) return {};
    try {
      return JSON.parse(this.deps.cipher.decrypt(blob, aad)) as Answers;
    } catch {
      this.log.error(where, 'stored questionnaire answers cannot be decrypted; answered as empty');
      return {};
    }
  }

  invalid(problems: { field: string; message: string; type?: string }[]): AppError {
    return new AppError(QuestionnaireErrors.QUESTIONNAIRE_INVALID_ANSWERS, 'Some answers are not valid', problems);
  }

  /** Locks the client row (serialises one client's submissions and drafts); a missing or deleted client → 404. */
  async lockClient(m: EntityManager, clientId: number): Promise<{ id: number; publicId: string; birthDate: string | null }> {
    const rows: { id: number; publicId: string; birthDate: string | null; status: string }[] = await m.query(
      "SELECT id, public_id AS publicId, DATE_FORMAT(birth_date, '%Y-%m-%d') AS birthDate, status FROM clients WHERE id = ? FOR UPDATE",
      [clientId],
    );
    if (!rows[0] || rows[0].status !== 'active') throw notFound('Client');
    return rows[0];
  }
}
