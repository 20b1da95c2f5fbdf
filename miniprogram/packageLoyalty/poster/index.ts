/**
 * 推荐海报: a poster with the client's mini-program code (from GET /api/mp/referrals/qrcode,
 * scene ref=CODE) and referral code, to show, long-press to recognise, save to the album or share.
 * When WeChat cannot make the code right now, the referral code and the share card still work.
 */
import { getReferralSummary, loadReferralQrImage } from '../../services/referrals';
import { isApiError } from '../../utils/request';

const SHARE_TITLE = '送你一份新客礼遇，一起安心变美';
const FALLBACK_SHARE_PATH = '/pages/index/index';

Page({
  data: {
    loading: true,
    error: '',
    code: '',
    qrPath: '',
    qrError: '',
    saving: false,
  },

  sharePath: '',
  qrCodePath: '',

  onLoad() {
    return this.load();
  },

  async load() {
    this.setData({ error: '', qrError: '' });
    try {
      const summary = await getReferralSummary();
      this.sharePath = summary.sharePath;
      this.qrCodePath = summary.qrCodePath;
      this.setData({ code: summary.code });
    } catch (e) {
      this.setData({ loading: false, error: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
      return;
    }
    await this.loadQr();
    this.setData({ loading: false });
  },

  async loadQr() {
    this.setData({ qrError: '' });
    try {
      const qrPath = await loadReferralQrImage({ code: this.data.code, qrCodePath: this.qrCodePath });
      this.setData({ qrPath });
    } catch (e) {
      this.setData({ qrPath: '', qrError: isApiError(e) ? e.friendly : '小程序码暂时生成不了，请稍后再试' });
    }
  },

  preview() {
    if (this.data.qrPath) wx.previewImage({ urls: [this.data.qrPath], current: this.data.qrPath });
  },

  save() {
    if (!this.data.qrPath || this.data.saving) return;
    this.setData({ saving: true });
    wx.saveImageToPhotosAlbum({
      filePath: this.data.qrPath,
      success: () => {
        this.setData({ saving: false });
        wx.showToast({ title: '已保存到相册', icon: 'success' });
      },
      fail: (err) => {
        this.setData({ saving: false });
        if (/cancel/.test(err.errMsg)) return;
        if (/auth|deny|denied/i.test(err.errMsg)) {
          // The client once refused album access: only the settings page can grant it again.
          void wx.showModal({
            title: '需要相册权限',
            content: '保存小程序码需要允许访问相册，请在设置中开启「添加到相册」。',
            confirmText: '去设置',
            cancelText: '暂不',
          }).then(({ confirm }) => {
            if (confirm) wx.openSetting({});
          });
          return;
        }
        wx.showToast({ title: '保存没有成功，可长按图片保存', icon: 'none' });
      },
    });
  },

  copyCode() {
    if (this.data.code) wx.setClipboardData({ data: this.data.code });
  },

  onShareAppMessage() {
    return { title: SHARE_TITLE, path: this.sharePath || FALLBACK_SHARE_PATH };
  },
});
