/** 导出我的数据: a copy of everything we hold about the client (PIPL), kept 24 hours on the API. */
import { createExport, getExport } from '../../services/me';
import { dateTime } from '../../utils/format';
import { isApiError } from '../../utils/request';

const SECTION_LABELS: Record<string, string> = {
  profile: '基本资料',
  consents: '授权记录',
  medical: '健康信息',
  touches: '来源记录',
  questionnaires: '问卷',
  plans: '方案',
  appointments: '预约',
  orders: '消费记录',
  points: '积分',
  vouchers: '卡券',
  referrals: '推荐',
  intentLetters: '意向书',
  satisfactionSurveys: '满意度回访',
  complaints: '投诉',
  wecom: '企业微信',
  auditLog: '查阅记录',
};

interface Section {
  key: string;
  label: string;
  count: string;
}

function sectionsOf(data: Record<string, unknown>): Section[] {
  return Object.entries(data)
    .filter(([k]) => !['exportedAt', 'generatedAt', 'format', 'version'].includes(k))
    .map(([key, value]) => ({
      key,
      label: SECTION_LABELS[key] ?? key,
      count: Array.isArray(value) ? `${value.length} 条` : value && typeof value === 'object' ? '已包含' : value === null ? '无' : '已包含',
    }));
}

Page({
  data: {
    state: 'idle' as 'idle' | 'working' | 'ready',
    error: '',
    sections: [] as Section[],
    expiresText: '',
    json: '',
  },

  async onCreate() {
    if (this.data.state === 'working') return;
    this.setData({ state: 'working', error: '' });
    try {
      const created = await createExport();
      const data = await getExport(created.id);
      this.setData({
        state: 'ready',
        sections: sectionsOf(data),
        expiresText: dateTime(created.expiresAt),
        json: JSON.stringify(data, null, 2),
      });
    } catch (e) {
      this.setData({ state: 'idle', error: isApiError(e) ? e.friendly : '导出没有成功，请稍后再试' });
    }
  },

  onCopy() {
    wx.setClipboardData({ data: this.data.json });
  },
});
