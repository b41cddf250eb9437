import { describe, expect, it } from 'vitest';
import {
  diffCount,
  diffGenotypes,
  edgeCount,
  edgeLabels,
  alphaRowLabels,
  asGenotype,
  dartsText,
  genotypeJsonText,
  nodesFromEdgeCount,
} from '../../../src-renderer/src/lib/genotype';
import { GENOTYPE_A, GENOTYPE_B, GENOTYPE_DARTS } from './fixtures';

describe('genotype display helpers', () => {
  it('counts 18 alpha rows for 4 inner nodes (14 first-tier + 4 second-tier)', () => {
    expect(edgeCount(4)).toBe(18);
    expect(nodesFromEdgeCount(18)).toBe(4);
    expect(nodesFromEdgeCount(17)).toBeNull();
  });

  it('labels a DARTS-space matrix (14 rows, none op) without a second tier', () => {
    const labels = alphaRowLabels(14, ['none', 'sep_conv_3x3']);
    expect(labels).toHaveLength(14);
    expect(labels[0]).toBe('c_{k-2} → n2');
    expect(alphaRowLabels(18, ['sep_conv_3x3'])[17]).toBe("n5' → n5");
    expect(alphaRowLabels(5, ['sep_conv_3x3'])).toEqual([
      'edge 0',
      'edge 1',
      'edge 2',
      'edge 3',
      'edge 4',
    ]);
  });

  it('labels first-tier rows before second-tier rows', () => {
    const labels = edgeLabels(4);
    expect(labels).toHaveLength(18);
    expect(labels[0]).toBe("c_{k-2} → n2'");
    expect(labels[13]).toBe("n4 → n5'");
    expect(labels[14]).toBe("n2' → n2");
    expect(labels[17]).toBe("n5' → n5");
  });

  it('accepts a valid genotype from an API answer and rejects malformed ones', () => {
    expect(asGenotype(GENOTYPE_A)).toEqual(GENOTYPE_A);
    expect(asGenotype(null)).toBeNull();
    expect(asGenotype({ version: 2 })).toBeNull();
    expect(
      asGenotype({ ...GENOTYPE_A, normal: [{ first: [{ op: 'nope', input: 0 }] }] }),
    ).toBeNull();
  });

  it('has a DARTS text form only for darts-space genotypes', () => {
    expect(dartsText(GENOTYPE_A)).toBeNull();
    expect(dartsText(GENOTYPE_DARTS)).toMatch(/^Genotype\(normal=\[\('sep_conv_3x3', 0\)/);
  });

  it('finds no difference between a genotype and itself', () => {
    expect(diffCount(GENOTYPE_A, GENOTYPE_A)).toBe(0);
  });

  it('marks a replaced first-tier op as removed and added, and a changed second-tier op', () => {
    const normal = diffGenotypes(GENOTYPE_A, GENOTYPE_B, 'normal');
    expect(normal[1].first.filter((e) => e.mark === 'removed')).toEqual([
      { op: 'skip_connect', input: 2, mark: 'removed' },
    ]);
    expect(normal[1].first.filter((e) => e.mark === 'added')).toEqual([
      { op: 'sep_conv_3x3', input: 2, mark: 'added' },
    ]);
    const reduce = diffGenotypes(GENOTYPE_A, GENOTYPE_B, 'reduce');
    expect(reduce[0].second).toEqual({ a: 'skip_connect', b: 'sep_conv_5x5', same: false });
    expect(diffCount(GENOTYPE_A, GENOTYPE_B)).toBe(3);
  });
});

describe('genotypeJsonText', () => {
  it('is the same document as JSON, one block per line', () => {
    const text = genotypeJsonText(GENOTYPE_A);
    expect(JSON.parse(text)).toEqual(GENOTYPE_A);
    const lines = text.split('\n');
    // Two braces, version + space + concat, and per cell an opening line, its blocks, a closing line.
    const cells = GENOTYPE_A.normal.length + 2 + GENOTYPE_A.reduce.length + 2;
    expect(lines).toHaveLength(2 + 3 + cells);
    expect(lines.filter((l) => l.includes('"first"'))).toHaveLength(
      GENOTYPE_A.normal.length + GENOTYPE_A.reduce.length,
    );
  });
});
