import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Redis } from '../../shared/redis';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';
import type { Clock } from '../../shared/clock';
import { AppError, notFound } from '../../shared/errors';
import { isDeadlock, isDuplicateKey, runInTransaction } from '../../shared/db';
import type { FieldCipher } from '../../shared/crypto';
import { createLogger, Logger } from '../../shared/logger';
import { WeChatError, WXACODE_SCENE } from '../../integrations/wechat/types';
import type { WeChatApi } from '../../integrations/wechat/types';
import { SYSTEM_ACTOR } from '../audit';
import { readClientField } from '../clients';
import type { ClientsService } from '../clients';
import { referralPoints } from '../points';
import type { AccountLock, PointsService } from '../points';
import type { OrderHooks, OrderRefundEvent, PaidOrder } from '../orders';
import type { OutboxService } from '../outbox';
import type { RewardsService } from '../rewards';
import { LeaderboardPrizes, type PrizeAward } from './referrals.prizes';
import type { WalletService } from '../wallet';
import type { CashbackReason, IneligibleKind, RewardStatus } from './referrals.entity';
import { ReferralErrors } from './referrals.errors';
import type { BindRefusal, VoidReason } from './referrals.errors';
import { CONVERTED, ReferralPeriod, cashbackFen, maskName, periodKeys, tierFor } from './referrals.rules';

export interface ReferralsDeps {
  db: DataSource;
  redis: Redis;
  config: Config;
  clock: Clock;
  cipher: FieldCipher;
  points: PointsService;
  wechat: WeChatApi;
  /** The client's referrer is the clients module's column: set and cleared through it. */
  clients: Pick<ClientsService, 'setReferrer' | 'clearReferrer'>;
  /** 冲榜 prizes: the voucher engine and the outbox that tells the winners (without them no prizes are awarded). */
  rewards?: Pick<RewardsService, 'issueByRule'>;
  outbox?: Pick<OutboxService, 'enqueueMany'>;
  /** The stored-value ledger 储值 that released cashback is credited to and clawed back from. */
  wallet: CashbackWallet;
  /** Module logger; one is made from config.logLevel when not given. */
  logger?: Logger;
}

/** The wallet as referrals use it: released cashback becomes stored value; a clawback takes back what is left of it. */
export type CashbackWallet = Pick<WalletService, 'credit' | 'clawBack'>;

/** What a login did with its referral code (the login answers it; a refusal never fails the login). */
export type BindOutcome = { bound: true } | { bound: false; reason: BindRefusal };

export interface BindInput {
  clientId: number;
  /** True only when this login's transaction created the client. */
  isNew: boolean;
  code: string;
  openid: string;
  unionid: string | null;
}

/**
 * A friend's coarse status as the referrer sees it, only with the friend's consent: nothing about
 * what was bought or paid (DOMAIN.md, referral; PIPL art. 28–29) — the reward alone tells.
 */
export type FriendStatus = 'joined' | 'reward_pending' | 'reward_earned';

export interface TierView {
  period: ReferralPeriod;
  periodKey: string;
  converted: number;
  rateBp: number;
  next: { converted: number; rateBp: number } | null;
}

export interface ReferralSummary {
  code: string;
  /** For onShareAppMessage: the page with the code as `ref`. */
  sharePath: string;
  qrCodePath: string;
  tier: TierView;
  friends: number;
  cashback: { balanceFen: number; heldFen: number };
  /** Referral points waiting for the refund window: as referrer, and the welcome points as a referred friend. */
  heldPoints: number;
  /** For a referred client: whether the referrer may see their status (null when not referred). */
  referredBy: StatusConsentView | null;
}

export interface FriendView {
  name: string;
  boundAt: Date;
  status: FriendStatus;
}

/** The referrer's friends: those who agreed to share their status, and how many others (a count only). */
export interface FriendsView {
  items: FriendView[];
  page: number;
  hasMore: boolean;
  /** Friends who did not agree to share their status: counted, never listed. */
  others: number;
}

/** A referred client's own answer to "may my referrer see my status?". */
export interface StatusConsentView {
  sharesStatus: boolean;
  decidedAt: Date | null;
}

/**
 * One Shanghai month of the own cashback: what was credited and what was taken back. Totals only:
 * one line per reward would date and size a known friend's purchase (PIPL art. 28–29).
 */
export interface CashbackMonthView {
  month: string;
  earnedFen: number;
  adjustedFen: number;
}

export interface LeaderboardView {
  period: ReferralPeriod;
  periodKey: string;
  top: { rank: number; name: string; converted: number; isMe: boolean }[];
  me: { rank: number | null; converted: number };
}

export interface CashbackConsistencyReport {
  accounts: number;
  /** Accounts whose balance differs from the sum of their entries. */
  drift: { clientId: number; balanceFen: number; sumFen: number }[];
  /** Rewards whose ledger entries do not add up to what their status says was credited. */
  rewards: { rewardId: number; status: RewardStatus; expectedFen: number; sumFen: number }[];
}

/** One release run: rewards released (or cancelled because the referrer is gone), and failures (logged, skipped). */
export interface ReleaseReport {
  released: number;
  failed: number;
}

interface RewardRow {
  id: number;
  referrer_id: number;
  referee_id: number;
  order_no: string;
  amount_paid_fen: number;
  rate_bp: number;
  cashback_fen: number;
  clawed_fen: number;
  conversion: number;
  referrer_points: number;
  referee_points: number;
  status: RewardStatus;
  hold_until: Date;
}

const DAY_MS = 86400_000;
const CODE = /^[2-9A-HJKMNP-Z]{8}$/;
// How far up a referrer chain the cycle check walks (chains are short; this only bounds bad data).
const MAX_CHAIN = 100;
const RELEASE_BATCH = 200;
const LB_LOCK = 'lb:referrals:lock';
const LB_LOCK_MS = 10_000;
const LB_READ_WAIT_MS = 2_000;
// An empty board still exists in Redis through this member, so "missing" means "lost", never "empty".
const LB_SENTINEL = '~';
const LB_TTL_SECONDS = 400 * 86400;
const RELEASE_IF_OURS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Referrals 转介绍: binding at first login, tiered cashback and both sides'
 * points held for the refund window and released by the scheduler, clawback with compensating
 * entries after release, the friends' status, the QR code and the leaderboards.
 *
 * Serialisation: every reward of one referrer is created under that referrer's cashback account
 * row lock (so tier counts are exact); a reward row is changed only under its own row lock, taken
 * after the referrer's cashback account lock. Lock order everywhere: referrer's cashback account →
 * reward rows → points accounts (ascending id).
 */
export class ReferralsService {
  private readonly log: Logger;
  /** The hooks OrdersService calls inside its transactions. */
  readonly orderHooks: OrderHooks;

  constructor(private readonly deps: ReferralsDeps) {
    this.log = deps.logger ?? createLogger(deps.config.logLevel, { module: 'referrals' });
    this.orderHooks = {
      onPaid: (m, order) => this.onPaid(m, order),
      onRefunded: (m, order, refund) => this.onRefunded(m, order, refund),
    };
  }

  /**
   * 冲榜 prizes of the closed month and quarter (once each, whichever scheduler runs first); see
   * LeaderboardPrizes. Nothing without the voucher engine.
   */
  async awardPrizes(now: Date = this.deps.clock.now()): Promise<PrizeAward[]> {
    const { rewards, outbox } = this.deps;
    if (!rewards || !outbox) return [];
    return new LeaderboardPrizes({ ...this.deps, rewards, outbox, logger: this.log }).awardDue(now);
  }

  /**
   * For ClientsService.addDataHooks: a deleted account leaves the blind indexes of its openid,
   * unionid and phone in referral_ineligible, inside the deletion's transaction, so that the same
   * person signing up again through a friend's code is not bound as a new client (fraud
   * prevention; only keyed hashes are kept, no readable identifier).
   */
  readonly clientDataHooks = {
    onAccountDeleted: (m: EntityManager, _clientId: number, former: { openid: string; unionid: string | null; phoneBidx: string | null }): Promise<void> =>
      this.markIneligible(m, former),
  };

  private get cfg(): Config['referrals'] {
    return this.deps.config.referrals;
  }

  // ---------------------------------------------------------------- binding (login transaction)

  /**
   * Binds a client who arrived with a referral code to the code's owner, inside the login's
   * transaction. Checks, in order: the code exists, its owner is active, it is not the client's
   * own, the owner's referrer chain does not contain the client, the client was created by this
   * login, this WeChat identity was never bound before, and it is not that of a deleted account (an
   * old client coming back, REFERRAL_NOT_NEW_CLIENT). Never throws, except a deadlock (the
   * login's transaction is then gone and is retried whole); anything else answers REFERRAL_UNAVAILABLE.
   */
  async bindAtLogin(m: EntityManager, input: BindInput): Promise<BindOutcome> {
    await m.query('SAVEPOINT referral_bind');
    try {
      return await this.tryBind(m, input);
    } catch (err) {
      if (isDeadlock(err)) throw err;
      await m.query('ROLLBACK TO SAVEPOINT referral_bind');
      this.log.error({ err, clientId: input.clientId }, 'referral binding failed; the client logs in unbound');
      return { bound: false, reason: 'REFERRAL_UNAVAILABLE' };
    }
  }

  private async tryBind(m: EntityManager, input: BindInput): Promise<BindOutcome> {
    const refuse = (reason: BindRefusal): BindOutcome => ({ bound: false, reason });
    const code = input.code.trim().toUpperCase();
    if (!CODE.test(code)) return refuse('REFERRAL_CODE_UNKNOWN');
    const [owner]: { id: number; status: string; referrer_id: number | null }[] = await m.query(
      'SELECT id, status, referrer_id FROM clients WHERE referral_code = ?', [code],
    );
    if (!owner) return refuse('REFERRAL_CODE_UNKNOWN');
    if (owner.status !== 'active') return refuse('REFERRAL_OWNER_INACTIVE');
    if (owner.id === input.clientId) return refuse('REFERRAL_SELF');
    if (await this.inChain(m, owner.referrer_id, input.clientId)) return refuse('REFERRAL_CYCLE');
    if (!input.isNew) return refuse('REFERRAL_NOT_NEW_CLIENT');

    const { cipher } = this.deps;
    const openidBidx = cipher.blindIndex('openid', input.openid);
    const unionidBidx = input.unionid ? cipher.blindIndex('unionid', input.unionid) : null;
    // Looked up under every blind-index key: rows indexed before a key rotation still count.
    const known = [...cipher.blindIndexes('openid', input.openid), ...(input.unionid ? cipher.blindIndexes('unionid', input.unionid) : [])];
    const seen: unknown[] = await m.query(
      'SELECT id FROM referral_bindings WHERE referee_id = ? OR openid_bidx IN (?) OR unionid_bidx IN (?)',
      [input.clientId, known, known],
    );
    if (seen.length) return refuse('REFERRAL_ALREADY_BOUND');
    // Only new clients can be bound: not an old client who deleted the account and came back.
    if (await this.ineligible(m, known)) return refuse('REFERRAL_NOT_NEW_CLIENT');
    try {
      await m.query(
        `INSERT INTO referral_bindings (referrer_id, referee_id, code, openid_bidx, unionid_bidx, phone_bidx, status, created_at)
         VALUES (?, ?, ?, ?, ?, NULL, 'active', ?)`,
        [owner.id, input.clientId, code, openidBidx, unionidBidx, this.deps.clock.now()],
      );
    } catch (err) {
      // The same identity bound at this very moment by a concurrent login (the unique indexes decide).
      if (isDuplicateKey(err)) return refuse('REFERRAL_ALREADY_BOUND');
      throw err;
    }
    await this.deps.clients.setReferrer(m, input.clientId, owner.id);
    this.log.info({ clientId: input.clientId, referrerId: owner.id }, 'referral bound');
    return { bound: true };
  }

  private async markIneligible(m: EntityManager, former: { openid: string; unionid: string | null; phoneBidx: string | null }): Promise<void> {
    const { cipher } = this.deps;
    const rows: [string, IneligibleKind][] = [[cipher.blindIndex('openid', former.openid), 'openid']];
    if (former.unionid) rows.push([cipher.blindIndex('unionid', former.unionid), 'unionid']);
    if (former.phoneBidx) rows.push([former.phoneBidx, 'phone']);
    const now = this.deps.clock.now();
    // The same person may delete more than one account: the first deletion's row stays.
    await m.query(
      `INSERT INTO referral_ineligible (bidx, kind, created_at) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')} ON DUPLICATE KEY UPDATE bidx = bidx`,
      rows.flatMap(([bidx, kind]) => [bidx, kind, now]),
    );
  }

  /**
   * The phone's blind index under every configured key, newest first (the phone decrypted from
   * the archive); the stored index alone when the phone cannot be read.
   */
  private phoneIndexes(client: { public_id: string; phone_bidx: string | null; phone_enc: Buffer | null }): string[] {
    if (!client.phone_bidx) return [];
    const phone = readClientField(this.deps.cipher, client.public_id, 'phone', client.phone_enc);
    return phone ? this.deps.cipher.blindIndexes('phone', phone) : [client.phone_bidx];
  }

  /** True when any of these blind indexes belonged to a deleted account. */
  private async ineligible(m: EntityManager, bidxs: (string | null)[]): Promise<boolean> {
    const wanted = bidxs.filter((b): b is string => Boolean(b));
    if (!wanted.length) return false;
    const rows: unknown[] = await m.query(`SELECT bidx FROM referral_ineligible WHERE bidx IN (${wanted.map(() => '?').join(', ')}) LIMIT 1`, wanted);
    return rows.length > 0;
  }

  /** True when `clientId` is `start` or one of its referrers, up the chain. */
  private async inChain(m: EntityManager, start: number | null, clientId: number): Promise<boolean> {
    const visited = new Set<number>();
    for (let cur = start; cur !== null && !visited.has(cur) && visited.size < MAX_CHAIN;) {
      if (cur === clientId) return true;
      visited.add(cur);
      const [row]: { referrer_id: number | null }[] = await m.query('SELECT referrer_id FROM clients WHERE id = ?', [cur]);
      cur = row?.referrer_id ?? null;
    }
    return false;
  }

  // ---------------------------------------------------------------- order hooks (orders transaction)

  /**
   * A referred friend's order was paid: records the held reward (once per order). The tier is the
   * referrer's converted referrals so far in the period of the payment; the friend's first paid
   * order converts the referral and carries both sides' points. Nothing reaches a ledger before
   * the release. Reads here are locking reads: they must see what committed while we waited.
   * Spend paid before the binding earns nothing (it was not brought by the referral), and the hold
   * runs from the payment or from now, whichever is later, so a backdated order is held in full.
   */
  async onPaid(m: EntityManager, order: PaidOrder): Promise<void> {
    if (order.amountPaidFen <= 0) return;
    const [binding]: { id: number; referrer_id: number; phone_bidx: string | null; created_at: Date }[] = await m.query(
      "SELECT id, referrer_id, phone_bidx, created_at FROM referral_bindings WHERE referee_id = ? AND status = 'active'", [order.clientId],
    );
    if (!binding) return;
    const referrerId = Number(binding.referrer_id);
    if (order.paidAt.getTime() < binding.created_at.getTime()) {
      this.log.info({ orderId: order.id, referrerId }, 'order paid before the referral binding; no referral reward');
      return;
    }
    await this.lockCashback(m, referrerId);
    const [done] = await m.query('SELECT id FROM referral_rewards WHERE order_id = ? LOCK IN SHARE MODE', [order.id]);
    if (done) return; // the hook ran for this order already

    const people: { id: number; status: string; public_id: string; phone_bidx: string | null; phone_enc: Buffer | null }[] = await m.query(
      'SELECT id, status, public_id, phone_bidx, phone_enc FROM clients WHERE id IN (?, ?)', [referrerId, order.clientId],
    );
    const referrer = people.find((p) => Number(p.id) === referrerId);
    const referee = people.find((p) => Number(p.id) === order.clientId);
    if (!referrer || referrer.status !== 'active') {
      this.log.info({ orderId: order.id, referrerId }, 'referrer is no longer active; no referral reward');
      return;
    }
    if (!(await this.checkPhone(m, binding, referee ? this.phoneIndexes(referee) : []))) return;

    const periods = periodKeys(order.paidAt);
    const periodColumn = this.cfg.tierPeriod === 'month' ? 'period_month' : 'period_quarter';
    const [{ n }] = await m.query(
      `SELECT COUNT(*) AS n FROM referral_rewards WHERE referrer_id = ? AND conversion = 1 AND ${periodColumn} = ? AND ${CONVERTED} LOCK IN SHARE MODE`,
      [referrerId, periods[this.cfg.tierPeriod]],
    );
    const { rateBp } = tierFor(this.cfg.tiers, Number(n));
    const converted: unknown[] = await m.query(
      `SELECT id FROM referral_rewards WHERE referee_id = ? AND conversion = 1 AND ${CONVERTED} LIMIT 1 LOCK IN SHARE MODE`, [order.clientId],
    );
    const conversion = converted.length === 0;
    // 推荐新客双倍积分: a bound friend is always a new client (only new clients can be bound).
    const referrerPoints = conversion ? referralPoints(this.deps.points.rules, true) : 0;
    const refereePoints = conversion ? this.cfg.refereePoints : 0;
    const now = this.deps.clock.now();
    await m.query(
      `INSERT INTO referral_rewards (referrer_id, referee_id, binding_id, order_id, order_no, amount_paid_fen, rate_bp, cashback_fen, conversion,
         referrer_points, referee_points, status, period_month, period_quarter, paid_at, hold_until, lb_pending, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?, ?, ?, ?, ?, ?, ?)`,
      [
        referrerId, order.clientId, binding.id, order.id, order.orderNo, order.amountPaidFen, rateBp, cashbackFen(order.amountPaidFen, rateBp),
        conversion, referrerPoints, refereePoints, periods.month, periods.quarter, order.paidAt,
        new Date(Math.max(order.paidAt.getTime(), now.getTime()) + this.cfg.holdDays * DAY_MS), conversion, now, now,
      ],
    );
    this.log.info({ orderId: order.id, referrerId, rateBp, conversion }, 'referral reward held');
  }

  /**
   * A refund of a referred friend's order. Inside the hold: a full refund cancels the reward (no
   * ledger was written, none is), a partial one lowers the held cashback to the rate of what is
   * still paid. After the release: the cashback beyond what is still paid is clawed back with a
   * negative entry in the referral ledger, and from the stored value as far as it goes (the rest is
   * recorded as `cashback_shortfall_fen`; stored value never goes negative), and a
   * full refund also takes back both sides' points as far as their balances allow, recording the shortfall.
   */
  async onRefunded(m: EntityManager, order: PaidOrder, refund: OrderRefundEvent): Promise<void> {
    // The referrer's cashback account before the reward row (the lock order); referrer_id never changes.
    const [peek]: { referrer_id: number }[] = await m.query('SELECT referrer_id FROM referral_rewards WHERE order_id = ?', [order.id]);
    if (!peek) return;
    await this.lockCashback(m, Number(peek.referrer_id));
    const [r]: (RewardRow & { refunded_fen: number })[] = await m.query('SELECT * FROM referral_rewards WHERE order_id = ? FOR UPDATE', [order.id]);
    if (!r || r.status === 'cancelled' || r.status === 'clawed_back') return;
    const now = this.deps.clock.now();
    const stillPaid = Math.max(0, Number(r.amount_paid_fen) - refund.refundedTotalFen);
    const full = refund.full || stillPaid === 0;
    const refunded = Math.min(Number(r.amount_paid_fen), refund.refundedTotalFen);
    const conversion = Number(r.conversion) === 1;

    if (r.status === 'held') {
      if (full) {
        await m.query(
          "UPDATE referral_rewards SET status = 'cancelled', cancelled_at = ?, refunded_fen = ?, lb_pending = lb_pending OR ?, updated_at = ? WHERE id = ?",
          [now, refunded, conversion, now, r.id],
        );
        this.log.info({ rewardId: r.id, orderId: order.id }, 'held referral reward cancelled by a refund');
      } else {
        await m.query('UPDATE referral_rewards SET cashback_fen = ?, refunded_fen = ?, updated_at = ? WHERE id = ?', [
          cashbackFen(stillPaid, Number(r.rate_bp)), refunded, now, r.id,
        ]);
      }
      return;
    }

    const keep = full ? 0 : cashbackFen(stillPaid, Number(r.rate_bp));
    const claw = Math.max(0, Number(r.cashback_fen) - Number(r.clawed_fen) - keep);
    let cashbackShortfall = 0;
    if (claw > 0) {
      await this.writeCashback(m, Number(r.referrer_id), -claw, 'clawback', r.id, `clawback:${r.id}:${refund.refundId}`);
      // Only what is left of the stored value comes back (it may have paid an order already); the rest is recorded.
      ({ shortfallFen: cashbackShortfall } = await this.deps.wallet.clawBack(m, {
        clientId: Number(r.referrer_id), amountFen: claw, reference: `reward:${r.id}`, idempotencyKey: `clawback:${r.id}:${refund.refundId}`, actor: SYSTEM_ACTOR,
      }));
    }
    let shortfall = { referrer: 0, referee: 0 };
    if (full) shortfall = await this.clawPoints(m, r);
    await m.query(
      `UPDATE referral_rewards SET clawed_fen = clawed_fen + ?, refunded_fen = ?, status = ?, clawed_back_at = ?,
         referrer_points_shortfall = ?, referee_points_shortfall = ?, cashback_shortfall_fen = cashback_shortfall_fen + ?, lb_pending = lb_pending OR ?,
         updated_at = ? WHERE id = ?`,
      [claw, refunded, full ? 'clawed_back' : 'released', full ? now : null, shortfall.referrer, shortfall.referee, cashbackShortfall, full && conversion, now, r.id],
    );
    this.log.info({ rewardId: r.id, orderId: order.id, clawFen: claw, cashbackShortfallFen: cashbackShortfall, full, shortfall }, 'released referral reward clawed back');
  }

  /** Takes back both sides' released points, as far as each balance allows (a balance never goes negative). */
  private async clawPoints(m: EntityManager, r: RewardRow): Promise<{ referrer: number; referee: number }> {
    const sides = [
      { clientId: Number(r.referrer_id), points: Number(r.referrer_points), key: `referral_clawback:${r.id}`, side: 'referrer' as const },
      { clientId: Number(r.referee_id), points: Number(r.referee_points), key: `referral_welcome_clawback:${r.id}`, side: 'referee' as const },
    ].filter((s) => s.points > 0);
    const locks = await this.lockPoints(m, sides.map((s) => s.clientId));
    const out = { referrer: 0, referee: 0 };
    for (const s of sides) {
      const lock = locks.get(s.clientId)!;
      const take = Math.min(lock.balance, s.points);
      if (take > 0) {
        await this.deps.points.debit(m, {
          clientId: s.clientId, points: take, reason: 'referral', reference: `clawback:${r.order_no}`, idempotencyKey: s.key, actor: SYSTEM_ACTOR,
        }, lock);
      }
      out[s.side] = s.points - take;
    }
    return out;
  }

  /**
   * A friend's phone becomes known (phones are bound after the first login): it must not have been
   * bound as someone's friend before, e.g. under a deleted account or another WeChat account. (It
   * cannot be the referrer's own: a phone belongs to one active client.)
   */
  private async checkPhone(m: EntityManager, binding: { id: number; phone_bidx: string | null }, refereePhones: string[]): Promise<boolean> {
    if (!refereePhones.length || binding.phone_bidx) return true;
    const other: unknown[] = await m.query('SELECT id FROM referral_bindings WHERE phone_bidx IN (?) AND id <> ?', [refereePhones, binding.id]);
    if (other.length) return this.voidBinding(m, binding.id, 'REFERRAL_PHONE_ALREADY_BOUND');
    // The phone of a deleted account: an old client under a new WeChat account.
    if (await this.ineligible(m, refereePhones)) return this.voidBinding(m, binding.id, 'REFERRAL_NOT_NEW_CLIENT');
    try {
      await m.query('UPDATE referral_bindings SET phone_bidx = ? WHERE id = ?', [refereePhones[0], binding.id]);
    } catch (err) {
      // A concurrent first order of another friend with the same phone won the unique index.
      if (!isDuplicateKey(err)) throw err;
      return this.voidBinding(m, binding.id, 'REFERRAL_PHONE_ALREADY_BOUND');
    }
    return true;
  }

  private async voidBinding(m: EntityManager, bindingId: number, reason: VoidReason): Promise<false> {
    const [b] = await m.query('SELECT referrer_id, referee_id FROM referral_bindings WHERE id = ?', [bindingId]);
    await m.query("UPDATE referral_bindings SET status = 'void', void_reason = ?, voided_at = ? WHERE id = ?", [reason, this.deps.clock.now(), bindingId]);
    await this.deps.clients.clearReferrer(m, Number(b.referee_id), Number(b.referrer_id));
    this.log.warn({ bindingId, outcome: reason }, 'referral binding voided; no rewards');
    return false;
  }

  // ---------------------------------------------------------------- release (scheduler)

  /**
   * Releases every held reward whose hold has ended, one short transaction each: the cashback
   * entry, the referrer's points (earnForReferral) and the friend's points, keyed by the reward so
   * a second run or a second scheduler writes nothing twice. Then pushes leaderboard changes to Redis.
   */
  async releaseDue(now: Date = this.deps.clock.now()): Promise<ReleaseReport> {
    let released = 0;
    let failed = 0;
    let after: { holdUntil: Date; id: number } | null = null;
    for (;;) {
      const due: { id: number; hold_until: Date }[] = await this.deps.db.query(
        `SELECT id, hold_until FROM referral_rewards WHERE status = 'held' AND hold_until <= ?
         ${after ? 'AND (hold_until > ? OR (hold_until = ? AND id > ?))' : ''} ORDER BY hold_until, id LIMIT ${RELEASE_BATCH}`,
        after ? [now, after.holdUntil, after.holdUntil, after.id] : [now],
      );
      for (const row of due) {
        try {
          if (await this.tx((m) => this.releaseOne(m, Number(row.id), now))) released++;
        } catch (err) {
          failed++;
          this.log.warn({ rewardId: row.id, err }, 'referral reward could not be released; skipped for this run');
        }
      }
      if (due.length < RELEASE_BATCH) break;
      after = { holdUntil: due[due.length - 1].hold_until, id: Number(due[due.length - 1].id) };
    }
    if (failed > 0) this.log.error({ released, failed }, 'referral release run finished with failures');
    await this.syncLeaderboards().catch((err) => this.log.warn({ err }, 'leaderboard sync failed; the next read or run retries'));
    return { released, failed };
  }

  private async releaseOne(m: EntityManager, rewardId: number, now: Date): Promise<boolean> {
    // The referrer's cashback account before the reward row (the lock order; a friend's order paying
    // now holds it and share-locks this referrer's rewards). referrer_id never changes.
    const [peek]: { referrer_id: number }[] = await m.query('SELECT referrer_id FROM referral_rewards WHERE id = ?', [rewardId]);
    if (!peek) return false;
    await this.lockCashback(m, Number(peek.referrer_id));
    const [r]: RewardRow[] = await m.query('SELECT * FROM referral_rewards WHERE id = ? FOR UPDATE', [rewardId]);
    if (!r || r.status !== 'held' || r.hold_until > now) return false;
    const referrerId = Number(r.referrer_id);
    const refereeId = Number(r.referee_id);
    const people: { id: number; status: string }[] = await m.query('SELECT id, status FROM clients WHERE id IN (?, ?)', [referrerId, refereeId]);
    const active = (id: number) => people.some((p) => Number(p.id) === id && p.status === 'active');
    if (!active(referrerId)) {
      await m.query(
        "UPDATE referral_rewards SET status = 'cancelled', cancelled_at = ?, lb_pending = lb_pending OR conversion, updated_at = ? WHERE id = ?",
        [now, now, rewardId],
      );
      this.log.info({ rewardId, referrerId }, 'referrer deleted their account before the release; reward cancelled');
      return true;
    }
    if (Number(r.cashback_fen) > 0) {
      await this.writeCashback(m, referrerId, Number(r.cashback_fen), 'referral', rewardId, `release:${rewardId}`);
      // Released cashback is a stored-value balance the referrer can spend (DOMAIN.md, referral).
      await this.deps.wallet.credit(m, {
        clientId: referrerId, amountFen: Number(r.cashback_fen), reason: 'referral_cashback', reference: `reward:${rewardId}`,
        idempotencyKey: `cashback:${rewardId}`, actor: SYSTEM_ACTOR,
      });
    }

    let referrerPoints = 0;
    let refereePoints = 0;
    if (Number(r.conversion) === 1) {
      const welcome = Number(r.referee_points) > 0 && active(refereeId); // a deleted friend gets nothing
      const locks = await this.lockPoints(m, [...(Number(r.referrer_points) > 0 ? [referrerId] : []), ...(welcome ? [refereeId] : [])]);
      if (Number(r.referrer_points) > 0) {
        const res = await this.deps.points.earnForReferral(m, referrerId, { refereeClientId: refereeId, isNewClient: true, orderRef: r.order_no });
        referrerPoints = res?.entry.delta ?? 0;
      }
      if (welcome) {
        refereePoints = Number(r.referee_points);
        await this.deps.points.grant(m, {
          clientId: refereeId, points: refereePoints, reason: 'referral', reference: `welcome:${r.order_no}`,
          idempotencyKey: `referral_welcome:${r.order_no}`, actor: SYSTEM_ACTOR,
        }, locks.get(refereeId));
      }
    }
    // The points actually granted (the rule of the release day) are what a clawback takes back.
    await m.query(
      "UPDATE referral_rewards SET status = 'released', released_at = ?, referrer_points = ?, referee_points = ?, updated_at = ? WHERE id = ?",
      [now, referrerPoints, refereePoints, now, rewardId],
    );
    return true;
  }

  // ---------------------------------------------------------------- cashback ledger

  /** Locks (creating at 0) the referrer's cashback account; it serialises every reward of this referrer. */
  private async lockCashback(m: EntityManager, clientId: number): Promise<number> {
    // ON DUPLICATE KEY UPDATE takes the exclusive lock at once (see PointsService.lockAccount).
    await m.query(
      'INSERT INTO cashback_accounts (client_id, balance_fen, version, updated_at) VALUES (?, 0, 0, ?) ON DUPLICATE KEY UPDATE client_id = client_id',
      [clientId, this.deps.clock.now()],
    );
    const [row] = await m.query('SELECT balance_fen FROM cashback_accounts WHERE client_id = ? FOR UPDATE', [clientId]);
    return Number(row.balance_fen);
  }

  /** One cashback entry and the balance with it; the caller holds the account lock. Once per key. */
  private async writeCashback(m: EntityManager, clientId: number, deltaFen: number, reason: CashbackReason, rewardId: number, key: string): Promise<void> {
    const [existing] = await m.query('SELECT delta_fen FROM cashback_entries WHERE client_id = ? AND idempotency_key = ?', [clientId, key]);
    if (existing) {
      if (Number(existing.delta_fen) !== deltaFen) throw new Error(`cashback key ${key} was written with another amount`);
      return;
    }
    const [acc] = await m.query('SELECT balance_fen FROM cashback_accounts WHERE client_id = ?', [clientId]);
    const now = this.deps.clock.now();
    await m.query(
      `INSERT INTO cashback_entries (client_id, delta_fen, reason, reward_id, idempotency_key, balance_after_fen, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [clientId, deltaFen, reason, rewardId, key, Number(acc.balance_fen) + deltaFen, now],
    );
    await m.query('UPDATE cashback_accounts SET balance_fen = balance_fen + ?, version = version + 1, updated_at = ? WHERE client_id = ?', [
      deltaFen, now, clientId,
    ]);
  }

  /** Points account locks in ascending client id (a fixed order, so two releases never wait on each other in a circle). */
  private async lockPoints(m: EntityManager, clientIds: number[]): Promise<Map<number, AccountLock>> {
    const locks = new Map<number, AccountLock>();
    for (const id of [...new Set(clientIds)].sort((a, b) => a - b)) locks.set(id, await this.deps.points.lockAccount(m, id));
    return locks;
  }

  /**
   * Every cashback balance equals the sum of its entries, and every reward's entries add up to what
   * its status says was credited (released: cashback − clawed back; held or cancelled: nothing).
   */
  async checkConsistency(): Promise<CashbackConsistencyReport> {
    const [{ n }] = await this.deps.db.query('SELECT COUNT(*) AS n FROM cashback_accounts');
    const drift: { client_id: number; balance_fen: number; total: string | number }[] = await this.deps.db.query(
      `SELECT a.client_id, a.balance_fen, COALESCE(e.total, 0) AS total FROM cashback_accounts a
         LEFT JOIN (SELECT client_id, SUM(delta_fen) AS total FROM cashback_entries GROUP BY client_id) e ON e.client_id = a.client_id
        WHERE a.balance_fen <> COALESCE(e.total, 0)
       UNION ALL
       SELECT e.client_id, 0, SUM(e.delta_fen) FROM cashback_entries e
        WHERE NOT EXISTS (SELECT 1 FROM cashback_accounts a WHERE a.client_id = e.client_id) GROUP BY e.client_id`,
    );
    const rewards: { id: number; status: RewardStatus; expected: string | number; total: string | number }[] = await this.deps.db.query(
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

  // ---------------------------------------------------------------- the client's own views

  /** The client's code, share path, tier in the current period, friend count and cashback. */
  async summary(clientId: number): Promise<ReferralSummary> {
    const code = await this.codeOf(clientId);
    const [tier, referredBy] = await Promise.all([this.tier(clientId), this.statusConsentOf(clientId)]);
    const [[friends], [balance], [held], [points]] = await Promise.all([
      this.deps.db.query("SELECT COUNT(*) AS n FROM referral_bindings WHERE referrer_id = ? AND status = 'active'", [clientId]),
      this.deps.db.query('SELECT balance_fen FROM cashback_accounts WHERE client_id = ?', [clientId]),
      this.deps.db.query("SELECT COALESCE(SUM(cashback_fen), 0) AS held FROM referral_rewards WHERE referrer_id = ? AND status = 'held'", [clientId]),
      this.deps.db.query(
        `SELECT (SELECT COALESCE(SUM(referrer_points), 0) FROM referral_rewards WHERE referrer_id = ? AND status = 'held')
              + (SELECT COALESCE(SUM(referee_points), 0) FROM referral_rewards WHERE referee_id = ? AND status = 'held') AS held`,
        [clientId, clientId],
      ),
    ]);
    return {
      code,
      sharePath: `/${this.cfg.sharePage}?ref=${code}`,
      qrCodePath: '/api/mp/referrals/qrcode',
      tier,
      friends: Number(friends.n),
      cashback: { balanceFen: Number(balance?.balance_fen ?? 0), heldFen: Number(held.held) },
      heldPoints: Number(points.held),
      referredBy,
    };
  }

  private async tier(clientId: number): Promise<TierView> {
    const period = this.cfg.tierPeriod;
    const periodKey = periodKeys(this.deps.clock.now())[period];
    const [{ n }] = await this.deps.db.query(
      `SELECT COUNT(*) AS n FROM referral_rewards WHERE referrer_id = ? AND conversion = 1 AND period_${period} = ? AND ${CONVERTED}`,
      [clientId, periodKey],
    );
    const converted = Number(n);
    const { rateBp, next } = tierFor(this.cfg.tiers, converted);
    return { period, periodKey, converted, rateBp, next: next ? { converted: next.minConverted, rateBp: next.rateBp } : null };
  }

  /**
   * The client's friends, newest first. Only friends who agreed at binding (or later) are listed,
   * with a masked name and a coarse status: joined, reward pending (held in the refund window),
   * reward earned (released). Whether a friend bought anything, what and for how much never shows;
   * the others are a count (PIPL art. 23, 28–29; DOMAIN.md, referral).
   */
  async friends(clientId: number, page: number, pageSize: number): Promise<FriendsView> {
    const [rows, [others]] = await Promise.all([
      this.deps.db.query(
        `SELECT b.created_at, c.public_id, c.name_enc, c.status,
                EXISTS (SELECT 1 FROM referral_rewards r WHERE r.binding_id = b.id AND r.status = 'released') AS earned,
                EXISTS (SELECT 1 FROM referral_rewards r WHERE r.binding_id = b.id AND r.status = 'held') AS pending
           FROM referral_bindings b JOIN clients c ON c.id = b.referee_id
          WHERE b.referrer_id = ? AND b.status = 'active' AND b.shares_status = 1
          ORDER BY b.id DESC LIMIT ? OFFSET ?`,
        [clientId, pageSize + 1, (page - 1) * pageSize],
      ) as Promise<{ created_at: Date; public_id: string; name_enc: Buffer | null; status: string; earned: number; pending: number }[]>,
      this.deps.db.query(
        "SELECT COUNT(*) AS n FROM referral_bindings WHERE referrer_id = ? AND status = 'active' AND shares_status = 0", [clientId],
      ) as Promise<{ n: number | string }[]>,
    ]);
    const items = rows.slice(0, pageSize).map((r) => {
      const status: FriendStatus = Number(r.earned) ? 'reward_earned' : Number(r.pending) ? 'reward_pending' : 'joined';
      const name = r.status === 'active' ? maskName(this.nameOf(r.public_id, r.name_enc)) : '已注销用户';
      return { name, boundAt: r.created_at, status };
    });
    return { items, page, hasMore: rows.length > pageSize, others: Number(others.n) };
  }

  /**
   * A referred client's answer to "may my referrer see my status (joined, reward pending, reward
   * earned)?" — asked right after binding, changeable at any time. 404 when the client was not
   * referred (or the binding was voided).
   */
  async setStatusConsent(clientId: number, sharesStatus: boolean): Promise<StatusConsentView> {
    const now = this.deps.clock.now();
    const res = await this.deps.db.query(
      "UPDATE referral_bindings SET shares_status = ?, status_consent_at = ? WHERE referee_id = ? AND status = 'active'", [sharesStatus, now, clientId],
    );
    if (Number(res.affectedRows) !== 1) throw notFound('Referral');
    this.log.info({ clientId, sharesStatus }, 'referral status consent recorded');
    return { sharesStatus, decidedAt: now };
  }

  private async statusConsentOf(clientId: number): Promise<StatusConsentView | null> {
    const [row]: { shares_status: number; status_consent_at: Date | null }[] = await this.deps.db.query(
      "SELECT shares_status, status_consent_at FROM referral_bindings WHERE referee_id = ? AND status = 'active'", [clientId],
    );
    return row ? { sharesStatus: Boolean(Number(row.shares_status)), decidedAt: row.status_consent_at } : null;
  }

  /**
   * The client's cashback: balance, what is held, and the ledger as monthly totals (Asia/Shanghai),
   * newest first — no single reward, order, date or friend.
   */
  async cashback(clientId: number, page: number, pageSize: number): Promise<{
    balanceFen: number; heldFen: number; items: CashbackMonthView[]; page: number; hasMore: boolean;
  }> {
    const [[balance], [held], rows] = await Promise.all([
      this.deps.db.query('SELECT balance_fen FROM cashback_accounts WHERE client_id = ?', [clientId]),
      this.deps.db.query("SELECT COALESCE(SUM(cashback_fen), 0) AS held FROM referral_rewards WHERE referrer_id = ? AND status = 'held'", [clientId]),
      this.deps.db.query(
        `SELECT DATE_FORMAT(created_at + INTERVAL ? SECOND, '%Y-%m') AS month,
                SUM(CASE WHEN reason = 'referral' THEN delta_fen ELSE 0 END) AS earned,
                SUM(CASE WHEN reason = 'referral' THEN 0 ELSE delta_fen END) AS adjusted
           FROM cashback_entries WHERE client_id = ? GROUP BY month ORDER BY month DESC LIMIT ? OFFSET ?`,
        [SHANGHAI_OFFSET_MS / 1000, clientId, pageSize + 1, (page - 1) * pageSize],
      ) as Promise<{ month: string; earned: number | string; adjusted: number | string }[]>,
    ]);
    return {
      balanceFen: Number(balance?.balance_fen ?? 0),
      heldFen: Number(held.held),
      items: rows.slice(0, pageSize).map((r) => ({ month: r.month, earnedFen: Number(r.earned), adjustedFen: Number(r.adjusted) })),
      page,
      hasMore: rows.length > pageSize,
    };
  }

  /**
   * The client's mini-program code (wxacode.getUnlimited, scene `ref=CODE`), cached in Redis per
   * code, page and width; WeChat's refusals become 503 REFERRAL_QR_UNAVAILABLE with a retry hint.
   */
  async qrCode(clientId: number): Promise<{ image: Buffer; contentType: string }> {
    const code = await this.codeOf(clientId);
    const { sharePage, qrWidth, qrEnvVersion, qrCheckPath, qrCacheSeconds } = this.cfg;
    const scene = `ref=${code}`;
    if (!WXACODE_SCENE.test(scene)) throw new Error(`referral code ${code} does not fit a wxacode scene`);
    const key = `referrals:qr:${code}:${sharePage}:${qrWidth}:${qrEnvVersion}`;
    const cached = await this.deps.redis.getBuffer(key).catch(() => null);
    if (cached?.length) return { image: cached, contentType: imageType(cached) };
    let image: Buffer;
    try {
      ({ image } = await this.deps.wechat.getUnlimitedQrCode({ scene, page: sharePage, width: qrWidth, envVersion: qrEnvVersion, checkPath: qrCheckPath }));
    } catch (err) {
      if (!(err instanceof WeChatError)) throw err;
      // 41030: the page is not published (REFERRAL_SHARE_PAGE / REFERRAL_QR_CHECK_PATH); 45009: WeChat's quota.
      if (!err.transient) this.log.error({ errcode: err.errcode, errmsg: err.errmsg }, 'wxacode.getUnlimited refused');
      const retryAfterSeconds = err.errcode === 45009 ? 3600 : err.transient ? 5 : 60;
      throw new AppError(ReferralErrors.REFERRAL_QR_UNAVAILABLE, 'The QR code cannot be made right now; please try again later', { retryAfterSeconds });
    }
    await this.deps.redis.set(key, image, 'EX', qrCacheSeconds).catch((err) => this.log.warn({ err }, 'QR code not cached'));
    return { image, contentType: imageType(image) };
  }

  private async codeOf(clientId: number): Promise<string> {
    const [row] = await this.deps.db.query("SELECT referral_code FROM clients WHERE id = ? AND status = 'active'", [clientId]);
    if (!row) throw notFound('Client');
    return row.referral_code;
  }

  /** A name that cannot be decrypted reads as no name (logged), never as an error. */
  private nameOf(clientPublicId: string, blob: Buffer | null): string | null {
    return readClientField(this.deps.cipher, clientPublicId, 'name', blob, () => {
      this.log.error({ clientPublicId }, 'client name cannot be decrypted; shown masked as a WeChat user');
    });
  }

  // ---------------------------------------------------------------- leaderboards (Redis, rebuilt from MySQL)

  /**
   * 冲榜: the period's ranking by converted referrals (a friend's first order paid and not refunded
   * in full), top N with masked names and the client's own rank (ties share a rank). Pending changes
   * are pushed first; a board Redis has lost is rebuilt from MySQL; Redis down → answered from MySQL.
   */
  async leaderboard(clientId: number, period: ReferralPeriod): Promise<LeaderboardView> {
    const periodKey = periodKeys(this.deps.clock.now())[period];
    const size = this.cfg.leaderboardSize;
    let ranked: { clientId: number; score: number }[];
    let mine: { rank: number | null; converted: number };
    try {
      // Waits a moment for another instance's sync or rebuild, so a reader sees what has committed.
      await this.syncLeaderboards(LB_READ_WAIT_MS);
      const key = await this.ensureBoard(period, periodKey);
      if (key) {
        // A few more than N: deleted accounts are skipped below.
        const flat = await this.deps.redis.zrevrangebyscore(key, '+inf', 1, 'WITHSCORES', 'LIMIT', 0, size + 10);
        ranked = [];
        for (let i = 0; i < flat.length; i += 2) ranked.push({ clientId: Number(flat[i]), score: Number(flat[i + 1]) });
        const score = Number((await this.deps.redis.zscore(key, String(clientId))) ?? 0);
        mine = { converted: score, rank: score >= 1 ? (await this.deps.redis.zcount(key, `(${score}`, '+inf')) + 1 : null };
      } else {
        ({ ranked, mine } = await this.boardFromMysql(period, periodKey, clientId, size + 10));
      }
    } catch (err) {
      this.log.warn({ err }, 'leaderboard not available from Redis; answered from MySQL');
      ({ ranked, mine } = await this.boardFromMysql(period, periodKey, clientId, size + 10));
    }
    const top = await this.renderTop(ranked, clientId, size);
    return { period, periodKey, top, me: mine };
  }

  private boardKey(period: ReferralPeriod, periodKey: string): string {
    // One hash tag per board, so the rebuild's temporary key and RENAME stay in one Redis Cluster slot.
    return `lb:referrals:{${period}:${periodKey}}`;
  }

  /** Converted referrals per active referrer in a period, from MySQL (the source of truth). */
  private async counts(period: ReferralPeriod, periodKey: string, referrerId?: number): Promise<{ clientId: number; score: number }[]> {
    const rows: { referrer_id: number; n: number | string }[] = await this.deps.db.query(
      `SELECT r.referrer_id, COUNT(*) AS n FROM referral_rewards r JOIN clients c ON c.id = r.referrer_id AND c.status = 'active'
        WHERE r.period_${period} = ? AND r.conversion = 1 AND r.${CONVERTED} ${referrerId !== undefined ? 'AND r.referrer_id = ?' : ''}
        GROUP BY r.referrer_id`,
      referrerId !== undefined ? [periodKey, referrerId] : [periodKey],
    );
    return rows.map((r) => ({ clientId: Number(r.referrer_id), score: Number(r.n) }));
  }

  private async boardFromMysql(period: ReferralPeriod, periodKey: string, clientId: number, limit: number) {
    const all = (await this.counts(period, periodKey)).sort((a, b) => b.score - a.score || a.clientId - b.clientId);
    const score = all.find((x) => x.clientId === clientId)?.score ?? 0;
    const mine = { converted: score, rank: score >= 1 ? all.filter((x) => x.score > score).length + 1 : null };
    return { ranked: all.slice(0, limit), mine };
  }

  /** Competition ranking (1, 2, 2, 4) over the entries shown; names masked; deleted accounts skipped. */
  private async renderTop(ranked: { clientId: number; score: number }[], me: number, size: number): Promise<LeaderboardView['top']> {
    if (!ranked.length) return [];
    const rows: { id: number; public_id: string; name_enc: Buffer | null; status: string }[] = await this.deps.db.query(
      `SELECT id, public_id, name_enc, status FROM clients WHERE id IN (${ranked.map(() => '?').join(',')})`, ranked.map((r) => r.clientId),
    );
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    const out: LeaderboardView['top'] = [];
    for (const r of ranked) {
      const c = byId.get(r.clientId);
      if (!c || c.status !== 'active') continue;
      const prev = out[out.length - 1];
      const rank = prev && prev.converted === r.score ? prev.rank : out.length + 1;
      out.push({ rank, name: maskName(this.nameOf(c.public_id, c.name_enc)), converted: r.score, isMe: r.clientId === me });
      if (out.length >= size) break;
    }
    return out;
  }

  /**
   * The board's key once it exists in Redis, rebuilding it from MySQL when Redis has lost it (under
   * the leaderboard lock, into a temporary key renamed over the board); null when another instance
   * holds the lock for too long (the caller answers from MySQL).
   */
  private async ensureBoard(period: ReferralPeriod, periodKey: string): Promise<string | null> {
    const { redis } = this.deps;
    const key = this.boardKey(period, periodKey);
    for (let attempt = 0; attempt < 20; attempt++) {
      if (await redis.exists(key)) return key;
      const built = await this.withLbLock(0, async () => {
        if (await redis.exists(key)) return;
        const tmp = `${key}:tmp:${randomUUID()}`;
        const counts = await this.counts(period, periodKey);
        const args: (string | number)[] = [0, LB_SENTINEL];
        for (const c of counts) args.push(c.score, String(c.clientId));
        await redis.zadd(tmp, ...args);
        await redis.multi().rename(tmp, key).expire(key, LB_TTL_SECONDS).exec();
        this.log.info({ key, members: counts.length }, 'leaderboard rebuilt from MySQL');
      });
      if (built) return key;
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  }

  /**
   * Pushes the leaderboard changes that committed in MySQL (rows flagged lb_pending) to Redis: the
   * changed referrers' counts are recomputed from MySQL and set (never incremented), so running it
   * twice is harmless. A flag is cleared only if the row's status is still the one the count saw.
   * `waitMs`: how long to wait for the leaderboard lock (0: leave it to the instance holding it).
   */
  async syncLeaderboards(waitMs = 0): Promise<number> {
    const pending: { id: number; referrer_id: number; period_month: string; period_quarter: string; status: RewardStatus }[] = await this.deps.db.query(
      'SELECT id, referrer_id, period_month, period_quarter, status FROM referral_rewards WHERE lb_pending = 1 ORDER BY id LIMIT 500',
    );
    if (!pending.length) return 0;
    let synced = 0;
    await this.withLbLock(waitMs, async () => {
      const boards = new Map<string, { period: ReferralPeriod; periodKey: string; referrerId: number }>();
      for (const p of pending) {
        for (const period of ['month', 'quarter'] as const) {
          const periodKey = period === 'month' ? p.period_month : p.period_quarter;
          boards.set(`${period}:${periodKey}:${p.referrer_id}`, { period, periodKey, referrerId: Number(p.referrer_id) });
        }
      }
      for (const b of boards.values()) {
        const key = this.boardKey(b.period, b.periodKey);
        // A board Redis does not have is rebuilt whole from MySQL when next read.
        if (!(await this.deps.redis.exists(key))) continue;
        const [count] = await this.counts(b.period, b.periodKey, b.referrerId);
        if (count) await this.deps.redis.zadd(key, count.score, String(b.referrerId));
        else await this.deps.redis.zrem(key, String(b.referrerId));
      }
      for (const p of pending) {
        const res = await this.deps.db.query('UPDATE referral_rewards SET lb_pending = 0 WHERE id = ? AND status = ? AND lb_pending = 1', [p.id, p.status]);
        synced += Number(res.affectedRows ?? 0);
      }
    });
    return synced;
  }

  /**
   * Runs `work` under the one leaderboard lock (rebuilds and syncs never interleave), waiting up to
   * `waitMs` for it; false when another instance still holds it.
   */
  private async withLbLock(waitMs: number, work: () => Promise<void>): Promise<boolean> {
    const token = randomUUID();
    // Counted in attempts, not read from a clock: the business clock may be a test's stopped one.
    for (let waited = 0; (await this.deps.redis.set(LB_LOCK, token, 'PX', LB_LOCK_MS, 'NX')) !== 'OK'; waited += 25) {
      if (waited >= waitMs) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    try {
      await work();
      return true;
    } finally {
      await this.deps.redis.eval(RELEASE_IF_OURS, 1, LB_LOCK, token).catch(() => undefined);
    }
  }

  /** Drops a board from Redis (as a Redis restart would); the next read rebuilds it. For operations and tests. */
  async forgetBoard(period: ReferralPeriod, periodKey: string): Promise<void> {
    await this.deps.redis.del(this.boardKey(period, periodKey));
  }

  /** A short READ COMMITTED transaction, retried on deadlock. */
  private tx<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.deps.db, work);
  }
}

/** WeChat answers PNG or JPEG; the bytes say which. */
function imageType(image: Buffer): string {
  return image[0] === 0xff && image[1] === 0xd8 ? 'image/jpeg' : 'image/png';
}
