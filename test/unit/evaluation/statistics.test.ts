import { describe, expect, it } from 'vitest';
import {
  betterOf,
  formatStatistics,
  statisticsSummary,
  summarize,
} from '../../../src-main/evaluation/statistics';

describe('summarize', () => {
  it('computes mean, sample sd (n - 1), best and worst of an error', () => {
    // Hand-computed: mean 3, squared deviations 4+1+0+1+4 = 10, /4 = 2.5, sd = sqrt(2.5).
    const s = summarize('eval/top1_error', [1, 2, 3, 4, 5]);
    expect(s.n).toBe(5);
    expect(s.mean).toBe(3);
    expect(s.sd).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(s.best).toBe(1);
    expect(s.worst).toBe(5);
    expect(s.better).toBe('lower');
  });

  it('takes the highest value as best for an accuracy', () => {
    const s = summarize('eval/top1', [0.9, 0.95, 0.85]);
    expect(s.better).toBe('higher');
    expect(s.best).toBe(0.95);
    expect(s.worst).toBe(0.85);
  });

  it('gives no sd for a single run', () => {
    const s = summarize('eval/top1_error', [4.2]);
    expect(s.sd).toBeNull();
    expect(formatStatistics(s)).toBe('4.20 (single run)');
  });

  it('matches the unbiased variance on values far from zero', () => {
    const values = [1e6 + 0.1, 1e6 + 0.2, 1e6 + 0.3];
    expect(summarize('eval/loss', values).sd).toBeCloseTo(0.1, 8);
  });

  it('labels every figure it prints', () => {
    const s = summarize('eval/top1_error', [2.6, 2.7, 2.7]);
    expect(formatStatistics(s)).toBe('mean 2.67 ± 0.06 (sample sd, n = 3); best 2.60');
    expect(statisticsSummary('top1_error', s)).toMatchObject({
      top1_error_mean: s.mean,
      top1_error_sd: s.sd,
      top1_error_best: 2.6,
      top1_error_n: 3,
    });
  });

  it.each([
    { values: [] as number[], message: /No values/ },
    { values: [1, Number.NaN], message: /is NaN/ },
    { values: [Number.POSITIVE_INFINITY], message: /is Infinity/ },
  ])('rejects values=$values', ({ values, message }) => {
    expect(() => summarize('eval/top1_error', values)).toThrow(message);
  });

  it('knows which direction is better from the metric key', () => {
    expect(betterOf('eval/top5_error')).toBe('lower');
    expect(betterOf('train/loss')).toBe('lower');
    expect(betterOf('eval/top5')).toBe('higher');
  });
});
