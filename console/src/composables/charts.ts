// ECharts, only the parts the report pages draw (tree-shaken: the first screen does not load them, the report routes are lazy).
import { use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { BarChart, FunnelChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, TitleComponent } from 'echarts/components';
import VChart from 'vue-echarts';

use([CanvasRenderer, BarChart, LineChart, FunnelChart, GridComponent, LegendComponent, TooltipComponent, TitleComponent]);

export { VChart };

/** A ratio as a percentage with one decimal. */
export const percent = (r: number | null | undefined): string => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);
