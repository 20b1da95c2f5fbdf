/** 推荐排行榜 冲榜: the month's or quarter's top referrers (masked names) and the client's own rank. */
import { getLeaderboard, type Leaderboard, type LeaderboardPeriod } from '../../services/referrals';
import { isApiError } from '../../utils/request';

interface RankRow {
  key: string;
  rank: number;
  name: string;
  converted: number;
  isMe: boolean;
}

/** 2026-03 → 2026年3月, 2026-Q1 → 2026年第1季度 */
function periodTitle(key: string): string {
  const q = /^(\d{4})-Q([1-4])$/.exec(key);
  if (q) return `${q[1]}年第${q[2]}季度`;
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  return m ? `${m[1]}年${Number(m[2])}月` : key;
}

Page({
  data: {
    loading: true,
    error: '',
    period: 'month' as LeaderboardPeriod,
    title: '',
    rows: [] as RankRow[],
    me: null as { rank: number | null; converted: number } | null,
  },

  // Only the answer to the latest tab switch is shown.
  generation: 0,

  onLoad(query: Record<string, string | undefined>) {
    if (query.period === 'quarter') this.setData({ period: 'quarter' });
    return this.load();
  },

  async onPullDownRefresh() {
    await this.load();
    wx.stopPullDownRefresh();
  },

  async load() {
    const gen = ++this.generation;
    this.setData({ error: '', loading: true });
    try {
      const board: Leaderboard = await getLeaderboard(this.data.period);
      if (gen !== this.generation) return;
      this.setData({
        title: periodTitle(board.periodKey),
        rows: board.top.map((t) => ({ key: `${t.rank}-${t.name}`, rank: t.rank, name: t.name, converted: t.converted, isMe: t.isMe })),
        me: board.me,
        loading: false,
      });
    } catch (e) {
      if (gen !== this.generation) return;
      this.setData({ loading: false, error: isApiError(e) ? e.friendly : '加载失败，请稍后再试' });
    }
  },

  onPeriod(e: WechatMiniprogram.BaseEvent) {
    const period = e.currentTarget.dataset.period as LeaderboardPeriod;
    if (period === this.data.period) return undefined;
    this.setData({ period, rows: [], me: null });
    return this.load();
  },

  goReferral() {
    wx.navigateBack({ delta: 1 });
  },
});
