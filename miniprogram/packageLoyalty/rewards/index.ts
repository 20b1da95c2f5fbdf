/**
 * 积分商城: what the client can redeem now, with their balance. Redeeming asks for confirmation,
 * sends a client-generated requestId (kept until the API answers, so a lost answer is retried
 * without spending twice) and opens the new voucher; refusals are explained in plain words.
 */
import { getPointsSummary } from '../../services/points';
import { getCatalog, kindLabel, pendingRedeemId, redeem, redeemRefusal, type RewardItem, type RewardKind } from '../../services/rewards';
import { date, thousands } from '../../utils/format';
import { isApiError } from '../../utils/request';

type Filter = 'all' | RewardKind;

interface ItemRow {
  id: string;
  title: string;
  description: string;
  kind: RewardKind;
  kindLabel: string;
  price: string;
  stockText: string;
  validTo: string;
  /** 'ok' | 'short' (not enough points) | 'soldout' | 'limit' (per-client limit reached) */
  state: 'ok' | 'short' | 'soldout' | 'limit';
  buttonText: string;
  /** An earlier redemption of this item got no answer: the next tap continues it. */
  pending: boolean;
}

const FILTERS: { key: Filter; label: string }[] = [
  { key: 'all', label: '全部' },
  { key: 'project_voucher', label: '项目抵扣' },
  { key: 'care_product', label: '术后护理' },
  { key: 'salon_seat', label: '沙龙名额' },
];

function row(item: RewardItem, balance: number | null): ItemRow {
  const limitReached = item.perClientLimit !== null && item.redeemedByMe >= item.perClientLimit;
  const short = balance !== null ? item.pointsPrice - balance : 0;
  const state: ItemRow['state'] = item.stock <= 0 ? 'soldout' : limitReached ? 'limit' : short > 0 ? 'short' : 'ok';
  const pending = state !== 'soldout' && state !== 'limit' && pendingRedeemId(item.id) !== undefined;
  const buttonText = pending ? '继续兑换' : { ok: '兑换', short: `还差${thousands(short)}积分`, soldout: '已兑完', limit: '已兑满' }[state];
  return {
    id: item.id,
    title: item.title,
    description: item.description,
    kind: item.kind,
    kindLabel: kindLabel(item.kind),
    price: thousands(item.pointsPrice),
    stockText: item.stock <= 0 ? '已兑完' : item.stock <= 10 ? `仅剩${item.stock}份` : '',
    validTo: item.validTo ? `${date(item.validTo)}前可兑` : '',
    state,
    buttonText,
    pending,
  };
}

Page({
  data: {
    loading: true,
    error: '',
    balance: null as number | null,
    balanceText: '—',
    filters: FILTERS,
    filter: 'all' as Filter,
    rows: [] as ItemRow[],
    shown: [] as ItemRow[],
    redeemingId: '',
  },

  items: [] as RewardItem[],
  // Set from the first tap until the redemption is settled: a double tap never opens two.
  busy: false,

  onShow() {
    return this.refresh();
  },

  async onPullDownRefresh() {
    await this.refresh();
    wx.stopPullDownRefresh();
  },

  async refresh() {
    this.setData({ error: '' });
    try {
      const [catalog, summary] = await Promise.all([getCatalog(), getPointsSummary()]);
      this.items = catalog.items;
      this.setData({ balance: summary.balance, balanceText: thousands(summary.balance) });
      this.render();
    } catch (e) {
      this.setData({ error: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
    } finally {
      this.setData({ loading: false });
    }
  },

  render() {
    const rows: ItemRow[] = this.items.map((i: RewardItem) => row(i, this.data.balance));
    const filter = this.data.filter;
    this.setData({ rows, shown: filter === 'all' ? rows : rows.filter((r) => r.kind === filter) });
  },

  onFilter(e: WechatMiniprogram.BaseEvent) {
    this.setData({ filter: e.currentTarget.dataset.key as Filter });
    this.render();
  },

  async onRedeem(e: WechatMiniprogram.BaseEvent) {
    const id = e.currentTarget.dataset.id as string;
    const item: RewardItem | undefined = this.items.find((i: RewardItem) => i.id === id);
    const view = this.data.rows.find((r) => r.id === id);
    if (!item || !view || this.busy) return;
    if (view.state === 'soldout' || view.state === 'limit') return;
    this.busy = true;
    try {
      await this.confirmAndRedeem(item, view);
    } finally {
      this.busy = false;
    }
  },

  async confirmAndRedeem(item: RewardItem, view: ItemRow) {
    const id = item.id;
    const balance = this.data.balance;
    if (view.state === 'short' && balance !== null && !view.pending) {
      const short = item.pointsPrice - balance;
      await wx.showModal({
        title: `积分不足，还差 ${thousands(short)} 积分`,
        content: `兑换需要 ${thousands(item.pointsPrice)} 积分，您现有 ${thousands(balance)} 积分。完成问卷、消费或推荐好友都能获得积分。`,
        showCancel: false,
        confirmText: '知道了',
      });
      return;
    }
    const { confirm } = await wx.showModal({
      title: view.pending ? '继续上次的兑换' : '确认兑换',
      content: view.pending
        ? `上次兑换「${item.title}」时网络中断，结果未确认。继续将完成那一次兑换，不会重复扣积分。`
        : `使用 ${thousands(item.pointsPrice)} 积分兑换「${item.title}」？兑换后可在「我的券」中查看券码。`,
      confirmText: view.pending ? '继续兑换' : '确认兑换',
      cancelText: '再想想',
    });
    if (!confirm) return;
    this.setData({ redeemingId: id });
    wx.showLoading({ title: '兑换中', mask: true });
    try {
      const voucher = await redeem(id);
      wx.hideLoading();
      wx.showToast({ title: '兑换成功', icon: 'success' });
      this.setData({ redeemingId: '' });
      wx.navigateTo({ url: `/packageLoyalty/voucher/index?id=${voucher.id}&fresh=1` });
      void this.refresh();
    } catch (err) {
      wx.hideLoading();
      this.setData({ redeemingId: '' });
      if (!isApiError(err)) throw err;
      const refusal = redeemRefusal(err, item);
      if (err.code === 'POINTS_INSUFFICIENT') {
        const known = (err.details as { balance?: number } | undefined)?.balance;
        if (typeof known === 'number') this.setData({ balance: known, balanceText: thousands(known) });
      }
      if (err.code === 'REWARD_OUT_OF_STOCK') item.stock = 0;
      this.render();
      await wx.showModal({ title: refusal.title, content: refusal.content, showCancel: false, confirmText: '知道了' });
      // A settled refusal may mean the catalog moved on (stock, validity): show the current one.
      if (!refusal.lost) void this.refresh();
    }
  },

  goVouchers() {
    wx.navigateTo({ url: '/packageLoyalty/vouchers/index' });
  },
});
