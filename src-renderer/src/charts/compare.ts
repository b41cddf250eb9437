/**
 * Compare charts: test error against parameters, and against search cost, with the published
 * reference results as one series and the user's runs as another.
 */
import type { EChartsOption, ScatterSeriesOption } from 'echarts';
import type { ReferencePoint } from '../lib/reference-results';
import { AXIS_STYLE, CHART_FONT, GRID } from './theme';

export interface ComparePoint {
  label: string;
  /** Top-1 error, %. */
  error: number;
  paramsM: number | null;
  gpuDays: number | null;
}

export type CompareAxis = 'params' | 'cost';

function xOf(
  p: { paramsM: number | null; gpuDays: number | null },
  axis: CompareAxis,
): number | null {
  return axis === 'params' ? p.paramsM : p.gpuDays;
}

/** Points with a value on the chosen axis, as [x, error, label] triples. */
export function comparePoints(
  points: ComparePoint[],
  axis: CompareAxis,
): [number, number, string][] {
  return points.flatMap((p) => {
    const x = xOf(p, axis);
    // Costs go on a log axis: a point without a positive value cannot be placed.
    const ok = x !== null && Number.isFinite(x) && (axis === 'params' || x > 0);
    return ok ? [[x, p.error, p.label] as [number, number, string]] : [];
  });
}

export function buildCompareOption(
  references: ReferencePoint[],
  runs: ComparePoint[],
  axis: CompareAxis,
): EChartsOption {
  const refPoints = comparePoints(references, axis);
  const scatter = (
    name: string,
    data: [number, number, string][],
    color: string,
    symbol: string,
  ): ScatterSeriesOption => ({
    type: 'scatter',
    name,
    data,
    symbol,
    symbolSize: 9,
    itemStyle: { color },
    label: {
      show: true,
      formatter: (p) => String((p.value as unknown[])[2]),
      position: 'right',
      fontSize: 10,
      color: '#4a5566',
    },
    labelLayout: { hideOverlap: true },
  });
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT },
    legend: { top: 0, right: 0, textStyle: { fontSize: 11 } },
    tooltip: {
      trigger: 'item',
      formatter: (p) => {
        const [x, y, label] = (p as unknown as { value: [number, number, string] }).value;
        return `<b>${label}</b><br/>error ${y.toFixed(2)} %<br/>${axis === 'params' ? `${x} M params` : `${x} GPU-days`}`;
      },
    },
    grid: { ...GRID, top: 30, right: 90 },
    xAxis: {
      // Search costs span orders of magnitude (minutes here, GPU-days in the paper).
      type: axis === 'cost' ? 'log' : 'value',
      name: axis === 'params' ? 'parameters (M)' : 'search cost (GPU-days)',
      nameLocation: 'middle',
      nameGap: 24,
      scale: true,
      ...AXIS_STYLE,
    },
    yAxis: { type: 'value', name: 'top-1 error (%)', scale: true, ...AXIS_STYLE },
    series: [
      scatter('published', refPoints, '#8a94a3', 'circle'),
      scatter('your runs', comparePoints(runs, axis), '#d9822b', 'diamond'),
    ],
  };
}
