import { describe, expect, it } from 'vitest';
import type { LineSeriesOption, ScatterSeriesOption } from 'echarts';
import { buildCurvesOption, hasCurveData } from '../../../src-renderer/src/charts/curves';
import {
  buildAlphaHeatmapOption,
  colourRange,
  formatCell,
  rangeDigits,
  heatmapData,
} from '../../../src-renderer/src/charts/heatmap';
import {
  buildClassHistogramOption,
  imbalanceRatio,
} from '../../../src-renderer/src/charts/histogram';
import {
  buildCompareOption,
  comparePoints,
  labelSides,
} from '../../../src-renderer/src/charts/compare';
import { readFileSync } from 'node:fs';
import { parsePublishedResults } from '@contract';
import { referencePoints } from '../../../src-renderer/src/lib/reference-results';

const published = parsePublishedResults(
  JSON.parse(
    readFileSync(
      new URL('../../../resources/reference/published-results.json', import.meta.url),
      'utf8',
    ),
  ),
);

const series = {
  'search/loss': [
    { epoch: 0, value: 2.3 },
    { epoch: 1, value: 1.9 },
  ],
  'search/top1': [{ epoch: 0, value: 0.41 }],
};

describe('buildCurvesOption', () => {
  it('plots one line per curve with 1-based epochs', () => {
    const opt = buildCurvesOption(series, [{ key: 'search/loss', label: 'search loss' }], {
      title: 'Loss',
      yName: 'loss',
    });
    const lines = opt.series as LineSeriesOption[];
    expect(lines).toHaveLength(1);
    expect(lines[0].data).toEqual([
      [1, 2.3],
      [2, 1.9],
    ]);
  });

  it('scales fractions to percent when asked', () => {
    const opt = buildCurvesOption(series, [{ key: 'search/top1', label: 'top-1' }], {
      title: 'Acc',
      yName: '%',
      percent: true,
    });
    expect((opt.series as LineSeriesOption[])[0].data).toEqual([[1, 41]]);
  });

  it('gives an empty line for a metric not yet reported and says there is no data', () => {
    const curves = [{ key: 'at/loss', label: 'AT' }];
    const opt = buildCurvesOption(series, curves, { title: 'AT', yName: 'loss', epochs: 25 });
    expect((opt.series as LineSeriesOption[])[0].data).toEqual([]);
    expect(hasCurveData(series, curves)).toBe(false);
    expect(hasCurveData(series, [{ key: 'search/loss', label: '' }])).toBe(true);
  });
});

describe('buildAlphaHeatmapOption', () => {
  const matrix = [
    [0.7, 0.2, 0.1],
    [0.1, 0.1, 0.8],
  ];

  it('flattens the matrix into [op, edge, value] triples', () => {
    expect(heatmapData(matrix)).toEqual([
      [0, 0, 0.7],
      [1, 0, 0.2],
      [2, 0, 0.1],
      [0, 1, 0.1],
      [1, 1, 0.1],
      [2, 1, 0.8],
    ]);
  });

  it('uses ops as columns, edges as rows and the largest weight as colour maximum', () => {
    const opt = buildAlphaHeatmapOption({
      matrix,
      ops: ['sep_conv_3x3', 'skip_connect', 'spatial_attention'],
      edges: ['a', 'b'],
      title: 'normal',
    });
    expect((opt.xAxis as { data: string[] }).data).toEqual([
      'sep_conv_3x3',
      'skip_connect',
      'spatial_attention',
    ]);
    expect((opt.yAxis as { data: string[] }).data).toEqual(['a', 'b']);
    expect((opt.visualMap as { min: number; max: number }).max).toBe(0.8);
    expect((opt.visualMap as { min: number; max: number }).min).toBe(0.1);
  });
});

describe('heatmap colour range and cell text', () => {
  it('spreads a near-uniform matrix over the whole scale and widens a flat one', () => {
    expect(colourRange([0.09, 0.0911, 0.0905])).toEqual({ min: 0.09, max: 0.0911 });
    const flat = colourRange([0.25, 0.25]);
    expect(flat.min).toBeLessThan(0.25);
    expect(flat.max).toBeGreaterThan(0.25);
  });

  it.each([
    [0.0909, '.091'],
    [0.4567, '.46'],
    [1, '1'],
  ])('formatCell value=%s gives %s', (v, text) => {
    expect(formatCell(v)).toBe(text);
  });

  it.each([
    [0.0904, 0.0916, 3],
    [0.09081, 0.09093, 4],
    [0.090911, 0.090914, 5],
    [0.1, 0.8, 3],
  ])('rangeDigits min=%s max=%s gives %s decimals', (min, max, digits) => {
    expect(rangeDigits(min, max)).toBe(digits);
  });

  it('prints a near-uniform matrix with the decimals that tell cells apart', () => {
    expect(formatCell(0.09081, 4)).toBe('.0908');
    expect(formatCell(0.09093, 4)).toBe('.0909');
    expect(formatCell(0.0912, 5)).toBe('.0912');
    expect(formatCell(0.4567, 4)).toBe('.457');
  });
});

describe('class histogram', () => {
  it('marks classes far below the mean', () => {
    const opt = buildClassHistogramOption(['a', 'b', 'c'], [100, 100, 50]);
    const data = (opt.series as { data: { value: number; itemStyle: { color: string } }[] }[])[0]
      .data;
    expect(data[2].itemStyle.color).not.toBe(data[0].itemStyle.color);
    expect(data[0].itemStyle.color).toBe(data[1].itemStyle.color);
  });

  it.each([
    [[10, 10], 1],
    [[10, 5], 2],
    [[10, 0], Infinity],
    [[], 1],
  ])('imbalanceRatio counts=%j gives %s', (counts, ratio) => {
    expect(imbalanceRatio(counts)).toBe(ratio);
  });
});

describe('buildCompareOption', () => {
  it('drops points without a value on the chosen axis', () => {
    const pts = comparePoints(
      [
        { label: 'a', error: 3, paramsM: 2, gpuDays: null },
        { label: 'b', error: 4, paramsM: null, gpuDays: 0.1 },
      ],
      'cost',
    );
    expect(pts).toEqual([[0.1, 4, 'b']]);
    // A zero cost has no place on the logarithmic cost axis.
    expect(comparePoints([{ label: 'c', error: 1, paramsM: 0, gpuDays: 0 }], 'cost')).toEqual([]);
    expect(comparePoints([{ label: 'c', error: 1, paramsM: 0, gpuDays: 0 }], 'params')).toEqual([
      [0, 1, 'c'],
    ]);
  });

  it('puts the published results and the runs in two series', () => {
    const refs = referencePoints(published, 'cifar10');
    const opt = buildCompareOption(
      refs,
      [{ label: 'run 7', error: 9.5, paramsM: 0.1, gpuDays: 0.01 }],
      'params',
    );
    const [refSeries, mine] = opt.series as ScatterSeriesOption[];
    expect((refSeries.data as unknown[]).length).toBe(refs.length);
    expect(mine.data).toEqual([[0.1, 9.5, 'run 7']]);
    expect(refs.find((r) => r.label === 'DARTS (2nd order)')).toMatchObject({
      paramsM: 3.3,
      gpuDays: 4,
    });
  });
});

describe('labelSides', () => {
  const far: [number, number, string][] = [
    [2, 2.5, 'low left'],
    [6, 4.2, 'high right'],
  ];
  it('keeps every label when the points are far apart', () => {
    expect(labelSides([], far, 'params')).toEqual(['right', 'right']);
  });

  it('puts two points on top of each other on both sides, the lower error on the right', () => {
    const pts: [number, number, string][] = [...far, [3.3, 3.0, 'DARTS'], [3.31, 2.99, 'GDAS']];
    expect(labelSides([], pts, 'params')).toEqual(['right', 'right', 'left', 'right']);
  });

  it('leaves a third point on the same spot without a label', () => {
    const spot = (name: string, e: number): [number, number, string] => [3.3, e, name];
    const pts = [...far, spot('A', 3.0), spot('B', 3.001), spot('C', 3.002)];
    expect(labelSides([], pts, 'params')).toEqual(['right', 'right', 'right', 'left', null]);
  });

  it('moves a label to the left of its point when a neighbour blocks the right', () => {
    const pts: [number, number, string][] = [...far, [3.3, 3.0, 'P-DARTS'], [3.5, 3.0, 'X']];
    expect(labelSides([], pts, 'params')).toEqual(['right', 'right', 'left', 'right']);
  });

  it('labels the NOS rows first, even over a neighbouring marker', () => {
    const pts: [number, number, string][] = [...far, [3.5, 3.0, 'X'], [3.3, 3.0, 'NOS (best)']];
    expect(labelSides([], pts, 'params')).toEqual(['right', 'right', null, 'right']);
  });

  it("gives the user's runs their labels first", () => {
    const mine: [number, number, string][] = [[3.3, 3.0, '#1']];
    expect(labelSides(mine, [...far, [3.3, 3.0, 'DARTS']], 'params')).toEqual([
      'right',
      'right',
      'left',
    ]);
  });
});

describe('referencePoints', () => {
  it('takes CIFAR-10 rows from Table 2 with params, search cost and the source paper', () => {
    const refs = referencePoints(published, 'cifar10');
    const darts = refs.find((r) => r.label === 'DARTS (2nd order)');
    expect(darts).toMatchObject({ error: 2.76, paramsM: 3.3, gpuDays: 4 });
    expect(darts?.errorText).toContain('2.76');
    expect(darts?.source).toContain('Table 2');
    expect(darts?.source).toContain('DARTS');
  });

  it('leaves out rows the paper has no figure for on that benchmark', () => {
    const c100 = referencePoints(published, 'cifar100').map((r) => r.label);
    expect(c100).not.toContain('ENAS');
    expect(c100.length).toBeGreaterThan(3);
  });

  it('takes ImageNet rows from Table 3', () => {
    const imagenet = referencePoints(published, 'imagenet');
    expect(imagenet.every((r) => r.source.includes('Table 3'))).toBe(true);
    expect(imagenet.length).toBeGreaterThan(0);
  });
});
