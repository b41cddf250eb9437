import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGenotype } from '../../../src-main/contract/genotype';
import { describeGenotype } from '../../../src-main/cli/format';

const root = join(__dirname, '../../..');

describe('describeGenotype', () => {
  it('writes one line per block with inputs named as cell nodes', () => {
    const g = parseGenotype(readFileSync(join(root, 'resources/genotypes/darts-v2.json'), 'utf8'));
    const lines = describeGenotype(g);
    expect(lines[0]).toBe('space darts');
    expect(lines).toContain('normal cell:');
    expect(lines).toContain('reduce cell:');
    // DARTS V2's first normal node: sep_conv_3x3 on both cell inputs, no second tier.
    expect(lines[2]).toBe('  node 2 = sep_conv_3x3(c[k-2]) + sep_conv_3x3(c[k-1])');
    expect(lines.at(-1)).toBe('output: concatenation of node 2, node 3, node 4, node 5');
  });

  it('shows the second-tier op of a NOS block', () => {
    const lines = describeGenotype({
      version: 1,
      space: 'nos',
      normal: [
        {
          first: [
            { op: 'dynamic_conv_3x3', input: 1 },
            { op: 'skip_connect', input: 0 },
          ],
          second: 'spatial_attention',
        },
      ],
      reduce: [
        {
          first: [
            { op: 'max_pool_3x3', input: 0 },
            { op: 'sep_conv_5x5', input: 1 },
          ],
          second: 'channel_attention',
        },
      ],
      concat: [2],
    });
    expect(lines).toContain(
      '  node 2 = dynamic_conv_3x3(c[k-1]) + skip_connect(c[k-2]) -> spatial_attention',
    );
  });
});
