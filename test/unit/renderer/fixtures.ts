/** A small NOS genotype for renderer tests: 4 inner nodes per cell, both tiers present. */
import type { GenotypeData } from '../../../src-renderer/src/api/types';

export const GENOTYPE_A: GenotypeData = {
  version: 1,
  space: 'nos',
  concat: [2, 3, 4, 5],
  normal: [
    {
      first: [
        { op: 'sep_conv_3x3', input: 0 },
        { op: 'spatial_attention', input: 1 },
      ],
      second: 'channel_attention',
    },
    {
      first: [
        { op: 'sep_conv_5x5', input: 1 },
        { op: 'skip_connect', input: 2 },
      ],
      second: 'sep_conv_3x3',
    },
    {
      first: [
        { op: 'dil_conv_3x3', input: 0 },
        { op: 'dynamic_conv_3x3', input: 3 },
      ],
      second: 'skip_connect',
    },
    {
      first: [
        { op: 'sep_conv_3x3', input: 2 },
        { op: 'max_pool_3x3', input: 4 },
      ],
      second: 'dynamic_conv_5x5',
    },
  ],
  reduce: [
    {
      first: [
        { op: 'max_pool_3x3', input: 0 },
        { op: 'max_pool_3x3', input: 1 },
      ],
      second: 'skip_connect',
    },
    {
      first: [
        { op: 'avg_pool_3x3', input: 0 },
        { op: 'skip_connect', input: 2 },
      ],
      second: 'channel_attention',
    },
    {
      first: [
        { op: 'sep_conv_5x5', input: 1 },
        { op: 'skip_connect', input: 2 },
      ],
      second: 'sep_conv_3x3',
    },
    {
      first: [
        { op: 'dil_conv_5x5', input: 3 },
        { op: 'skip_connect', input: 4 },
      ],
      second: 'spatial_attention',
    },
  ],
};

/** GENOTYPE_A with one first-tier op of normal node 3 and one second-tier op of reduce node 2 changed. */
export const GENOTYPE_B: GenotypeData = {
  ...GENOTYPE_A,
  normal: GENOTYPE_A.normal.map((b, i) =>
    i === 1 ? { ...b, first: [b.first[0], { op: 'sep_conv_3x3', input: 2 }] } : b,
  ),
  reduce: GENOTYPE_A.reduce.map((b, i) => (i === 0 ? { ...b, second: 'sep_conv_5x5' } : b)),
};

/** A DARTS-space genotype: no second tier. */
export const GENOTYPE_DARTS: GenotypeData = {
  version: 1,
  space: 'darts',
  concat: [2, 3, 4, 5],
  normal: [0, 1, 2, 3].map((b) => ({
    first: [
      { op: 'sep_conv_3x3', input: 0 },
      { op: 'skip_connect', input: b + 1 },
    ],
  })),
  reduce: [0, 1, 2, 3].map((b) => ({
    first: [
      { op: 'max_pool_3x3', input: 0 },
      { op: 'max_pool_3x3', input: b + 1 },
    ],
  })),
};
