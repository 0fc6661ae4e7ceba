/**
 * Charts of the report as static SVG, drawn in Node by Apache ECharts'
 * server-side renderer: bars, lines and heat maps are built in, and the HTML
 * then needs no script and no network to show them.
 */
import * as echarts from 'echarts';

/** Drawn width of a chart in a half-width card and in a full-width one (the page scales both to fit). */
export const CHART_WIDTH = 640;
export const WIDE_CHART_WIDTH = 1160;
// ECharts lays text out in Node with Helvetica/Arial widths (zrender's built-in
// table; there is no canvas to measure with), so the charts use fonts with those
// metrics: Liberation Sans is Arial's metric twin on Linux. A wider font would
// spill long axis labels out of the picture. No quotes: ECharts writes the family
// into a double-quoted style attribute without escaping them.
const FONT = 'Helvetica, Arial, Liberation Sans, Nimbus Sans, sans-serif';
const BAR = '#5470c6';

type Option = Record<string, unknown>;

/** Renders one option to an SVG string and frees the chart (an undisposed chart keeps a timer alive). */
function svg(option: Option, height: number, width = CHART_WIDTH): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** Horizontal bars, first item on top: for top-N lists with long labels. */
export function rankedBars(labels: string[], values: number[], seriesName = 'plays'): string {
  return svg(
    {
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eee' } } },
      yAxis: { type: 'category', inverse: true, data: labels, axisLabel: { width: 260, overflow: 'truncate' }, axisTick: { show: false } },
      series: [{ name: seriesName, type: 'bar', data: values, itemStyle: { color: BAR }, barMaxWidth: 22, label: { show: true, position: 'right', color: '#333', formatter: (p: { value: number }) => p.value.toLocaleString('en-US') } }],
    },
    40 + 26 * Math.max(labels.length, 3),
  );
}

/** Vertical bars over an ordered axis (hours, weekdays, levels). */
export function columns(labels: string[], values: number[], seriesName = 'plays', height = 260): string {
  return svg(
    {
      grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: labels, axisTick: { alignWithLabel: true }, axisLabel: { interval: 0 } },
      yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eee' } } },
      series: [{ name: seriesName, type: 'bar', data: values, itemStyle: { color: BAR }, barMaxWidth: 48 }],
    },
    height,
  );
}

/** A line over days (daily active users), with its points marked. */
export function dailyLine(days: string[], values: number[], seriesName = 'users'): string {
  return svg(
    {
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: days, boundaryGap: false, axisLabel: { formatter: (d: string) => d.slice(5) } },
      yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eee' } } },
      series: [{ name: seriesName, type: 'line', data: values, symbol: 'circle', symbolSize: 5, lineStyle: { width: 2, color: BAR }, itemStyle: { color: BAR }, areaStyle: { color: 'rgba(84,112,198,0.12)' } }],
    },
    300,
    WIDE_CHART_WIDTH,
  );
}

/** Heat map of plays[row][column] (weekday × hour), with its colour scale. */
export function heatMap(rows: string[], columnsLabels: string[], values: number[][]): string {
  const data: [number, number, number][] = [];
  let max = 0;
  values.forEach((row, y) =>
    row.forEach((v, x) => {
      data.push([x, y, v]);
      if (v > max) max = v;
    }),
  );
  return svg(
    {
      grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
      xAxis: { type: 'category', data: columnsLabels, splitArea: { show: true }, axisLabel: { interval: 0 } },
      yAxis: { type: 'category', data: rows, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(max, 1), calculable: false, text: [`${max} plays`, '0'], orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 240, inRange: { color: ['#f7fbff', '#6baed6', '#08306b'] } },
      series: [{ name: 'plays', type: 'heatmap', data, itemStyle: { borderColor: '#fff', borderWidth: 1 } }],
    },
    340,
    WIDE_CHART_WIDTH,
  );
}
