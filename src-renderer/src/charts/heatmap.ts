/**
 * The alpha heatmap of one cell type at one epoch: rows are edges (first tier then second tier),
 * columns the ops of the space, cells the softmax of the alphas on that edge.
 */
import type { EChartsOption } from 'echarts';
import { CHART_FONT } from './theme';
import { FAMILY_COLORS, familyOfName, opColor } from '../lib/families';

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
  const flat = input.matrix.flat();
  const { min, max } = colourRange(flat);
  const digits = rangeDigits(min, max);
  return {
    animation: false,
    textStyle: { fontFamily: CHART_FONT },
    title: {
      text: input.title,
      left: 0,
      top: 0,
      textStyle: { fontSize: 12, fontWeight: 600, color: '#1f2a3a' },
    },
    tooltip: {
      position: 'top',
      formatter: (p) => {
        const [o, e, v] = (p as unknown as { value: [number, number, number] }).value;
        return `${input.edges[e] ?? `edge ${e}`}<br/><b>${input.ops[o]}</b>: ${v.toFixed(3)}`;
      },
    },
    grid: { left: 118, right: 52, top: 28, bottom: 92 },
    xAxis: {
      type: 'category',
      data: [...input.ops],
      axisLabel: {
        rotate: 50,
        fontSize: 10,
        interval: 0,
        color: '#4a5566',
        // Op names in their family's colour, as in the cell graphs.
        formatter: (v: string) => `{${familyOfName(v)}|${v}}`,
        rich: Object.fromEntries(
          Object.entries(FAMILY_COLORS).map(([family, color]) => [family, { color, fontSize: 10 }]),
        ),
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
    // The colour range follows the matrix: early alphas are near-uniform (1 / ops), and a fixed
    // 0..1 scale would paint them all alike.
    visualMap: {
      min,
      max,
      calculable: false,
      show: true,
      orient: 'vertical',
      right: 0,
      top: 28,
      itemWidth: 10,
      itemHeight: 120,
      precision: digits,
      text: [max.toFixed(digits), min.toFixed(digits)],
      textStyle: { fontSize: 10, color: '#4a5566' },
      inRange: { color: ['#f7f9fc', '#c6d6ef', '#6d95d6', '#27509c', '#10264f'] },
    },
    series: [
      {
        type: 'heatmap',
        data: heatmapData(input.matrix),
        itemStyle: { borderColor: '#ffffff', borderWidth: 1 },
        label: {
          show: input.ops.length <= 12,
          fontSize: 8.5,
          formatter: (p) => formatCell((p.value as number[])[2], digits),
        },
        emphasis: { itemStyle: { borderColor: '#1f2a3a', borderWidth: 1 } },
      },
    ],
  };
}

/** Column header colours by op family, for a legend strip above the heatmap. */
export function opHeaderColors(ops: readonly string[]): string[] {
  return ops.map(opColor);
}

/** Colour range of a matrix; a flat matrix gets a small span so it paints mid-scale. */
export function colourRange(values: number[]): { min: number; max: number } {
  if (values.length === 0) return { min: 0, max: 1 };
  const min = Math.min(...values);
  const max = Math.max(...values);
  return max - min < 1e-6 ? { min: Math.max(0, min - 1e-3), max: max + 1e-3 } : { min, max };
}

/**
 * Decimals needed to tell the ends of a colour range apart (3 to 5): after one epoch every alpha
 * is close to 1 / ops, and three decimals would print the same number at both ends of the bar.
 */
export function rangeDigits(min: number, max: number): number {
  for (let d = 3; d < 5; d++) if (min.toFixed(d) !== max.toFixed(d)) return d;
  return 5;
}

/**
 * ".091" style without the leading zero, to fit a cell: two or three significant digits, or
 * more when the whole matrix spans less than that (`digits` from rangeDigits).
 */
export function formatCell(v: number, digits = 3): string {
  if (v >= 0.995) return '1';
  const base = v < 0.1 ? 3 : 2;
  return v.toFixed(Math.min(4, base + Math.max(0, digits - 3))).replace(/^0/, '');
}
