// ECharts, only the parts the report pages draw (tree-shaken: the first screen does not load them, the report routes are lazy).
import { use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { BarChart, FunnelChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, TitleComponent } from 'echarts/components';
import VChart from 'vue-echarts';

use([CanvasRenderer, BarChart, LineChart, FunnelChart, PieChart, GridComponent, LegendComponent, TooltipComponent, TitleComponent]);

export { VChart };

/** A ratio as a percentage with one decimal. */
export const percent = (r: number | null | undefined): string => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);

const CHANNELS: Record<string, string> = {
  xiaohongshu: '小红书', douyin: '抖音', baidu: '百度', dianping: '大众点评', referral: '老带新', offline_event: '线下活动', wecom: '企业微信', website: '官网',
  walk_in: '到店', phone: '电话', wechat: '微信', other: '其他', unknown: '未知',
};
/** A lead channel's Chinese name. */
export const channelLabel = (c: string | null): string => (c === null ? '全部' : CHANNELS[c] ?? c);

/** The change from the previous period, signed ("+5.0", "-2.5"; rates ×100 as percentage points with `scale` 100); "—" when either side is missing. */
export function change(now: number | null | undefined, before: number | null | undefined, scale = 1): string {
  if (now === null || now === undefined || before === null || before === undefined) return '—';
  const d = (now - before) * scale;
  return `${d > 0 ? '+' : ''}${d.toFixed(1)}`;
}
