/**
 * 投诉 / 意见反馈: what happened and what kind of problem it is; a supervisor takes it up within the
 * deadline (24 h). The request id is kept until the complaint is accepted, so a retry after a lost
 * answer files it once. Below, the client's earlier complaints and whether they are resolved.
 * Query: orderId (when opened from an order or a survey).
 */
import { COMPLAINT_CATEGORIES, fileComplaint, listComplaints, newRequestId, type Complaint, type ComplaintCategory } from '../../services/feedback';
import { date } from '../../utils/format';
import { fieldErrors } from '../../utils/errors';
import { isApiError, type ApiError } from '../../utils/request';

const PENDING_KEY = 'complaint.pendingRequestId';
const TEXT_MIN = 5;
const TEXT_MAX = 1000;

const label = (c: string | null) => COMPLAINT_CATEGORIES.find((x) => x.value === c)?.label ?? '其他';
const errorOf = (e: unknown): ApiError | undefined => (isApiError(e) ? e : undefined);

/** The kept request id of the complaint being filed (a fresh one when none is pending). */
function pendingRequestId(): string {
  let id = '';
  try {
    id = wx.getStorageSync(PENDING_KEY) as string;
  } catch {
    // a fresh id below
  }
  if (typeof id === 'string' && id) return id;
  id = newRequestId();
  try {
    wx.setStorageSync(PENDING_KEY, id);
  } catch {
    // still good for this page's retries
  }
  return id;
}

function clearPendingRequestId(): void {
  try {
    wx.removeStorageSync(PENDING_KEY);
  } catch {
    // nothing to clean
  }
}

Page({
  data: {
    loading: true,
    error: '',
    categories: COMPLAINT_CATEGORIES,
    category: '' as ComplaintCategory | '',
    text: '',
    length: 0,
    textMax: TEXT_MAX,
    orderId: '',
    errors: {} as Record<string, string>,
    busy: false,
    sent: false,
    history: [] as { id: string; category: string; when: string; resolved: boolean; statusText: string }[],
  },

  onLoad(query: Record<string, string | undefined>): Promise<void> {
    this.setData({ orderId: query.orderId ?? '' });
    return this.loadHistory();
  },

  onRetry(): Promise<void> {
    return this.loadHistory();
  },

  async loadHistory(): Promise<void> {
    try {
      const { items } = await listComplaints();
      this.setData({
        loading: false,
        error: '',
        history: items.map((c: Complaint) => ({
          id: c.id, category: label(c.category), when: date(c.createdAt), resolved: c.status === 'resolved', statusText: c.status === 'resolved' ? '已处理' : '处理中',
        })),
      });
    } catch (e) {
      // The form works without the history.
      this.setData({ loading: false, error: errorOf(e)?.friendly ?? '' });
    }
  },

  onCategory(e: WechatMiniprogram.BaseEvent): void {
    this.setData({ category: e.currentTarget.dataset.value as ComplaintCategory, 'errors.category': '' });
  },

  onText(e: WechatMiniprogram.Input): void {
    const text = String(e.detail.value ?? '');
    this.setData({ text, length: [...text].length, 'errors.text': '' });
  },

  async onSubmit(): Promise<void> {
    if (this.data.busy) return;
    const text = this.data.text.trim();
    const errors: Record<string, string> = {};
    if (!this.data.category) errors.category = '请选择问题类型';
    if ([...text].length < TEXT_MIN) errors.text = `请至少写 ${TEXT_MIN} 个字，说说发生了什么`;
    if (Object.keys(errors).length) {
      this.setData({ errors });
      return;
    }
    this.setData({ busy: true, errors: {} });
    const body = {
      category: this.data.category as ComplaintCategory,
      text,
      ...(this.data.orderId ? { orderId: this.data.orderId } : {}),
      requestId: pendingRequestId(),
    };
    try {
      await fileComplaint(body);
      clearPendingRequestId();
      this.setData({ busy: false, sent: true, text: '', length: 0, category: '' });
      wx.pageScrollTo({ scrollTop: 0, duration: 0 });
      await this.loadHistory();
    } catch (err) {
      this.setData({ busy: false });
      const e = errorOf(err);
      if (e?.code === 'IDEMPOTENCY_KEY_REUSED') {
        // An earlier try went through with the text as it was then: that one is filed.
        clearPendingRequestId();
        wx.showModal({ title: '已收到您的反馈', content: '您之前提交的反馈已经收到。如需补充，可以修改后再提交一次。', showCancel: false, confirmText: '好的' });
        await this.loadHistory();
        return;
      }
      if (e?.code === 'VALIDATION_FAILED') {
        this.setData({ errors: fieldErrors(e, { text: '内容里有无法识别的字符，请修改', category: '请选择问题类型', orderId: '订单信息有误，请返回重试' }) });
        return;
      }
      wx.showToast({ title: `${e?.friendly ?? '提交没有成功'}，内容已为您保留`, icon: 'none', duration: 2500 });
    }
  },

  onAnother(): void {
    this.setData({ sent: false });
  },
});
