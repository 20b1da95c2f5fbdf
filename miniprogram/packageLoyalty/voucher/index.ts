/**
 * One voucher: its one-time code as a QR code (and in readable groups) for the front desk to scan
 * and 核销, what it is and until when; an unused voucher can be cancelled (the points come back).
 */
import { cancelVoucher, getVoucher, groupCode, kindLabel, voucherState, VOUCHER_STATE_LABELS, type Voucher, type VoucherState } from '../../services/rewards';
import { date, dateTime, thousands } from '../../utils/format';
import { isApiError } from '../../utils/request';

interface VoucherView {
  id: string;
  title: string;
  kindLabel: string;
  points: string;
  code: string;
  codeGroups: string;
  state: VoucherState;
  stateLabel: string;
  note: string;
}

function view(v: Voucher): VoucherView {
  const state = voucherState(v);
  const note = state === 'usable' ? `有效期至${date(v.expiresAt)}`
    : state === 'used' ? `已于${dateTime(v.usedAt)}使用`
      : state === 'cancelled' ? `已于${dateTime(v.cancelledAt)}取消，${thousands(v.points)}积分已退回`
        : `已于${date(v.expiresAt)}过期`;
  return {
    id: v.id,
    title: v.item.title,
    kindLabel: kindLabel(v.item.kind),
    points: thousands(v.points),
    code: v.code,
    codeGroups: groupCode(v.code),
    state,
    stateLabel: VOUCHER_STATE_LABELS[state],
    note,
  };
}

Page({
  data: {
    loading: true,
    error: '',
    notFound: false,
    fresh: false,
    voucher: null as VoucherView | null,
    cancelling: false,
  },

  id: '',

  onLoad(query: Record<string, string | undefined>) {
    this.id = query.id ?? '';
    this.setData({ fresh: query.fresh === '1' });
  },

  onShow() {
    // Back from the front desk: the voucher may have been used meanwhile.
    return this.load();
  },

  async onPullDownRefresh() {
    await this.load();
    wx.stopPullDownRefresh();
  },

  async load() {
    if (!this.id) {
      this.setData({ loading: false, notFound: true });
      return;
    }
    this.setData({ error: '' });
    try {
      const v = await getVoucher(this.id);
      this.setData({ voucher: view(v), notFound: false });
    } catch (e) {
      if (isApiError(e) && e.code === 'NOT_FOUND') this.setData({ notFound: true });
      else this.setData({ error: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
    } finally {
      this.setData({ loading: false });
    }
  },

  copyCode() {
    const v = this.data.voucher;
    if (v) wx.setClipboardData({ data: v.code });
  },

  async onCancel() {
    const v = this.data.voucher;
    if (!v || v.state !== 'usable' || this.data.cancelling) return;
    const { confirm } = await wx.showModal({
      title: '取消兑换',
      content: `取消后这张券将失效，${v.points} 积分会退回到您的账户。确定取消吗？`,
      confirmText: '确定取消',
      cancelText: '保留',
    });
    if (!confirm) return;
    this.setData({ cancelling: true });
    try {
      const updated = await cancelVoucher(v.id);
      this.setData({ voucher: view(updated) });
      wx.showToast({ title: `已取消，${v.points}积分已退回`, icon: 'none' });
    } catch (e) {
      wx.showToast({ title: isApiError(e) ? e.friendly : '取消没有成功，请稍后再试', icon: 'none' });
      await this.load();
    } finally {
      this.setData({ cancelling: false });
    }
  },

  goVouchers() {
    wx.redirectTo({ url: '/packageLoyalty/vouchers/index' });
  },
});
