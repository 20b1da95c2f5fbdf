/**
 * 满意度: the survey after a procedure — ten indicators scored 1–5, how likely the client is to
 * recommend us (NPS 0–10), a comment. A promoter may then say where they shared their experience
 * (points once; WeChat chats and Moments are not offered: WeChat forbids rewarding shares).
 * Query: id (a survey; otherwise the client's open surveys, or the only one).
 */
import { answerSurvey, getSurvey, listSurveys, shareSurvey, SHARE_CHANNELS, type Indicator, type ShareChannel, type Survey } from '../../services/feedback';
import { date } from '../../utils/format';
import { isApiError, type ApiError } from '../../utils/request';

const STAR_WORDS = ['', '很不满意', '不满意', '一般', '满意', '非常满意'];
// An answer this low opens a case for a supervisor (the API's rule); the client is told someone will call.
const LOW_NPS = 6;
const LOW_SCORE = 2;

interface IndicatorRow {
  key: Indicator;
  label: string;
  score: number;
  stars: { n: number; on: boolean }[];
  word: string;
  error: string;
}

interface Head {
  projects: string;
  doctor: string;
  paidAt: string;
  expiresAt: string;
}

function starsOf(score: number) {
  return [1, 2, 3, 4, 5].map((n) => ({ n, on: n <= score }));
}

const errorOf = (e: unknown): ApiError | undefined => (isApiError(e) ? e : undefined);

Page({
  data: {
    loading: true,
    error: '',
    mode: 'list' as 'list' | 'form' | 'answered' | 'expired',
    surveys: [] as { id: string; title: string; when: string }[],
    head: null as Head | null,
    rows: [] as IndicatorRow[],
    nps: -1,
    npsPoints: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    npsError: '',
    comment: '',
    busy: false,
    low: false,
    canShare: false,
    sharedAt: '',
    channels: SHARE_CHANNELS,
  },

  surveyId: '',

  onLoad(query: Record<string, string | undefined>): Promise<void> {
    this.surveyId = query.id ?? '';
    return this.load();
  },

  onRetry(): Promise<void> {
    return this.load();
  },

  async load(): Promise<void> {
    this.setData({ error: '' });
    try {
      if (!this.surveyId) {
        const { items } = await listSurveys();
        if (items.length !== 1) {
          this.setData({
            loading: false,
            mode: 'list',
            surveys: items.map((s) => ({ id: s.id, title: s.order.projects.map((p) => p.name).join('、') || '本次服务', when: date(s.order.paidAt) })),
          });
          return;
        }
        this.surveyId = items[0].id;
      }
      this.show(await getSurvey(this.surveyId));
    } catch (e) {
      this.setData({ loading: false, error: errorOf(e)?.friendly ?? '问卷没有加载出来，请稍后再试' });
    }
  },

  show(s: Survey): void {
    const answer = s.answer;
    const rows = s.questions.map((q) => {
      const score = answer?.indicators?.[q.key] ?? 0;
      return { key: q.key, label: q.label, score, stars: starsOf(score), word: STAR_WORDS[score] ?? '', error: '' };
    });
    const mode = s.status === 'open' ? 'form' : s.status === 'answered' ? 'answered' : 'expired';
    const low = answer ? answer.nps <= LOW_NPS || rows.some((r) => r.score > 0 && r.score <= LOW_SCORE) : false;
    this.setData({
      loading: false,
      mode,
      head: {
        projects: s.order.projects.map((p) => p.name).join('、') || '本次服务',
        doctor: s.order.doctor?.name ?? '',
        paidAt: date(s.order.paidAt),
        expiresAt: date(s.expiresAt),
      },
      rows,
      nps: answer ? answer.nps : -1,
      comment: answer?.comment ?? '',
      low,
      canShare: s.canShare,
      sharedAt: s.sharedAt ? date(s.sharedAt) : '',
    });
  },

  onOpen(e: WechatMiniprogram.BaseEvent): Promise<void> {
    this.surveyId = e.currentTarget.dataset.id as string;
    this.setData({ loading: true });
    return this.load();
  },

  onStar(e: WechatMiniprogram.BaseEvent): void {
    if (this.data.mode !== 'form') return;
    const key = e.currentTarget.dataset.key as Indicator;
    const n = Number(e.currentTarget.dataset.n);
    const rows = this.data.rows.map((r) => (r.key === key ? { ...r, score: n, stars: starsOf(n), word: STAR_WORDS[n], error: '' } : r));
    this.setData({ rows });
  },

  onNps(e: WechatMiniprogram.BaseEvent): void {
    if (this.data.mode !== 'form') return;
    this.setData({ nps: Number(e.currentTarget.dataset.n), npsError: '' });
  },

  onComment(e: WechatMiniprogram.Input): void {
    this.setData({ comment: String(e.detail.value ?? '') });
  },

  async onSubmit(): Promise<void> {
    if (this.data.busy) return;
    const missing = this.data.rows.filter((r) => !r.score);
    if (missing.length || this.data.nps < 0) {
      this.setData({
        rows: this.data.rows.map((r) => (r.score ? r : { ...r, error: '请打分' })),
        npsError: this.data.nps < 0 ? '请选择一个分数' : '',
      });
      wx.showToast({ title: `还有 ${missing.length + (this.data.nps < 0 ? 1 : 0)} 项没有评价`, icon: 'none' });
      return;
    }
    const indicators = Object.fromEntries(this.data.rows.map((r) => [r.key, r.score])) as Record<Indicator, number>;
    const comment = this.data.comment.trim();
    this.setData({ busy: true });
    try {
      const res = await answerSurvey(this.surveyId, { indicators, nps: this.data.nps, ...(comment ? { comment } : {}) });
      this.setData({ busy: false });
      this.show(res.survey);
      wx.pageScrollTo({ scrollTop: 0, duration: 0 });
      wx.showToast({ title: '谢谢您的评价', icon: 'none' });
    } catch (err) {
      this.setData({ busy: false });
      const e = errorOf(err);
      wx.showToast({ title: e?.friendly ?? '提交没有成功，请稍后再试', icon: 'none', duration: 2500 });
      if (e?.code === 'SURVEY_ALREADY_ANSWERED' || e?.code === 'SURVEY_EXPIRED') await this.load();
    }
  },

  async onShare(e: WechatMiniprogram.BaseEvent): Promise<void> {
    if (this.data.busy) return;
    this.setData({ busy: true });
    try {
      const res = await shareSurvey(this.surveyId, e.currentTarget.dataset.channel as ShareChannel);
      this.setData({ busy: false, canShare: false, sharedAt: date(res.sharedAt) });
      wx.showToast({ title: res.points > 0 ? `谢谢分享，获得 ${res.points} 积分` : '谢谢分享', icon: 'none', duration: 2500 });
    } catch (err) {
      this.setData({ busy: false });
      wx.showToast({ title: errorOf(err)?.friendly ?? '没有成功，请稍后再试', icon: 'none' });
    }
  },

  onComplaint(): void {
    wx.navigateTo({ url: '/packageSurvey/complaint/index' });
  },
});
