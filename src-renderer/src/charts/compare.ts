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

/** Rough size of the plot area (px) and of label text, for placing labels before drawing. */
const PLOT = { width: 380, height: 170 };
const CHAR_PX = 5.6;
const LINE_PX = 13;

export type LabelSide = 'right' | 'left';

/**
 * Where each point's text label goes, or null when it has no room: published points crowd
 * (2.5-3 % error, 2.5-4 M params) and their names would print over each other and over other
 * points. Labels are placed greedily, the user's runs first (always on the right), then the
 * paper's own NOS rows, then the other published points from the lowest error up; each tries
 * the right of its marker, then the left. A label without room is left to the tooltip and the
 * table under the chart. Positions are estimated from the data range and the usual plot size,
 * before ECharts draws (its own overlap hiding does not act on these scatter labels).
 */
export function labelSides(
  placedFirst: [number, number, string][],
  candidates: [number, number, string][],
  axis: CompareAxis,
): (LabelSide | null)[] {
  const all = [...placedFirst, ...candidates];
  if (all.length === 0) return [];
  const tx = (x: number) => (axis === 'cost' ? Math.log10(x) : x);
  const xs = all.map((p) => tx(p[0]));
  const ys = all.map((p) => p[1]);
  const span = (v: number[]) => Math.max(...v) - Math.min(...v) || 1;
  const [x0, xSpan, y0, ySpan] = [Math.min(...xs), span(xs), Math.min(...ys), span(ys)];
  interface Box {
    left: number;
    right: number;
    top: number;
    bottom: number;
  }
  const centre = (p: [number, number, string]) => ({
    x: ((tx(p[0]) - x0) / xSpan) * PLOT.width,
    y: PLOT.height - ((p[1] - y0) / ySpan) * PLOT.height,
  });
  const box = (p: [number, number, string], side: LabelSide): Box => {
    const c = centre(p);
    const width = p[2].length * CHAR_PX;
    const left = side === 'right' ? c.x + 8 : c.x - 8 - width;
    return { left, right: left + width, top: c.y - LINE_PX / 2, bottom: c.y + LINE_PX / 2 };
  };
  const marker = (p: [number, number, string]): Box => {
    const c = centre(p);
    return { left: c.x - 5, right: c.x + 5, top: c.y - 5, bottom: c.y + 5 };
  };
  const hits = (a: Box, b: Box) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  // Markers are obstacles too: a name printed over another point reads as that point's.
  const markers = all.map(marker);
  const placed: Box[] = placedFirst.map((p) => box(p, 'right'));
  const sides = new Array<LabelSide | null>(candidates.length).fill(null);
  const rank = (p: [number, number, string]) => (p[2].startsWith('NOS') ? 0 : 1);
  const order = candidates
    .map((_, i) => i)
    .sort(
      (a, b) => rank(candidates[a]) - rank(candidates[b]) || candidates[a][1] - candidates[b][1],
    );
  for (const i of order) {
    const own = placedFirst.length + i;
    for (const side of ['right', 'left'] as const) {
      const b = box(candidates[i], side);
      // The NOS rows are the reference every run is read against: they yield to other
      // labels only, not to markers.
      const blocked =
        b.left < -40 ||
        placed.some((q) => hits(b, q)) ||
        (rank(candidates[i]) > 0 && markers.some((m, j) => j !== own && hits(b, m)));
      if (blocked) continue;
      placed.push(b);
      sides[i] = side;
      break;
    }
  }
  return sides;
}

export function buildCompareOption(
  references: ReferencePoint[],
  runs: ComparePoint[],
  axis: CompareAxis,
): EChartsOption {
  const refPoints = comparePoints(references, axis);
  const runPoints = comparePoints(runs, axis);
  const sides = labelSides(runPoints, refPoints, axis);
  const scatter = (
    name: string,
    data: (
      | [number, number, string]
      | { value: [number, number, string]; label: { show: boolean; position?: LabelSide } }
    )[],
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
      scatter(
        'published',
        refPoints.map((value, i) => ({
          value,
          label: { show: sides[i] !== null, position: sides[i] ?? undefined },
        })),
        '#8a94a3',
        'circle',
      ),
      scatter('your runs', runPoints, '#d9822b', 'diamond'),
    ],
  };
}
