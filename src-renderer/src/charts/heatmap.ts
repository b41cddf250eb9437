/**
 * The alpha heatmap of one cell type at one epoch: rows are edges (first tier then second tier),
 * columns the ops of the space, cells the softmax of the alphas on that edge.
 */
import type { EChartsOption } from 'echarts';
import { CHART_FONT } from './theme';
import { opColor } from '../lib/families';

export interface HeatmapInput {
  /** Rows: edges; columns: ops. Softmax weights in [0, 1]. */
  matrix: number[][];
  ops: readonly string[];
  edges: readonly string[];
  title: string;
}

/** Flattens the matrix into ECharts heatmap triples [opIndex, edgeIndex, value]. */
export function heatmapData(matrix: number[][]): [number, number, number][] {
  const out: [number, number, number][] = [];
  matrix.forEach((row, e) => row.forEach((v, o) => out.push([o, e, Number(v.toFixed(4))])));
  return out;
}

export function buildAlphaHeatmapOption(input: HeatmapInput): EChartsOption {
  const max = Math.max(0.01, ...input.matrix.flat());
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT },
    title: { text: input.title, left: 0, top: 0, textStyle: { fontSize: 12, fontWeight: 600, color: '#1f2a3a' } },
    tooltip: {
      position: 'top',
      formatter: (p) => {
        const [o, e, v] = (p as unknown as { value: [number, number, number] }).value;
        return `${input.edges[e] ?? `edge ${e}`}<br/><b>${input.ops[o]}</b>: ${v.toFixed(3)}`;
      },
    },
    grid: { left: 118, right: 12, top: 28, bottom: 92 },
    xAxis: {
      type: 'category',
      data: [...input.ops],
      axisLabel: {
        rotate: 50,
        fontSize: 10,
        interval: 0,
        color: '#4a5566',
        formatter: (v: string) => v,
      },
      axisTick: { show: false },
      axisLine: { show: false },
    },
    yAxis: {
      type: 'category',
      data: [...input.edges],
      inverse: true,
      axisLabel: { fontSize: 10, color: '#4a5566' },
      axisTick: { show: false },
      axisLine: { show: false },
    },
    visualMap: {
      min: 0,
      max,
      calculable: false,
      show: false,
      inRange: { color: ['#f7f9fc', '#c6d6ef', '#6d95d6', '#27509c', '#10264f'] },
    },
    series: [
      {
        type: 'heatmap',
        data: heatmapData(input.matrix),
        itemStyle: { borderColor: '#ffffff', borderWidth: 1 },
        emphasis: { itemStyle: { borderColor: '#1f2a3a', borderWidth: 1 } },
      },
    ],
  };
}

/** Column header colours by op family, for a legend strip above the heatmap. */
export function opHeaderColors(ops: readonly string[]): string[] {
  return ops.map(opColor);
}
