import type { EntityManager } from 'typeorm';
import type { OrderHooks, OrderRefundEvent, PaidOrder } from '../orders';
import type { StoredValuePaymentHook } from '../wallet';
import { ReferralBinding } from './referrals.binding';
import { CashbackLedger } from './referrals.cashback';
import { ReferralCodes } from './referrals.codes';
import { ReferralFriends } from './referrals.friends';
import { ReferralLeaderboard } from './referrals.leaderboard';
import { LeaderboardPrizes } from './referrals.prizes';
import { ReferralRewards } from './referrals.rewards';
import type { ReferralPeriod } from './referrals.rules';
import { ReferralsDeps, ReferralsSupport } from './referrals.shared';
import { ReferralTiers } from './referrals.tiers';
import type {
  BindInput, BindOutcome, CashbackConsistencyReport, CashbackView, FormerIdentity, FriendsView, LeaderboardView, PrizeAward, ReferralSummary,
  ReleaseReport, StatusConsentView,
} from './referrals.types';

/**
 * Referrals 转介绍, one object on `Services`: a facade over its use cases — binding at first login
 * (`binding`), tiered cashback and both sides' points held for the refund window, released by the
 * scheduler and clawed back after refunds (`rewards`, over the cashback `ledger` and `tiers`), the
 * friends' status with their consent (`friends`), the own code's summary and QR code (`codes`), the
 * leaderboards and their prizes. Each method below hands over to the use case that does the work,
 * so other modules depend on this one class and never on the files behind it.
 */
export class ReferralsService {
  /** The hooks OrdersService calls inside its transactions. */
  readonly orderHooks: OrderHooks;
  /** The hook WalletService calls inside a stored-value payment's transaction (WalletService.addPaymentHook). */
  readonly storedValueHooks: StoredValuePaymentHook;
  private readonly s: ReferralsSupport;
  private readonly binding: ReferralBinding;
  private readonly ledger: CashbackLedger;
  private readonly tiers: ReferralTiers;
  private readonly rewards: ReferralRewards;
  private readonly friendsOf: ReferralFriends;
  private readonly codes: ReferralCodes;
  private readonly boards: ReferralLeaderboard;
  /** Nothing without the voucher engine and the outbox. */
  private readonly prizes: LeaderboardPrizes | null;

  constructor(deps: ReferralsDeps) {
    this.s = new ReferralsSupport(deps);
    this.binding = new ReferralBinding(this.s);
    this.ledger = new CashbackLedger(this.s);
    this.tiers = new ReferralTiers(this.s);
    this.boards = new ReferralLeaderboard(this.s);
    this.rewards = new ReferralRewards(this.s, this.binding, this.tiers, this.ledger, this.boards);
    this.friendsOf = new ReferralFriends(this.s);
    this.codes = new ReferralCodes(this.s, this.tiers, this.ledger, this.friendsOf);
    this.prizes = deps.rewards && deps.outbox ? new LeaderboardPrizes(this.s, deps.rewards, deps.outbox) : null;
    this.orderHooks = {
      onPaid: (m, order) => this.onPaid(m, order),
      onRefunded: (m, order, refund) => this.onRefunded(m, order, refund),
    };
    // Stored value spent on a friend's order is not new spend: it leaves the held reward's base.
    this.storedValueHooks = { onStoredValuePaid: (m, payment) => this.rewards.onStoredValuePaid(m, payment) };
  }

  /**
   * For ClientsService.addDataHooks: a deleted account leaves the blind indexes of its openid,
   * unionid and phone in referral_ineligible, inside the deletion's transaction, so that the same
   * person signing up again through a friend's code is not bound as a new client (fraud
   * prevention; only keyed hashes are kept, no readable identifier).
   */
  readonly clientDataHooks = {
    onAccountDeleted: (m: EntityManager, _clientId: number, former: FormerIdentity): Promise<void> => this.binding.markIneligible(m, former),
  };

  // ---------------------------------------------------------------- binding (login transaction)

  /** Binds a client who arrived with a referral code, inside the login's transaction (see ReferralBinding.bindAtLogin). */
  bindAtLogin(m: EntityManager, input: BindInput): Promise<BindOutcome> {
    return this.binding.bindAtLogin(m, input);
  }

  // ---------------------------------------------------------------- rewards (orders transaction, scheduler)

  /** A referred friend's order was paid: the held reward, once per order (see ReferralRewards.onPaid). */
  onPaid(m: EntityManager, order: PaidOrder): Promise<void> {
    return this.rewards.onPaid(m, order);
  }

  /** A refund of a referred friend's order: cancels, lowers or claws back its reward (see ReferralRewards.onRefunded). */
  onRefunded(m: EntityManager, order: PaidOrder, refund: OrderRefundEvent): Promise<void> {
    return this.rewards.onRefunded(m, order, refund);
  }

  /** Releases every held reward whose refund window has passed, then pushes leaderboard changes to Redis. */
  releaseDue(now: Date = this.s.now()): Promise<ReleaseReport> {
    return this.rewards.releaseDue(now);
  }

  /** Every cashback balance and released reward against the cashback ledger. */
  checkConsistency(): Promise<CashbackConsistencyReport> {
    return this.ledger.checkConsistency();
  }

  // ---------------------------------------------------------------- the client's own views

  summary(clientId: number): Promise<ReferralSummary> {
    return this.codes.summary(clientId);
  }

  qrCode(clientId: number): Promise<{ image: Buffer; contentType: string }> {
    return this.codes.qrCode(clientId);
  }

  friends(clientId: number, page: number, pageSize: number): Promise<FriendsView> {
    return this.friendsOf.friends(clientId, page, pageSize);
  }

  setStatusConsent(clientId: number, sharesStatus: boolean): Promise<StatusConsentView> {
    return this.friendsOf.setStatusConsent(clientId, sharesStatus);
  }

  cashback(clientId: number, page: number, pageSize: number): Promise<CashbackView> {
    return this.ledger.ownView(clientId, page, pageSize);
  }

  // ---------------------------------------------------------------- leaderboards and prizes

  leaderboard(clientId: number, period: ReferralPeriod): Promise<LeaderboardView> {
    return this.boards.leaderboard(clientId, period);
  }

  /** Pushes committed leaderboard changes to Redis; `waitMs`: how long to wait for the leaderboard lock. */
  syncLeaderboards(waitMs = 0): Promise<number> {
    return this.boards.sync(waitMs);
  }

  /** Drops a board from Redis (as a Redis restart would); the next read rebuilds it. For operations and tests. */
  forgetBoard(period: ReferralPeriod, periodKey: string): Promise<void> {
    return this.boards.forget(period, periodKey);
  }

  /** 冲榜 prizes of the closed month and quarter (once each, whichever scheduler runs first); see LeaderboardPrizes. */
  async awardPrizes(now: Date = this.s.now()): Promise<PrizeAward[]> {
    return this.prizes ? this.prizes.awardDue(now) : [];
  }
}
