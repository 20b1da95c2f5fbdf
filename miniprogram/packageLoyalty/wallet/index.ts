/**
 * 储值余额: released referral cashback as a balance usable on later orders (at the front desk) or
 * turned into a voucher of equal value here; the ledger shows cashback as monthly totals.
 */
import { WALLET_LINE_LABELS, convertToVoucher, getWallet, type WalletLine } from '../../services/wallet';
import { uuid4 } from '../../services/rewards';
import { date, money } from '../../utils/format';
import { isApiError } from '../../utils/request';

interface LineRow {
  key: string;
  label: string;
  when: string;
  amount: string;
  positive: boolean;
}

function lineRow(l: WalletLine, i: number, page: number): LineRow {
  const [year, month] = (l.month ?? '').split('-');
  return {
    key: `${page}-${i}`,
    label: WALLET_LINE_LABELS[l.kind] ?? l.kind,
    when: l.month ? `${year}年${Number(month)}月` : date(l.createdAt),
    amount: `${l.deltaFen > 0 ? '+' : ''}${money(l.deltaFen)}`,
    positive: l.deltaFen > 0,
  };
}

Page({
  data: {
    loading: true,
    error: '',
    balanceFen: 0,
    balance: '',
    lines: [] as LineRow[],
    page: 0,
    more: false,
    amount: '',
    amountError: '',
    converting: false,
    converted: '',
  },

  /** One id per conversion the client confirms, kept across retries of that conversion. */
  pendingId: '',

  onShow() {
    return this.refresh();
  },

  async refresh() {
    this.setData({ loading: true, error: '' });
    try {
      const w = await getWallet(1);
      this.setData({ balanceFen: w.balanceFen, balance: money(w.balanceFen), lines: w.items.map((l, i) => lineRow(l, i, 1)), page: 1, more: w.hasMore });
    } catch (e) {
      this.setData({ error: isApiError(e) ? e.friendly : '加载失败，请稍后重试' });
    } finally {
      this.setData({ loading: false });
    }
  },

  async onReachBottom() {
    if (!this.data.more) return;
    const next = this.data.page + 1;
    const w = await getWallet(next);
    this.setData({ lines: [...this.data.lines, ...w.items.map((l, i) => lineRow(l, i, next))], page: next, more: w.hasMore });
  },

  onAmount(e: WechatMiniprogram.Input) {
    this.pendingId = '';
    this.setData({ amount: e.detail.value, amountError: '', converted: '' });
  },

  /** Yuan with up to two decimals → fen; checked here before sending, the API checks again. */
  amountFen(): number | null {
    const text = this.data.amount.trim();
    if (!/^\d+(\.\d{1,2})?$/.test(text)) return null;
    const [yuan, cents = ''] = text.split('.');
    return Number(yuan) * 100 + Number(cents.padEnd(2, '0'));
  },

  async convert() {
    if (this.data.converting) return; // a second tap while the first is on its way
    const fen = this.amountFen();
    if (!fen || fen <= 0) return this.setData({ amountError: '请输入金额，最多两位小数' });
    if (fen > this.data.balanceFen) return this.setData({ amountError: `储值余额不足，最多可兑换 ${this.data.balance}` });
    this.pendingId ||= uuid4();
    this.setData({ converting: true, amountError: '' });
    try {
      const res = await convertToVoucher(fen, this.pendingId);
      this.pendingId = '';
      this.setData({ amount: '', converted: `已兑换 ${money(res.voucher.valueFen)} 代金券，可在「我的券」查看` });
      await this.refresh();
    } catch (e) {
      const insufficient = isApiError(e) && e.code === 'WALLET_INSUFFICIENT';
      this.setData({ amountError: insufficient ? '储值余额不足' : isApiError(e) ? e.friendly : '兑换失败，请稍后重试' });
    } finally {
      this.setData({ converting: false });
    }
  },

  goVouchers() {
    wx.navigateTo({ url: '/packageLoyalty/vouchers/index' });
  },
});
