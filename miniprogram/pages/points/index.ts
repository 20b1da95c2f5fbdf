/**
 * 积分 tab: the balance, what expires soon (and when), and the ledger, newest first; shortcuts to
 * the rewards shop, the client's vouchers and the referral page.
 */
import { getPointsEntries, getPointsSummary, reasonLabel, type PointsEntry } from '../../services/points';
import { date, thousands } from '../../utils/format';
import { isApiError } from '../../utils/request';

const PAGE_SIZE = 20;

interface EntryRow {
  key: string;
  label: string;
  delta: string;
  positive: boolean;
  date: string;
  note: string;
}

function entryRow(e: PointsEntry, i: number, page: number): EntryRow {
  const stillOpen = e.delta > 0 && e.expiresAt && (e.remaining ?? 0) > 0;
  return {
    key: `${page}-${i}-${e.createdAt}`,
    label: reasonLabel(e.reason),
    delta: e.delta > 0 ? `+${thousands(e.delta)}` : `-${thousands(-e.delta)}`,
    positive: e.delta > 0,
    date: date(e.createdAt),
    note: stillOpen ? `有效期至${date(e.expiresAt)}` : '',
  };
}

function friendly(e: unknown): string {
  return isApiError(e) ? e.friendly : '加载失败，请稍后再试';
}

Page({
  data: {
    loading: true,
    error: '',
    balance: '0',
    expiring: { points: 0, pointsText: '0', withinDays: 30, lots: [] as { key: string; points: string; date: string }[] },
    entries: [] as EntryRow[],
    page: 0,
    hasMore: false,
    loadingMore: false,
    moreError: '',
  },

  // Set on every refresh: a slower, older answer never overwrites a newer one.
  generation: 0,

  onShow() {
    // Points change elsewhere (a redemption, a visit): always show the current balance.
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
    const gen = ++this.generation;
    this.setData({ error: '' });
    try {
      const [summary, first] = await Promise.all([getPointsSummary(), getPointsEntries(1, PAGE_SIZE)]);
      if (gen !== this.generation) return;
      this.setData({
        loading: false,
        balance: thousands(summary.balance),
        expiring: {
          points: summary.expiringSoon.points,
          pointsText: thousands(summary.expiringSoon.points),
          withinDays: summary.expiringSoon.withinDays,
          lots: summary.expiringSoon.lots.map((l, i) => ({ key: `${i}-${l.expiresAt}`, points: thousands(l.points), date: date(l.expiresAt) })),
        },
        entries: first.items.map((e, i) => entryRow(e, i, 1)),
        page: 1,
        hasMore: first.hasMore,
        moreError: '',
      });
    } catch (e) {
      if (gen !== this.generation) return;
      this.setData({ loading: false, error: friendly(e) });
    }
  },

  async loadMore() {
    if (!this.data.hasMore || this.data.loadingMore) return;
    const gen = this.generation;
    const next = this.data.page + 1;
    this.setData({ loadingMore: true, moreError: '' });
    try {
      const res = await getPointsEntries(next, PAGE_SIZE);
      if (gen !== this.generation) return;
      this.setData({
        entries: this.data.entries.concat(res.items.map((e, i) => entryRow(e, i, next))),
        page: next,
        hasMore: res.hasMore,
        loadingMore: false,
      });
    } catch (e) {
      if (gen !== this.generation) return;
      this.setData({ loadingMore: false, moreError: friendly(e) });
    }
  },

  goRewards() {
    wx.navigateTo({ url: '/packageLoyalty/rewards/index' });
  },
  goVouchers() {
    wx.navigateTo({ url: '/packageLoyalty/vouchers/index' });
  },
  goReferral() {
    wx.navigateTo({ url: '/packageLoyalty/referral/index' });
  },
  goQuestionnaire() {
    wx.navigateTo({ url: '/packageSurvey/questionnaire/index' });
  },
});
