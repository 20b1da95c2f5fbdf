import type { EntityManager } from 'typeorm';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';
import type { CashbackReason, RewardStatus } from './referrals.entity';
import type { ReferralsSupport } from './referrals.shared';
import type { CashbackConsistencyReport, CashbackView } from './referrals.types';

/**
 * The referral cashback ledger 返现: one account per referrer (its row lock serialises every
 * reward of that referrer), entries written once per key with the balance after each, the
 * consistency check, and the client's own view as monthly totals.
 */
export class CashbackLedger {
  constructor(private readonly s: ReferralsSupport) {}

  /** Locks (creating at 0) the referrer's cashback account; it serialises every reward of this referrer. */
  async lock(m: EntityManager, clientId: number): Promise<number> {
    // ON DUPLICATE KEY UPDATE takes the exclusive lock at once (see PointsService.lockAccount).
    await m.query(
      'INSERT INTO cashback_accounts (client_id, balance_fen, version, updated_at) VALUES (?, 0, 0, ?) ON DUPLICATE KEY UPDATE client_id = client_id',
      [clientId, this.s.now()],
    );
    const [row] = await m.query('SELECT balance_fen FROM cashback_accounts WHERE client_id = ? FOR UPDATE', [clientId]);
    return Number(row.balance_fen);
  }

  /** One cashback entry and the balance with it; the caller holds the account lock. Once per key. */
  async write(m: EntityManager, clientId: number, deltaFen: number, reason: CashbackReason, rewardId: number, key: string): Promise<void> {
    const [existing] = await m.query('SELECT delta_fen FROM cashback_entries WHERE client_id = ? AND idempotency_key = ?', [clientId, key]);
    if (existing) {
      if (Number(existing.delta_fen) !== deltaFen) throw new Error(`cashback key ${key} was written with another amount`);
      return;
    }
    const [acc] = await m.query('SELECT balance_fen FROM cashback_accounts WHERE client_id = ?', [clientId]);
    const now = this.s.now();
    await m.query(
      `INSERT INTO cashback_entries (client_id, delta_fen, reason, reward_id, idempotency_key, balance_after_fen, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [clientId, deltaFen, reason, rewardId, key, Number(acc.balance_fen) + deltaFen, now],
    );
    await m.query('UPDATE cashback_accounts SET balance_fen = balance_fen + ?, version = version + 1, updated_at = ? WHERE client_id = ?', [
      deltaFen, now, clientId,
    ]);
  }

  /** The client's released balance and the cashback still held for the refund window. */
  async totals(clientId: number): Promise<{ balanceFen: number; heldFen: number }> {
    const [[balance], [held]] = await Promise.all([
      this.s.deps.db.query('SELECT balance_fen FROM cashback_accounts WHERE client_id = ?', [clientId]),
      this.s.deps.db.query("SELECT COALESCE(SUM(cashback_fen), 0) AS held FROM referral_rewards WHERE referrer_id = ? AND status = 'held'", [clientId]),
    ]);
    return { balanceFen: Number(balance?.balance_fen ?? 0), heldFen: Number(held.held) };
  }

  /**
   * The client's cashback: balance, what is held, and the ledger as monthly totals (Asia/Shanghai),
   * newest first — no single reward, order, date or friend.
   */
  async ownView(clientId: number, page: number, pageSize: number): Promise<CashbackView> {
    const [totals, rows] = await Promise.all([
      this.totals(clientId),
      this.s.deps.db.query(
        `SELECT DATE_FORMAT(created_at + INTERVAL ? SECOND, '%Y-%m') AS month,
                SUM(CASE WHEN reason = 'referral' THEN delta_fen ELSE 0 END) AS earned,
                SUM(CASE WHEN reason = 'referral' THEN 0 ELSE delta_fen END) AS adjusted
           FROM cashback_entries WHERE client_id = ? GROUP BY month ORDER BY month DESC LIMIT ? OFFSET ?`,
        [SHANGHAI_OFFSET_MS / 1000, clientId, pageSize + 1, (page - 1) * pageSize],
      ) as Promise<{ month: string; earned: number | string; adjusted: number | string }[]>,
    ]);
    return {
      ...totals,
      items: rows.slice(0, pageSize).map((r) => ({ month: r.month, earnedFen: Number(r.earned), adjustedFen: Number(r.adjusted) })),
      page,
      hasMore: rows.length > pageSize,
    };
  }

  /**
   * Every cashback balance equals the sum of its entries, and every reward's entries add up to what
   * its status says was credited (released: cashback − clawed back; held or cancelled: nothing).
   */
  async checkConsistency(): Promise<CashbackConsistencyReport> {
    const { db } = this.s.deps;
    const [{ n }] = await db.query('SELECT COUNT(*) AS n FROM cashback_accounts');
    const drift: { client_id: number; balance_fen: number; total: string | number }[] = await db.query(
      `SELECT a.client_id, a.balance_fen, COALESCE(e.total, 0) AS total FROM cashback_accounts a
         LEFT JOIN (SELECT client_id, SUM(delta_fen) AS total FROM cashback_entries GROUP BY client_id) e ON e.client_id = a.client_id
        WHERE a.balance_fen <> COALESCE(e.total, 0)
       UNION ALL
       SELECT e.client_id, 0, SUM(e.delta_fen) FROM cashback_entries e
        WHERE NOT EXISTS (SELECT 1 FROM cashback_accounts a WHERE a.client_id = e.client_id) GROUP BY e.client_id`,
    );
    const rewards: { id: number; status: RewardStatus; expected: string | number; total: string | number }[] = await db.query(
      `SELECT r.id, r.status, CASE WHEN r.status IN ('released', 'clawed_back') THEN r.cashback_fen - r.clawed_fen ELSE 0 END AS expected,
              COALESCE(e.total, 0) AS total
         FROM referral_rewards r
         LEFT JOIN (SELECT reward_id, SUM(delta_fen) AS total FROM cashback_entries WHERE reward_id IS NOT NULL GROUP BY reward_id) e ON e.reward_id = r.id
        WHERE COALESCE(e.total, 0) <> CASE WHEN r.status IN ('released', 'clawed_back') THEN r.cashback_fen - r.clawed_fen ELSE 0 END`,
    );
    return {
      accounts: Number(n),
      drift: drift.map((d) => ({ clientId: Number(d.client_id), balanceFen: Number(d.balance_fen), sumFen: Number(d.total) })),
      rewards: rewards.map((r) => ({ rewardId: Number(r.id), status: r.status, expectedFen: Number(r.expected), sumFen: Number(r.total) })),
    };
  }
}
