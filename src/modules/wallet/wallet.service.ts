import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';
import { AppError } from '../../shared/errors';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import { sha256 } from '../../shared/crypto';
import type { Logger } from '../../shared/logger';
import { SYSTEM_ACTOR } from '../audit';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from '../clients';
import type { OrderHooks, OrderRefundEvent, PaidOrder, PayableOrder } from '../orders';
import { validUntil } from '../rewards';
import type { RewardsService } from '../rewards';
import type { WalletReason } from './wallet.entity';
import { WalletErrors } from './wallet.errors';
import { refundShareFen } from './wallet.rules';

/** The orders module as the wallet needs it: the order a payment is recorded against, locked. */
export interface WalletOrders {
  lockForPayment(m: EntityManager, actor: Actor, orderPublicId: string, action: string): Promise<PayableOrder>;
}

/** A stored-value payment on an order, as the payment hooks see it (inside the payment's transaction). */
export interface StoredValuePayment {
  orderId: number;
  orderNo: string;
  clientId: number;
  /** What the order was paid (the order amount). */
  orderPaidFen: number;
  /** What stored value has paid of the order so far, this payment included. */
  paidFromStoredValueFen: number;
  /** The payment's request id (its retries carry the same one): a hook's writes are keyed by it. */
  requestId: string;
}

/**
 * Called inside a stored-value payment's transaction, after the order's lock and before the
 * client's stored-value account lock (so a hook may take locks a refund takes before the wallet's);
 * a hook that throws rolls the payment back.
 */
export interface StoredValuePaymentHook {
  onStoredValuePaid(m: EntityManager, payment: StoredValuePayment): Promise<void>;
}

/** The rewards module's voucher engine, which issues the voucher stored value is converted into. */
export type StoredValueVoucherIssuer = Pick<RewardsService, 'issueVoucher'>;

/** The rule name the conversion's vouchers carry (one voucher per conversion request: the period is the request id). */
export const STORED_VALUE_RULE = 'stored_value';

export interface WalletDeps {
  db: DataSource;
  clock: Clock;
  audit: AuditService;
  /** Late-bound: the orders module is built after the wallet (it calls the wallet's order hooks). */
  orders: () => WalletOrders;
  /** Late-bound: the rewards module is built after the wallet. */
  vouchers?: () => StoredValueVoucherIssuer;
  /** WALLET_VOUCHER_VALID_DAYS: how long a voucher converted from stored value stays usable. */
  voucherValidDays?: number;
  logger: Logger;
}

/** A ledger write; `amountFen` is always positive, the reason says which way it goes. */
export interface WalletWrite {
  clientId: number;
  amountFen: number;
  reason: WalletReason;
  reference: string | null;
  /** Unique per client: the same key with the same content replays, with other content is refused. */
  idempotencyKey: string;
  orderId?: number | null;
  actor?: Actor;
}

export interface WalletEntryView {
  deltaFen: number;
  reason: WalletReason;
  reference: string | null;
  balanceAfterFen: number;
  createdAt: Date;
}

export interface WalletWriteResult {
  entry: WalletEntryView;
  balanceFen: number;
  replayed: boolean;
}

/** A clawback: what the balance could give back, and what it could not (already spent). */
export interface ClawbackResult {
  takenFen: number;
  shortfallFen: number;
}

/**
 * A line of the client's own ledger. Referral cashback and its clawbacks come as one line per
 * Shanghai month (`month` set, `createdAt` null): one line per reward would date and size a known
 * friend's purchase (PIPL art. 28–29), as the referral page's cashback view already holds.
 */
export interface ClientWalletLine {
  kind: WalletReason | 'referral_month';
  deltaFen: number;
  month: string | null;
  createdAt: Date | null;
}

export interface WalletConsistencyReport {
  accounts: number;
  /** Accounts whose balance differs from the sum of their entries, or is negative. */
  drift: { clientId: number; balanceFen: number; sumFen: number }[];
  /** Orders whose stored value given back by refunds exceeds what paid them. */
  orders: { orderId: number; paidFen: number; restoredFen: number }[];
}

interface AccountLock {
  clientId: number;
  manager: EntityManager;
  balanceFen: number;
}

interface EntryRow {
  id: string | number;
  delta_fen: number;
  reason: WalletReason;
  reference: string | null;
  request_hash: string;
  balance_after_fen: number;
  created_at: Date;
}

const CASHBACK_REASONS = "('referral_cashback', 'cashback_clawback')";

function toView(r: EntryRow): WalletEntryView {
  return { deltaFen: Number(r.delta_fen), reason: r.reason, reference: r.reference, balanceAfterFen: Number(r.balance_after_fen), createdAt: r.created_at };
}

/**
 * Stored value 储值: released referral cashback the client can spend. An append-only ledger and a
 * balance row changed in the same transaction, as the points ledger: the account row's lock
 * serialises one client's changes, a conditional UPDATE never lets the balance go below zero,
 * and (client_id, idempotency_key) plus a hash of the content makes every write exactly-once.
 */
export class WalletService {
  /** The hook OrdersService calls inside a refund's transaction. */
  readonly orderHooks: OrderHooks;
  private readonly paymentHooks: StoredValuePaymentHook[] = [];

  constructor(private readonly deps: WalletDeps) {
    this.orderHooks = { onRefunded: (m, order, refund) => this.onOrderRefunded(m, order, refund) };
  }

  /** Modules built after the wallet (referrals: the cashback base) hear of every new stored-value payment on an order. */
  addPaymentHook(hook: StoredValuePaymentHook): void {
    this.paymentHooks.push(hook);
  }

  /**
   * For ClientsService.addDataHooks. The ledger is a money record (kept, as orders are, with no
   * personal data in it: amounts and internal references); the export carries it.
   */
  readonly clientDataHooks = {
    exportSections: async (m: EntityManager, clientId: number): Promise<Record<string, unknown>> => {
      const [acc] = await m.query('SELECT balance_fen FROM wallet_accounts WHERE client_id = ?', [clientId]);
      const rows: EntryRow[] = await m.query('SELECT * FROM wallet_entries WHERE client_id = ? ORDER BY id', [clientId]);
      return {
        storedValue: {
          balanceFen: Number(acc?.balance_fen ?? 0),
          entries: rows.map((r) => ({ deltaFen: Number(r.delta_fen), reason: r.reason, balanceAfterFen: Number(r.balance_after_fen), createdAt: r.created_at })),
        },
      };
    },
  };

  // ---------------------------------------------------------------- ledger primitives (other modules' transactions)

  /** Adds stored value (released cashback). Joins `m` when given. */
  credit(m: EntityManager | null, input: WalletWrite): Promise<WalletWriteResult> {
    assertFen(input.amountFen);
    return this.run(m, async (tx) => this.write(tx, await this.lock(tx, input.clientId), input, input.amountFen));
  }

  /** Takes stored value; 409 WALLET_INSUFFICIENT when the balance is short. */
  debit(m: EntityManager | null, input: WalletWrite): Promise<WalletWriteResult> {
    assertFen(input.amountFen);
    return this.run(m, async (tx) => this.write(tx, await this.lock(tx, input.clientId), input, -input.amountFen));
  }

  /**
   * Takes back released cashback after the friend's refund: only what is left of the balance (it
   * never goes negative); the rest is the shortfall, for the caller to record. Once per key.
   */
  async clawBack(m: EntityManager, input: Omit<WalletWrite, 'reason'>): Promise<ClawbackResult> {
    assertFen(input.amountFen);
    const lock = await this.lock(m, input.clientId);
    const done = await this.findByKey(m, input.clientId, input.idempotencyKey);
    if (done) return { takenFen: -Number(done.delta_fen), shortfallFen: input.amountFen + Number(done.delta_fen) };
    const take = Math.min(input.amountFen, Math.max(0, lock.balanceFen));
    if (take > 0) await this.write(m, lock, { ...input, amountFen: take, reason: 'cashback_clawback' }, -take);
    return { takenFen: take, shortfallFen: input.amountFen - take };
  }

  // ---------------------------------------------------------------- payments on orders

  /**
   * Staff record that stored value paid part or all of an order (after the order itself, at the
   * front desk). The order is locked, the payment hooks run (the referral reward's cashback base
   * drops what stored value paid), then the client's account is locked; the payments of one order add
   * up to at most what it was paid, and only an order without refunds can be paid from stored value
   * (so a refund's share of stored value is fixed). Retry-safe by `requestId`; audited.
   */
  async payOrder(actor: Actor, orderPublicId: string, input: { amountFen: number; requestId: string }): Promise<WalletWriteResult & { orderPaidFen: number }> {
    return this.run(null, async (m) => {
      const order = await this.deps.orders().lockForPayment(m, actor, orderPublicId, 'wallet.pay');
      const key = `pay:${input.requestId}`;
      const write: WalletWrite = { clientId: order.clientId, amountFen: input.amountFen, reason: 'order_payment', reference: order.publicId, orderId: order.id, idempotencyKey: key, actor };
      const existing = await this.findByKey(m, order.clientId, key);
      if (existing) {
        const lock = await this.lock(m, order.clientId);
        return { ...this.replay(existing, hashOf(-input.amountFen, write), lock.balanceFen), orderPaidFen: await this.paidOn(m, order.id) };
      }
      if (order.status !== 'paid' || order.amountRefundedFen > 0) {
        throw new AppError(WalletErrors.WALLET_ORDER_REFUNDED, 'Stored value can only pay an order with no refund', { field: 'params.id', status: order.status });
      }
      // The order's lock serialises its payments, so this sum is exact.
      const paidBefore = await this.paidOn(m, order.id);
      if (paidBefore + input.amountFen > order.amountPaidFen) {
        throw new AppError(WalletErrors.WALLET_EXCEEDS_ORDER, 'Stored-value payments cannot add up to more than the order', {
          field: 'body.amountFen', orderFen: order.amountPaidFen, paidFromStoredValueFen: paidBefore, payableFen: order.amountPaidFen - paidBefore,
        });
      }
      // Hooks before the account lock: a refund takes the referrer's locks before this client's account, so this payment does too.
      const payment: StoredValuePayment = {
        orderId: order.id, orderNo: order.orderNo, clientId: order.clientId, orderPaidFen: order.amountPaidFen, paidFromStoredValueFen: paidBefore + input.amountFen, requestId: input.requestId,
      };
      for (const hook of this.paymentHooks) await hook.onStoredValuePaid(m, payment);
      const lock = await this.lock(m, order.clientId);
      const result = await this.write(m, lock, write, -input.amountFen);
      await this.deps.audit.record(actor, 'wallet.pay', {
        clientId: order.clientId, details: { order: order.publicId, amountFen: input.amountFen, balanceFen: result.balanceFen },
      }, m);
      this.deps.logger.info({ order: order.publicId, clientId: order.clientId, amountFen: input.amountFen }, 'order paid from stored value');
      return { ...result, orderPaidFen: paidBefore + input.amountFen };
    });
  }

  /**
   * A refund of an order stored value helped pay gives stored value back in proportion: the
   * refunds together give back floor(paid from stored value × refunded ÷ order amount) — the fen
   * a fraction leaves goes back with the cash part — and a full refund or void gives back all of
   * it. Computed on the running total, so partial refunds add up exactly to a full one.
   */
  private async onOrderRefunded(m: EntityManager, order: PaidOrder, refund: OrderRefundEvent): Promise<void> {
    const paid = await this.paidOn(m, order.id);
    if (paid === 0) return;
    const [{ restored }] = await m.query(
      "SELECT COALESCE(SUM(delta_fen), 0) AS restored FROM wallet_entries WHERE order_id = ? AND reason = 'order_refund'", [order.id],
    );
    const due = refundShareFen(paid, order.amountPaidFen, refund.refundedTotalFen, refund.full) - Number(restored);
    if (due <= 0) return;
    await this.credit(m, {
      clientId: order.clientId, amountFen: due, reason: 'order_refund', reference: `${order.publicId}:${refund.refundNo}`, orderId: order.id,
      idempotencyKey: `refund:${refund.refundId}`, actor: SYSTEM_ACTOR,
    });
  }

  /** Stored value paid on an order (payments only). */
  private async paidOn(m: EntityManager, orderId: number): Promise<number> {
    const [{ paid }] = await m.query(
      "SELECT COALESCE(-SUM(delta_fen), 0) AS paid FROM wallet_entries WHERE order_id = ? AND reason = 'order_payment'", [orderId],
    );
    return Number(paid);
  }

  // ---------------------------------------------------------------- the client's conversion to a voucher

  /**
   * The client turns stored value into an amount-off voucher of equal value (valid
   * WALLET_VOUCHER_VALID_DAYS): the debit and the voucher in one transaction, once per `requestId`
   * (a retry returns the same voucher; the same id with another amount is WALLET_REQUEST_REUSED).
   */
  async convertToVoucher(actor: Actor, clientId: number, amountFen: number, requestId: string): Promise<{ balanceFen: number; replayed: boolean; voucher: { publicId: string; code: string; valueFen: number; expiresAt: Date | null } }> {
    const issuer = this.deps.vouchers?.();
    if (!issuer) throw new Error('no voucher issuer wired for stored-value conversion');
    const key = `voucher:${requestId}`;
    return this.run(null, async (m) => {
      const result = await this.debit(m, { clientId, amountFen, reason: 'voucher', reference: null, idempotencyKey: key, actor });
      const voucher = await issuer.issueVoucher(m, {
        rule: STORED_VALUE_RULE,
        benefit: { kind: 'amount_off', title: '储值兑换代金券', valueFen: amountFen },
        expiresAt: validUntil(this.deps.clock.now(), this.deps.voucherValidDays ?? 365),
      }, { clientId, period: requestId.replace(/-/g, '') });
      if (!result.replayed) {
        await this.deps.audit.record(actor, 'wallet.voucher', { clientId, details: { amountFen, voucher: voucher.id, balanceFen: result.balanceFen } }, m);
        this.deps.logger.info({ clientId, amountFen }, 'stored value converted to a voucher');
      }
      return { balanceFen: result.balanceFen, replayed: result.replayed, voucher: { publicId: voucher.id, code: voucher.code, valueFen: amountFen, expiresAt: voucher.expiresAt } };
    });
  }

  // ---------------------------------------------------------------- views

  async balance(clientId: number, m: EntityManager = this.deps.db.manager): Promise<number> {
    const [row] = await m.query('SELECT balance_fen FROM wallet_accounts WHERE client_id = ?', [clientId]);
    return Number(row?.balance_fen ?? 0);
  }

  /** The client's own ledger, newest first; cashback as monthly totals (see ClientWalletLine). */
  async clientLedger(clientId: number, page: number, pageSize: number): Promise<{ balanceFen: number; items: ClientWalletLine[]; page: number; hasMore: boolean }> {
    const offsetSeconds = SHANGHAI_OFFSET_MS / 1000;
    const [balanceFen, rows] = await Promise.all([
      this.balance(clientId),
      this.deps.db.query(
        `SELECT kind, delta, month, created_at, sort_at, sort_id FROM (
           SELECT reason AS kind, delta_fen AS delta, NULL AS month, created_at, created_at AS sort_at, id AS sort_id
             FROM wallet_entries WHERE client_id = ? AND reason NOT IN ${CASHBACK_REASONS}
           UNION ALL
           SELECT 'referral_month', SUM(delta_fen), DATE_FORMAT(created_at + INTERVAL ? SECOND, '%Y-%m') AS m, NULL, MAX(created_at), MAX(id)
             FROM wallet_entries WHERE client_id = ? AND reason IN ${CASHBACK_REASONS} GROUP BY m
         ) ledger_lines ORDER BY sort_at DESC, sort_id DESC LIMIT ? OFFSET ?`,
        [clientId, offsetSeconds, clientId, pageSize + 1, (page - 1) * pageSize],
      ) as Promise<{ kind: ClientWalletLine['kind']; delta: number | string; month: string | null; created_at: Date | null }[]>,
    ]);
    const items = rows.slice(0, pageSize).map((r) => ({ kind: r.kind, deltaFen: Number(r.delta), month: r.month, createdAt: r.created_at }));
    return { balanceFen, items, page, hasMore: rows.length > pageSize };
  }

  /** A client's balance and ledger for staff (money scope; audited). */
  async staffView(actor: Actor, clientPublicId: string, page: number, pageSize: number): Promise<{ balanceFen: number; items: WalletEntryView[]; page: number; hasMore: boolean }> {
    const client = await new ClientAccess(this.deps).check(actor, { publicId: clientPublicId }, 'money', { action: 'wallet.view' });
    const rows: EntryRow[] = await this.deps.db.query(
      'SELECT * FROM wallet_entries WHERE client_id = ? ORDER BY id DESC LIMIT ? OFFSET ?', [client.id, pageSize + 1, (page - 1) * pageSize],
    );
    await this.deps.audit.record(actor, 'wallet.view', { clientId: client.id });
    return { balanceFen: await this.balance(client.id), items: rows.slice(0, pageSize).map(toView), page, hasMore: rows.length > pageSize };
  }

  /**
   * Every balance equals the sum of its entries and is not negative; no order got back more stored
   * value from refunds than paid it. Set-based; only what is wrong comes back.
   */
  async checkConsistency(): Promise<WalletConsistencyReport> {
    const [{ n }] = await this.deps.db.query('SELECT COUNT(*) AS n FROM wallet_accounts');
    const drift: { client_id: number; balance_fen: number; total: number | string }[] = await this.deps.db.query(
      `SELECT a.client_id, a.balance_fen, COALESCE(e.total, 0) AS total FROM wallet_accounts a
         LEFT JOIN (SELECT client_id, SUM(delta_fen) AS total FROM wallet_entries GROUP BY client_id) e ON e.client_id = a.client_id
        WHERE a.balance_fen <> COALESCE(e.total, 0) OR a.balance_fen < 0
       UNION ALL
       SELECT e.client_id, 0, SUM(e.delta_fen) FROM wallet_entries e
        WHERE NOT EXISTS (SELECT 1 FROM wallet_accounts a WHERE a.client_id = e.client_id) GROUP BY e.client_id`,
    );
    const orders: { order_id: number; paid: number | string; restored: number | string }[] = await this.deps.db.query(
      `SELECT order_id, -SUM(CASE WHEN reason = 'order_payment' THEN delta_fen ELSE 0 END) AS paid,
              SUM(CASE WHEN reason = 'order_refund' THEN delta_fen ELSE 0 END) AS restored
         FROM wallet_entries WHERE order_id IS NOT NULL GROUP BY order_id
        HAVING restored > paid`,
    );
    return {
      accounts: Number(n),
      drift: drift.map((d) => ({ clientId: Number(d.client_id), balanceFen: Number(d.balance_fen), sumFen: Number(d.total) })),
      orders: orders.map((o) => ({ orderId: Number(o.order_id), paidFen: Number(o.paid), restoredFen: Number(o.restored) })),
    };
  }

  // ---------------------------------------------------------------- the one write path

  private run<T>(m: EntityManager | null, work: (m: EntityManager) => Promise<T>): Promise<T> {
    return m ? work(m) : runInTransaction(this.deps.db, work);
  }

  /** Locks (creating at 0) the client's account row; `ON DUPLICATE KEY UPDATE` takes the exclusive lock at once. */
  private async lock(m: EntityManager, clientId: number): Promise<AccountLock> {
    await m.query(
      'INSERT INTO wallet_accounts (client_id, balance_fen, version, updated_at) VALUES (?, 0, 0, ?) ON DUPLICATE KEY UPDATE client_id = client_id',
      [clientId, this.deps.clock.now()],
    );
    const [row] = await m.query('SELECT balance_fen FROM wallet_accounts WHERE client_id = ? FOR UPDATE', [clientId]);
    return { clientId, manager: m, balanceFen: Number(row.balance_fen) };
  }

  private async findByKey(m: EntityManager, clientId: number, key: string): Promise<EntryRow | null> {
    const [row]: EntryRow[] = await m.query('SELECT * FROM wallet_entries WHERE client_id = ? AND idempotency_key = ?', [clientId, key]);
    return row ?? null;
  }

  private replay(existing: EntryRow, hash: string, balanceFen: number): WalletWriteResult {
    if (existing.request_hash !== hash) {
      throw new AppError(WalletErrors.WALLET_REQUEST_REUSED, 'This request id was already used for a different change', { field: 'body.requestId' });
    }
    return { entry: toView(existing), balanceFen, replayed: true };
  }

  /** Look for the key, check the balance, insert the entry, move the balance with a conditional UPDATE. The caller holds the lock. */
  private async write(m: EntityManager, lock: AccountLock, input: WalletWrite, deltaFen: number): Promise<WalletWriteResult> {
    const { clientId, idempotencyKey } = input;
    const hash = hashOf(deltaFen, input);
    const existing = await this.findByKey(m, clientId, idempotencyKey);
    if (existing) return this.replay(existing, hash, lock.balanceFen);
    if (lock.balanceFen + deltaFen < 0) throw insufficient(lock.balanceFen, -deltaFen);
    const now = this.deps.clock.now();
    const row = {
      client_id: clientId, delta_fen: deltaFen, reason: input.reason, reference: input.reference, order_id: input.orderId ?? null, idempotency_key: idempotencyKey,
      request_hash: hash, balance_after_fen: lock.balanceFen + deltaFen, actor_type: input.actor?.type ?? 'system', actor_id: input.actor?.id ?? null, created_at: now,
    };
    try {
      await m.query(
        `INSERT INTO wallet_entries (client_id, delta_fen, reason, reference, order_id, idempotency_key, request_hash, balance_after_fen, actor_type, actor_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        Object.values(row),
      );
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const again = await this.findByKey(m, clientId, idempotencyKey);
      if (!again) throw err;
      return this.replay(again, hash, lock.balanceFen);
    }
    const upd = await m.query(
      'UPDATE wallet_accounts SET balance_fen = balance_fen + ?, version = version + 1, updated_at = ? WHERE client_id = ? AND balance_fen + ? >= 0',
      [deltaFen, now, clientId, deltaFen],
    );
    if (Number(upd.affectedRows) !== 1) throw insufficient(lock.balanceFen, -deltaFen);
    lock.balanceFen += deltaFen;
    return { entry: toView(row as unknown as EntryRow), balanceFen: lock.balanceFen, replayed: false };
  }
}

function hashOf(deltaFen: number, input: Pick<WalletWrite, 'reason' | 'reference'>): string {
  return sha256(JSON.stringify([deltaFen, input.reason, input.reference ?? null]));
}

function insufficient(balanceFen: number, neededFen: number): AppError {
  return new AppError(WalletErrors.WALLET_INSUFFICIENT, 'Not enough stored value', { field: 'body.amountFen', balanceFen, neededFen });
}

function assertFen(amountFen: number): void {
  if (!Number.isInteger(amountFen) || amountFen <= 0) throw new AppError('VALIDATION_FAILED', 'amountFen must be a positive integer', [{ field: 'body.amountFen', message: 'must be a positive integer' }]);
}
