/** 我的券: the client's vouchers, usable ones first in their own tab; a tap opens the voucher with its QR code. */
import { kindLabel, listVouchers, voucherState, VOUCHER_STATE_LABELS, type Voucher, type VoucherState } from '../../services/rewards';
import { date } from '../../utils/format';
import { isApiError } from '../../utils/request';

const PAGE_SIZE = 20;

type Tab = 'usable' | 'other';

interface VoucherRow {
  id: string;
  title: string;
  kindLabel: string;
  state: VoucherState;
  stateLabel: string;
  note: string;
  points: number;
}

function voucherRow(v: Voucher): VoucherRow {
  const state = voucherState(v);
  const note = state === 'usable' ? `${date(v.expiresAt)}前有效`
    : state === 'used' ? `${date(v.usedAt)}已使用`
      : state === 'cancelled' ? `${date(v.cancelledAt)}已取消，积分已退回`
        : `${date(v.expiresAt)}已过期`;
  return { id: v.id, title: v.item.title, kindLabel: kindLabel(v.item.kind), state, stateLabel: VOUCHER_STATE_LABELS[state], note, points: v.points };
}

Page({
  data: {
    loading: true,
    error: '',
    tab: 'usable' as Tab,
    rows: [] as VoucherRow[],
    shown: [] as VoucherRow[],
    usableCount: 0,
    page: 0,
    hasMore: false,
    loadingMore: false,
  },

  onShow() {
    // A voucher may have been used at the front desk or cancelled meanwhile.
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
    this.setData({ error: '' });
    try {
      const res = await listVouchers(1, PAGE_SIZE);
      this.present(res.items.map(voucherRow), 1, res.hasMore);
    } catch (e) {
      this.setData({ error: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
    } finally {
      this.setData({ loading: false });
    }
  },

  async loadMore() {
    if (!this.data.hasMore || this.data.loadingMore) return;
    this.setData({ loadingMore: true });
    try {
      const next = this.data.page + 1;
      const res = await listVouchers(next, PAGE_SIZE);
      this.present(this.data.rows.concat(res.items.map(voucherRow)), next, res.hasMore);
    } catch (e) {
      wx.showToast({ title: isApiError(e) ? e.friendly : '加载失败，请稍后再试', icon: 'none' });
    } finally {
      this.setData({ loadingMore: false });
    }
  },

  present(rows: VoucherRow[], page: number, hasMore: boolean) {
    const tab = this.data.tab;
    this.setData({
      rows,
      page,
      hasMore,
      usableCount: rows.filter((r) => r.state === 'usable').length,
      shown: rows.filter((r) => (tab === 'usable' ? r.state === 'usable' : r.state !== 'usable')),
    });
  },

  onTab(e: WechatMiniprogram.BaseEvent) {
    this.setData({ tab: e.currentTarget.dataset.tab as Tab });
    this.present(this.data.rows, this.data.page, this.data.hasMore);
  },

  onOpen(e: WechatMiniprogram.BaseEvent) {
    wx.navigateTo({ url: `/packageLoyalty/voucher/index?id=${e.currentTarget.dataset.id as string}` });
  },

  goRewards() {
    wx.navigateTo({ url: '/packageLoyalty/rewards/index' });
  },
});
