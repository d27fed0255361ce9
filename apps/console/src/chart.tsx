import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'preact/hooks';

// Only the parts the dashboards draw, so the bundle carries a fraction of ECharts (bench/console.bench.ts).
echarts.use([
  BarChart,
  LineChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

/**
 * One ECharts canvas. `summary` is what a screen reader hears; the figures are also in the table beside each chart.
 * The instance is reachable from the element (echarts.getInstanceByDom), which the browser specs read.
 */
export function Chart({ option, summary, testId }: { option: ChartOption; summary: string; testId: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return undefined;
    const chart = echarts.init(el.current, undefined, { renderer: 'canvas' });
    const resize = new ResizeObserver(() => chart.resize());
    resize.observe(el.current);
    return () => {
      resize.disconnect();
      chart.dispose();
    };
  }, []);
  useEffect(() => {
    if (el.current) echarts.getInstanceByDom(el.current)?.setOption(option, true);
  }, [option]);
  return <div class="chart" ref={el} role="img" aria-label={summary} data-testid={testId} />;
}

/** The options a chart element shows now: the browser specs read a chart's series, not its pixels. */
export function chartOptionOf(element: Element): unknown {
  return echarts.getInstanceByDom(element as HTMLElement)?.getOption() ?? null;
}
(window as unknown as { carepathChartOption: typeof chartOptionOf }).carepathChartOption = chartOptionOf;
