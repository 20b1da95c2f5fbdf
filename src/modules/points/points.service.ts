import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { AppError, notFound } from '../../shared/errors';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import { sha256 } from '../../shared/crypto';
import { AuditService, SYSTEM_ACTOR } from '../audit';
import type { Actor } from '../audit';
import { Client } from '../clients';
import { createLogger, Logger } from '../../shared/logger';
import { PointsErrors } from './points.errors';
import type { PointsReason } from './points.entity';
import { EarningRules, SpendCategory, expiryOf, referralPoints, rulesFromConfig, spendPoints } from './points.rules';

export interface PointsDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  audit: AuditService;
  /** Module logger; one is made from config.logLevel when not given. */
  logger?: Logger;
}

/**
 * The client's account row locked in one transaction (from `lockAccount`). Pass it to the ledger
 * writes of the same transaction so the account is locked once; `balance` is kept current by them.
 */
export interface AccountLock {
  readonly clientId: number;
  readonly manager: EntityManager;
  balance: number;
}

/** Gives back the points of a debit (e.g. a cancelled redemption) with the debit's stored expiry. */
export interface ReverseInput {
  clientId: number;
  /** The idempotency key of the debit being reversed. */
  originalKey: string;
  /** The key of the reversal; one reversal per debit when derived from what is reversed. */
  newKey: string;
  reason: PointsReason;
  reference: string | null;
  actor?: Actor;
}

/** One nightly expiry run: entries written, and lots that failed and were skipped (logged one by one). */
export interface ExpiryReport {
  written: number;
  failed: number;
}

/** A ledger write. `points` is always positive; grant adds, debit takes. */
export interface LedgerInput {
  clientId: number;
  points: number;
  reason: PointsReason;
  reference: string | null;
  /** Unique per client; the same key with the same content replays, with other content is refused. */
  idempotencyKey: string;
  actor?: Actor;
  /** Grants only: when this lot expires (default: now + the configured expiry period). */
  expiresAt?: Date;
}

export interface EntryView {
  delta: number;
  reason: PointsReason;
  reference: string | null;
  balanceAfter: number;
  /** Positive entries only: when the lot expires and how much of it is left. */
  expiresAt: Date | null;
  remaining: number | null;
  createdAt: Date;
}

/** A ledger entry as the client sees it: no `reference` (it can hold internal sequential ids; STYLE.md). */
export type ClientEntryView = Omit<EntryView, 'reference'>;

export interface LedgerResult {
  entry: EntryView;
  balance: number;
  /** True when this key had already been written with the same content and nothing new was written. */
  replayed: boolean;
}

export interface ExpiringSoon {
  points: number;
  withinDays: number;
  lots: { points: number; expiresAt: Date }[];
}

export interface ConsistencyReport {
  accounts: number;
  /** Accounts whose balance differs from the sum of their entries (or from the sum of their open lots). */
  drift: { clientId: number; balance: number; sum: number; lots: number }[];
}

interface EntryRow {
  id: string | number;
  client_id: number;
  delta: number;
  reason: PointsReason;
  reference: string | null;
  request_hash: string;
  balance_after: number;
  expires_at: Date | null;
  remaining: number;
  created_at: Date;
}

function toClientView(r: EntryRow): ClientEntryView {
  const { reference: _internal, ...view } = toView(r);
  return view;
}

function toView(r: EntryRow): EntryView {
  const positive = Number(r.delta) > 0;
  return {
    delta: Number(r.delta),
    reason: r.reason,
    reference: r.reference,
    balanceAfter: Number(r.balance_after),
    expiresAt: positive ? r.expires_at : null,
    remaining: positive ? Number(r.remaining) : null,
    createdAt: r.created_at,
  };
}

/**
 * The points ledger: append-only entries and a balance changed in the same
 * transaction. Every change of one account is serialised in MySQL by the account row's lock
 * (taken first, created lazily), and guarded by a conditional UPDATE that never lets the balance
 * go below zero. Idempotency: unique (client_id, idempotency_key) plus a hash of the content.
 */
export class PointsService {
  readonly rules: EarningRules;
  private readonly log: Logger;

  constructor(private readonly deps: PointsDeps) {
    this.rules = rulesFromConfig(deps.config);
    this.log = deps.logger ?? createLogger(deps.config.logLevel, { module: 'points' });
  }

  /** Runs `work` in the caller's transaction, or in a new READ COMMITTED one (no gap locks) retried on deadlock. */
  run<T>(m: EntityManager | null, work: (m: EntityManager) => Promise<T>): Promise<T> {
    if (m) return work(m);
    return runInTransaction(this.deps.db, work);
  }

  /**
   * Locks the client's account row (creating it at 0 when missing), expires the client's lots that
   * are past due, and returns the lock with the balance. Call it first in any transaction that
   * changes this client's points or redemptions: it is what serialises them; pass the lock on to
   * grant/debit/reverse so the account is locked once per transaction.
   * `ON DUPLICATE KEY UPDATE` takes an exclusive lock at once (INSERT IGNORE would take a shared
   * one, and two shared holders upgrading deadlock).
   */
  async lockAccount(m: EntityManager, clientId: number): Promise<AccountLock> {
    return (await this.lockAndExpire(m, clientId)).lock;
  }

  /** Adds points (a new expiry lot). `lock`: the account lock this transaction already holds. */
  grant(m: EntityManager | null, input: LedgerInput, lock?: AccountLock): Promise<LedgerResult> {
    assertPoints(input.points);
    return this.run(m, (tx) => this.apply(tx, input, input.points, lock));
  }

  /** Takes points, consuming lots oldest-expiry first; 409 POINTS_INSUFFICIENT when the balance is short. */
  debit(m: EntityManager | null, input: Omit<LedgerInput, 'expiresAt'>, lock?: AccountLock): Promise<LedgerResult> {
    assertPoints(input.points);
    return this.run(m, (tx) => this.apply(tx, input, -input.points, lock));
  }

  /**
   * Gives back the points of a debit as a new lot expiring at the debit's stored `expires_at` (the
   * earliest expiry among the lots it consumed), so a reversal never extends the points' life; when
   * that is already past, the lot is expired in the same transaction. Once per `newKey`.
   */
  reverse(m: EntityManager | null, input: ReverseInput, lock?: AccountLock): Promise<LedgerResult> {
    return this.run(m, async (tx) => {
      const held = lock ? this.checkLock(tx, lock, input.clientId) : await this.lockAccount(tx, input.clientId);
      const original = await this.findByKey(tx, input.clientId, input.originalKey, false);
      if (!original || Number(original.delta) >= 0 || !original.expires_at) {
        throw new Error(`no debit '${input.originalKey}' of client ${input.clientId} to reverse`);
      }
      const points = -Number(original.delta);
      return this.write(tx, held, {
        clientId: input.clientId, points, reason: input.reason, reference: input.reference, idempotencyKey: input.newKey,
        actor: input.actor, expiresAt: original.expires_at,
      }, points);
    });
  }

  /**
   * Questionnaire completion: once per client and template version. Granted on every submission's
   * path, so the account is locked by lockForQuestionnaire (a statement fewer than lockForGrant).
   */
  earnForQuestionnaire(m: EntityManager | null, clientId: number, templateVersionId: string | number): Promise<LedgerResult | null> {
    const points = this.rules.questionnaire;
    if (points <= 0) return Promise.resolve(null); // the rule configured to 0
    const input: LedgerInput = {
      clientId, points, reason: 'questionnaire', reference: String(templateVersionId), idempotencyKey: `questionnaire:${templateVersionId}`, actor: SYSTEM_ACTOR,
    };
    return this.run(m, async (tx) => this.grant(tx, input, await this.lockForQuestionnaire(tx, clientId)));
  }

  /** Spend: points per yuan by project category, once per order (`orderRef` is the external order number). */
  earnForSpend(m: EntityManager | null, clientId: number, input: { orderRef: string; amountFen: number; category: SpendCategory }): Promise<LedgerResult | null> {
    return this.earn(m, clientId, spendPoints(this.rules, input.amountFen, input.category), 'spend', input.orderRef, `spend:${input.orderRef}`);
  }

  /** A good satisfaction review the client shared: once per review. */
  earnForReviewShared(m: EntityManager | null, clientId: number, reviewRef: string): Promise<LedgerResult | null> {
    return this.earn(m, clientId, this.rules.reviewShared, 'review_shared', reviewRef, `review_shared:${reviewRef}`);
  }

  /**
   * The referrer's points for a friend (推荐新客双倍积分 when the friend is new). Once per friend, or
   * once per friend and order when `orderRef` is given.
   */
  earnForReferral(
    m: EntityManager | null, referrerClientId: number, input: { refereeClientId: number; isNewClient: boolean; orderRef?: string },
  ): Promise<LedgerResult | null> {
    const ref = input.orderRef ? `${input.refereeClientId}:${input.orderRef}` : String(input.refereeClientId);
    return this.earn(m, referrerClientId, referralPoints(this.rules, input.isNewClient), 'referral', `client:${ref}`, `referral:${ref}`);
  }

  /** Director's manual adjustment with a reason; audited in the same transaction. */
  async adjust(actor: Actor, clientId: number, delta: number, reason: string, requestId: string): Promise<LedgerResult> {
    if (!Number.isInteger(delta) || delta === 0) throw new AppError('VALIDATION_FAILED', 'delta must be a non-zero integer');
    return this.run(null, async (m) => {
      const input = { clientId, points: Math.abs(delta), reason: 'manual_adjust' as const, reference: reason, idempotencyKey: `adjust:${requestId}`, actor };
      const result = await this.apply(m, input, delta);
      if (!result.replayed) {
        await this.deps.audit.record(actor, 'points.adjust', { clientId, details: { delta, reason, balance: result.balance } }, m);
      }
      return result;
    });
  }

  /**
   * Writes an 'expire' entry for every lot whose expiry has passed with points left, oldest first,
   * one short transaction per lot. Safe to run twice or on two schedulers at once: key `expire:<lotId>`.
   * Returns how many entries were written; see expireDueReport.
   */
  async expireDue(now: Date = this.deps.clock.now()): Promise<number> {
    return (await this.expireDueReport(now)).written;
  }

  /**
   * expireDue with its failures: a lot that cannot be expired (e.g. its account drifted) is logged
   * ({ lotId, clientId, err }), skipped for the rest of the run and counted; the other lots go on.
   */
  async expireDueReport(now: Date = this.deps.clock.now()): Promise<ExpiryReport> {
    let written = 0;
    let failed = 0;
    // Keyset over (expires_at, id): every due lot is visited once per run, a failed one is not retried.
    let after: { expiresAt: Date; id: string } | null = null;
    for (;;) {
      const lots: { id: string | number; client_id: number; expires_at: Date }[] = await this.deps.db.query(
        `SELECT id, client_id, expires_at FROM points_entries WHERE expires_at <= ? AND remaining > 0 AND delta > 0
         ${after ? 'AND (expires_at > ? OR (expires_at = ? AND id > ?))' : ''} ORDER BY expires_at, id LIMIT 500`,
        after ? [now, after.expiresAt, after.expiresAt, after.id] : [now],
      );
      for (const lot of lots) {
        const lotId = String(lot.id);
        const clientId = Number(lot.client_id);
        try {
          written += await this.run(null, (m) => this.expireLot(m, clientId, lotId));
        } catch (err) {
          failed++;
          this.log.warn({ lotId, clientId, err }, 'points lot could not be expired; skipped for this run');
        }
      }
      if (lots.length < 500) break;
      const last = lots[lots.length - 1];
      after = { expiresAt: last.expires_at, id: String(last.id) };
    }
    if (failed > 0) this.log.error({ written, failed }, 'points expiry run finished with failed lots');
    return { written, failed };
  }

  /**
   * The balance of a client (0 before any entry), without points past their expiry that the
   * nightly run has not written off yet (the same rule the ledger applies under the account lock).
   */
  async balance(clientId: number): Promise<number> {
    const [row] = await this.deps.db.query(
      `SELECT a.balance - COALESCE((SELECT SUM(e.remaining) FROM points_entries e
                                     WHERE e.client_id = a.client_id AND e.remaining > 0 AND e.delta > 0 AND e.expires_at <= ?), 0) AS balance
         FROM points_accounts a WHERE a.client_id = ?`,
      [this.deps.clock.now(), clientId],
    );
    return row ? Number(row.balance) : 0;
  }

  /** Points that expire within `withinDays` from now, by lot, soonest first. */
  async expiringSoon(clientId: number, withinDays = this.rules.expiringSoonDays): Promise<ExpiringSoon> {
    const now = this.deps.clock.now();
    const until = new Date(now.getTime() + withinDays * 86400_000);
    // Lots already past due are not points any more (see balance).
    const rows: { remaining: number; expires_at: Date }[] = await this.deps.db.query(
      'SELECT remaining, expires_at FROM points_entries WHERE client_id = ? AND remaining > 0 AND delta > 0 AND expires_at > ? AND expires_at <= ? ORDER BY expires_at, id',
      [clientId, now, until],
    );
    const lots = rows.map((r) => ({ points: Number(r.remaining), expiresAt: r.expires_at }));
    return { points: lots.reduce((s, l) => s + l.points, 0), withinDays, lots };
  }

  /** The client's own summary for the mini-program. */
  async summary(clientId: number): Promise<{ balance: number; expiringSoon: ExpiringSoon }> {
    const [balance, expiringSoon] = await Promise.all([this.balance(clientId), this.expiringSoon(clientId)]);
    return { balance, expiringSoon };
  }

  /** The client's own ledger entries, newest first, without internal references. */
  async entries(clientId: number, page: number, pageSize: number): Promise<{ items: ClientEntryView[]; page: number; hasMore: boolean }> {
    const rows: EntryRow[] = await this.deps.db.query(
      'SELECT * FROM points_entries WHERE client_id = ? ORDER BY id DESC LIMIT ? OFFSET ?',
      [clientId, pageSize + 1, (page - 1) * pageSize],
    );
    return { items: rows.slice(0, pageSize).map(toClientView), page, hasMore: rows.length > pageSize };
  }

  /**
   * Every balance must equal the sum of its entries and the sum of its open lots. Set-based: one
   * GROUP BY over the ledger joined to the accounts; only drifting accounts come back.
   */
  async checkConsistency(): Promise<ConsistencyReport> {
    const [{ n }] = await this.deps.db.query('SELECT COUNT(*) AS n FROM points_accounts');
    const rows: { client_id: number; balance: number; total: number | string; lots: number | string }[] = await this.deps.db.query(
      `SELECT a.client_id, a.balance, COALESCE(e.total, 0) AS total, COALESCE(e.lots, 0) AS lots
         FROM points_accounts a
         LEFT JOIN (SELECT client_id, SUM(delta) AS total, SUM(CASE WHEN delta > 0 THEN remaining ELSE 0 END) AS lots
                      FROM points_entries GROUP BY client_id) e ON e.client_id = a.client_id
        WHERE a.balance <> COALESCE(e.total, 0) OR a.balance <> COALESCE(e.lots, 0) OR a.balance < 0
       UNION ALL
       SELECT e.client_id, 0, SUM(e.delta), 0 FROM points_entries e
        WHERE NOT EXISTS (SELECT 1 FROM points_accounts a WHERE a.client_id = e.client_id) GROUP BY e.client_id`,
    );
    return {
      accounts: Number(n),
      drift: rows.map((r) => ({ clientId: Number(r.client_id), balance: Number(r.balance), sum: Number(r.total), lots: Number(r.lots) })),
    };
  }

  /** Internal id of an active client from the public id used in staff paths; 404 otherwise. */
  async clientIdByPublicId(publicId: string): Promise<number> {
    const client = await this.deps.db.getRepository(Client).findOne({ where: { publicId, status: 'active' }, select: { id: true } });
    if (!client) throw notFound('Client');
    return client.id;
  }

  private async earn(
    m: EntityManager | null, clientId: number, points: number, reason: PointsReason, reference: string, idempotencyKey: string,
  ): Promise<LedgerResult | null> {
    if (points <= 0) return null; // a rule configured to 0, or a spend too small to earn a point
    return this.grant(m, { clientId, points, reason, reference, idempotencyKey, actor: SYSTEM_ACTOR });
  }

  /** The nightly run's step for one lot (due at the run's `now`); returns how many expire entries were written. */
  private async expireLot(m: EntityManager, clientId: number, lotId: string): Promise<number> {
    const { lock, expired } = await this.lockAndExpire(m, clientId);
    const [lot] = await m.query('SELECT remaining FROM points_entries WHERE id = ? AND client_id = ? FOR UPDATE', [lotId, clientId]);
    const remaining = Number(lot?.remaining ?? 0);
    if (remaining <= 0) return expired;
    return expired + ((await this.expireLotLocked(m, lock, lotId, remaining)) ? 1 : 0);
  }

  /** Locks the account row (creating it at 0 when missing). */
  private async lockOnly(m: EntityManager, clientId: number): Promise<AccountLock> {
    await m.query(
      'INSERT INTO points_accounts (client_id, balance, version, updated_at) VALUES (?, 0, 0, ?) ON DUPLICATE KEY UPDATE client_id = client_id',
      [clientId, this.deps.clock.now()],
    );
    const [row] = await m.query('SELECT balance FROM points_accounts WHERE client_id = ? FOR UPDATE', [clientId]);
    return { clientId, manager: m, balance: Number(row.balance) };
  }

  /**
   * A grant spends nothing, so it takes the locking read of overdue lots only when a plain read
   * finds one: that range read also waits on the next client's uncommitted lot, which queued every
   * grant to a new client (questionnaire, sign-up) behind the one before (seen at 64 concurrent
   * submissions). A lot cannot commit already overdue (reverse() expires those in its own
   * transaction), so the plain read misses nothing the locked one would find.
   */
  private async lockForGrant(m: EntityManager, clientId: number): Promise<AccountLock> {
    const lock = await this.lockOnly(m, clientId);
    const [overdue] = await m.query(
      'SELECT 1 AS x FROM points_entries FORCE INDEX (ix_points_entries_lots) WHERE client_id = ? AND remaining > 0 AND delta > 0 AND expires_at <= ? LIMIT 1',
      [clientId, this.deps.clock.now()],
    );
    if (!overdue) return lock;
    return (await this.expireOverdue(m, lock)).lock;
  }

  /**
   * lockForGrant with the overdue-lot check inside the account's locking read, as a subquery: a
   * subquery of a locking read is a plain read in MySQL and MariaDB (only the outer table's rows
   * are locked), so, as in lockForGrant, it never waits on another client's uncommitted lot.
   */
  private async lockForQuestionnaire(m: EntityManager, clientId: number): Promise<AccountLock> {
    const now = this.deps.clock.now();
    await m.query(
      'INSERT INTO points_accounts (client_id, balance, version, updated_at) VALUES (?, 0, 0, ?) ON DUPLICATE KEY UPDATE client_id = client_id',
      [clientId, now],
    );
    const [row] = await m.query(
      `SELECT balance, EXISTS(SELECT 1 FROM points_entries FORCE INDEX (ix_points_entries_lots)
                               WHERE client_id = ? AND remaining > 0 AND delta > 0 AND expires_at <= ?) AS overdue
         FROM points_accounts WHERE client_id = ? FOR UPDATE`,
      [clientId, now, clientId],
    );
    const lock: AccountLock = { clientId, manager: m, balance: Number(row.balance) };
    return Number(row.overdue) ? (await this.expireOverdue(m, lock)).lock : lock;
  }

  /** Locks the account, then expires the client's lots past due now, oldest first. */
  private async lockAndExpire(m: EntityManager, clientId: number): Promise<{ lock: AccountLock; expired: number }> {
    return this.expireOverdue(m, await this.lockOnly(m, clientId));
  }

  /** Expires the locked client's lots past due now, oldest first. */
  private async expireOverdue(m: EntityManager, lock: AccountLock): Promise<{ lock: AccountLock; expired: number }> {
    // Points past their expiry are never spent or counted, whether or not the nightly run has been.
    // The client's own lots index, forced: planned over the expiry index, this locking read took
    // locks every other client's grant waited on (seen under 64 concurrent questionnaire submits).
    const due: { id: string | number; remaining: number }[] = await m.query(
      'SELECT id, remaining FROM points_entries FORCE INDEX (ix_points_entries_lots) WHERE client_id = ? AND remaining > 0 AND delta > 0 AND expires_at <= ? ORDER BY expires_at, id FOR UPDATE',
      [lock.clientId, this.deps.clock.now()],
    );
    let expired = 0;
    for (const lot of due) {
      if (await this.expireLotLocked(m, lock, String(lot.id), Number(lot.remaining))) expired++;
    }
    return { lock, expired };
  }


  /** Writes the 'expire' entry of one lot; the caller holds the account lock. */
  private async expireLotLocked(m: EntityManager, lock: AccountLock, lotId: string, remaining: number): Promise<boolean> {
    const result = await this.write(
      m, lock,
      { clientId: lock.clientId, points: remaining, reason: 'expire', reference: `lot:${lotId}`, idempotencyKey: `expire:${lotId}`, actor: SYSTEM_ACTOR },
      -remaining, lotId,
    );
    return !result.replayed;
  }

  private checkLock(m: EntityManager, lock: AccountLock, clientId: number): AccountLock {
    if (lock.clientId !== clientId || lock.manager !== m) throw new Error('the account lock passed belongs to another client or transaction');
    return lock;
  }

  private async findByKey(m: EntityManager, clientId: number, key: string, locking: boolean): Promise<EntryRow | null> {
    const rows: EntryRow[] = await m.query(
      `SELECT * FROM points_entries WHERE client_id = ? AND idempotency_key = ?${locking ? ' LOCK IN SHARE MODE' : ''}`,
      [clientId, key],
    );
    return rows[0] ?? null;
  }

  private replay(existing: EntryRow, hash: string, balance: number): LedgerResult {
    if (existing.request_hash !== hash) {
      throw new AppError(PointsErrors.IDEMPOTENCY_KEY_REUSED, 'This request id was already used for a different change');
    }
    return { entry: toView(existing), balance, replayed: true };
  }

  /** Locks the account (expiring past-due lots) unless the caller holds the lock, then writes. */
  private async apply(m: EntityManager, input: LedgerInput, delta: number, lock?: AccountLock): Promise<LedgerResult> {
    const held = lock ? this.checkLock(m, lock, input.clientId) : delta > 0 ? await this.lockForGrant(m, input.clientId) : await this.lockAccount(m, input.clientId);
    return this.write(m, held, input, delta);
  }

  /**
   * The one write path; the caller holds the account lock. Order matters: look for the key, plan
   * the lot consumption (locking the lots), insert the entry (a duplicate key means a replay and
   * nothing else has been written yet), then move the balance with a conditional UPDATE and consume lots.
   */
  private async write(m: EntityManager, lock: AccountLock, input: LedgerInput, delta: number, onlyLot?: string): Promise<LedgerResult> {
    const { clientId, reason, idempotencyKey } = input;
    const reference = input.reference ?? null;
    const hash = sha256(JSON.stringify([delta, reason, reference]));
    const balance = lock.balance;

    const existing = await this.findByKey(m, clientId, idempotencyKey, false);
    if (existing) return this.replay(existing, hash, balance);
    if (balance + delta < 0) {
      throw new AppError(PointsErrors.POINTS_INSUFFICIENT, 'Not enough points', { balance, needed: -delta });
    }

    const now = this.deps.clock.now();
    let takes: { id: string; take: number }[] = [];
    let expiresAt: Date | null;
    if (delta > 0) {
      expiresAt = input.expiresAt ?? expiryOf(this.rules, now);
    } else if (onlyLot) {
      takes = [{ id: onlyLot, take: -delta }];
      const [lot] = await m.query('SELECT expires_at FROM points_entries WHERE id = ?', [onlyLot]);
      expiresAt = lot?.expires_at ?? null;
    } else {
      const lots: { id: string | number; remaining: number; expires_at: Date }[] = await m.query(
        'SELECT id, remaining, expires_at FROM points_entries FORCE INDEX (ix_points_entries_lots) WHERE client_id = ? AND remaining > 0 ORDER BY expires_at, id FOR UPDATE',
        [clientId],
      );
      let left = -delta;
      for (const lot of lots) {
        if (left === 0) break;
        const take = Math.min(left, Number(lot.remaining));
        takes.push({ id: String(lot.id), take });
        left -= take;
      }
      // The lots always cover the balance (checkConsistency verifies it); if not, refuse loudly.
      if (left > 0) throw new Error(`points lots of client ${clientId} do not cover the balance`);
      expiresAt = lots[0]?.expires_at ?? null;
    }

    const row = {
      client_id: clientId, delta, reason, reference, idempotency_key: idempotencyKey, request_hash: hash, balance_after: balance + delta,
      expires_at: expiresAt, remaining: delta > 0 ? delta : 0, actor_type: input.actor?.type ?? 'system', actor_id: input.actor?.id ?? null, created_at: now,
    };
    let insertId: number;
    try {
      const res = await m.query(
        `INSERT INTO points_entries (client_id, delta, reason, reference, idempotency_key, request_hash, balance_after, expires_at, remaining, actor_type, actor_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        Object.values(row),
      );
      insertId = Number(res.insertId);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const again = await this.findByKey(m, clientId, idempotencyKey, true);
      if (!again) throw err;
      return this.replay(again, hash, balance);
    }

    const upd = await m.query(
      'UPDATE points_accounts SET balance = balance + ?, version = version + 1, updated_at = ? WHERE client_id = ? AND balance + ? >= 0',
      [delta, now, clientId, delta],
    );
    if (Number(upd.affectedRows) !== 1) throw new AppError(PointsErrors.POINTS_INSUFFICIENT, 'Not enough points', { needed: -delta });
    for (const t of takes) {
      const res = await m.query('UPDATE points_entries SET remaining = remaining - ? WHERE id = ? AND remaining >= ?', [t.take, t.id, t.take]);
      if (Number(res.affectedRows) !== 1) throw new Error(`points lot ${t.id} changed under its lock`);
    }
    lock.balance = balance + delta;
    const entry = toView({ ...row, id: insertId } as EntryRow);
    // A lot born past due (a reversal of points whose expiry has passed) is never spendable.
    if (delta > 0 && expiresAt && expiresAt <= now) {
      await this.expireLotLocked(m, lock, String(insertId), delta);
      entry.remaining = 0;
    }
    return { entry, balance: lock.balance, replayed: false };
  }
}

function assertPoints(points: number): void {
  if (!Number.isInteger(points) || points <= 0) throw new AppError('VALIDATION_FAILED', 'points must be a positive integer');
}
