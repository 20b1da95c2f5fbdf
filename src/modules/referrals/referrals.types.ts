import type { WalletService } from '../wallet';
import type { RewardStatus } from './referrals.entity';
import type { BindRefusal } from './referrals.errors';
import type { ReferralPeriod } from './referrals.rules';

/** The referrals module's shapes: what its use cases take and answer. */

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

/** The client's own cashback: balance, what is held, and the monthly totals (a page of them). */
export interface CashbackView {
  balanceFen: number;
  heldFen: number;
  items: CashbackMonthView[];
  page: number;
  hasMore: boolean;
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

export interface PrizeAward {
  period: ReferralPeriod;
  periodKey: string;
  /** Clients who received the prize; 0 when the period was already awarded (by this or another scheduler). */
  winners: number;
}

/** A deleted client's identifiers as the clients module hands them over (ClientDataHooks.onAccountDeleted). */
export interface FormerIdentity {
  openid: string;
  unionid: string | null;
  phoneBidx: string | null;
}
