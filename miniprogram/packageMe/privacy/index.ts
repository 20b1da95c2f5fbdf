/**
 * The consent step before any health question: the privacy policy, the health-data consent and,
 * when the birth date is missing, the birth date (a client under 14 goes to the guardian step).
 * Query: next — the page to go back to when done (default: back).
 */
import { getProfile, grantConsent, updateProfile, consentState } from '../../services/me';
import { POLICY, PRIVACY_POINTS, HEALTH_POINTS } from '../../utils/policy';
import { ageOn, date, isoDate } from '../../utils/format';
import { isApiError } from '../../utils/request';

Page({
  data: {
    loading: true,
    error: '',
    next: '',
    privacyPoints: PRIVACY_POINTS,
    healthPoints: HEALTH_POINTS,
    needPrivacy: true,
    needHealth: true,
    needBirthDate: false,
    birthDate: '',
    birthDateText: '',
    today: isoDate(Date.now()),
    privacyChecked: false,
    healthChecked: false,
    submitting: false,
    done: false,
  },

  onLoad(query: Record<string, string | undefined>) {
    this.setData({ next: query.next ? decodeURIComponent(query.next) : '' });
    return this.load();
  },

  async load() {
    this.setData({ loading: true, error: '' });
    try {
      const p = await getProfile();
      const c = consentState(p);
      this.setData({
        loading: false,
        needPrivacy: !c.privacy,
        needHealth: !c.health,
        privacyChecked: c.privacy,
        needBirthDate: !p.birthDate,
        birthDate: p.birthDate ?? '',
        birthDateText: p.birthDate ? date(p.birthDate) : '',
        done: c.privacy && c.health && (!c.minor || c.guardian),
      });
    } catch (e) {
      this.setData({ loading: false, error: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
    }
  },

  onTogglePrivacy() {
    this.setData({ privacyChecked: !this.data.privacyChecked });
  },

  onToggleHealth() {
    this.setData({ healthChecked: !this.data.healthChecked });
  },

  onBirthDate(e: WechatMiniprogram.PickerChange) {
    const value = String(e.detail.value);
    this.setData({ birthDate: value, birthDateText: date(value) });
  },

  onOpenContract() {
    if (typeof wx.openPrivacyContract === 'function') wx.openPrivacyContract({});
  },

  async onAgree() {
    const d = this.data;
    if (d.submitting) return;
    if (d.needPrivacy && !d.privacyChecked) {
      wx.showToast({ title: '请先阅读并勾选隐私政策', icon: 'none' });
      return;
    }
    if (d.needHealth && !d.healthChecked) {
      wx.showToast({ title: '请勾选同意健康信息授权', icon: 'none' });
      return;
    }
    if (d.needBirthDate && !d.birthDate) {
      wx.showToast({ title: '请选择您的出生日期', icon: 'none' });
      return;
    }
    this.setData({ submitting: true });
    try {
      // Each step is remembered, so a retry after a failure does not repeat what succeeded.
      if (d.needBirthDate) {
        await updateProfile({ birthDate: d.birthDate });
        this.setData({ needBirthDate: false });
      }
      if (d.needPrivacy) {
        await grantConsent('privacy');
        this.setData({ needPrivacy: false });
      }
      const age = d.birthDate ? ageOn(d.birthDate) : undefined;
      if (age !== undefined && age < POLICY.guardianAgeUnder) {
        // A guardian consents first; the guardian step then gives the health consent.
        this.setData({ submitting: false });
        wx.navigateTo({ url: this.guardianUrl() });
        return;
      }
      if (d.needHealth) await grantConsent('health');
      this.setData({ submitting: false, done: true, needHealth: false });
      this.finish();
    } catch (e) {
      this.setData({ submitting: false });
      if (isApiError(e) && e.code === 'GUARDIAN_CONSENT_REQUIRED') {
        wx.navigateTo({ url: this.guardianUrl() });
        return;
      }
      wx.showToast({ title: isApiError(e) ? e.friendly : '提交没有成功，请稍后再试', icon: 'none' });
    }
  },

  guardianUrl(): string {
    return `/packageMe/guardian/index${this.data.next ? `?next=${encodeURIComponent(this.data.next)}` : ''}`;
  },

  finish() {
    wx.showToast({ title: '已授权，谢谢您的信任', icon: 'none' });
    if (this.data.next) wx.redirectTo({ url: this.data.next });
    else wx.navigateBack({ delta: 1 });
  },

  onContinue() {
    this.finish();
  },
});
