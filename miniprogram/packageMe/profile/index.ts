/** 个人资料: name, gender, birth date, address (only changed fields are sent). */
import { getProfile, updateProfile, type Gender, type ProfileUpdate } from '../../services/me';
import { date, isoDate } from '../../utils/format';
import { fieldErrors } from '../../utils/errors';
import { isApiError } from '../../utils/request';

const GENDERS: { value: Gender; label: string }[] = [
  { value: 'female', label: '女' },
  { value: 'male', label: '男' },
  { value: 'unknown', label: '不愿透露' },
];
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

interface Form {
  name: string;
  gender: Gender;
  birthDate: string;
  address: string;
}

Page({
  data: {
    loading: true,
    error: '',
    genders: GENDERS.map((g) => g.label),
    genderIndex: 2,
    form: { name: '', gender: 'unknown', birthDate: '', address: '' } as Form,
    original: { name: '', gender: 'unknown', birthDate: '', address: '' } as Form,
    birthDateText: '',
    phone: '',
    today: isoDate(Date.now()),
    errors: {} as Record<string, string>,
    saving: false,
  },

  onLoad() {
    return this.load();
  },

  async load() {
    this.setData({ loading: true, error: '' });
    try {
      const p = await getProfile();
      const form: Form = { name: p.name ?? '', gender: p.gender, birthDate: p.birthDate ?? '', address: p.address ?? '' };
      this.setData({
        loading: false,
        form,
        original: { ...form },
        genderIndex: Math.max(0, GENDERS.findIndex((g) => g.value === p.gender)),
        birthDateText: p.birthDate ? date(p.birthDate) : '',
        phone: p.phone ?? '',
      });
    } catch (e) {
      this.setData({ loading: false, error: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
    }
  },

  onName(e: WechatMiniprogram.Input) {
    this.setData({ 'form.name': e.detail.value, 'errors.name': '' });
  },

  onAddress(e: WechatMiniprogram.Input) {
    this.setData({ 'form.address': e.detail.value, 'errors.address': '' });
  },

  onGender(e: WechatMiniprogram.PickerChange) {
    const i = Number(e.detail.value);
    this.setData({ genderIndex: i, 'form.gender': GENDERS[i].value });
  },

  onBirthDate(e: WechatMiniprogram.PickerChange) {
    const v = String(e.detail.value);
    this.setData({ 'form.birthDate': v, birthDateText: date(v), 'errors.birthDate': '' });
  },

  /** The fields that changed, checked like the API checks them. */
  changes(): { patch: ProfileUpdate; errors: Record<string, string> } {
    const { form, original } = this.data;
    const patch: ProfileUpdate = {};
    const errors: Record<string, string> = {};
    const name = form.name.trim();
    if (name !== original.name) {
      if (!name) errors.name = '请填写您的称呼';
      else if (name.length > 32 || !PRINTABLE.test(name)) errors.name = '称呼最多32个字';
      else patch.name = name;
    }
    if (form.gender !== original.gender) patch.gender = form.gender;
    if (form.birthDate !== original.birthDate) patch.birthDate = form.birthDate || null;
    const address = form.address.trim();
    if (address !== original.address) {
      if (address.length > 200 || !PRINTABLE.test(address)) errors.address = '地址最多200个字';
      else patch.address = address || null;
    }
    return { patch, errors };
  },

  async onSave() {
    if (this.data.saving) return;
    const { patch, errors } = this.changes();
    this.setData({ errors });
    if (Object.keys(errors).length) return;
    if (!Object.keys(patch).length) {
      wx.showToast({ title: '资料没有变化', icon: 'none' });
      return;
    }
    this.setData({ saving: true });
    try {
      const p = await updateProfile(patch);
      const form: Form = { name: p.name ?? '', gender: p.gender, birthDate: p.birthDate ?? '', address: p.address ?? '' };
      this.setData({ form, original: { ...form } });
      wx.showToast({ title: '已保存', icon: 'success' });
    } catch (e) {
      if (isApiError(e) && e.code === 'VALIDATION_FAILED') {
        this.setData({ errors: fieldErrors(e, { name: '称呼格式不正确', birthDate: '请选择正确的出生日期', address: '地址格式不正确', gender: '请选择性别' }) });
      } else {
        wx.showToast({ title: isApiError(e) ? e.friendly : '保存没有成功，请稍后再试', icon: 'none' });
      }
    } finally {
      this.setData({ saving: false });
    }
  },
});
