/** 首页: where the client stands (stage) and the one thing to do next, plus quick entries. */
import { loadHome, STEP_LABELS, type NextStep } from '../../services/home';
import { answerReferralConsent, referralConsentPending, takeReferralNotice } from '../../services/auth';
import { isApiError } from '../../utils/request';

interface Entry {
  key: string;
  label: string;
  icon: string;
  url: string;
  tab?: boolean;
}

const ENTRIES: Entry[] = [
  { key: 'questionnaire', label: '意向问卷', icon: '问', url: '/packageSurvey/questionnaire/index' },
  { key: 'plan', label: '我的方案', icon: '案', url: '/packageSurvey/plan/index' },
  { key: 'appointments', label: '我的预约', icon: '约', url: '/packageSurvey/appointments/index' },
  { key: 'rewards', label: '积分商城', icon: '礼', url: '/packageLoyalty/rewards/index' },
  { key: 'referral', label: '推荐有礼', icon: '荐', url: '/packageLoyalty/referral/index' },
  { key: 'complaint', label: '意见反馈', icon: '言', url: '/packageSurvey/complaint/index' },
];

function greeting(now = new Date()): string {
  // Business calendar is Asia/Shanghai whatever the phone's zone.
  const h = (now.getUTCHours() + 8) % 24;
  if (h < 6) return '夜深了';
  if (h < 11) return '早上好';
  if (h < 14) return '中午好';
  if (h < 18) return '下午好';
  return '晚上好';
}

Page({
  data: {
    loading: true,
    error: '',
    greeting: '您好',
    name: '',
    stageLabel: '',
    progress: 0,
    steps: STEP_LABELS,
    next: null as NextStep | null,
    others: [] as NextStep[],
    entries: ENTRIES,
    referralNotice: '',
    referralCode: '',
    // Asked once after a referral bound the client; unticked: nothing is shared without a yes.
    askReferralConsent: false,
    referralShare: false,
    savingReferralConsent: false,
  },

  onLoad() {
    wx.showShareMenu({ menus: ['shareAppMessage', 'shareTimeline'] });
  },

  onShow() {
    const notice = takeReferralNotice();
    if (notice) {
      this.setData({ referralNotice: notice });
      wx.showToast({ title: notice, icon: 'none', duration: 3000 });
    }
    if (referralConsentPending() && !this.data.askReferralConsent) this.setData({ askReferralConsent: true, referralShare: false });
    return this.load();
  },

  async onPullDownRefresh() {
    await this.load();
    wx.stopPullDownRefresh();
  },

  async load() {
    this.setData({ error: '' });
    try {
      const home = await loadHome();
      this.setData({
        loading: false,
        error: home.error,
        greeting: greeting(),
        name: home.profile?.name ?? '',
        stageLabel: home.stageLabel,
        progress: home.progress,
        next: home.next,
        others: home.others,
        referralCode: home.profile?.referralCode ?? '',
      });
    } catch (e) {
      this.setData({ loading: false, error: (e as { friendly?: string }).friendly ?? '加载失败，请稍后再试' });
    }
  },

  onRetry() {
    this.setData({ loading: !this.data.next });
    return this.load();
  },

  onStep(e: WechatMiniprogram.BaseEvent) {
    const url = e.currentTarget.dataset.url as string;
    if (url) wx.navigateTo({ url });
  },

  onEntry(e: WechatMiniprogram.BaseEvent) {
    const url = e.currentTarget.dataset.url as string;
    wx.navigateTo({ url });
  },

  onCloseNotice() {
    this.setData({ referralNotice: '' });
  },

  onToggleReferralShare() {
    this.setData({ referralShare: !this.data.referralShare });
  },

  /** Saves the answer (ticked or not); the referrer sees this client only in a count unless it was ticked. */
  async onSaveReferralConsent() {
    if (this.data.savingReferralConsent) return;
    this.setData({ savingReferralConsent: true });
    try {
      await answerReferralConsent(this.data.referralShare);
      this.setData({ askReferralConsent: false });
      wx.showToast({ title: '已保存', icon: 'success' });
    } catch (e) {
      wx.showToast({ title: isApiError(e) ? e.friendly : '保存失败，请稍后再试', icon: 'none' });
    } finally {
      this.setData({ savingReferralConsent: false });
    }
  },

  onShareAppMessage() {
    const code = this.data.referralCode;
    return { title: '美颜医疗 · 安心变美，从一次面诊开始', path: code ? `/pages/index/index?ref=${code}` : '/pages/index/index' };
  },
});
