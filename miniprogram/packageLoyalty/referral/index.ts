/**
 * 推荐有礼: the client's own referral code (copy, share card with the code in the path, poster),
 * this period's tier and cashback rate, cashback and held rewards, the friends who agreed to share
 * their status (the others as a count), the cashback ledger, and — for a referred client — their
 * own answer to whether the referrer may see their status.
 */
import {
  FRIEND_STATUS_LABELS, getCashback, getFriends, getReferralSummary, ratePercent, setStatusConsent, type CashbackMonth, type Friend,
  type ReferralSummary,
} from '../../services/referrals';
import { getWallet } from '../../services/wallet';
import { date, money, thousands } from '../../utils/format';
import { isApiError } from '../../utils/request';

const PAGE_SIZE = 20;
const SHARE_TITLE = '送你一份新客礼遇，一起安心变美';
// Before the summary has loaded, a share still opens the mini-program (without a code).
const FALLBACK_SHARE_PATH = '/pages/index/index';

type Tab = 'friends' | 'cashback';

interface FriendRow {
  key: string;
  name: string;
  date: string;
  status: string;
  statusLabel: string;
}

interface CashbackRow {
  key: string;
  label: string;
  /** '返现调整 -¥100' when refunds took some back that month, else ''. */
  adjusted: string;
  amount: string;
  positive: boolean;
}

function friendRow(f: Friend, i: number, page: number): FriendRow {
  return { key: `${page}-${i}`, name: f.name, date: date(f.boundAt), status: f.status, statusLabel: FRIEND_STATUS_LABELS[f.status] ?? f.status };
}

function cashbackRow(c: CashbackMonth, i: number, page: number): CashbackRow {
  const [year, month] = c.month.split('-');
  const net = c.earnedFen + c.adjustedFen;
  return {
    key: `${page}-${i}`,
    label: `${year}年${Number(month)}月推荐返现`,
    adjusted: c.adjustedFen ? `返现调整 ${money(c.adjustedFen)}` : '',
    amount: `${net > 0 ? '+' : ''}${money(net)}`,
    positive: net > 0,
  };
}

interface SummaryView {
  code: string;
  periodLabel: string;
  converted: number;
  rate: string;
  nextText: string;
  friends: number;
  balance: string;
  held: string;
  heldFen: number;
  heldPoints: string;
  heldPointsCount: number;
}

/** `storedValueFen`: released cashback lives on as the stored-value balance 储值 (spent or turned into vouchers). */
function summaryView(s: ReferralSummary, storedValueFen: number): SummaryView {
  const periodLabel = s.tier.period === 'quarter' ? '本季度' : '本月';
  const next = s.tier.next;
  const nextText = next
    ? `再成功推荐 ${Math.max(next.converted - s.tier.converted, 1)} 位，返现比例升至 ${ratePercent(next.rateBp)}`
    : '您已达到最高返现比例，感谢您的信任';
  return {
    code: s.code,
    periodLabel,
    converted: s.tier.converted,
    rate: ratePercent(s.tier.rateBp),
    nextText,
    friends: s.friends,
    balance: money(storedValueFen),
    held: money(s.cashback.heldFen),
    heldFen: s.cashback.heldFen,
    heldPoints: thousands(s.heldPoints),
    heldPointsCount: s.heldPoints,
  };
}

Page({
  data: {
    loading: true,
    error: '',
    summary: null as SummaryView | null,
    tab: 'friends' as Tab,
    friends: [] as FriendRow[],
    friendsPage: 0,
    friendsMore: false,
    cashback: [] as CashbackRow[],
    cashbackPage: 0,
    cashbackMore: false,
    listError: '',
    /** Friends who did not share their status: shown as a count only. */
    otherFriends: 0,
    /** For a referred client: null when not referred, else whether the referrer sees their status. */
    sharesStatus: null as boolean | null,
    savingConsent: false,
  },

  sharePath: '',

  onShow() {
    return this.refresh();
  },

  async onPullDownRefresh() {
    await this.refresh();
    wx.stopPullDownRefresh();
  },

  onReachBottom() {
    return this.loadMore();
  },

  async refresh() {
    this.setData({ error: '', listError: '' });
    try {
      const [summary, friends, cashback, wallet] = await Promise.all([getReferralSummary(), getFriends(1, PAGE_SIZE), getCashback(1, PAGE_SIZE), getWallet(1, 1)]);
      this.sharePath = summary.sharePath;
      this.setData({
        summary: summaryView(summary, wallet.balanceFen),
        friends: friends.items.map((f, i) => friendRow(f, i, 1)),
        friendsPage: 1,
        friendsMore: friends.hasMore,
        otherFriends: friends.others,
        sharesStatus: summary.referredBy ? summary.referredBy.sharesStatus : null,
        cashback: cashback.items.map((c, i) => cashbackRow(c, i, 1)),
        cashbackPage: 1,
        cashbackMore: cashback.hasMore,
      });
    } catch (e) {
      this.setData({ error: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
    } finally {
      this.setData({ loading: false });
    }
  },

  goWallet() {
    wx.navigateTo({ url: '/packageLoyalty/wallet/index' });
  },

  async loadMore() {
    const tab = this.data.tab;
    try {
      if (tab === 'friends' && this.data.friendsMore) {
        const next = this.data.friendsPage + 1;
        const res = await getFriends(next, PAGE_SIZE);
        this.setData({ friends: this.data.friends.concat(res.items.map((f, i) => friendRow(f, i, next))), friendsPage: next, friendsMore: res.hasMore });
      } else if (tab === 'cashback' && this.data.cashbackMore) {
        const next = this.data.cashbackPage + 1;
        const res = await getCashback(next, PAGE_SIZE);
        this.setData({ cashback: this.data.cashback.concat(res.items.map((c, i) => cashbackRow(c, i, next))), cashbackPage: next, cashbackMore: res.hasMore });
      }
    } catch (e) {
      this.setData({ listError: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
    }
  },

  /** A referred client changes their answer: the referrer sees their status, or only a count. */
  async onToggleShareStatus() {
    if (this.data.sharesStatus === null || this.data.savingConsent) return;
    const next = !this.data.sharesStatus;
    this.setData({ savingConsent: true });
    try {
      const saved = await setStatusConsent(next);
      this.setData({ sharesStatus: saved.sharesStatus });
    } catch (e) {
      wx.showToast({ title: isApiError(e) ? e.friendly : '保存失败，请稍后再试', icon: 'none' });
    } finally {
      this.setData({ savingConsent: false });
    }
  },

  onTab(e: WechatMiniprogram.BaseEvent) {
    this.setData({ tab: e.currentTarget.dataset.tab as Tab, listError: '' });
  },

  copyCode() {
    const s = this.data.summary;
    if (!s) return;
    wx.setClipboardData({ data: s.code });
  },

  goPoster() {
    wx.navigateTo({ url: '/packageLoyalty/poster/index' });
  },

  goLeaderboard() {
    wx.navigateTo({ url: '/packageLoyalty/leaderboard/index' });
  },

  /** The share card: opens the share page with the client's code as `ref`, so the friend is bound at their first login. */
  onShareAppMessage() {
    return { title: SHARE_TITLE, path: this.sharePath || FALLBACK_SHARE_PATH };
  },
});
