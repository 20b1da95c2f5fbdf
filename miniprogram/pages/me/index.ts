/** 我的: profile, phone binding, consents, export, WeCom binding code, account deletion. */
import { getProfile, bindPhone, getBindingCode, deleteAccount, consentState, type BindingCode } from '../../services/me';
import { STAGE_LABELS } from '../../services/home';
import { dateTime } from '../../utils/format';
import { isApiError } from '../../utils/request';

function friendly(e: unknown): string {
  return isApiError(e) ? e.friendly : '操作没有成功，请稍后再试';
}

Page({
  data: {
    loading: true,
    error: '',
    name: '',
    initial: '美',
    phone: '',
    stageLabel: '',
    consentText: '',
    binding: null as (BindingCode & { expiresText: string }) | null,
    bindingError: '',
    phoneBusy: false,
    deleted: false,
  },

  onShow() {
    if (this.data.deleted) return undefined;
    return this.load();
  },

  async onPullDownRefresh() {
    await this.load();
    wx.stopPullDownRefresh();
  },

  async load() {
    this.setData({ error: '' });
    const [profile, binding] = await Promise.allSettled([getProfile(), getBindingCode()]);
    if (profile.status === 'fulfilled') {
      const p = profile.value;
      const c = consentState(p);
      this.setData({
        name: p.name || '微信用户',
        initial: (p.name || '美').slice(0, 1),
        phone: p.phone ?? '',
        stageLabel: STAGE_LABELS[p.stage] ?? '',
        consentText: c.privacy && c.health ? '已授权' : c.privacy ? '健康信息未授权' : '未授权',
      });
    } else {
      this.setData({ error: friendly(profile.reason) });
    }
    if (binding.status === 'fulfilled') {
      this.setData({ binding: { ...binding.value, expiresText: dateTime(binding.value.expiresAt) }, bindingError: '' });
    } else {
      this.setData({ bindingError: friendly(binding.reason) });
    }
    this.setData({ loading: false });
  },

  onRetry() {
    return this.load();
  },

  /** The getPhoneNumber button's answer: a code to exchange on the API, or a refusal. */
  async onGetPhoneNumber(e: WechatMiniprogram.CustomEvent<{ code?: string; errMsg?: string }>) {
    const code = e.detail.code;
    if (!code) {
      wx.showToast({ title: '已取消，您可以随时再绑定', icon: 'none' });
      return;
    }
    if (this.data.phoneBusy) return;
    this.setData({ phoneBusy: true });
    try {
      const res = await bindPhone(code);
      this.setData({ phone: res.phone });
      wx.showToast({ title: '绑定成功', icon: 'success' });
    } catch (err) {
      wx.showToast({ title: friendly(err), icon: 'none' });
    } finally {
      this.setData({ phoneBusy: false });
    }
  },

  onNavigate(e: WechatMiniprogram.BaseEvent) {
    wx.navigateTo({ url: e.currentTarget.dataset.url as string });
  },

  onCopyBinding() {
    const b = this.data.binding;
    if (!b) return;
    wx.setClipboardData({ data: `绑定 ${b.code}` });
  },

  async onDelete() {
    const first = await wx.showModal({
      title: '注销账号',
      content: '注销后，您的个人资料、健康信息、积分和卡券将被清除且无法恢复。法律要求保留的记录会按规定封存。',
      confirmText: '继续注销',
      confirmColor: '#d0524c',
      cancelText: '再想想',
    });
    if (!first.confirm) return;
    const second = await wx.showModal({
      title: '最后确认',
      content: '确定要注销账号吗？此操作不可撤销。',
      confirmText: '确认注销',
      confirmColor: '#d0524c',
      cancelText: '取消',
    });
    if (!second.confirm) return;
    try {
      await deleteAccount();
      this.setData({ deleted: true });
      wx.showToast({ title: '账号已注销', icon: 'none' });
    } catch (err) {
      wx.showToast({ title: friendly(err), icon: 'none' });
    }
  },
});
