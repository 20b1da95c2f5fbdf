import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import type { FieldCipher } from '../../shared/crypto';
import { AppError, notFound } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { SYSTEM_ACTOR } from '../audit';
import type { Actor, AuditService } from '../audit';
import { ClientAccess, readClientField } from '../clients';
import type { JourneyService } from '../journey';
import type { OrderHooks, OrderRefundEvent, PaidOrder } from '../orders';
import type { OutboxInput, OutboxService } from '../outbox';
import type { IssuedVoucher, RewardsService } from '../rewards';
import type { StaffRole } from '../staff';
import type { FollowupAction } from './care.entity';
import { CareErrors } from './care.errors';
import { runInTransaction } from '../../shared/db';
import { Treatments, treatmentAad } from './care.treatments';
import type { RecordTreatmentInput, TreatmentForPlan, TreatmentView } from './care.treatments';

/** Where staff tasks go (the worklist module). */
type TaskInput = {
  kind: string; dedupeKey: string; clientId: number | null; assigneeRole: StaffRole; title: string; details: Record<string, unknown>; dueAt: Date;
};

export interface TaskSink {
  create(m: EntityManager, input: TaskInput): Promise<unknown>;
  /** Many at once (the due scan's batch); existing dedupe keys are skipped. */
  createMany(m: EntityManager, inputs: TaskInput[]): Promise<void>;
  /** Cancels the open task of a dedupe key. */
  cancel(m: EntityManager, dedupeKey: string): Promise<boolean>;
}

/** Opens the satisfaction survey of an order (the feedback module); idempotent per order. */
export interface SurveyOpener {
  /** One survey per order (the one already open for it, else a new one): the public ids by order id. */
  openSurveys(m: EntityManager, inputs: { clientId: number; orderId: number }[]): Promise<Map<number, string>>;
}

export interface CareDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditService;
  outbox: OutboxService;
  journey: JourneyService;
  worklist: TaskSink;
  surveys?: SurveyOpener;
  /** The voucher engine: the repurchase reminder carries the time-limited offer where the 'repurchase' rule is on. */
  rewards?: Pick<RewardsService, 'issueByRule'>;
  logger: Logger;
}

export interface FollowupTemplateView {
  id: number;
  plan: string;
  step: string;
  offsetMinutes: number | null;
  action: FollowupAction;
  assigneeRole: string | null;
  text: string;
  active: boolean;
}

/** An effect-tracking step that asks for a progress photo (photoStepsOf). */
export interface PhotoStepView {
  treatment: string;
  project: string;
  step: string;
  dueAt: Date;
}

export interface FollowupStepView {
  order: string;
  project: string;
  step: string;
  dueAt: Date;
  status: string;
}

interface DueRow {
  id: string;
  order_id: number;
  order_public_id: string;
  client_id: number;
  client_public_id: string;
  client_status: string;
  name_enc: Buffer | null;
  gender: string;
  step: string;
  due_at: Date;
  action: FollowupAction;
  text: string;
  assignee_role: string | null;
  project: string;
  project_code: string;
  consultant: string | null;
  doctor: string | null;
  treatment_public_id: string;
  advice_enc: Buffer | null;
}

const DAY_MS = 24 * 3600 * 1000;
// Categories that put a client into post-op recovery (DOMAIN.md, stages); basic skin care does not.
const POST_OP_CATEGORIES = new Set(['surgery', 'light']);
const PER_PROJECT_ACTIONS = new Set<FollowupAction>(['photo_request', 'repurchase']);
/** Mini-program pages the cards open (miniprogram/app.json). */
const MP_PAGES = { survey: 'packageSurvey/survey/index', appointments: 'packageSurvey/appointments/index', photos: 'packageMe/photos/index' };

/**
 * Follow-up plans by project: a recorded treatment schedules its plan's steps; a scheduled scan
 * turns due steps into outbox messages or staff tasks; a full refund or void, or a cancelled
 * treatment, cancels what is still pending. Every step is anchored on the procedure.
 */
export class CareService {
  private readonly log: Logger;

  private readonly treatments: Treatments;

  constructor(private readonly deps: CareDeps) {
    this.log = deps.logger;
    this.treatments = new Treatments(deps, (m, t) => this.scheduleTreatment(m, t), (m, id) => this.withdrawQueued(m, id));
  }

  /** The account is deleted (PIPL): the steps name the client's procedures, so they go. */
  readonly clientDataHooks = {
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      await m.query('DELETE FROM followup_steps WHERE client_id = ?', [clientId]);
      await m.query('DELETE FROM treatments WHERE client_id = ?', [clientId]);
    },
    /** The client's own export (PIPL): the treatments performed, with the doctor's notes. */
    exportSections: async (m: EntityManager, clientId: number): Promise<Record<string, unknown>> => ({
      treatments: (await this.treatments.rowsOfClient(m, clientId)).map((v) => ({
        project: v.project.name, doctor: v.doctor.name, performedAt: v.performedAt, bodyArea: v.bodyArea, sessionNo: v.sessionNo, status: v.status, notes: v.notes, advice: v.advice,
      })),
    }),
  };

  /** The order hooks: a full refund or void cancels what is still pending. Payment schedules nothing: the treatment does. */
  orderHooks(): OrderHooks {
    return {
      onRefunded: async (m, order, refund) => { if (refund.full) await this.cancelForOrder(m, order, refund); },
    };
  }

  /**
   * Records a treatment and starts its follow-up plan (idempotent per request id); given the
   * caller's manager, inside the caller's transaction.
   */
  recordTreatment(actor: Actor, input: RecordTreatmentInput, opts: { manager?: EntityManager } = {}): Promise<{ treatment: TreatmentView; replayed: boolean }> {
    return this.treatments.record(actor, input, opts);
  }

  /** Cancels a treatment and its pending follow-up steps. */
  cancelTreatment(actor: Actor, treatmentPublicId: string): Promise<TreatmentView> {
    return this.treatments.cancel(actor, treatmentPublicId);
  }

  treatmentsOfClient(actor: Actor, clientPublicId: string): Promise<TreatmentView[]> {
    return this.treatments.ofClient(actor, clientPublicId);
  }

  /**
   * Writes the steps of the treatment's plan (the project's plan, else its category's), timed
   * from the procedure (DOMAIN.md: every follow-up counts from the treatment, never the payment).
   * A course's later session restarts the plan only where the project says so; then the earlier
   * session's steps still scheduled give way. Steps due more than a day before now are skipped:
   * a "48 hours after" message on day ten would be wrong.
   */
  async scheduleTreatment(m: EntityManager, treatment: TreatmentForPlan): Promise<number> {
    const [project]: { category: string; followup_plan: string | null; effect_duration_days: number | null; repurchase_lead_days: number | null; followup_each_session: number }[] = await m.query(
      'SELECT category, followup_plan, effect_duration_days, repurchase_lead_days, followup_each_session FROM projects WHERE id = ?', [treatment.projectId],
    );
    if (treatment.sessionNo > 1) {
      if (!project.followup_each_session) return 0;
      await m.query(
        `UPDATE followup_steps s JOIN treatments t ON t.id = s.treatment_id SET s.status = 'cancelled'
          WHERE t.order_id = ? AND t.project_id = ? AND t.id <> ? AND s.status = 'scheduled'`,
        [treatment.orderId, treatment.projectId, treatment.id],
      );
    }
    const templates: { id: number; plan: string; step: string; offset_minutes: number | null; action: FollowupAction }[] = await m.query(
      'SELECT id, plan, step, offset_minutes, action FROM followup_templates WHERE active = 1 AND plan = ?', [project.followup_plan ?? project.category],
    );
    // One check-in, survey and follow-up per visit (DOMAIN.md: 避免信息过载): another project of the
    // same order treated the same day already has them. Effect tracking and repurchase go per project.
    const taken: { step: string }[] = await m.query(
      `SELECT DISTINCT s.step FROM followup_steps s JOIN treatments t ON t.id = s.treatment_id
        WHERE s.order_id = ? AND s.treatment_id <> ? AND s.status <> 'cancelled' AND ABS(TIMESTAMPDIFF(SECOND, t.performed_at, ?)) < 86400`,
      [treatment.orderId, treatment.id, treatment.performedAt],
    );
    const visitLevel = new Set(taken.map((r) => r.step));
    const anchor = treatment.performedAt.getTime();
    const now = this.deps.clock.now().getTime();
    // The project's own repurchase offset, else the hospital's (DOMAIN.md: a month before the effect ends).
    const leadMs = Number(project.repurchase_lead_days ?? this.deps.config.care.repurchaseLeadDays) * DAY_MS;
    const rows: unknown[][] = [];
    for (const t of templates) {
      if (!PER_PROJECT_ACTIONS.has(t.action) && visitLevel.has(t.step)) continue;
      let due: number;
      if (t.offset_minutes !== null) due = anchor + t.offset_minutes * 60_000;
      else if (project.effect_duration_days) due = anchor + Number(project.effect_duration_days) * DAY_MS - leadMs;
      else continue;
      if (due < now - DAY_MS || due <= anchor) continue;
      rows.push([treatment.orderId, treatment.projectId, treatment.clientId, treatment.id, t.id, t.step, new Date(due)]);
    }
    if (rows.length) {
      await m.query(
        `INSERT INTO followup_steps (order_id, project_id, client_id, treatment_id, template_id, step, due_at) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}
         ON DUPLICATE KEY UPDATE id = id`,
        rows.flat(),
      );
    }
    if (POST_OP_CATEGORIES.has(project.category)) {
      await this.deps.journey.moveTo(m, treatment.clientId, 'post_op', SYSTEM_ACTOR, { reason: 'treatment', at: treatment.performedAt });
    }
    return rows.length;
  }

  /** A cancelled treatment: the messages and staff tasks its steps queued and nobody has had yet are withdrawn. */
  private async withdrawQueued(m: EntityManager, treatmentId: number): Promise<{ messages: number; tasks: number }> {
    const queued: { id: string; order_id: number; action: FollowupAction }[] = await m.query(
      `SELECT s.id, s.order_id, t.action FROM followup_steps s JOIN followup_templates t ON t.id = s.template_id WHERE s.treatment_id = ? AND s.status = 'enqueued'`,
      [treatmentId],
    );
    const key = (q: { id: string; order_id: number }) => `followup:${q.order_id}:${q.id}`;
    const messages = await this.deps.outbox.cancelPendingKeys(m, queued.filter((q) => q.action !== 'task').map(key));
    let tasks = 0;
    for (const q of queued.filter((r) => r.action === 'task')) if (await this.deps.worklist.cancel(m, key(q))) tasks++;
    return { messages, tasks };
  }

  /** A refund or void that leaves nothing paid: pending steps, queued messages and open tasks of the order go. */
  async cancelForOrder(m: EntityManager, order: PaidOrder, refund: OrderRefundEvent): Promise<number> {
    const result = await m.query(`UPDATE followup_steps SET status = 'cancelled' WHERE order_id = ? AND status = 'scheduled'`, [order.id]);
    const messages = await this.deps.outbox.cancelPending(m, order.clientId, `followup:${order.id}:`);
    const queued: { id: string }[] = await m.query(
      `SELECT s.id FROM followup_steps s JOIN followup_templates t ON t.id = s.template_id WHERE s.order_id = ? AND s.status = 'enqueued' AND t.action = 'task'`,
      [order.id],
    );
    let tasks = 0;
    for (const q of queued) if (await this.deps.worklist.cancel(m, `followup:${order.id}:${q.id}`)) tasks++;
    this.log.info({ orderId: order.id, refundNo: refund.refundNo, steps: Number(result.affectedRows), messages, tasks }, 'follow-ups cancelled by refund');
    return Number(result.affectedRows);
  }

  /**
   * Turns due steps into outbox rows (client messages, survey links) or staff tasks, in batches;
   * each batch is one transaction over rows claimed with SKIP LOCKED, so two schedulers never
   * take the same step and a failed batch leaves its steps scheduled.
   */
  async enqueueDue(now: Date = this.deps.clock.now(), opts: { batch?: number; max?: number } = {}): Promise<number> {
    const batch = opts.batch ?? 500;
    const max = opts.max ?? 100_000;
    let total = 0;
    while (total < max) {
      const n = await runInTransaction(this.deps.db, (m) => this.enqueueBatch(m, now, Math.min(batch, max - total)));
      total += n;
      if (n < batch) break;
    }
    return total;
  }

  private async enqueueBatch(m: EntityManager, now: Date, limit: number): Promise<number> {
    const claimed: { id: string }[] = await m.query(
      `SELECT id FROM followup_steps WHERE status = 'scheduled' AND due_at <= ? ORDER BY due_at LIMIT ${Number(limit)} FOR UPDATE SKIP LOCKED`,
      [now],
    );
    if (!claimed.length) return 0;
    const ids = claimed.map((r) => r.id);
    const rows: DueRow[] = await m.query(
      `SELECT s.id, s.order_id, o.public_id AS order_public_id, s.client_id, c.public_id AS client_public_id, c.status AS client_status,
              c.name_enc, c.gender, s.step, s.due_at, t.action, t.text, t.assignee_role, p.name AS project, p.code AS project_code,
              cs.display_name AS consultant, d.display_name AS doctor, tr.public_id AS treatment_public_id, tr.advice_enc
         FROM followup_steps s
         JOIN treatments tr ON tr.id = s.treatment_id
         JOIN followup_templates t ON t.id = s.template_id
         JOIN projects p ON p.id = s.project_id
         JOIN orders o ON o.id = s.order_id
         JOIN clients c ON c.id = s.client_id
         LEFT JOIN staff cs ON cs.id = COALESCE(o.consultant_id, c.consultant_id)
         LEFT JOIN staff d ON d.id = o.doctor_id
        WHERE s.id IN (${ids.map(() => '?').join(',')})`,
      ids,
    );
    const messages: OutboxInput[] = [];
    const tasks: TaskInput[] = [];
    const cancelled: string[] = [];
    const offers = await this.repurchaseOffers(m, rows);
    const surveys = await this.surveysFor(m, rows);
    for (const r of rows) {
      // A deleted account gets nothing more (PIPL deletion).
      if (r.client_status !== 'active') { cancelled.push(r.id); continue; }
      const text = this.render(r);
      const key = `followup:${r.order_id}:${r.id}`;
      if (r.action === 'task') {
        tasks.push({
          kind: 'followup_callback', dedupeKey: key, clientId: r.client_id, assigneeRole: (r.assignee_role ?? 'customer_service') as StaffRole,
          title: text, details: { step: r.step, order: r.order_public_id, client: r.client_public_id }, dueAt: r.due_at,
        });
        continue;
      }
      const payload = this.messageFor(r, text, offers.get(r.treatment_public_id), surveys.get(Number(r.order_id)));
      messages.push({ kind: 'client_message', dedupeKey: key, clientId: r.client_id, payload, dueAt: now });
    }
    if (tasks.length) await this.deps.worklist.createMany(m, tasks);
    if (messages.length) await this.deps.outbox.enqueueMany(m, messages);
    const done = ids.filter((id) => !cancelled.includes(id));
    if (done.length) {
      await m.query(`UPDATE followup_steps SET status = 'enqueued', enqueued_at = ? WHERE id IN (${done.map(() => '?').join(',')})`, [now, ...done]);
    }
    if (cancelled.length) {
      await m.query(`UPDATE followup_steps SET status = 'cancelled' WHERE id IN (${cancelled.map(() => '?').join(',')})`, cancelled);
    }
    return ids.length;
  }

  /**
   * The repurchase offer (DOMAIN.md: a promise is a real benefit): one voucher per treatment, usable
   * on the treated project, issued set-based for the batch (one call per project); by treatment.
   */
  private async repurchaseOffers(m: EntityManager, rows: DueRow[]): Promise<Map<string, IssuedVoucher>> {
    const byProject = new Map<string, DueRow[]>();
    for (const r of rows) {
      if (r.action !== 'repurchase' || r.client_status !== 'active' || !this.deps.rewards) continue;
      byProject.set(r.project_code, [...(byProject.get(r.project_code) ?? []), r]);
    }
    const offers = new Map<string, IssuedVoucher>();
    for (const [code, due] of byProject) {
      const vouchers = await this.deps.rewards!.issueByRule(m, 'repurchase', due.map((r) => ({ clientId: r.client_id, period: r.treatment_public_id })), { projects: [code] });
      vouchers.forEach((v) => offers.set(v.period, v));
    }
    return offers;
  }

  /** The batch's survey steps' surveys, opened in one go (by order id). */
  private async surveysFor(m: EntityManager, rows: DueRow[]): Promise<Map<number, string>> {
    const due = rows.filter((r) => r.action === 'survey' && r.client_status === 'active');
    if (!due.length || !this.deps.surveys) return new Map();
    return this.deps.surveys.openSurveys(m, due.map((r) => ({ clientId: Number(r.client_id), orderId: Number(r.order_id) })));
  }

  private messageFor(r: DueRow, text: string, offer?: IssuedVoucher, surveyId?: string): Record<string, unknown> {
    const base = { text, purpose: 'followup', step: r.step, templateId: this.deps.config.care.subscribeTemplateId, data: { thing1: r.project, thing2: r.step } };
    switch (r.action) {
      case 'survey': {
        if (!surveyId) return base;
        const id = surveyId;
        // surveyId: feedback records when this invitation is delivered, and over which channel.
        return { ...base, purpose: 'survey', surveyId: id, card: { title: '满意度问卷', pagePath: `${MP_PAGES.survey}?id=${id}` } };
      }
      case 'photo_request':
        // The card opens the mini-program's upload page (术后效果记录); a photo sent in the chat still reaches the consultant.
        return { ...base, purpose: 'photo_request', card: { title: '上传术后照片', pagePath: MP_PAGES.photos } };
      case 'repurchase': {
        // The doctor's advice written with the treatment goes with the reminder.
        const advice = r.advice_enc ? this.deps.cipher.decrypt(r.advice_enc, treatmentAad(r.treatment_public_id, 'advice')) : null;
        const lines = [text, advice && `医生建议：${advice}`, offer && `限时复购优惠：${offer.sentence}，仅限${r.project}使用。`].filter(Boolean);
        return { ...base, text: lines.join('\n'), purpose: 'repurchase', card: { title: '预约复诊', pagePath: MP_PAGES.appointments }, ...(offer ? { voucherId: offer.id } : {}) };
      }
      default:
        return base;
    }
  }

  /** Fills {client} (surname and 女士/先生, never the full name), {consultant}, {doctor} and {project}. */
  private render(r: DueRow): string {
    const values: Record<string, string> = {
      client: this.salutation(r),
      consultant: r.consultant ?? '',
      doctor: r.doctor ? `${r.doctor}医生` : '医生',
      project: r.project,
    };
    return r.text.replace(/\{(client|consultant|doctor|project)\}/g, (_, k: string) => values[k]);
  }

  private salutation(r: DueRow): string {
    const name = readClientField(this.deps.cipher, r.client_public_id, 'name', r.name_enc, () => {
      this.log.error({ clientId: r.client_id }, 'client name cannot be decrypted; message sent without it');
    })?.trim() ?? '';
    const title = r.gender === 'female' ? '女士' : r.gender === 'male' ? '先生' : '';
    return title && name ? `${name[0]}${title}` : name;
  }

  async listTemplates(): Promise<FollowupTemplateView[]> {
    const rows: any[] = await this.deps.db.query(
      'SELECT id, plan, step, offset_minutes, action, assignee_role, text, active FROM followup_templates ORDER BY plan, offset_minutes IS NULL, offset_minutes, step',
    );
    return rows.map(templateView);
  }

  /** Staff edit a step's text, timing or whether it runs; steps already scheduled keep their time. Audited. */
  async updateTemplate(actor: Actor, id: number, patch: { text?: string; offsetMinutes?: number; active?: boolean }): Promise<FollowupTemplateView> {
    return runInTransaction(this.deps.db, async (m) => {
      const rows: any[] = await m.query('SELECT id, offset_minutes FROM followup_templates WHERE id = ? FOR UPDATE', [id]);
      if (!rows.length) throw notFound('Follow-up step');
      if (patch.offsetMinutes !== undefined && rows[0].offset_minutes === null) {
        throw new AppError(CareErrors.FOLLOWUP_OFFSET_FIXED, 'This step is timed from the project\'s effect duration', { field: 'body.offsetMinutes' });
      }
      const sets: string[] = [];
      const params: unknown[] = [];
      if (patch.text !== undefined) { sets.push('text = ?'); params.push(patch.text); }
      if (patch.offsetMinutes !== undefined) { sets.push('offset_minutes = ?'); params.push(patch.offsetMinutes); }
      if (patch.active !== undefined) { sets.push('active = ?'); params.push(patch.active ? 1 : 0); }
      sets.push('updated_by = ?');
      params.push(actor.type === 'staff' ? actor.id : null);
      await m.query(`UPDATE followup_templates SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
      await this.deps.audit.record(actor, 'care.template.update', { details: { id, fields: Object.keys(patch) } }, m);
      const after: any[] = await m.query('SELECT id, plan, step, offset_minutes, action, assignee_role, text, active FROM followup_templates WHERE id = ?', [id]);
      return templateView(after[0]);
    });
  }

  /** A client's follow-up steps (what was and will be sent about their procedures). Audited: procedures are medical history. */
  async stepsOfClient(actor: Actor, clientPublicId: string): Promise<FollowupStepView[]> {
    // The steps name the procedures: the client-access rule's health section.
    const client = [await new ClientAccess(this.deps).check(actor, { publicId: clientPublicId }, 'health', { action: 'care.followups.view' })];
    await this.deps.audit.record(actor, 'care.followups.view', { clientId: client[0].id });
    const rows: any[] = await this.deps.db.query(
      `SELECT o.public_id AS order_public_id, p.name AS project, s.step, s.due_at, s.status
         FROM followup_steps s JOIN orders o ON o.id = s.order_id JOIN projects p ON p.id = s.project_id
        WHERE s.client_id = ? ORDER BY s.due_at, s.id LIMIT 500`,
      [client[0].id],
    );
    return rows.map((r) => ({ order: r.order_public_id, project: r.project, step: r.step, dueAt: r.due_at, status: r.status }));
  }

  /**
   * The client's effect-tracking steps that ask for a photo (1/3/6 months after a procedure) of
   * treatments not cancelled, soonest due first; for the progress photos. `treatment` narrows to one.
   */
  async photoStepsOf(m: EntityManager, clientId: number, treatment?: { publicId: string; step: string }): Promise<PhotoStepView[]> {
    const rows: { public_id: string; project: string; step: string; due_at: Date }[] = await m.query(
      `SELECT t.public_id, p.name AS project, s.step, s.due_at
         FROM followup_steps s JOIN followup_templates ft ON ft.id = s.template_id
         JOIN treatments t ON t.id = s.treatment_id JOIN projects p ON p.id = s.project_id
        WHERE s.client_id = ? AND ft.action = 'photo_request' AND s.status <> 'cancelled' AND t.status = 'done'
          ${treatment ? 'AND t.public_id = ? AND s.step = ?' : ''}
        ORDER BY s.due_at, s.id LIMIT 200`,
      treatment ? [clientId, treatment.publicId, treatment.step] : [clientId],
    );
    return rows.map((r) => ({ treatment: r.public_id, project: r.project, step: r.step, dueAt: r.due_at }));
  }
}

function templateView(r: any): FollowupTemplateView {
  return {
    id: r.id, plan: r.plan, step: r.step, offsetMinutes: r.offset_minutes, action: r.action,
    assigneeRole: r.assignee_role, text: r.text, active: Boolean(r.active),
  };
}
