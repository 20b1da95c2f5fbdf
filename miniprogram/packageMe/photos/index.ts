/**
 * 术后对比照: the 1/3/6-month effect-tracking steps ask for a photo here (wx.chooseMedia → the
 * image's bytes to the API, which strips location and other metadata and stores it encrypted).
 * Only the client, their doctors and the director see the photos; never used in community posts.
 */
import { STEP_LABELS, contentTypeOf, deletePhoto, getPhotoSteps, photoBytes, uploadPhoto, type PhotoStep } from '../../services/photos';
import { date } from '../../utils/format';
import { isApiError } from '../../utils/request';

interface PhotoCell {
  id: string;
  src: string;
}

interface StepRow {
  key: string;
  treatment: string;
  step: string;
  title: string;
  due: string;
  open: boolean;
  photos: PhotoCell[];
}

function stepRow(s: PhotoStep): StepRow {
  return {
    key: `${s.treatment}:${s.step}`, treatment: s.treatment, step: s.step, title: `${s.project} · ${STEP_LABELS[s.step] ?? s.step}`,
    due: date(s.dueAt), open: s.open, photos: s.photos.map((p) => ({ id: p.id, src: '' })),
  };
}

const MESSAGES: Record<string, string> = {
  PHOTO_NOT_AN_IMAGE: '请上传 JPG、PNG 或 WebP 格式的照片',
  PHOTO_TOO_LARGE: '照片太大，请压缩后再上传',
  PHOTO_STEP_NOT_DUE: '还没到这次效果记录的时间',
  PHOTO_STEP_FULL: '这次记录的照片已满',
  HEALTH_CONSENT_REQUIRED: '上传术后照片前，请先在「我的-授权管理」同意健康信息授权',
};

Page({
  data: {
    loading: true,
    error: '',
    steps: [] as StepRow[],
    maxBytes: 0,
    uploading: '',
    uploadError: '',
  },

  onShow() {
    return this.refresh();
  },

  async refresh() {
    this.setData({ loading: true, error: '' });
    try {
      const res = await getPhotoSteps();
      this.setData({ steps: res.items.map(stepRow), maxBytes: res.maxBytes });
      await this.loadImages();
    } catch (e) {
      this.setData({ error: isApiError(e) ? e.friendly : '加载失败，请稍后重试' });
    } finally {
      this.setData({ loading: false });
    }
  },

  /** The photos come with the login's token, so they are fetched as bytes and shown as data URLs. */
  async loadImages() {
    const steps = this.data.steps;
    for (const s of steps) {
      for (const p of s.photos) {
        if (p.src) continue;
        const bytes = await photoBytes(p.id);
        p.src = `data:image/jpeg;base64,${wx.arrayBufferToBase64(bytes)}`;
      }
    }
    this.setData({ steps });
  },

  async choose(e: WechatMiniprogram.TouchEvent) {
    if (this.data.uploading) return; // one upload at a time: a double tap sends nothing twice
    const { treatment, step } = e.currentTarget.dataset as { treatment: string; step: string };
    let picked: WechatMiniprogram.ChooseMediaSuccessCallbackResult;
    try {
      picked = await wx.chooseMedia({ count: 1, mediaType: ['image'], sourceType: ['album', 'camera'], sizeType: ['compressed'] });
    } catch {
      return; // cancelled
    }
    const file = picked.tempFiles[0];
    if (file.size > this.data.maxBytes) return this.setData({ uploadError: MESSAGES.PHOTO_TOO_LARGE });
    this.setData({ uploading: `${treatment}:${step}`, uploadError: '' });
    try {
      const bytes = wx.getFileSystemManager().readFileSync(file.tempFilePath) as ArrayBuffer;
      await uploadPhoto(treatment, step, bytes, contentTypeOf(file.tempFilePath));
      await this.refresh();
    } catch (err) {
      this.setData({ uploadError: isApiError(err) ? MESSAGES[err.code] ?? err.friendly : '上传失败，请稍后重试' });
    } finally {
      this.setData({ uploading: '' });
    }
  },

  async remove(e: WechatMiniprogram.TouchEvent) {
    const { id } = e.currentTarget.dataset as { id: string };
    const confirm = await wx.showModal({ title: '删除照片', content: '删除后医生将无法再查看这张照片' });
    if (!confirm.confirm) return;
    await deletePhoto(id);
    await this.refresh();
  },
});
