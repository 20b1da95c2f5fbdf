import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { AppError, CommonErrors, FieldProblem, notFound, validationError } from '../../shared/errors';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import { publicId, sha256 } from '../../shared/crypto';
import type { FieldCipher } from '../../shared/crypto';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from '../clients';
import { spendPoints } from '../points';
import type { PointsService, SpendCategory } from '../points';
import { FollowupPlan, OrderStatus, PROJECT_CATEGORIES, RefundKind } from './orders.entity';
import { OrderErrors } from './orders.errors';
import type { OrderAttribution, OrderHooks, OrderRefundEvent, PaidOrder } from './orders.hooks';

/** An order as a stored-value payment sees it (lockForPayment). */
export interface PayableOrder {
  id: number;
  publicId: string;
  orderNo: string;
  clientId: number;
  status: OrderStatus;
  amountPaidFen: number;
  amountRefundedFen: number;
}

export interface OrdersDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditService;
  points: PointsService;
  /** Called in order inside the order's transaction, only when an order or refund is newly written. */
  hooks: OrderHooks[];
  /** Stores the payment's last-touch channel on the order (the marketing module's rule); none leaves it null. */
  attribution?: OrderAttribution;
  logger: Logger;
}

export interface ProjectInput {
  code: string;
  name: string;
  category: SpendCategory;
  listPriceFen: number;
  bodyArea: string;
  effectDurationDays?: number | null;
  repurchaseLeadDays?: number | null;
  followupPlan?: FollowupPlan | null;
  followupEachSession?: boolean;
  active?: boolean;
}
/** A change to a project; the code never changes. */
export type ProjectPatch = Partial<Omit<ProjectInput, 'code'>>;

export interface ProjectView {
  id: string;
  code: string;
  name: string;
  category: SpendCategory;
  listPriceFen: number;
  bodyArea: string;
  effectDurationDays: number | null;
  repurchaseLeadDays: number | null;
  followupPlan: FollowupPlan | null;
  followupEachSession: boolean;
  active: boolean;
}

/** A paid order as staff record it; every id is a public id. Each item names its project by public id or by code. */
export interface RecordOrderInput {
  orderNo: string;
  clientId: string;
  doctorId: string;
  consultantId?: string | null;
  paidAt: Date | string;
  items: { projectId?: string; projectCode?: string; amountFen: number }[];
  /** Optional cross-check: must equal the sum of the items. */
  amountPaidFen?: number;
}

export interface StaffRef {
  id: string;
  name: string;
}

export interface RefundView {
  id: string;
  refundNo: string;
  kind: RefundKind;
  amountFen: number;
  /** Null once the client's account is deleted (the text is erased). */
  reason: string | null;
  pointsDebited: number;
  pointsShortfall: number;
  recordedBy: StaffRef | null;
  createdAt: Date;
}

export interface OrderView {
  id: string;
  orderNo: string;
  /** The client's public id. */
  clientId: string;
  doctor: StaffRef;
  consultant: StaffRef | null;
  paidAt: Date;
  /** `project` and `category` are null for staff who may not see procedures (client-access rule, scope health). */
  items: { project: { id: string; code: string; name: string } | null; category: SpendCategory | null; amountFen: number }[];
  amountPaidFen: number;
  amountRefundedFen: number;
  pointsEarned: number;
  status: OrderStatus;
  refunds: RefundView[];
  recordedBy: StaffRef | null;
  createdAt: Date;
}

export interface RecordOrderResult extends OrderView {
  /** True when this order number had already been recorded with the same content; nothing new was written. */
  replayed: boolean;
}

export interface RefundResult {
  order: OrderView;
  refund: RefundView;
  replayed: boolean;
}

export interface OrderListQuery {
  clientId?: string;
  status?: OrderStatus;
  page: number;
  pageSize: number;
}

interface ProjectRow {
  id: number;
  public_id: string;
  code: string;
  name: string;
  category: SpendCategory;
  list_price_fen: number;
  body_area: string;
  effect_duration_days: number | null;
  repurchase_lead_days: number | null;
  followup_plan: FollowupPlan | null;
  followup_each_session: number | boolean;
  active: number | boolean;
}

interface OrderRow {
  id: number;
  public_id: string;
  order_no: string;
  request_hash: string;
  client_id: number;
  doctor_id: number;
  consultant_id: number | null;
  paid_at: Date;
  amount_paid_fen: number;
  amount_refunded_fen: number;
  points_earned: number;
  status: OrderStatus;
}

interface RefundRow {
  id: number;
  public_id: string;
  order_id: number;
  refund_no: string;
  kind: RefundKind;
  amount_fen: number;
  reason_enc: Buffer | null;
  points_debited: number;
  points_shortfall: number;
}

/** Associated data of a refund's encrypted reason (its row and column). */
export const refundReasonAad = (refundPublicId: string): string => `order_refunds:${refundPublicId}:reason`;

// Clock skew between the cashier's terminal and the server; a payment later than this is a typo.
const FUTURE_SKEW_MS = 5 * 60_000;
const DAY_MS = 86400_000;

function projectView(r: ProjectRow): ProjectView {
  return {
    id: r.public_id, code: r.code, name: r.name, category: r.category, listPriceFen: Number(r.list_price_fen), bodyArea: r.body_area,
    effectDurationDays: r.effect_duration_days === null ? null : Number(r.effect_duration_days),
    repurchaseLeadDays: r.repurchase_lead_days === null ? null : Number(r.repurchase_lead_days), followupPlan: r.followup_plan,
    followupEachSession: Boolean(r.followup_each_session), active: Boolean(r.active),
  };
}

const staffRef = (id: string | null, name: string | null): StaffRef | null => (id ? { id, name: name ?? '' } : null);

/**
 * Project catalog and spend recording. An order is one transaction: the order
 * and its items, the spend points per category, the audit row and the order hooks (referral
 * rewards, follow-up plans). Refunds and voids lock the order row, so an order's refunds never add
 * up to more than was paid, and take back the refunded share of the spend points.
 */
export class OrdersService {
  /** The client-access rule: orders are the `money` section, what was bought the `health` one. */
  private readonly access: ClientAccess;

  constructor(private readonly deps: OrdersDeps) {
    this.access = new ClientAccess(deps);
  }

  /** The account is deleted (PIPL): refund reasons, free text about the client's treatment, are erased; amounts stay (bookkeeping). */
  readonly clientDataHooks = {
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      await m.query('UPDATE order_refunds r JOIN orders o ON o.id = r.order_id SET r.reason_enc = NULL WHERE o.client_id = ?', [clientId]);
    },
  };

  /**
   * A client's spending as the archive shows it (DOMAIN.md, consumption): visits = paid orders not
   * voided or wholly refunded, lifetime spend = paid minus refunded, last visit = the latest of them.
   */
  async consumptionOf(clientId: number): Promise<{ visits: number; lifetimeSpendFen: number; lastVisitAt: string | null }> {
    const [row]: { visits: number | string; spend: number | string | null; last: Date | null }[] = await this.deps.db.query(
      `SELECT SUM(status <> 'voided' AND amount_paid_fen > amount_refunded_fen) AS visits,
              SUM(CASE WHEN status = 'voided' THEN 0 ELSE amount_paid_fen - amount_refunded_fen END) AS spend,
              MAX(CASE WHEN status <> 'voided' AND amount_paid_fen > amount_refunded_fen THEN paid_at END) AS last
         FROM orders WHERE client_id = ?`,
      [clientId],
    );
    return { visits: Number(row?.visits ?? 0), lifetimeSpendFen: Number(row?.spend ?? 0), lastVisitAt: row?.last ? new Date(row.last).toISOString() : null };
  }

  // ---- project catalog ----

  /** The catalog, by category then creation; `active` filters when given. */
  async listProjects(filter: { active?: boolean } = {}): Promise<ProjectView[]> {
    const rows: ProjectRow[] = await this.deps.db.query(
      `SELECT * FROM projects ${filter.active === undefined ? '' : 'WHERE active = ?'} ORDER BY FIELD(category, 'skin', 'light', 'surgery'), id`,
      filter.active === undefined ? [] : [filter.active],
    );
    return rows.map(projectView);
  }

  /** Creates a project (director); the audit row commits with it. 409 PROJECT_CODE_TAKEN when the code exists. */
  async createProject(actor: Actor, input: ProjectInput): Promise<ProjectView> {
    return this.tx(async (m) => {
      const now = this.deps.clock.now();
      const id = publicId();
      try {
        await m.query(
          `INSERT INTO projects (public_id, code, name, category, list_price_fen, body_area, effect_duration_days, repurchase_lead_days, followup_plan, followup_each_session, active, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [id, input.code, input.name, input.category, input.listPriceFen, input.bodyArea, input.effectDurationDays ?? null, input.repurchaseLeadDays ?? null, input.followupPlan ?? null,
            input.followupEachSession ?? false, input.active ?? true, now, now],
        );
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        throw new AppError(OrderErrors.PROJECT_CODE_TAKEN, 'A project with this code exists', [{ field: 'body.code', message: 'code is taken' }]);
      }
      await this.deps.audit.record(actor, 'project.create', { details: { project: id, code: input.code, category: input.category, listPriceFen: input.listPriceFen } }, m);
      return projectView((await this.projectRow(m, id))!);
    });
  }

  /** Changes a project (director), audited. Orders already recorded keep the category they were paid under. */
  async updateProject(actor: Actor, projectPublicId: string, patch: ProjectPatch): Promise<ProjectView> {
    return this.tx(async (m) => {
      const row = await this.projectRow(m, projectPublicId, true);
      if (!row) throw notFound('Project');
      const columns: Record<keyof ProjectPatch, string> = {
        name: 'name', category: 'category', listPriceFen: 'list_price_fen', bodyArea: 'body_area',
        effectDurationDays: 'effect_duration_days', repurchaseLeadDays: 'repurchase_lead_days', followupPlan: 'followup_plan', followupEachSession: 'followup_each_session', active: 'active',
      };
      const keys = (Object.keys(patch) as (keyof ProjectPatch)[]).filter((k) => patch[k] !== undefined && k in columns);
      if (!keys.length) throw validationError([{ field: 'body', message: 'nothing to change' }]);
      await m.query(
        `UPDATE projects SET ${keys.map((k) => `${columns[k]} = ?`).join(', ')}, updated_at = ? WHERE id = ?`,
        [...keys.map((k) => patch[k]), this.deps.clock.now(), row.id],
      );
      await this.deps.audit.record(actor, 'project.update', { details: { project: row.public_id, code: row.code, changes: keys } }, m);
      return projectView((await this.projectRow(m, projectPublicId))!);
    });
  }

  /** Takes a project out of sale (director): new orders refuse it; recorded orders are untouched. Audited when it changes. */
  async deactivateProject(actor: Actor, projectPublicId: string): Promise<ProjectView> {
    return this.tx(async (m) => {
      const row = await this.projectRow(m, projectPublicId, true);
      if (!row) throw notFound('Project');
      if (row.active) {
        await m.query('UPDATE projects SET active = 0, updated_at = ? WHERE id = ?', [this.deps.clock.now(), row.id]);
        await this.deps.audit.record(actor, 'project.deactivate', { details: { project: row.public_id, code: row.code } }, m);
      }
      return projectView((await this.projectRow(m, projectPublicId))!);
    });
  }

  // ---- orders ----

  /**
   * Records a paid order, idempotent on `orderNo`: the same number with the same content returns the
   * order as recorded with `replayed: true` (nothing written, no hook called); with other content it
   * is 409 ORDER_NO_REUSED. In the same transaction: spend points per category (ledger key
   * `spend:<orderNo>:<category>`), the audit row and every hook's onPaid. A payment more than
   * ORDER_MAX_BACKDATE_DAYS ago is refused (400 on body.paidAt).
   *
   * Lock order: the client row first (as the questionnaire submit and the journey take it), then the
   * points account, then whatever the hooks lock.
   */
  async recordOrder(actor: Actor, input: RecordOrderInput): Promise<RecordOrderResult> {
    const paidAt = new Date(input.paidAt);
    return this.tx(async (m) => {
      const client = await this.clientFor(m, actor, input.clientId, 'order.record', 'body.clientId', { lock: true });
      const staff = await this.staffByPublicId(m, [input.doctorId, input.consultantId ?? null]);
      const projects = await this.projectsFor(m, input.items);
      const doctor = staff.get(input.doctorId);
      const consultant = input.consultantId ? staff.get(input.consultantId) : undefined;
      const items = input.items.map((it, i) => ({ index: i, project: projects[i], amountFen: it.amountFen, field: `body.items.${i}.${it.projectId ? 'projectId' : 'projectCode'}` }));
      const total = items.reduce((s, it) => s + it.amountFen, 0);

      // The content a replay must match, by internal ids so a project named by id or by code is the same project.
      const complete = doctor && (!input.consultantId || consultant) && items.every((it) => it.project);
      const hash = complete
        ? sha256(JSON.stringify([client.id, doctor.id, consultant?.id ?? null, paidAt.getTime(), items.map((it) => [it.project!.id, it.amountFen])]))
        : null;
      const [existing]: OrderRow[] = await m.query('SELECT * FROM orders WHERE order_no = ?', [input.orderNo]);
      if (existing) return this.replayOrder(m, existing, hash, actor);

      const now = this.deps.clock.now();
      const problems: FieldProblem[] = [];
      if (!doctor || !doctor.active || doctor.role !== 'doctor') problems.push({ field: 'body.doctorId', message: 'must be an active doctor' });
      if (input.consultantId && (!consultant || !consultant.active || consultant.role !== 'consultant')) {
        problems.push({ field: 'body.consultantId', message: 'must be an active consultant' });
      }
      const maxBackdateDays = this.deps.config.orders.maxBackdateDays;
      if (Number.isNaN(paidAt.getTime()) || paidAt.getTime() > now.getTime() + FUTURE_SKEW_MS) problems.push({ field: 'body.paidAt', message: 'must not be in the future' });
      else if (paidAt.getTime() < now.getTime() - maxBackdateDays * DAY_MS) {
        problems.push({ field: 'body.paidAt', message: `must not be more than ${maxBackdateDays} days in the past` });
      }
      if (input.amountPaidFen !== undefined && input.amountPaidFen !== total) {
        problems.push({ field: 'body.amountPaidFen', message: `must equal the sum of the items (${total})` });
      }
      if (problems.length) throw validationError(problems);
      const unknown = items.filter((it) => !it.project);
      if (unknown.length) throw new AppError(CommonErrors.NOT_FOUND, 'Project not found', unknown.map((it) => ({ field: it.field, message: 'no such project' })));
      const inactive = items.filter((it) => !it.project!.active);
      if (inactive.length) {
        throw new AppError(OrderErrors.PROJECT_INACTIVE, 'A project is no longer sold', inactive.map((it) => ({ field: it.field, message: 'project is inactive' })));
      }

      const byCategory = new Map<SpendCategory, number>();
      for (const it of items) byCategory.set(it.project!.category, (byCategory.get(it.project!.category) ?? 0) + it.amountFen);
      const categories = PROJECT_CATEGORIES.filter((c) => byCategory.has(c));
      const pointsEarned = categories.reduce((s, c) => s + spendPoints(this.deps.points.rules, byCategory.get(c)!, c), 0);

      const orderPublicId = publicId();
      const lastTouch = this.deps.attribution ? await this.deps.attribution.lastTouchChannel(m, client.id, paidAt) : null;
      let orderId: number;
      try {
        const res = await m.query(
          `INSERT INTO orders (public_id, order_no, request_hash, client_id, doctor_id, consultant_id, paid_at, amount_paid_fen, amount_refunded_fen,
                               points_earned, status, last_touch_channel, recorded_by, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'paid', ?, ?, ?, ?)`,
          [orderPublicId, input.orderNo, hash, client.id, doctor!.id, consultant?.id ?? null, paidAt, total, pointsEarned, lastTouch, actor.id, now, now],
        );
        orderId = Number(res.insertId);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // Another request with this number committed while this one waited on the unique index.
        const [winner]: OrderRow[] = await m.query('SELECT * FROM orders WHERE order_no = ?', [input.orderNo]);
        if (!winner) throw err;
        return this.replayOrder(m, winner, hash, actor);
      }
      for (const it of items) {
        await m.query('INSERT INTO order_items (order_id, project_id, category, amount_fen) VALUES (?, ?, ?, ?)', [orderId, it.project!.id, it.project!.category, it.amountFen]);
      }
      // One ledger entry per category (points per yuan differ by category); the key scheme is `spend:<orderNo>:<category>` always.
      for (const category of categories) {
        await this.deps.points.earnForSpend(m, client.id, { orderRef: `${input.orderNo}:${category}`, amountFen: byCategory.get(category)!, category });
      }
      await this.deps.audit.record(actor, 'order.record', {
        clientId: client.id,
        details: { order: orderPublicId, orderNo: input.orderNo, amountPaidFen: total, items: items.length, pointsEarned },
      }, m);
      const paid = await this.paidOrder(m, orderId);
      for (const hook of this.deps.hooks) if (hook.onPaid) await hook.onPaid(m, paid);
      this.deps.logger.info({ order: orderPublicId, clientId: client.id, amountPaidFen: total, pointsEarned }, 'order recorded');
      return { ...(await this.view(m, orderId, actor)), replayed: false };
    });
  }

  /**
   * A refund of part or all of what is left paid, idempotent on `refundNo` (same number, same order,
   * amount and reason: replay; otherwise 409 REFUND_NO_REUSED). 409 REFUND_EXCEEDS_PAID when the
   * refunds would add up to more than was paid. See `applyRefund` for the points.
   */
  async refund(actor: Actor, orderPublicId: string, input: { refundNo: string; amountFen: number; reason: string }): Promise<RefundResult> {
    return this.tx(async (m) => {
      const order = await this.lockOrder(m, actor, orderPublicId, 'order.refund');
      const [existing]: RefundRow[] = await m.query('SELECT * FROM order_refunds WHERE refund_no = ?', [input.refundNo]);
      if (existing) return this.replayRefund(m, existing, order, input, actor);
      const refundable = Number(order.amount_paid_fen) - Number(order.amount_refunded_fen);
      if (input.amountFen > refundable) {
        throw new AppError(OrderErrors.REFUND_EXCEEDS_PAID, 'Refunds cannot add up to more than was paid', {
          field: 'body.amountFen', amountPaidFen: Number(order.amount_paid_fen), amountRefundedFen: Number(order.amount_refunded_fen), refundableFen: refundable,
        });
      }
      return this.applyRefund(m, actor, order, { ...input, kind: 'refund' });
    });
  }

  /**
   * Voids an order (director): refunds whatever is left paid and marks it voided. Once per order: a
   * second void replays the first; an order already refunded in full is 409 ORDER_ALREADY_REFUNDED.
   */
  async voidOrder(actor: Actor, orderPublicId: string, reason: string): Promise<RefundResult> {
    return this.tx(async (m) => {
      const order = await this.lockOrder(m, actor, orderPublicId, 'order.void');
      const refundNo = `void:${order.public_id}`;
      if (order.status === 'voided') {
        const [done]: RefundRow[] = await m.query('SELECT * FROM order_refunds WHERE refund_no = ?', [refundNo]);
        return { order: await this.view(m, order.id, actor), refund: await this.refundView(m, done.id), replayed: true };
      }
      const refundable = Number(order.amount_paid_fen) - Number(order.amount_refunded_fen);
      if (refundable <= 0) throw new AppError(OrderErrors.ORDER_ALREADY_REFUNDED, 'The order was refunded in full already; nothing is left to void');
      return this.applyRefund(m, actor, order, { refundNo, amountFen: refundable, reason, kind: 'void' });
    });
  }

  /**
   * The order a stored-value payment is recorded against, locked for the rest of `m`'s transaction
   * (its refunds take the same lock, so a payment and a refund of one order never interleave); 404
   * when missing or outside the actor's money scope (audited as `action`).
   */
  async lockForPayment(m: EntityManager, actor: Actor, orderPublicId: string, action: string): Promise<PayableOrder> {
    const o = await this.lockOrder(m, actor, orderPublicId, action);
    return {
      id: Number(o.id), publicId: o.public_id, orderNo: o.order_no, clientId: Number(o.client_id), status: o.status,
      amountPaidFen: Number(o.amount_paid_fen), amountRefundedFen: Number(o.amount_refunded_fen),
    };
  }

  /** Orders, newest payment first; consultants see only their clients' orders. Audited 'order.list' with the clients shown. */
  async listOrders(actor: Actor, q: OrderListQuery): Promise<{ items: OrderView[]; page: number; hasMore: boolean }> {
    const where: string[] = [];
    const params: unknown[] = [];
    let clientId: number | null = null;
    if (q.clientId) {
      const [c] = await this.deps.db.query("SELECT id FROM clients WHERE public_id = ? AND status = 'active'", [q.clientId]);
      if (!c) throw notFound('Client');
      clientId = Number(c.id);
      where.push('o.client_id = ?');
      params.push(clientId);
    }
    if (q.status) {
      where.push('o.status = ?');
      params.push(q.status);
    }
    this.access.requireScope(actor, 'money');
    const scope = this.access.filter(actor, 'money');
    where.push(scope.sql);
    params.push(...scope.params);
    const rows: { id: number; client_id: number }[] = await this.deps.db.query(
      `SELECT o.id, o.client_id FROM orders o JOIN clients c ON c.id = o.client_id ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY o.paid_at DESC, o.id DESC LIMIT ? OFFSET ?`,
      [...params, q.pageSize + 1, (q.page - 1) * q.pageSize],
    );
    const shown = rows.slice(0, q.pageSize);
    const views = await this.views(this.deps.db.manager, shown.map((r) => Number(r.id)), actor);
    await this.deps.audit.record(actor, 'order.list', {
      clientId,
      details: {
        filters: (['clientId', 'status'] as const).filter((k) => q[k] !== undefined), page: q.page, results: shown.length, role: actor.role,
        clientIds: [...new Set(shown.map((r) => Number(r.client_id)))],
      },
    });
    return { items: shown.map((r) => views.get(Number(r.id))!), page: q.page, hasMore: rows.length > q.pageSize };
  }

  /** One order with its items and refunds; audited 'order.read'. An order a consultant may not see is not found. */
  async getOrder(actor: Actor, orderPublicId: string): Promise<OrderView> {
    const [row]: OrderRow[] = await this.deps.db.query('SELECT * FROM orders WHERE public_id = ?', [orderPublicId]);
    if (!row) throw notFound('Order');
    await this.checkScope(this.deps.db.manager, actor, Number(row.client_id), 'order.read', notFound('Order'));
    const view = await this.view(this.deps.db.manager, row.id, actor);
    await this.deps.audit.record(actor, 'order.read', { clientId: Number(row.client_id), details: { order: row.public_id, role: actor.role } });
    return view;
  }

  // ---- internals ----

  /** A short READ COMMITTED transaction, retried on deadlock (a hook may lock another client's rows). */
  private tx<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.deps.db, work);
  }

  private async projectRow(m: EntityManager, projectPublicId: string, lock = false): Promise<ProjectRow | null> {
    const [row]: ProjectRow[] = await m.query(`SELECT * FROM projects WHERE public_id = ?${lock ? ' FOR UPDATE' : ''}`, [projectPublicId]);
    return row ?? null;
  }

  /** The projects the items name, in item order; undefined where none matches. */
  private async projectsFor(m: EntityManager, items: RecordOrderInput['items']): Promise<(ProjectRow | undefined)[]> {
    const ids = items.map((i) => i.projectId).filter((x): x is string => Boolean(x));
    const codes = items.map((i) => i.projectCode).filter((x): x is string => Boolean(x));
    const conds = [ids.length ? `public_id IN (${ids.map(() => '?').join(',')})` : '', codes.length ? `code IN (${codes.map(() => '?').join(',')})` : ''].filter(Boolean);
    const rows: ProjectRow[] = conds.length ? await m.query(`SELECT * FROM projects WHERE ${conds.join(' OR ')}`, [...ids, ...codes]) : [];
    return items.map((i) => rows.find((r) => (i.projectId ? r.public_id === i.projectId : r.code === i.projectCode)));
  }

  private async staffByPublicId(m: EntityManager, ids: (string | null)[]): Promise<Map<string, { id: number; role: string; active: boolean }>> {
    const wanted = ids.filter((x): x is string => Boolean(x));
    const rows: { id: number; public_id: string; role: string; active: number }[] = await m.query(
      `SELECT id, public_id, role, active FROM staff WHERE public_id IN (${wanted.map(() => '?').join(',')})`,
      wanted,
    );
    return new Map(rows.map((r) => [r.public_id, { id: Number(r.id), role: r.role, active: Boolean(r.active) }]));
  }

  /**
   * An active client the actor may act on; otherwise 404 with the field (a consultant's refusal is
   * audited). `lock`: the client row stays locked for the rest of the transaction.
   */
  private async clientFor(m: EntityManager, actor: Actor, clientPublicId: string, action: string, field: string, opts: { lock?: boolean } = {}): Promise<{ id: number }> {
    const missing = new AppError(CommonErrors.NOT_FOUND, 'Client not found', [{ field, message: 'no such client' }]);
    const { id } = await this.access.check(actor, { publicId: clientPublicId }, 'money', { m, lock: opts.lock, action, notFound: missing });
    return { id };
  }

  /**
   * The client-access rule's `money` section for an order's client (consultants: their own clients);
   * the refusal is audited outside the transaction so it survives the rollback.
   */
  private async checkScope(m: EntityManager, actor: Actor, clientId: number, action: string, refusal: AppError): Promise<void> {
    this.access.requireScope(actor, 'money');
    const [row] = await m.query('SELECT consultant_id FROM clients WHERE id = ?', [clientId]);
    if (row && this.access.may(actor, { consultantId: row.consultant_id === null ? null : Number(row.consultant_id) }, 'money')) return;
    await this.deps.audit.record(actor, action, { clientId, allowed: false, details: { reason: 'not_assigned', role: actor.role, scope: 'money' } });
    throw refusal;
  }

  private async lockOrder(m: EntityManager, actor: Actor, orderPublicId: string, action: string): Promise<OrderRow> {
    const [order]: OrderRow[] = await m.query('SELECT * FROM orders WHERE public_id = ? FOR UPDATE', [orderPublicId]);
    if (!order) throw notFound('Order');
    await this.checkScope(m, actor, Number(order.client_id), action, notFound('Order'));
    return order;
  }

  private async replayOrder(m: EntityManager, existing: OrderRow, hash: string | null, actor: Actor): Promise<RecordOrderResult> {
    if (hash === null || existing.request_hash !== hash) {
      throw new AppError(OrderErrors.ORDER_NO_REUSED, 'This order number was already recorded with different content', [
        { field: 'body.orderNo', message: 'already used for another order' },
      ]);
    }
    return { ...(await this.view(m, existing.id, actor)), replayed: true };
  }

  private async replayRefund(m: EntityManager, existing: RefundRow, order: OrderRow, input: { amountFen: number; reason: string }, actor: Actor): Promise<RefundResult> {
    const same = Number(existing.order_id) === Number(order.id) && existing.kind === 'refund' && Number(existing.amount_fen) === input.amountFen && this.reasonOf(existing) === input.reason;
    if (!same) {
      throw new AppError(OrderErrors.REFUND_NO_REUSED, 'This refund number was already used for a different refund', [
        { field: 'body.refundNo', message: 'already used for another refund' },
      ]);
    }
    return { order: await this.view(m, order.id, actor), refund: await this.refundView(m, existing.id), replayed: true };
  }

  /**
   * Writes a refund or void under the order's row lock. Spend points: the order's refunds together
   * take back floor(pointsEarned × refunded / paid), so partial refunds add up exactly to a full one.
   * What this refund owes is debited as far as the balance goes (key `spend_refund:<refundNo>`);
   * points the client already spent or lost to expiry are recorded as `points_shortfall` instead of
   * refusing the refund or pushing the balance below zero.
   */
  private async applyRefund(
    m: EntityManager, actor: Actor, order: OrderRow, input: { refundNo: string; amountFen: number; reason: string; kind: RefundKind },
  ): Promise<RefundResult> {
    const now = this.deps.clock.now();
    const paid = Number(order.amount_paid_fen);
    const refundedBefore = Number(order.amount_refunded_fen);
    const refundedTotal = refundedBefore + input.amountFen;
    const clientId = Number(order.client_id);

    const [{ settled }] = await m.query('SELECT COALESCE(SUM(points_debited + points_shortfall), 0) AS settled FROM order_refunds WHERE order_id = ?', [order.id]);
    const due = Math.max(0, Math.floor((Number(order.points_earned) * refundedTotal) / paid) - Number(settled));
    let debit = 0;
    let lock: Awaited<ReturnType<PointsService['lockAccount']>> | null = null;
    if (due > 0) {
      lock = await this.deps.points.lockAccount(m, clientId);
      debit = Math.min(due, Math.max(0, lock.balance));
    }

    const refundPublicId = publicId();
    let refundId: number;
    try {
      const res = await m.query(
        `INSERT INTO order_refunds (public_id, order_id, refund_no, kind, amount_fen, reason_enc, points_debited, points_shortfall, recorded_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [refundPublicId, order.id, input.refundNo, input.kind, input.amountFen, this.deps.cipher.encrypt(input.reason, refundReasonAad(refundPublicId)), debit, due - debit, actor.id, now],
      );
      refundId = Number(res.insertId);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // The number was taken meanwhile by a refund of another order (this order's refunds wait on its lock).
      const [winner]: RefundRow[] = await m.query('SELECT * FROM order_refunds WHERE refund_no = ?', [input.refundNo]);
      if (!winner) throw err;
      return this.replayRefund(m, winner, order, input, actor);
    }
    if (debit > 0) {
      await this.deps.points.debit(m, {
        clientId, points: debit, reason: 'spend', reference: `refund:${input.refundNo}`, idempotencyKey: `spend_refund:${input.refundNo}`, actor,
      }, lock!);
    }
    const status: OrderStatus = input.kind === 'void' ? 'voided' : refundedTotal === paid ? 'refunded' : 'partially_refunded';
    const upd = await m.query(
      'UPDATE orders SET amount_refunded_fen = ?, status = ?, updated_at = ? WHERE id = ? AND amount_refunded_fen = ? AND ? <= amount_paid_fen',
      [refundedTotal, status, now, order.id, refundedBefore, refundedTotal],
    );
    if (Number(upd.affectedRows) !== 1) throw new Error(`order ${order.id} changed under its lock`);

    await this.deps.audit.record(actor, input.kind === 'void' ? 'order.void' : 'order.refund', {
      clientId,
      details: {
        order: order.public_id, refundNo: input.refundNo, amountFen: input.amountFen, refundedTotalFen: refundedTotal,
        pointsDebited: debit, pointsShortfall: due - debit,
      },
    }, m);
    const event: OrderRefundEvent = { refundId, refundNo: input.refundNo, amountFen: input.amountFen, refundedTotalFen: refundedTotal, full: refundedTotal === paid, at: now };
    if (this.deps.hooks.some((h) => h.onRefunded)) {
      const paidOrder = await this.paidOrder(m, order.id);
      for (const hook of this.deps.hooks) if (hook.onRefunded) await hook.onRefunded(m, paidOrder, event);
    }
    if (due > debit) this.deps.logger.warn({ order: order.public_id, clientId, due, debited: debit }, 'refund: spend points already spent; shortfall recorded');
    this.deps.logger.info({ order: order.public_id, refundNo: input.refundNo, amountFen: input.amountFen, kind: input.kind }, 'order refund recorded');
    return { order: await this.view(m, order.id, actor), refund: await this.refundView(m, refundId), replayed: false };
  }

  /** The order as the hooks see it, read in the hook's transaction. */
  private async paidOrder(m: EntityManager, orderId: number): Promise<PaidOrder> {
    const [o]: OrderRow[] = await m.query('SELECT * FROM orders WHERE id = ?', [orderId]);
    const items: { project_id: number; code: string; category: SpendCategory; amount_fen: number; effect_duration_days: number | null; followup_plan: string | null }[] =
      await m.query(
        `SELECT i.project_id, p.code, i.category, i.amount_fen, p.effect_duration_days, p.followup_plan
           FROM order_items i JOIN projects p ON p.id = i.project_id WHERE i.order_id = ? ORDER BY i.id`,
        [orderId],
      );
    return {
      id: Number(o.id), publicId: o.public_id, orderNo: o.order_no, clientId: Number(o.client_id), doctorId: Number(o.doctor_id),
      consultantId: o.consultant_id === null ? null : Number(o.consultant_id), amountPaidFen: Number(o.amount_paid_fen), paidAt: o.paid_at,
      items: items.map((i) => ({
        projectId: Number(i.project_id), projectCode: i.code, category: i.category, amountFen: Number(i.amount_fen),
        effectDurationDays: i.effect_duration_days === null ? null : Number(i.effect_duration_days), followupPlan: i.followup_plan,
      })),
    };
  }

  private async view(m: EntityManager, orderId: number, actor: Actor): Promise<OrderView> {
    return (await this.views(m, [orderId], actor)).get(orderId)!;
  }

  private async refundView(m: EntityManager, refundId: number): Promise<RefundView> {
    return (await this.refundViews(m, 'r.id = ?', [refundId]))[0].view;
  }

  /** A refund's reason (free text that may name the procedure or the client's complaint, so encrypted); null once erased or unreadable. */
  private reasonOf(r: Pick<RefundRow, 'public_id' | 'reason_enc'>): string | null {
    if (!r.reason_enc) return null;
    try {
      return this.deps.cipher.decrypt(r.reason_enc, refundReasonAad(r.public_id));
    } catch {
      this.deps.logger.error({ refund: r.public_id, column: 'reason' }, 'stored value cannot be decrypted; answered as null');
      return null;
    }
  }

  private async refundViews(m: EntityManager, where: string, params: unknown[]): Promise<{ orderId: number; view: RefundView }[]> {
    const rows: (RefundRow & { created_at: Date; staff_public_id: string | null; staff_name: string | null })[] = await m.query(
      `SELECT r.*, s.public_id AS staff_public_id, s.display_name AS staff_name FROM order_refunds r LEFT JOIN staff s ON s.id = r.recorded_by
        WHERE ${where} ORDER BY r.id`,
      params,
    );
    return rows.map((r) => ({
      orderId: Number(r.order_id),
      view: {
        id: r.public_id, refundNo: r.refund_no, kind: r.kind, amountFen: Number(r.amount_fen), reason: this.reasonOf(r),
        pointsDebited: Number(r.points_debited), pointsShortfall: Number(r.points_shortfall), recordedBy: staffRef(r.staff_public_id, r.staff_name), createdAt: r.created_at,
      },
    }));
  }

  /** Views of several orders in four queries, as this staff member may see them (procedures only with the health scope). */
  private async views(m: EntityManager, orderIds: number[], actor: Actor): Promise<Map<number, OrderView>> {
    const out = new Map<number, OrderView>();
    if (!orderIds.length) return out;
    const marks = orderIds.map(() => '?').join(',');
    const orders: Record<string, any>[] = await m.query(
      `SELECT o.*, c.public_id AS client_public_id, c.consultant_id AS client_consultant_id, d.public_id AS doctor_public_id, d.display_name AS doctor_name,
              k.public_id AS consultant_public_id, k.display_name AS consultant_name, r.public_id AS recorder_public_id, r.display_name AS recorder_name
         FROM orders o JOIN clients c ON c.id = o.client_id JOIN staff d ON d.id = o.doctor_id
         LEFT JOIN staff k ON k.id = o.consultant_id LEFT JOIN staff r ON r.id = o.recorded_by
        WHERE o.id IN (${marks})`,
      orderIds,
    );
    const items: Record<string, any>[] = await m.query(
      `SELECT i.order_id, i.category, i.amount_fen, p.public_id, p.code, p.name FROM order_items i JOIN projects p ON p.id = i.project_id
        WHERE i.order_id IN (${marks}) ORDER BY i.id`,
      orderIds,
    );
    const refunds = await this.refundViews(m, `r.order_id IN (${marks})`, orderIds);
    for (const o of orders) {
      const id = Number(o.id);
      // Which procedures a client bought is medical data (DOMAIN.md): amounts stay, the project goes.
      const procedures = this.access.may(actor, { consultantId: o.client_consultant_id === null ? null : Number(o.client_consultant_id) }, 'health');
      out.set(id, {
        id: o.public_id,
        orderNo: o.order_no,
        clientId: o.client_public_id,
        doctor: staffRef(o.doctor_public_id, o.doctor_name)!,
        consultant: staffRef(o.consultant_public_id, o.consultant_name),
        paidAt: o.paid_at,
        items: items.filter((i) => Number(i.order_id) === id).map((i) => ({
          project: procedures ? { id: i.public_id, code: i.code, name: i.name } : null, category: procedures ? i.category : null, amountFen: Number(i.amount_fen),
        })),
        amountPaidFen: Number(o.amount_paid_fen),
        amountRefundedFen: Number(o.amount_refunded_fen),
        pointsEarned: Number(o.points_earned),
        status: o.status,
        refunds: refunds.filter((r) => r.orderId === id).map((r) => r.view),
        recordedBy: staffRef(o.recorder_public_id, o.recorder_name),
        createdAt: o.created_at,
      });
    }
    return out;
  }
}
