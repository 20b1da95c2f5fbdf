/** 隐私与授权: each consent, when it was given, and withdrawing it (kept as evidence). */
import { listConsents, withdrawConsent, type Consent, type ConsentPurpose } from '../../services/me';
import { date } from '../../utils/format';
import { isApiError } from '../../utils/request';

const PURPOSES: { purpose: ConsentPurpose; title: string; text: string }[] = [
  { purpose: 'privacy', title: '隐私政策', text: '使用本小程序服务所需的个人信息处理' },
  { purpose: 'health', title: '健康信息授权', text: '医生评估和诊疗所需的健康信息处理' },
  { purpose: 'guardian', title: '监护人同意', text: '未满14周岁时由监护人作出的同意' },
];

const WITHDRAW_WARNINGS: Record<ConsentPurpose, string> = {
  privacy: '撤回后我们将停止处理您的个人信息，部分服务（预约、回访、积分）将无法使用。您可以随时重新授权。',
  health: '撤回后我们将删除您已填写的健康信息，之后填写问卷前需要重新授权。',
  guardian: '撤回监护人同意后，未满14周岁的健康信息将无法继续填写。',
};

interface Row {
  purpose: ConsentPurpose;
  title: string;
  text: string;
  active: boolean;
  statusText: string;
  detail: string;
}

function rowsOf(consents: Consent[]): { rows: Row[]; history: { key: string; text: string }[] } {
  // The guardian's consent only concerns clients under 14: shown when there is one (or was).
  const shown = PURPOSES.filter((p) => p.purpose !== 'guardian' || consents.some((c) => c.purpose === 'guardian'));
  const rows = shown.map(({ purpose, title, text }) => {
    const active = consents.find((c) => c.purpose === purpose && !c.withdrawnAt);
    const guardian = active?.guardianName ? ` · ${active.guardianRelation ?? ''}${active.guardianName}` : '';
    return {
      purpose,
      title,
      text,
      active: Boolean(active),
      statusText: active ? (active.current ? '已授权' : '需更新') : '未授权',
      detail: active ? `${date(active.grantedAt)} 同意 · 版本 ${active.policyVersion}${guardian}` : text,
    };
  });
  const history = consents
    .filter((c) => c.withdrawnAt)
    .map((c) => ({ key: c.id, text: `${PURPOSES.find((p) => p.purpose === c.purpose)?.title ?? c.purpose}：${date(c.grantedAt)} 同意，${date(c.withdrawnAt)} 撤回` }));
  return { rows, history };
}

Page({
  data: {
    loading: true,
    error: '',
    rows: [] as Row[],
    history: [] as { key: string; text: string }[],
    busy: '',
  },

  onShow() {
    return this.load();
  },

  async load() {
    this.setData({ error: '' });
    try {
      const { rows, history } = rowsOf(await listConsents());
      this.setData({ loading: false, rows, history });
    } catch (e) {
      this.setData({ loading: false, error: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
    }
  },

  async onWithdraw(e: WechatMiniprogram.BaseEvent) {
    const purpose = e.currentTarget.dataset.purpose as ConsentPurpose;
    const title = PURPOSES.find((p) => p.purpose === purpose)?.title ?? '';
    const answer = await wx.showModal({ title: `撤回${title}`, content: WITHDRAW_WARNINGS[purpose], confirmText: '确认撤回', confirmColor: '#d0524c', cancelText: '保留' });
    if (!answer.confirm) return;
    this.setData({ busy: purpose });
    try {
      await withdrawConsent(purpose);
      wx.showToast({ title: '已撤回', icon: 'none' });
      await this.load();
    } catch (err) {
      wx.showToast({ title: isApiError(err) ? err.friendly : '撤回没有成功，请稍后再试', icon: 'none' });
    } finally {
      this.setData({ busy: '' });
    }
  },

  onGrant(e: WechatMiniprogram.BaseEvent) {
    const purpose = e.currentTarget.dataset.purpose as ConsentPurpose;
    wx.navigateTo({ url: purpose === 'guardian' ? '/packageMe/guardian/index' : '/packageMe/privacy/index' });
  },
});
