/**
 * Training curves (loss, accuracy, attention-transfer loss) from a run's metric series. Pure:
 * the live view calls it again with the grown series and hands the result to the same chart.
 */
import type { EChartsOption, LineSeriesOption } from 'echarts';
import type { SeriesByKey as MetricSeries } from '../api/types';
import { AXIS_STYLE, CHART_FONT, GRID, SERIES_COLORS } from './theme';

export interface CurveSpec {
  key: string;
  label: string;
}

export interface CurvesOptions {
  title: string;
  yName: string;
  /** Epoch count of the whole run, so the x axis does not jump while data streams in. */
  epochs?: number;
  /** Logarithmic y axis (losses spanning decades). */
  logY?: boolean;
  /** Present values as percent (metrics stored as fractions). */
  percent?: boolean;
}

export function buildCurvesOption(
  series: MetricSeries,
  curves: CurveSpec[],
  opts: CurvesOptions,
): EChartsOption {
  const lines: LineSeriesOption[] = curves.map((c, i) => ({
    type: 'line',
    name: c.label,
    showSymbol: (series[c.key]?.length ?? 0) < 30,
    symbolSize: 5,
    lineStyle: { width: 1.6 },
    color: SERIES_COLORS[i % SERIES_COLORS.length],
    data: (series[c.key] ?? []).map((p) => [p.epoch + 1, opts.percent ? p.value * 100 : p.value]),
  }));
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT },
    title: {
      text: opts.title,
      left: 0,
      top: 0,
      textStyle: { fontSize: 12, fontWeight: 600, color: '#1f2a3a' },
    },
    legend: { top: 20, left: 0, itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11 } },
    tooltip: {
      trigger: 'axis',
      valueFormatter: (v) => (typeof v === 'number' ? v.toPrecision(4) : String(v)),
    },
    grid: { ...GRID, top: 52, left: 58 },
    xAxis: {
      type: 'value',
      name: 'epoch',
      nameLocation: 'middle',
      nameGap: 22,
      min: 1,
      max: opts.epochs && opts.epochs > 1 ? opts.epochs : undefined,
      minInterval: 1,
      ...AXIS_STYLE,
    },
    yAxis: {
      type: opts.logY ? 'log' : 'value',
      name: opts.yName,
      nameLocation: 'middle',
      nameGap: 42,
      scale: !opts.logY,
      ...AXIS_STYLE,
    },
    series: lines,
  };
}

/** True when at least one of the curves has a point: otherwise the view shows an empty state. */
export function hasCurveData(series: MetricSeries, curves: CurveSpec[]): boolean {
  return curves.some((c) => (series[c.key]?.length ?? 0) > 0);
}
