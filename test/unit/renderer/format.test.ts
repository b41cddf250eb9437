import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatMetric,
  formatParams,
  formatPercent,
  parseTags,
  summaryRows,
} from '../../../src-renderer/src/lib/format';

describe('format', () => {
  it.each([
    [0, '0 B'],
    [1536, '1.5 KiB'],
    [4 * 1024 ** 3, '4.0 GiB'],
    [300 * 1024 ** 2, '300 MiB'],
  ])('formatBytes bytes=%s gives %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [12, '12s'],
    [249, '4m 09s'],
    [7500, '2h 05m'],
  ])('formatDuration seconds=%s gives %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });

  it('shows a dash for missing or invalid values', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatDuration(-1)).toBe('—');
    expect(formatPercent(Number.NaN)).toBe('—');
    expect(formatParams(undefined)).toBe('—');
    expect(formatMetric(Infinity)).toBe('—');
  });

  it('formats fractions and percentages as percent', () => {
    expect(formatPercent(0.0253, true)).toBe('2.53 %');
    expect(formatPercent(2.53)).toBe('2.53 %');
  });

  it('formats parameter counts in k and M', () => {
    expect(formatParams(2_610_000)).toBe('2.61 M');
    expect(formatParams(48_200)).toBe('48.2 k');
    expect(formatParams(512)).toBe('512');
  });

  it('uses exponent form for tiny metric values only', () => {
    expect(formatMetric(0.00012)).toBe('1.20e-4');
    expect(formatMetric(2.302585)).toBe('2.303');
  });

  it('splits tags on commas and spaces and drops duplicates', () => {
    expect(parseTags(' ablation, seed-2  ablation,,')).toEqual(['ablation', 'seed-2']);
  });
});

describe('summaryRows', () => {
  it('labels, units and left-out empties of a search and an evaluation summary', () => {
    const rows = summaryRows({
      searchTop1: 0.1875,
      paramFreeOps: 3,
      top1_error_mean: 93.75,
      top1_error_sd: null,
      top1_error_n: 1,
      mult_adds: 2023372,
      params: 10661,
      space: 'nos',
    });
    expect(rows.map((r) => [r.label, r.value])).toEqual([
      ['search top-1', '18.75 %'],
      ['param free ops', '3'],
      ['top-1 error mean', '93.75 %'],
      ['top-1 error runs', '1'],
      ['mult-adds', '2.02 M'],
      ['params', '10.7 k'],
      ['space', 'nos'],
    ]);
  });
});
