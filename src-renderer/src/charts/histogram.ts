/** Class histogram of a dataset (images per class): flags imbalance at a glance. */
import type { EChartsOption } from 'echarts';
import { AXIS_STYLE, CHART_FONT } from './theme';

export function buildClassHistogramOption(classes: string[], counts: number[]): EChartsOption {
  // Labels turn when they would not fit side by side.
  const rotate = classes.length * Math.max(...classes.map((c) => c.length), 1) > 60 ? 40 : 0;
  const mean = counts.length ? counts.reduce((a, b) => a + b, 0) / counts.length : 0;
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 52, right: 12, top: 24, bottom: rotate ? 78 : 40 },
    xAxis: {
      type: 'category',
      data: classes,
      ...AXIS_STYLE,
      axisLabel: { ...AXIS_STYLE.axisLabel, interval: 0, rotate },
    },
    yAxis: { type: 'value', name: 'images', ...AXIS_STYLE },
    series: [
      {
        type: 'bar',
        data: counts.map((c) => ({
          value: c,
          // A class more than 20 % below the mean is marked: search splits inherit imbalance.
          itemStyle: { color: c < mean * 0.8 ? '#d9822b' : '#3c6fc4' },
        })),
        barMaxWidth: 28,
      },
    ],
  };
}

/** Ratio of the largest to the smallest class (1 = balanced); Infinity when a class is empty. */
export function imbalanceRatio(counts: number[]): number {
  if (counts.length === 0) return 1;
  const min = Math.min(...counts);
  return min === 0 ? Infinity : Math.max(...counts) / min;
}
