import type { EntityManager } from 'typeorm';
import { AppError, CommonErrors, notFound } from '../../shared/errors';
import type { StaffRole } from '../staff';
import { publicId as newPublicId } from '../../shared/crypto';
import type { Actor } from '../audit';
import type { AppointmentKind, PlanOptions, PlanStatus } from './consultations.entity';
import { ConsultationErrors } from './consultations.errors';
import type { AppointmentView, AppointmentsService } from './consultations.appointments';
import { aad, ClientRef, StaffRef, Support } from './consultations.shared';

/** The doctor's needs analysis 需求分析 (health data: doctors and the director only). */
export interface NeedsAnalysis {
  reasonableness: string;
  feasibility: string;
  risk: string;
  expectationMatch: string;
}

/** What a doctor writes for a revision. */
export interface PlanContent {
  analysis: NeedsAnalysis;
  riskPlan: string;
  options: PlanOptions;
  priceMinFen: number;
  priceMaxFen: number;
  recoveryDays: number;
}

export interface RevisionView {
  revision: number;
  options: PlanOptions;
  priceMinFen: number;
  priceMaxFen: number;
  recoveryDays: number;
  /** Absent for staff without health access; never shown to the client. */
  analysis?: NeedsAnalysis | null;
  /** Absent for staff without health access. */
  riskPlan?: string | null;
  createdAt: Date;
  proposedAt: Date | null;
}

export interface ChangeRequestView {
  id: string;
  revision: number;
  /**
   * The client's words; they may hold health details, so absent for staff without health access.
   * Null once erased (the health consent was withdrawn) or unreadable.
   */
  comment?: string | null;
  createdAt: Date;
}

export interface StaffPlanView {
  id: string;
  clientId: string;
  /** The questionnaire response the plan answers, if any. */
  responseId: string | null;
  status: PlanStatus;
  currentRevision: number;
  acceptedRevision: number | null;
  doctor: StaffRef | null;
  /** The revision asked for (the current one by default). */
  revision: RevisionView & { author: StaffRef | null };
  revisions: { revision: number; author: StaffRef | null; createdAt: Date; proposedAt: Date | null }[];
  changeRequests: ChangeRequestView[];
  letter: { id: string; revision: number; confirmedAt: Date; appointmentId: string | null } | null;
  proposedAt: Date | null;
  acceptedAt: Date | null;
  withdrawnAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StaffPlanSummary {
  id: string;
  status: PlanStatus;
  currentRevision: number;
  acceptedRevision: number | null;
  doctor: StaffRef | null;
  priceMinFen: number;
  priceMaxFen: number;
  proposedAt: Date | null;
  acceptedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ClientPlanView {
  id: string;
  status: PlanStatus;
  currentRevision: number;
  acceptedRevision: number | null;
  doctor: { name: string } | null;
  /** The revision asked for (the current one by default), with its risk plan; never the doctor's analysis. */
  revision: RevisionView;
  revisions: { revision: number; proposedAt: Date | null }[];
  changeRequests: ChangeRequestView[];
  letterId: string | null;
  proposedAt: Date | null;
  acceptedAt: Date | null;
  updatedAt: Date;
}

/** A plan in the client's own export: every revision shown to them, in full. */
export type ExportedPlan = Omit<ClientPlanView, 'revision' | 'revisions'> & { revisions: RevisionView[] };

export type ClientPlanSummary = Omit<StaffPlanSummary, 'doctor' | 'createdAt'> & { doctor: { name: string } | null };

/** The frozen copy of what the client accepted (encrypted: it carries the risk plan). */
export interface LetterSnapshot {
  planId: string;
  revision: number;
  doctor: { name: string } | null;
  options: PlanOptions;
  priceMinFen: number;
  priceMaxFen: number;
  recoveryDays: number;
  riskPlan: string | null;
  proposedAt: string | null;
  confirmedAt: string;
  appointment: { id: string; kind: AppointmentKind; at: string; durationMinutes: number };
}

export interface IntentLetterView {
  id: string;
  planId: string;
  revision: number;
  confirmedAt: Date;
  snapshot: LetterSnapshot | null;
  /** The appointment as it is now (the snapshot keeps the slot asked for at acceptance). */
  appointment: AppointmentView | null;
}

export interface AcceptInput {
  revision: number;
  appointment: { at: Date; kind: AppointmentKind; note?: string | null };
}

interface PlanRow {
  id: number;
  public_id: string;
  client_id: number;
  response_id: number | null;
  doctor_id: number;
  status: PlanStatus;
  current_revision: number;
  accepted_revision: number | null;
  proposed_at: Date | null;
  accepted_at: Date | null;
  withdrawn_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface RevisionRow {
  id: number;
  plan_id: number;
  revision: number;
  options_enc: Buffer;
  price_min_fen: number;
  price_max_fen: number;
  recovery_days: number;
  analysis_enc: Buffer;
  risk_plan_enc: Buffer;
  author_id: number;
  created_at: Date;
  proposed_at: Date | null;
}

/** A plan is a medical act: doctors write and propose it; the director may also withdraw one. */
export const PLAN_WRITERS: readonly StaffRole[] = ['doctor'];
export const PLAN_WITHDRAWERS: readonly StaffRole[] = ['doctor', 'director'];

/**
 * 需求分析与方案建议 → 方案沟通与确认 → 意向书. A plan's changes are serialised by its
 * row lock: a doctor's revision, the client's change request and the client's acceptance. Acceptance
 * is one transaction: the intent letter (one per plan), its appointment, the plan's new status and
 * the client's stage; a plan accepted once refuses every later change with 409.
 */
export class PlansService {
  constructor(private readonly s: Support, private readonly appointments: AppointmentsService) {}

  // ---------------------------------------------------------------- staff

  /**
   * A doctor opens a plan for a client, as a draft the client does not see yet. The needs analysis
   * and the risk plan are health data: the client's current health-data consent is required.
   */
  async create(actor: Actor, clientPublicId: string, input: PlanContent & { responseId?: string }): Promise<StaffPlanView> {
    requireRole(actor, PLAN_WRITERS);
    const planId = await this.s.tx(async (m) => {
      const client = await this.s.clientForStaff(actor, m, { publicId: clientPublicId }, 'plan.create');
      await this.s.deps.clients.requireHealthConsent(m, client.id, client.birthDate);
      const responseId = await this.responseFor(m, client.id, input.responseId);
      const now = this.s.now();
      const pid = newPublicId();
      const res = await m.query(
        `INSERT INTO plans (public_id, client_id, response_id, doctor_id, status, current_revision, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'draft', 1, ?, ?)`,
        [pid, client.id, responseId, actor.id, now, now],
      );
      const id = Number(res.insertId);
      await this.insertRevision(m, { id, publicId: pid }, 1, input, actor, null);
      await this.s.deps.audit.record(actor, 'plan.create', { clientId: client.id, details: { plan: pid, revision: 1 } }, m);
      return id;
    });
    return this.staffView(actor, planId);
  }

  /**
   * A new revision (every revision is kept). Before the first proposal it stays a draft; after it,
   * the client sees the new revision at once (status 'proposed') and is told through the outbox.
   * Refused once the plan is accepted (409 PLAN_ALREADY_ACCEPTED) or withdrawn.
   */
  async revise(actor: Actor, planPublicId: string, input: PlanContent): Promise<StaffPlanView> {
    requireRole(actor, PLAN_WRITERS);
    const planId = await this.s.tx(async (m) => {
      const { plan, client } = await this.lockForStaff(actor, m, planPublicId, 'plan.revise');
      this.refuseFrozen(plan);
      await this.s.deps.clients.requireHealthConsent(m, client.id, client.birthDate);
      const now = this.s.now();
      const revision = Number(plan.current_revision) + 1;
      const shown = plan.proposed_at !== null;
      await this.insertRevision(m, { id: plan.id, publicId: plan.public_id }, revision, input, actor, shown ? now : null);
      await m.query('UPDATE plans SET current_revision = ?, status = ?, updated_at = ? WHERE id = ?', [
        revision, shown ? 'proposed' : 'draft', now, plan.id,
      ]);
      if (shown) await this.noticePlan(m, plan, revision, 'plan_revised');
      await this.s.deps.audit.record(actor, 'plan.revise', { clientId: client.id, details: { plan: plan.public_id, revision } }, m);
      return plan.id;
    });
    return this.staffView(actor, planId);
  }

  /**
   * Shows the plan to the client: the client moves to 'plan_proposed' and is told through the
   * outbox (once per revision). Proposing a proposed plan changes nothing; a plan the client asked
   * to change goes back to 'proposed' as it is.
   */
  async propose(actor: Actor, planPublicId: string): Promise<StaffPlanView> {
    requireRole(actor, PLAN_WRITERS);
    const planId = await this.s.tx(async (m) => {
      const { plan, client } = await this.lockForStaff(actor, m, planPublicId, 'plan.propose');
      this.refuseFrozen(plan);
      if (plan.status === 'proposed') return plan.id;
      const now = this.s.now();
      const revision = Number(plan.current_revision);
      await m.query('UPDATE plans SET status = ?, proposed_at = COALESCE(proposed_at, ?), updated_at = ? WHERE id = ?', ['proposed', now, now, plan.id]);
      await m.query('UPDATE plan_revisions SET proposed_at = COALESCE(proposed_at, ?) WHERE plan_id = ? AND revision = ?', [now, plan.id, revision]);
      await this.s.deps.journey.moveTo(m, client.id, 'plan_proposed', actor, { reason: 'plan' });
      await this.noticePlan(m, plan, revision, 'plan_proposed');
      await this.s.deps.audit.record(actor, 'plan.propose', { clientId: client.id, details: { plan: plan.public_id, revision } }, m);
      return plan.id;
    });
    return this.staffView(actor, planId);
  }

  /** Withdraws a plan that is not accepted (again: no change); a client who saw it is told. */
  async withdraw(actor: Actor, planPublicId: string): Promise<StaffPlanView> {
    requireRole(actor, PLAN_WITHDRAWERS);
    const planId = await this.s.tx(async (m) => {
      const { plan, client } = await this.lockForStaff(actor, m, planPublicId, 'plan.withdraw');
      if (plan.status === 'accepted') this.refuseFrozen(plan);
      if (plan.status === 'withdrawn') return plan.id;
      const now = this.s.now();
      await m.query("UPDATE plans SET status = 'withdrawn', withdrawn_at = ?, updated_at = ? WHERE id = ?", [now, now, plan.id]);
      if (plan.proposed_at) {
        await this.s.notifyClient(m, client.id, `plan:${plan.public_id}:withdrawn`, {
          event: 'plan_withdrawn', title: '方案已撤回', page: { plan: plan.public_id }, refs: { planId: plan.public_id },
          text: '您的治疗方案已由医院撤回，您的顾问会尽快与您联系。',
        });
      }
      await this.s.deps.audit.record(actor, 'plan.withdraw', { clientId: client.id, details: { plan: plan.public_id } }, m);
      return plan.id;
    });
    return this.staffView(actor, planId);
  }

  /**
   * One plan as staff see it, at its current or an earlier revision. The needs analysis and the risk
   * plan are there for doctors and the director only (absent for others). Audited 'plan.read'.
   */
  async getForStaff(actor: Actor, planPublicId: string, revision?: number): Promise<StaffPlanView> {
    const m = this.s.deps.db.manager;
    const [plan]: PlanRow[] = await m.query('SELECT * FROM plans WHERE public_id = ?', [planPublicId]);
    if (!plan) throw notFound('Plan');
    const client = await this.s.clientForStaff(actor, m, { id: plan.client_id }, 'plan.read', 'Plan');
    const view = await this.staffView(actor, plan.id, revision);
    await this.s.deps.audit.record(actor, 'plan.read', {
      clientId: client.id,
      details: { plan: plan.public_id, revision: view.revision.revision, role: actor.role, health: this.s.may(actor, client, 'health') },
    });
    return view;
  }

  /** A client's plans, newest first, without content (audited 'plan.list'). */
  async listForStaff(actor: Actor, clientPublicId: string): Promise<{ items: StaffPlanSummary[] }> {
    const m = this.s.deps.db.manager;
    const client = await this.s.clientForStaff(actor, m, { publicId: clientPublicId }, 'plan.list');
    const rows = await this.summaries(m, 'p.client_id = ?', [client.id]);
    const staff = await this.s.staffRefs(m, rows.map((r) => r.doctor_id));
    await this.s.deps.audit.record(actor, 'plan.list', { clientId: client.id, details: { results: rows.length } });
    return { items: rows.map((r) => ({ ...summaryOf(r), doctor: staff.get(Number(r.doctor_id)) ?? null, createdAt: r.created_at })) };
  }

  // ---------------------------------------------------------------- mini-program

  /** The client's plans that have been shown to them, newest first. */
  async listOwn(clientId: number): Promise<{ items: ClientPlanSummary[] }> {
    const m = this.s.deps.db.manager;
    const rows = await this.summaries(m, 'p.client_id = ? AND p.proposed_at IS NOT NULL', [clientId]);
    const staff = await this.s.staffRefs(m, rows.map((r) => r.doctor_id));
    return { items: rows.map((r) => ({ ...summaryOf(r), doctor: nameOnly(staff.get(Number(r.doctor_id))) })) };
  }

  /** One of the client's own plans; another client's, or one not yet shown, is not found (404, so ids cannot be probed). */
  async getOwn(clientId: number, planPublicId: string, revision?: number): Promise<ClientPlanView> {
    const plan = await this.ownPlan(this.s.deps.db.manager, clientId, planPublicId, false);
    return this.clientView(plan, revision);
  }

  /**
   * 方案沟通: the client asks for changes to the revision they see, with a comment. Refused on an
   * outdated revision, an accepted or a withdrawn plan. The doctor is alerted through the outbox
   * (the alert carries no comment text: it may hold health details).
   */
  async requestChange(clientId: number, planPublicId: string, input: { revision: number; comment: string }): Promise<ClientPlanView> {
    const planId = await this.s.tx(async (m) => {
      const plan = await this.ownPlan(m, clientId, planPublicId, true);
      this.refuseClientAction(plan, input.revision);
      const now = this.s.now();
      const pid = newPublicId();
      await m.query(
        'INSERT INTO plan_comments (public_id, plan_id, client_id, revision, comment_enc, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        [pid, plan.id, clientId, input.revision, this.s.seal(input.comment, aad.comment(pid)), now],
      );
      await m.query("UPDATE plans SET status = 'change_requested', updated_at = ? WHERE id = ?", [now, plan.id]);
      await this.s.alertStaff(m, clientId, `plan_change:${pid}`, {
        event: 'plan_change_requested', role: 'doctor', staffId: plan.doctor_id === null ? null : Number(plan.doctor_id),
        text: `【方案修改请求】客户对方案 ${plan.public_id} 第${input.revision}版提出了修改意见，请在工作台查看并修订。`,
        refs: { planId: plan.public_id, revision: input.revision },
      });
      return plan.id;
    });
    const [plan]: PlanRow[] = await this.s.deps.db.query('SELECT * FROM plans WHERE id = ?', [planId]);
    return this.clientView(plan);
  }

  /**
   * 意向书: the client accepts the revision they see and asks for an appointment. One transaction:
   * the appointment (slot checked), the intent letter with a frozen encrypted snapshot (one per plan),
   * the plan accepted, the client moved to 'plan_accepted', staff alerted through the outbox.
   * A second acceptance — a retry included — is 409 PLAN_ALREADY_ACCEPTED with the letter's id in
   * the details, so a client whose first answer was lost can fetch the letter.
   */
  async accept(clientId: number, planPublicId: string, input: AcceptInput, actor: Actor): Promise<IntentLetterView> {
    const letterId = await this.s.tx(async (m) => {
      const plan = await this.ownPlan(m, clientId, planPublicId, true);
      if (plan.status === 'accepted') {
        const [letter] = await m.query('SELECT public_id FROM intent_letters WHERE plan_id = ?', [plan.id]);
        throw new AppError(ConsultationErrors.PLAN_ALREADY_ACCEPTED, 'This plan has already been accepted', {
          letterId: letter?.public_id ?? null, acceptedRevision: plan.accepted_revision,
        });
      }
      this.refuseClientAction(plan, input.revision);
      const now = this.s.now();
      const appt = await this.appointments.insert(m, clientId, input.appointment, actor, 'body.appointment.at');
      const rev = await this.revisionRow(m, plan.id, input.revision);
      const doctor = (await this.s.staffRefs(m, [plan.doctor_id])).get(Number(plan.doctor_id));
      const pid = newPublicId();
      const snapshot: LetterSnapshot = {
        planId: plan.public_id,
        revision: input.revision,
        doctor: nameOnly(doctor),
        options: this.s.open<PlanOptions>(rev.options_enc, aad.options(plan.public_id, rev.revision), { planId: plan.id }) ?? {},
        priceMinFen: Number(rev.price_min_fen),
        priceMaxFen: Number(rev.price_max_fen),
        recoveryDays: Number(rev.recovery_days),
        riskPlan: this.s.open<string>(rev.risk_plan_enc, aad.riskPlan(plan.public_id, rev.revision), { planId: plan.id }),
        proposedAt: rev.proposed_at ? rev.proposed_at.toISOString() : null,
        confirmedAt: now.toISOString(),
        appointment: { id: appt.publicId, kind: input.appointment.kind, at: input.appointment.at.toISOString(), durationMinutes: appt.durationMinutes },
      };
      await m.query(
        'INSERT INTO intent_letters (public_id, client_id, plan_id, revision, snapshot_enc, confirmed_at, appointment_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [pid, clientId, plan.id, input.revision, this.s.seal(snapshot, aad.letterSnapshot(pid)), now, appt.id],
      );
      await m.query("UPDATE plans SET status = 'accepted', accepted_revision = ?, accepted_at = ?, updated_at = ? WHERE id = ?", [
        input.revision, now, now, plan.id,
      ]);
      await this.s.deps.journey.moveTo(m, clientId, 'plan_accepted', actor, { reason: 'plan' });
      // Customer service confirms the appointment the letter asked for; the doctor is named for the record.
      await this.s.alertStaff(m, clientId, `plan_accepted:${plan.public_id}`, {
        event: 'plan_accepted', role: 'customer_service',
        text: `【方案已接受】客户接受了方案 ${plan.public_id} 第${input.revision}版并确认意向书，预约 ${appt.publicId} 待确认。`,
        refs: { planId: plan.public_id, revision: input.revision, letterId: pid, appointmentId: appt.publicId, doctorId: doctor?.id ?? null },
      });
      return pid;
    });
    return this.getLetter(clientId, letterId);
  }

  /** One of the client's own intent letters, with its appointment as it is now. */
  async getLetter(clientId: number, letterPublicId: string): Promise<IntentLetterView> {
    const m = this.s.deps.db.manager;
    const [row] = await m.query(
      `SELECT l.*, p.public_id AS plan_public_id FROM intent_letters l JOIN plans p ON p.id = l.plan_id WHERE l.public_id = ? AND l.client_id = ?`,
      [letterPublicId, clientId],
    );
    if (!row) throw notFound('Intent letter');
    return {
      id: row.public_id,
      planId: row.plan_public_id,
      revision: Number(row.revision),
      confirmedAt: row.confirmed_at,
      snapshot: this.s.open<LetterSnapshot>(row.snapshot_enc, aad.letterSnapshot(row.public_id), { letterId: row.id }),
      appointment: row.appointment_id === null ? null : await this.appointments.viewOf(m, { id: Number(row.appointment_id) }),
    };
  }

  // ---------------------------------------------------------------- the client's rights over the archive (PIPL)

  /** The client's export: every plan shown to them (each shown revision), and their intent letters. */
  async exportFor(m: EntityManager, clientId: number): Promise<{ plans: ExportedPlan[]; intentLetters: { id: string; confirmedAt: Date; snapshot: LetterSnapshot | null }[] }> {
    const plans: PlanRow[] = await m.query('SELECT * FROM plans WHERE client_id = ? AND proposed_at IS NOT NULL ORDER BY id', [clientId]);
    const views: ExportedPlan[] = [];
    for (const plan of plans) {
      const { revision: _current, revisions, ...view } = await this.clientView(plan, undefined, m);
      const shown: RevisionView[] = [];
      for (const r of revisions) shown.push((await this.clientView(plan, r.revision, m)).revision);
      views.push({ ...view, revisions: shown });
    }
    const letters: any[] = await m.query('SELECT public_id, confirmed_at, snapshot_enc FROM intent_letters WHERE client_id = ? ORDER BY id', [clientId]);
    return {
      plans: views,
      intentLetters: letters.map((l) => ({ id: l.public_id, confirmedAt: l.confirmed_at, snapshot: this.s.open<LetterSnapshot>(l.snapshot_enc, aad.letterSnapshot(l.public_id), { clientId }) })),
    };
  }

  /**
   * The health consent was withdrawn, so health processing stops: the needs analyses and risk plans
   * of the client's revisions and the text of the client's change requests (which may describe
   * health) are overwritten (sealed null), the risk plan leaves the letters' snapshots, and plans not
   * accepted are withdrawn (they could no longer be revised or accepted informed).
   */
  async eraseHealth(m: EntityManager, clientId: number): Promise<void> {
    const now = this.s.now();
    const revisions: { id: number; revision: number; public_id: string }[] = await m.query(
      'SELECT r.id, r.revision, p.public_id FROM plan_revisions r JOIN plans p ON p.id = r.plan_id WHERE p.client_id = ? FOR UPDATE', [clientId],
    );
    for (const r of revisions) {
      await m.query('UPDATE plan_revisions SET analysis_enc = ?, risk_plan_enc = ? WHERE id = ?', [
        this.s.seal(null, aad.analysis(r.public_id, Number(r.revision))), this.s.seal(null, aad.riskPlan(r.public_id, Number(r.revision))), r.id,
      ]);
    }
    const comments: { id: number; public_id: string }[] = await m.query('SELECT id, public_id FROM plan_comments WHERE client_id = ? FOR UPDATE', [clientId]);
    for (const c of comments) {
      await m.query('UPDATE plan_comments SET comment_enc = ? WHERE id = ?', [this.s.seal(null, aad.comment(c.public_id)), c.id]);
    }
    const letters: { id: number; public_id: string; snapshot_enc: Buffer }[] = await m.query('SELECT id, public_id, snapshot_enc FROM intent_letters WHERE client_id = ? FOR UPDATE', [clientId]);
    for (const l of letters) {
      const snapshot = this.s.open<LetterSnapshot>(l.snapshot_enc, aad.letterSnapshot(l.public_id), { clientId });
      if (snapshot) await m.query('UPDATE intent_letters SET snapshot_enc = ? WHERE id = ?', [this.s.seal({ ...snapshot, riskPlan: null }, aad.letterSnapshot(l.public_id)), l.id]);
    }
    await m.query(
      "UPDATE plans SET status = 'withdrawn', withdrawn_at = ?, updated_at = ? WHERE client_id = ? AND status IN ('draft', 'proposed', 'change_requested')",
      [now, now, clientId],
    );
  }

  /** The account is deleted: the client's plans, revisions, change requests and intent letters go. */
  async eraseAll(m: EntityManager, clientId: number): Promise<void> {
    await m.query('DELETE r FROM plan_revisions r JOIN plans p ON p.id = r.plan_id WHERE p.client_id = ?', [clientId]);
    await m.query('DELETE FROM plan_comments WHERE client_id = ?', [clientId]);
    await m.query('DELETE FROM intent_letters WHERE client_id = ?', [clientId]);
    await m.query('DELETE FROM plans WHERE client_id = ?', [clientId]);
  }

  // ---------------------------------------------------------------- internals

  private async lockForStaff(actor: Actor, m: EntityManager, planPublicId: string, action: string): Promise<{ plan: PlanRow; client: ClientRef }> {
    const [plan]: PlanRow[] = await m.query('SELECT * FROM plans WHERE public_id = ? FOR UPDATE', [planPublicId]);
    if (!plan) throw notFound('Plan');
    const client = await this.s.clientForStaff(actor, m, { id: plan.client_id }, action, 'Plan');
    return { plan, client };
  }

  /** The client's own plan that has been shown to them; anything else is the same 404. */
  private async ownPlan(m: EntityManager, clientId: number, planPublicId: string, lock: boolean): Promise<PlanRow> {
    const [plan]: PlanRow[] = await m.query(
      `SELECT * FROM plans WHERE public_id = ? AND client_id = ? AND proposed_at IS NOT NULL${lock ? ' FOR UPDATE' : ''}`,
      [planPublicId, clientId],
    );
    if (!plan) throw notFound('Plan');
    return plan;
  }

  /** An accepted plan is frozen; a withdrawn one is closed. */
  private refuseFrozen(plan: PlanRow): void {
    if (plan.status === 'accepted') {
      throw new AppError(ConsultationErrors.PLAN_ALREADY_ACCEPTED, 'This plan has been accepted and can no longer change', { acceptedRevision: plan.accepted_revision });
    }
    if (plan.status === 'withdrawn') throw new AppError(ConsultationErrors.PLAN_WITHDRAWN, 'This plan has been withdrawn');
  }

  /** The client acts on the revision they see: it must be the current one, of an open plan. */
  private refuseClientAction(plan: PlanRow, revision: number): void {
    this.refuseFrozen(plan);
    if (revision !== Number(plan.current_revision)) {
      throw new AppError(ConsultationErrors.PLAN_REVISION_OUTDATED, 'The plan has a newer revision; please read it first', {
        field: 'body.revision', currentRevision: Number(plan.current_revision),
      });
    }
  }

  /** The questionnaire response a plan answers: the one named (it must be the client's), else the client's latest, else none. */
  private async responseFor(m: EntityManager, clientId: number, responsePublicId?: string): Promise<number | null> {
    if (responsePublicId) {
      const [row] = await m.query('SELECT id FROM questionnaire_responses WHERE public_id = ? AND client_id = ?', [responsePublicId, clientId]);
      if (!row) {
        throw new AppError(ConsultationErrors.PLAN_RESPONSE_NOT_FOUND, 'This client has no submitted questionnaire with this id', { field: 'body.responseId' });
      }
      return Number(row.id);
    }
    const [latest] = await m.query('SELECT id FROM questionnaire_responses WHERE client_id = ? ORDER BY submitted_at DESC, id DESC LIMIT 1', [clientId]);
    return latest ? Number(latest.id) : null;
  }

  private async insertRevision(
    m: EntityManager, plan: { id: number; publicId: string }, revision: number, input: PlanContent, actor: Actor, proposedAt: Date | null,
  ): Promise<void> {
    await m.query(
      `INSERT INTO plan_revisions (plan_id, revision, options_enc, price_min_fen, price_max_fen, recovery_days, analysis_enc, risk_plan_enc, author_id, created_at, proposed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        plan.id, revision, this.s.seal(input.options, aad.options(plan.publicId, revision)), input.priceMinFen, input.priceMaxFen, input.recoveryDays,
        this.s.seal(input.analysis, aad.analysis(plan.publicId, revision)), this.s.seal(input.riskPlan, aad.riskPlan(plan.publicId, revision)),
        actor.id, this.s.now(), proposedAt,
      ],
    );
  }

  private async noticePlan(m: EntityManager, plan: PlanRow, revision: number, event: 'plan_proposed' | 'plan_revised'): Promise<void> {
    // No content in the payload: it is plaintext, and the client reads the plan in the mini-program.
    await this.s.notifyClient(m, plan.client_id, `plan:${plan.public_id}:${revision}`, {
      event, page: { plan: plan.public_id }, refs: { planId: plan.public_id, revision },
      title: event === 'plan_proposed' ? '您的方案已出' : '方案已更新',
      text: event === 'plan_proposed' ? '医生为您制定的治疗方案已出，请在小程序中查看。' : '医生已根据您的意见修改了方案，请在小程序中查看新版本。',
    });
  }

  private async revisionRow(m: EntityManager, planId: number, revision: number): Promise<RevisionRow> {
    const [row]: RevisionRow[] = await m.query('SELECT * FROM plan_revisions WHERE plan_id = ? AND revision = ?', [planId, revision]);
    if (!row) throw notFound('Plan revision');
    return row;
  }

  private revisionView(plan: PlanRow, r: RevisionRow, withAnalysis: boolean, withRiskPlan: boolean): RevisionView {
    const where = { planId: plan.id, revision: r.revision };
    return {
      revision: Number(r.revision),
      options: this.s.open<PlanOptions>(r.options_enc, aad.options(plan.public_id, r.revision), where) ?? {},
      priceMinFen: Number(r.price_min_fen),
      priceMaxFen: Number(r.price_max_fen),
      recoveryDays: Number(r.recovery_days),
      ...(withAnalysis ? { analysis: this.s.open<NeedsAnalysis>(r.analysis_enc, aad.analysis(plan.public_id, r.revision), where) } : {}),
      ...(withRiskPlan ? { riskPlan: this.s.open<string>(r.risk_plan_enc, aad.riskPlan(plan.public_id, r.revision), where) } : {}),
      createdAt: r.created_at,
      proposedAt: r.proposed_at,
    };
  }

  /** The change requests of a plan; `withText`: the client's words too (the client, doctors and the director). */
  private async comments(m: EntityManager, planId: number, withText: boolean): Promise<ChangeRequestView[]> {
    const rows: any[] = await m.query('SELECT * FROM plan_comments WHERE plan_id = ? ORDER BY id', [planId]);
    return rows.map((c) => ({
      id: c.public_id,
      revision: Number(c.revision),
      ...(withText ? { comment: this.s.open<string>(c.comment_enc, aad.comment(c.public_id), { commentId: c.id }) } : {}),
      createdAt: c.created_at,
    }));
  }

  private async staffView(actor: Actor, planId: number, revision?: number): Promise<StaffPlanView> {
    const m = this.s.deps.db.manager;
    const [plan]: PlanRow[] = await m.query('SELECT * FROM plans WHERE id = ?', [planId]);
    const [owner]: { consultant_id: number | null }[] = await m.query('SELECT consultant_id FROM clients WHERE id = ?', [plan.client_id]);
    // The needs analysis and the risk plan are health data (client-access rule, scope health).
    const health = this.s.may(actor, { consultantId: owner?.consultant_id == null ? null : Number(owner.consultant_id) }, 'health');
    const wanted = revision ?? Number(plan.current_revision);
    const revisions: RevisionRow[] = await m.query('SELECT * FROM plan_revisions WHERE plan_id = ? ORDER BY revision', [plan.id]);
    const shown = revisions.find((r) => Number(r.revision) === wanted);
    if (!shown) throw notFound('Plan revision');
    const staff = await this.s.staffRefs(m, [plan.doctor_id, ...revisions.map((r) => r.author_id)]);
    const [client] = await m.query('SELECT public_id FROM clients WHERE id = ?', [plan.client_id]);
    const [response] = plan.response_id === null ? [] : await m.query('SELECT public_id FROM questionnaire_responses WHERE id = ?', [plan.response_id]);
    const [letter] = await m.query(
      'SELECT l.public_id, l.revision, l.confirmed_at, a.public_id AS appointment_public_id FROM intent_letters l LEFT JOIN appointments a ON a.id = l.appointment_id WHERE l.plan_id = ?',
      [plan.id],
    );
    return {
      id: plan.public_id,
      clientId: client.public_id,
      responseId: response?.public_id ?? null,
      status: plan.status,
      currentRevision: Number(plan.current_revision),
      acceptedRevision: plan.accepted_revision === null ? null : Number(plan.accepted_revision),
      doctor: staff.get(Number(plan.doctor_id)) ?? null,
      revision: { ...this.revisionView(plan, shown, health, health), author: staff.get(Number(shown.author_id)) ?? null },
      revisions: revisions.map((r) => ({ revision: Number(r.revision), author: staff.get(Number(r.author_id)) ?? null, createdAt: r.created_at, proposedAt: r.proposed_at })),
      changeRequests: await this.comments(m, plan.id, health),
      letter: letter ? { id: letter.public_id, revision: Number(letter.revision), confirmedAt: letter.confirmed_at, appointmentId: letter.appointment_public_id ?? null } : null,
      proposedAt: plan.proposed_at,
      acceptedAt: plan.accepted_at,
      withdrawnAt: plan.withdrawn_at,
      createdAt: plan.created_at,
      updatedAt: plan.updated_at,
    };
  }

  /** The client sees the revisions shown to them, with the risk plan (informed consent) but not the doctor's analysis. */
  private async clientView(plan: PlanRow, revision?: number, m: EntityManager = this.s.deps.db.manager): Promise<ClientPlanView> {
    const revisions: RevisionRow[] = await m.query('SELECT * FROM plan_revisions WHERE plan_id = ? AND proposed_at IS NOT NULL ORDER BY revision', [plan.id]);
    const wanted = revision ?? Number(plan.current_revision);
    const shown = revisions.find((r) => Number(r.revision) === wanted);
    if (!shown) throw notFound('Plan revision');
    const doctor = (await this.s.staffRefs(m, [plan.doctor_id])).get(Number(plan.doctor_id));
    const [letter] = await m.query('SELECT public_id FROM intent_letters WHERE plan_id = ?', [plan.id]);
    return {
      id: plan.public_id,
      status: plan.status,
      currentRevision: Number(plan.current_revision),
      acceptedRevision: plan.accepted_revision === null ? null : Number(plan.accepted_revision),
      doctor: nameOnly(doctor),
      revision: this.revisionView(plan, shown, false, true),
      revisions: revisions.map((r) => ({ revision: Number(r.revision), proposedAt: r.proposed_at })),
      changeRequests: await this.comments(m, plan.id, true),
      letterId: letter?.public_id ?? null,
      proposedAt: plan.proposed_at,
      acceptedAt: plan.accepted_at,
      updatedAt: plan.updated_at,
    };
  }

  private summaries(m: EntityManager, where: string, params: unknown[]): Promise<(PlanRow & { price_min_fen: number; price_max_fen: number })[]> {
    return m.query(
      `SELECT p.*, r.price_min_fen, r.price_max_fen FROM plans p JOIN plan_revisions r ON r.plan_id = p.id AND r.revision = p.current_revision
        WHERE ${where} ORDER BY p.id DESC LIMIT 100`,
      params,
    );
  }
}

/** The route's role guard is the first line; services called from elsewhere (bot, scripts) check again. */
function requireRole(actor: Actor, roles: readonly StaffRole[]): void {
  if (actor.type !== 'staff' || !roles.includes(actor.role as StaffRole)) throw new AppError(CommonErrors.FORBIDDEN, 'Your role may not do this');
}

function summaryOf(r: PlanRow & { price_min_fen: number; price_max_fen: number }) {
  return {
    id: r.public_id,
    status: r.status,
    currentRevision: Number(r.current_revision),
    acceptedRevision: r.accepted_revision === null ? null : Number(r.accepted_revision),
    priceMinFen: Number(r.price_min_fen),
    priceMaxFen: Number(r.price_max_fen),
    proposedAt: r.proposed_at,
    acceptedAt: r.accepted_at,
    updatedAt: r.updated_at,
  };
}

function nameOnly(ref: StaffRef | undefined): { name: string } | null {
  return ref ? { name: ref.name } : null;
}
