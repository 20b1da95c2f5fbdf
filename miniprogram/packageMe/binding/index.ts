/** 绑定企业微信: the code to send in the WeCom chat, how to do it, and whether it is done. */
import { getBindingCode, type BindingCode } from '../../services/me';
import { dateTime } from '../../utils/format';
import { isApiError } from '../../utils/request';

Page({
  data: {
    loading: true,
    error: '',
    binding: null as (BindingCode & { expiresText: string }) | null,
  },

  onShow() {
    return this.load();
  },

  async load() {
    this.setData({ error: '' });
    try {
      const b = await getBindingCode();
      this.setData({ loading: false, binding: { ...b, expiresText: dateTime(b.expiresAt) } });
    } catch (e) {
      this.setData({ loading: false, error: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
    }
  },

  onCopy() {
    const b = this.data.binding;
    if (b) wx.setClipboardData({ data: `绑定 ${b.code}` });
  },
});
