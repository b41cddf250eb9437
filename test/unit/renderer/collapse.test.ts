import { describe, expect, it } from 'vitest';
import { collapseReport, collapseWarning } from '../../../src-renderer/src/lib/collapse';
import type { GenotypeData } from '../../../src-renderer/src/api/types';
import { GENOTYPE_A } from './fixtures';

const SKIPPY: GenotypeData = {
  ...GENOTYPE_A,
  normal: GENOTYPE_A.normal.map(() => ({
    first: [
      { op: 'skip_connect', input: 0 },
      { op: 'max_pool_3x3', input: 1 },
    ],
    second: 'sep_conv_3x3',
  })),
};

describe('collapse monitor', () => {
  it('counts parameter-free ops over both tiers', () => {
    expect(collapseReport(GENOTYPE_A, 'normal')).toMatchObject({
      paramFree: 3,
      total: 12,
      skip: 2,
      collapsed: false,
    });
    expect(collapseReport(GENOTYPE_A, 'reduce').paramFree).toBe(7);
  });

  it('warns when most ops of the normal cell are parameter-free, naming the counts', () => {
    expect(collapseWarning(GENOTYPE_A)).toBeNull();
    const text = collapseWarning(SKIPPY);
    expect(text).toContain('8 of 12');
    expect(text).toContain('4 skip_connect');
  });

  it.each([
    [0.5, true],
    [0.7, false],
  ])('threshold=%s gives collapsed=%s for 8 of 12', (threshold, collapsed) => {
    expect(collapseReport(SKIPPY, 'normal', threshold).collapsed).toBe(collapsed);
  });
});
