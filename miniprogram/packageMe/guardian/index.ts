/**
 * Guardian consent for a client under 14: the guardian's name and relation and their agreement,
 * then the health consent, then back to `next`.
 */
import { grantConsent } from '../../services/me';
import { fieldErrors } from '../../utils/errors';
import { isApiError } from '../../utils/request';

const RELATIONS = ['母亲', '父亲', '其他监护人'];
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

Page({
  data: {
    next: '',
    relations: RELATIONS,
    relationIndex: -1,
    guardianName: '',
    checked: false,
    errors: {} as Record<string, string>,
    submitting: false,
  },

  onLoad(query: Record<string, string | undefined>) {
    this.setData({ next: query.next ? decodeURIComponent(query.next) : '' });
  },

  onName(e: WechatMiniprogram.Input) {
    this.setData({ guardianName: e.detail.value, 'errors.guardianName': '' });
  },

  onRelation(e: WechatMiniprogram.PickerChange) {
    this.setData({ relationIndex: Number(e.detail.value), 'errors.guardianRelation': '' });
  },

  onToggle() {
    this.setData({ checked: !this.data.checked });
  },

  validate(): Record<string, string> {
    const errors: Record<string, string> = {};
    const name = this.data.guardianName.trim();
    if (!name) errors.guardianName = '请填写监护人姓名';
    else if (name.length > 32 || !PRINTABLE.test(name)) errors.guardianName = '姓名最多32个字';
    if (this.data.relationIndex < 0) errors.guardianRelation = '请选择与本人的关系';
    return errors;
  },

  async onSubmit() {
    if (this.data.submitting) return;
    const errors = this.validate();
    this.setData({ errors });
    if (Object.keys(errors).length) return;
    if (!this.data.checked) {
      wx.showToast({ title: '请监护人勾选同意', icon: 'none' });
      return;
    }
    this.setData({ submitting: true });
    try {
      await grantConsent('guardian', { guardianName: this.data.guardianName.trim(), guardianRelation: RELATIONS[this.data.relationIndex] });
      await grantConsent('health');
      wx.showToast({ title: '已确认，谢谢您', icon: 'none' });
      if (this.data.next) wx.redirectTo({ url: this.data.next });
      else wx.navigateBack({ delta: 2 });
    } catch (e) {
      if (isApiError(e) && e.code === 'VALIDATION_FAILED') {
        this.setData({ errors: fieldErrors(e, { guardianName: '请填写监护人的真实姓名', guardianRelation: '请选择与本人的关系' }) });
      } else {
        wx.showToast({ title: isApiError(e) ? e.friendly : '提交没有成功，请稍后再试', icon: 'none' });
      }
    } finally {
      this.setData({ submitting: false });
    }
  },
});
