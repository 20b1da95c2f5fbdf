import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { AppError, notFound, validationError } from '../../shared/errors';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import { publicId, randomCode } from '../../shared/crypto';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from '../clients';
import { PointsErrors } from '../points';
import type { PointsService } from '../points';
import { BenefitKind, RewardItem, RewardKind, VoucherSource, VoucherStatus } from './rewards.entity';
import { VoucherIssuer, parseProjects, type IssueRequest, type IssueTarget, type IssuedVoucher, type RuleBenefit } from './rewards.issue';
import { benefitText, discountFen, type VoucherBenefit } from './rewards.benefits';
import { RewardErrors } from './rewards.errors';
import { VoucherRules, type VoucherRulePatch, type VoucherRuleView } from './rewards.rules';

export interface RewardsDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  audit: AuditService;
  points: PointsService;
}

export interface RewardItemInput {
  kind: RewardKind;
  title: string;
  description?: string;
  pointsPrice: number;
  stock: number;
  perClientLimit?: number | null;
  validFrom?: Date | null;
  validTo?: Date | null;
  active?: boolean;
}

/**
 * A change to an item. `stock` sets the level as counted now and so replaces whatever redemptions
 * and cancellations did meanwhile; `stockDelta` adds or removes units relative to the current level
 * (under the item's row lock), so it never undoes a concurrent redemption. At most one of the two.
 */
export interface RewardItemPatch extends Partial<RewardItemInput> {
  stockDelta?: number;
}

export interface RewardItemView {
  id: string;
  kind: RewardKind;
  title: string;
  description: string;
  pointsPrice: number;
  stock: number;
  perClientLimit: number | null;
  validFrom: Date | null;
  validTo: Date | null;
  active: boolean;
}

export interface CatalogItem extends Omit<RewardItemView, 'active'> {
  /** Vouchers of this item the client holds (cancelled ones not counted). */
  redeemedByMe: number;
}

export interface VoucherView {
  id: string;
  /** 'points': bought in the points mall; 'rule': issued by a rule (care gift, birthday, win-back …). */
  source: VoucherSource;
  /** The points-mall item; for a rule's voucher, the rule with the voucher's kind and title. */
  item: { id: string; kind: RewardKind | BenefitKind; title: string };
  /** A rule's voucher: what it gives (null for a points-mall voucher: the item says). */
  benefit: (Required<VoucherBenefit> & { text: string }) | null;
  points: number;
  code: string;
  /** 'expired' is shown for an issued voucher past its date. */
  status: VoucherStatus;
  validFrom: Date | null;
  expiresAt: Date;
  usedAt: Date | null;
  /** At 核销: the order amount entered and the discount given (fen), when the voucher takes money off. */
  orderAmountFen: number | null;
  discountFen: number | null;
  cancelledAt: Date | null;
  createdAt: Date;
}

/** What the desk enters at 核销 besides the code: the order amount (a percent-off voucher needs it) and the project. */
export interface RedeemInput {
  orderAmountFen?: number;
  /** Public id of the project the voucher is used on (a voucher limited to projects needs it). */
  projectId?: string;
}

interface VoucherRow {
  id: number;
  public_id: string;
  client_id: number;
  item_id: number | null;
  source: VoucherSource;
  rule: string | null;
  kind: BenefitKind | null;
  title: string | null;
  value_fen: number | null;
  percent: number | null;
  cap_fen: number | null;
  service: string | null;
  projects: string[] | string | null;
  valid_from: Date | null;
  order_amount_fen: number | null;
  discount_fen: number | null;
  points: number;
  code: string;
  status: VoucherStatus;
  idempotency_key: string;
  expires_at: Date;
  used_at: Date | null;
  cancelled_at: Date | null;
  created_at: Date;
  item_public_id: string | null;
  item_kind: RewardKind | null;
  item_title: string | null;
}

const VOUCHER_SELECT = `SELECT v.*, i.public_id AS item_public_id, i.kind AS item_kind, i.title AS item_title
  FROM vouchers v LEFT JOIN reward_items i ON i.id = v.item_id`;

function itemView(i: RewardItem): RewardItemView {
  return {
    id: i.publicId, kind: i.kind, title: i.title, description: i.description, pointsPrice: i.pointsPrice, stock: i.stock,
    perClientLimit: i.perClientLimit, validFrom: i.validFrom, validTo: i.validTo, active: i.active,
  };
}

/**
 * Rewards. A redemption is one transaction: the client's points account lock
 * (serialises one client's redemptions and makes the per-client limit count exact), a conditional
 * stock decrement, the ledger debit and the voucher with its one-time code.
 */
export class RewardsService {
  /** The client-access rule: vouchers are the `money` section of a client. */
  private readonly access: ClientAccess;

  private readonly issuer: VoucherIssuer;

  private readonly rules: VoucherRules;

  constructor(private readonly deps: RewardsDeps) {
    this.access = new ClientAccess(deps);
    this.issuer = new VoucherIssuer(deps);
    this.rules = new VoucherRules(deps);
  }

  // ---- the voucher engine the rules call ----

  /**
   * Issues a voucher to each target client for its period, once per client, rule and period (a
   * rerun or a second process returns the vouchers already there, `created: false`); set-based,
   * inside the caller's transaction when given one. Every target's voucher comes back, in order.
   */
  issueVouchers(m: EntityManager | null, req: IssueRequest, targets: IssueTarget[]): Promise<IssuedVoucher[]> {
    return this.issuer.issueMany(m, req, targets);
  }

  /** One client's voucher of a rule and period (see issueVouchers). */
  issueVoucher(m: EntityManager | null, req: IssueRequest, target: IssueTarget): Promise<IssuedVoucher> {
    return this.issuer.issueOne(m, req, target);
  }

  /** Issues the rule's configured voucher (table voucher_rules) to each target; [] when the rule is switched off. */
  issueByRule(m: EntityManager | null, rule: string, targets: IssueTarget[], opts: { projects?: string[] } = {}): Promise<IssuedVoucher[]> {
    return this.issuer.issueByRule(m, rule, targets, opts);
  }

  /** A rule's configured benefit, or null for an unknown rule. */
  ruleBenefit(rule: string): Promise<RuleBenefit | null> {
    return this.issuer.ruleBenefit(null, rule);
  }

  /** What each rule gives, for the director. */
  listRules(): Promise<VoucherRuleView[]> {
    return this.rules.list();
  }

  /** Changes what a rule gives (audited); vouchers already issued keep what they were issued with. */
  updateRule(actor: Actor, code: string, patch: VoucherRulePatch): Promise<VoucherRuleView> {
    return this.rules.update(actor, code, patch);
  }

  /** The expiry task's work: issued vouchers past their date are recorded as expired. */
  expireVouchers(now: Date = this.deps.clock.now()): Promise<number> {
    return this.issuer.expireDue(now);
  }

  /** Creates an item; the audit row commits with it. */
  async createItem(actor: Actor, input: RewardItemInput): Promise<RewardItemView> {
    checkDates(input.validFrom ?? null, input.validTo ?? null);
    return this.tx(async (m) => {
      const repo = m.getRepository(RewardItem);
      const now = this.deps.clock.now();
      const item = await repo.save(
        repo.create({
          publicId: publicId(), kind: input.kind, title: input.title, description: input.description ?? '', pointsPrice: input.pointsPrice,
          stock: input.stock, perClientLimit: input.perClientLimit ?? null, validFrom: input.validFrom ?? null, validTo: input.validTo ?? null,
          active: input.active ?? true, createdAt: now, updatedAt: now,
        }),
      );
      await this.deps.audit.record(actor, 'reward.create', { details: { item: item.publicId, title: item.title, pointsPrice: item.pointsPrice, stock: item.stock } }, m);
      return itemView(item);
    });
  }

  /**
   * Changes an item under its row lock (redemptions take the same lock to decrement the stock), with
   * its audit row in the same transaction. See RewardItemPatch for `stock` versus `stockDelta`.
   */
  async updateItem(actor: Actor, itemPublicId: string, patch: RewardItemPatch): Promise<RewardItemView> {
    const { stockDelta, ...fields } = patch;
    if (stockDelta !== undefined && fields.stock !== undefined) throw validationError([{ field: 'stockDelta', message: 'give stock or stockDelta, not both' }]);
    return this.tx(async (m) => {
      const repo = m.getRepository(RewardItem);
      const item = await repo.findOne({ where: { publicId: itemPublicId }, lock: { mode: 'pessimistic_write' } });
      if (!item) throw notFound('Reward');
      checkDates(fields.validFrom !== undefined ? fields.validFrom : item.validFrom, fields.validTo !== undefined ? fields.validTo : item.validTo);
      const changes: Partial<RewardItem> = { ...fields, updatedAt: this.deps.clock.now() };
      if (stockDelta !== undefined) {
        const stock = item.stock + stockDelta;
        if (stock < 0) throw validationError([{ field: 'stockDelta', message: `stock cannot go below zero (it is ${item.stock})` }]);
        changes.stock = stock;
      }
      await repo.update({ id: item.id }, changes);
      Object.assign(item, changes);
      await this.deps.audit.record(actor, 'reward.update', { details: { item: item.publicId, changes: Object.keys(patch), stockDelta, stock: item.stock } }, m);
      return itemView(item);
    });
  }

  async listItems(): Promise<RewardItemView[]> {
    const items = await this.deps.db.getRepository(RewardItem).find({ order: { id: 'DESC' } });
    return items.map(itemView);
  }

  /** What a client can redeem now: active items inside their dates, with how many the client already holds. */
  async catalog(clientId: number): Promise<CatalogItem[]> {
    const now = this.deps.clock.now();
    const items = await this.deps.db
      .getRepository(RewardItem)
      .createQueryBuilder('i')
      .where('i.active = 1')
      .andWhere('(i.valid_from IS NULL OR i.valid_from <= :now)', { now })
      .andWhere('(i.valid_to IS NULL OR i.valid_to > :now)', { now })
      .orderBy('i.points_price', 'ASC')
      .addOrderBy('i.id', 'ASC')
      .getMany();
    const counts: { item_id: number; n: number | string }[] = items.length
      ? await this.deps.db.query(
          `SELECT item_id, COUNT(*) AS n FROM vouchers WHERE client_id = ? AND status <> 'cancelled' AND item_id IN (${items.map(() => '?').join(',')}) GROUP BY item_id`,
          [clientId, ...items.map((i) => i.id)],
        )
      : [];
    const byItem = new Map(counts.map((c) => [Number(c.item_id), Number(c.n)]));
    return items.map((i) => {
      const { active: _active, ...view } = itemView(i);
      return { ...view, redeemedByMe: byItem.get(i.id) ?? 0 };
    });
  }

  /**
   * Redeems one item for the client. `requestId` (client-generated) makes a retry return the same
   * voucher; the same id for another item is 409 IDEMPOTENCY_KEY_REUSED.
   */
  async redeem(clientId: number, itemPublicId: string, requestId: string, actor: Actor): Promise<VoucherView> {
    const key = `redeem:${requestId}`;
    const voucherId = await this.deps.points.run(null, async (m) => {
      // Locked once for the whole redemption: the debit below writes under this lock.
      const lock = await this.deps.points.lockAccount(m, clientId);
      const balance = lock.balance;
      const [item] = await m.query('SELECT id, public_id, points_price, per_client_limit, valid_to FROM reward_items WHERE public_id = ?', [itemPublicId]);
      if (!item) throw notFound('Reward');
      const [existing] = await m.query('SELECT id, item_id FROM vouchers WHERE client_id = ? AND idempotency_key = ?', [clientId, key]);
      if (existing) {
        if (Number(existing.item_id) !== Number(item.id)) {
          throw new AppError(PointsErrors.IDEMPOTENCY_KEY_REUSED, 'This request id was already used for another reward');
        }
        return Number(existing.id);
      }
      if (item.per_client_limit !== null) {
        const [{ n }] = await m.query(
          "SELECT COUNT(*) AS n FROM vouchers WHERE client_id = ? AND item_id = ? AND status <> 'cancelled'",
          [clientId, item.id],
        );
        if (Number(n) >= Number(item.per_client_limit)) {
          throw new AppError(RewardErrors.REWARD_LIMIT_REACHED, 'You already hold as many of this reward as allowed', { limit: Number(item.per_client_limit) });
        }
      }
      const price = Number(item.points_price);
      // Checked again by the ledger; refusing here keeps a short balance off the item's hot row lock.
      if (balance < price) throw new AppError(PointsErrors.POINTS_INSUFFICIENT, 'Not enough points', { balance, needed: price });

      const now = this.deps.clock.now();
      const taken = await m.query(
        `UPDATE reward_items SET stock = stock - 1 WHERE id = ? AND stock > 0 AND active = 1
           AND (valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to > ?)`,
        [item.id, now, now],
      );
      if (Number(taken.affectedRows) !== 1) await this.refuseStock(m, Number(item.id), now);

      await this.deps.points.debit(m, { clientId, points: price, reason: 'redeem', reference: `reward:${item.public_id}`, idempotencyKey: key, actor }, lock);

      const validDays = new Date(now.getTime() + this.deps.config.rewards.voucherValidDays * 86400_000);
      const expiresAt = item.valid_to && item.valid_to < validDays ? item.valid_to : validDays;
      return this.insertVoucher(m, { clientId, itemId: Number(item.id), points: price, key, expiresAt, now });
    });
    return (await this.voucherRow(this.deps.db.manager, { id: voucherId }))!.view;
  }

  async listVouchers(clientId: number, page: number, pageSize: number): Promise<{ items: VoucherView[]; page: number; hasMore: boolean }> {
    const rows: VoucherRow[] = await this.deps.db.query(`${VOUCHER_SELECT} WHERE v.client_id = ? ORDER BY v.id DESC LIMIT ? OFFSET ?`, [
      clientId, pageSize + 1, (page - 1) * pageSize,
    ]);
    return { items: rows.slice(0, pageSize).map((r) => this.view(r)), page, hasMore: rows.length > pageSize };
  }

  /**
   * A client's vouchers for staff, newest first: the client-access rule's `money` section (consultants:
   * their own clients); audited 'voucher.list'.
   */
  async clientVouchers(actor: Actor, clientPublicId: string, page: number, pageSize: number): Promise<{ items: VoucherView[]; page: number; hasMore: boolean }> {
    const client = await this.access.check(actor, { publicId: clientPublicId }, 'money', { action: 'voucher.list' });
    const list = await this.listVouchers(client.id, page, pageSize);
    await this.deps.audit.record(actor, 'voucher.list', { clientId: client.id, details: { page, results: list.items.length } });
    return list;
  }

  /** One of the client's own vouchers; another client's voucher is simply not found. */
  async getVoucher(clientId: number, voucherPublicId: string): Promise<VoucherView> {
    const found = await this.voucherRow(this.deps.db.manager, { publicId: voucherPublicId, clientId });
    if (!found) throw notFound('Voucher');
    return found.view;
  }

  /** 核销: staff use a voucher by its code, once; a used, cancelled or expired voucher is refused. The audit row commits with the use. */
  /** A voucher by its code as the desk sees it before redeeming; audited 'voucher.lookup'. */
  async lookupByCode(actor: Actor, code: string): Promise<VoucherView & { clientId: string }> {
    const m = this.deps.db.manager;
    const found = await this.voucherRow(m, { code: code.trim().toUpperCase() });
    if (!found) throw notFound('Voucher');
    await this.deps.audit.record(actor, 'voucher.lookup', { clientId: found.row.client_id, details: { voucher: found.row.public_id } });
    const [client] = await m.query('SELECT public_id FROM clients WHERE id = ?', [found.row.client_id]);
    return { ...found.view, clientId: client?.public_id ?? null };
  }

  /**
   * 核销: uses a voucher by its code, once — a conditional UPDATE, so of two desks redeeming the same
   * code at once exactly one wins and the other is told it was used. A percent-off voucher needs the
   * order amount (the discount is computed and capped here); a voucher limited to projects needs the
   * project. The audit row commits with the use.
   */
  async redeemByCode(actor: Actor, code: string, input: RedeemInput = {}): Promise<VoucherView & { clientId: string }> {
    const normalized = code.trim().toUpperCase();
    return this.tx(async (m) => {
      const now = this.deps.clock.now();
      const before = await this.voucherRow(m, { code: normalized });
      if (!before) throw notFound('Voucher');
      const use = await this.useOf(m, before.row, input);
      const res = await m.query(
        `UPDATE vouchers SET status = 'used', used_at = ?, used_by_staff_id = ?, order_amount_fen = ?, discount_fen = ?, used_project = ?
          WHERE id = ? AND status = 'issued' AND expires_at > ? AND (valid_from IS NULL OR valid_from <= ?)`,
        [now, actor.id, input.orderAmountFen ?? null, use.discountFen, use.project, before.row.id, now, now],
      );
      const found = (await this.voucherRow(m, { id: before.row.id }))!;
      if (Number(res.affectedRows) !== 1) this.refuseVoucher(found.row, now);
      await this.deps.audit.record(actor, 'voucher.redeem', {
        clientId: found.row.client_id,
        details: { voucher: found.row.public_id, item: found.row.item_public_id, rule: found.row.rule, discountFen: use.discountFen },
      }, m);
      const [client] = await m.query('SELECT public_id FROM clients WHERE id = ?', [found.row.client_id]);
      return { ...found.view, clientId: client?.public_id ?? null };
    });
  }

  /** The discount and project of a use, checked against the voucher's kind and usable projects. */
  private async useOf(m: EntityManager, v: VoucherRow, input: RedeemInput): Promise<{ discountFen: number | null; project: string | null }> {
    if (v.source !== 'rule') return { discountFen: null, project: null };
    const projects = parseProjects(v.projects);
    let project: string | null = null;
    if (input.projectId !== undefined) {
      const [p] = await m.query('SELECT code FROM projects WHERE public_id = ?', [input.projectId]);
      if (!p) throw validationError([{ field: 'body.projectId', message: 'no such project' }]);
      project = p.code;
    }
    if (projects) {
      if (!project) throw validationError([{ field: 'body.projectId', message: 'this voucher is for certain projects only: give the project' }]);
      if (!projects.includes(project!)) {
        throw new AppError(RewardErrors.VOUCHER_NOT_FOR_PROJECT, 'This voucher cannot be used on this project', { field: 'body.projectId', projects });
      }
    }
    if (v.kind === 'percent_off' && input.orderAmountFen === undefined) {
      throw validationError([{ field: 'body.orderAmountFen', message: 'a percent-off voucher needs the order amount' }]);
    }
    const benefit = { kind: v.kind!, valueFen: v.value_fen, percent: v.percent, capFen: v.cap_fen };
    return { discountFen: discountFen(benefit, input.orderAmountFen ?? null), project };
  }

  /** The client cancels their own unused voucher: points and stock come back, once; a second cancel is 409 VOUCHER_CANCELLED. */
  cancelByClient(clientId: number, voucherPublicId: string, actor: Actor): Promise<VoucherView> {
    return this.cancel({ publicId: voucherPublicId, clientId }, actor);
  }

  /** Staff cancel an unused voucher of a client whose money section they may act on (audited): points and stock come back, once. */
  async cancelByStaff(actor: Actor, voucherPublicId: string): Promise<VoucherView> {
    const target = await this.voucherRow(this.deps.db.manager, { publicId: voucherPublicId });
    if (!target) throw notFound('Voucher');
    // A consultant cancels only their own clients' vouchers; another client's voucher is not found.
    await this.access.check(actor, { id: target.row.client_id }, 'money', { action: 'voucher.cancel', notFound: notFound('Voucher') });
    return this.cancel({ publicId: voucherPublicId }, actor);
  }

  private async cancel(where: { publicId: string; clientId?: number }, actor: Actor): Promise<VoucherView> {
    const target = await this.voucherRow(this.deps.db.manager, where);
    if (!target) throw notFound('Voucher');
    const v = target.row;
    const cancelKey = `redeem_cancel:${v.public_id}`;
    await this.deps.points.run(null, async (m) => {
      // Locked once for the whole cancellation: the reversal below writes under this lock.
      const lock = await this.deps.points.lockAccount(m, v.client_id);
      const now = this.deps.clock.now();
      const res = await m.query(
        "UPDATE vouchers SET status = 'cancelled', cancelled_at = ? WHERE id = ? AND status = 'issued' AND expires_at > ?",
        [now, v.id, now],
      );
      if (Number(res.affectedRows) !== 1) {
        const [fresh] = await m.query('SELECT status, expires_at, valid_from FROM vouchers WHERE id = ?', [v.id]);
        this.refuseVoucher(fresh, now);
      }
      if (v.source === 'rule') {
        // A rule's voucher cost nothing: no stock or points come back; the cancellation is recorded.
        if (actor.type === 'staff') await this.deps.audit.record(actor, 'voucher.cancel', { clientId: v.client_id, details: { voucher: v.public_id, rule: v.rule } }, m);
        return;
      }
      await m.query('UPDATE reward_items SET stock = stock + 1 WHERE id = ?', [v.item_id]);
      // The returned points keep the debit's expiry (the earliest of the lots it consumed): a cancel never extends their life.
      await this.deps.points.reverse(m, {
        clientId: v.client_id, originalKey: v.idempotency_key, newKey: cancelKey, reason: 'redeem_cancel', reference: `voucher:${v.public_id}`, actor,
      }, lock);
      if (actor.type === 'staff') await this.deps.audit.record(actor, 'voucher.cancel', { clientId: v.client_id, details: { voucher: v.public_id } }, m);
    });
    return (await this.voucherRow(this.deps.db.manager, { id: v.id }))!.view;
  }

  /** A short READ COMMITTED transaction, retried on deadlock. */
  private tx<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.deps.db, work);
  }

  private async refuseStock(m: EntityManager, itemId: number, now: Date): Promise<never> {
    const [i] = await m.query('SELECT stock, active, valid_from, valid_to FROM reward_items WHERE id = ?', [itemId]);
    const available = i.active && (!i.valid_from || i.valid_from <= now) && (!i.valid_to || i.valid_to > now);
    if (!available) throw new AppError(RewardErrors.REWARD_NOT_AVAILABLE, 'This reward is not available now');
    throw new AppError(RewardErrors.REWARD_OUT_OF_STOCK, 'This reward is out of stock');
  }

  private refuseVoucher(row: { status: VoucherStatus; expires_at: Date; valid_from?: Date | null }, now: Date): never {
    if (row.status === 'used') throw new AppError(RewardErrors.VOUCHER_USED, 'This voucher has already been used');
    if (row.status === 'cancelled') throw new AppError(RewardErrors.VOUCHER_CANCELLED, 'This voucher was cancelled');
    // The expiry task records 'expired'; until it runs, an issued voucher past its date is expired too.
    if (row.status === 'expired' || row.expires_at <= now) throw new AppError(RewardErrors.VOUCHER_EXPIRED, 'This voucher has expired');
    if (row.valid_from && row.valid_from > now) throw new AppError(RewardErrors.VOUCHER_NOT_YET_VALID, 'This voucher is not valid yet', { validFrom: row.valid_from });
    throw new AppError('CONFLICT', 'The voucher changed; try again');
  }

  private async insertVoucher(
    m: EntityManager, v: { clientId: number; itemId: number; points: number; key: string; expiresAt: Date; now: Date },
  ): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await m.query(
          `INSERT INTO vouchers (public_id, client_id, item_id, points, code, status, idempotency_key, expires_at, created_at)
           VALUES (?, ?, ?, ?, ?, 'issued', ?, ?, ?)`,
          [publicId(), v.clientId, v.itemId, v.points, randomCode(10), v.key, v.expiresAt, v.now],
        );
        return Number(res.insertId);
      } catch (err) {
        // A code collision (31^10 codes) is astronomically rare; draw another.
        if (!isDuplicateKey(err) || attempt >= 3) throw err;
      }
    }
  }

  private async voucherRow(
    m: EntityManager, where: { id?: number; publicId?: string; code?: string; clientId?: number },
  ): Promise<{ row: VoucherRow; view: VoucherView } | null> {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (where.id !== undefined) (conds.push('v.id = ?'), params.push(where.id));
    if (where.publicId !== undefined) (conds.push('v.public_id = ?'), params.push(where.publicId));
    if (where.code !== undefined) (conds.push('v.code = ?'), params.push(where.code));
    if (where.clientId !== undefined) (conds.push('v.client_id = ?'), params.push(where.clientId));
    const [row]: VoucherRow[] = await m.query(`${VOUCHER_SELECT} WHERE ${conds.join(' AND ')}`, params);
    return row ? { row, view: this.view(row) } : null;
  }

  private view(r: VoucherRow): VoucherView {
    const expired = r.status === 'issued' && r.expires_at <= this.deps.clock.now();
    const benefit = r.source === 'rule' ? ruleBenefitOf(r) : null;
    return {
      id: r.public_id,
      source: r.source,
      item: benefit ? { id: r.rule!, kind: benefit.kind, title: benefit.title } : { id: r.item_public_id!, kind: r.item_kind!, title: r.item_title! },
      benefit: benefit ? { ...benefit, text: benefitText(benefit) } : null,
      points: Number(r.points),
      code: r.code,
      status: expired ? 'expired' : r.status,
      validFrom: r.valid_from,
      expiresAt: r.expires_at,
      usedAt: r.used_at,
      orderAmountFen: r.order_amount_fen === null ? null : Number(r.order_amount_fen),
      discountFen: r.discount_fen === null ? null : Number(r.discount_fen),
      cancelledAt: r.cancelled_at,
      createdAt: r.created_at,
    };
  }
}

function checkDates(from: Date | null | undefined, to: Date | null | undefined): void {
  if (from && to && to <= from) throw new AppError(RewardErrors.REWARD_DATES_INVALID, 'validTo must be after validFrom');
}

function ruleBenefitOf(r: VoucherRow): Required<VoucherBenefit> {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return { kind: r.kind!, title: r.title!, valueFen: n(r.value_fen), percent: n(r.percent), capFen: n(r.cap_fen), service: r.service, projects: parseProjects(r.projects) };
}
