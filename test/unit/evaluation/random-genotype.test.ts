import { describe, expect, it } from 'vitest';
import { validateGenotype } from '../../../src-main/contract/genotype';
import { familyOf, SEARCH_SPACE_NAMES } from '../../../src-main/contract/primitives';
import {
  genotypeOps,
  sampleGenotype,
  sampleGenotypes,
} from '../../../src-main/evaluation/random-genotype';
import { Random } from '../../../src-main/nn/random';

const SAMPLES = 1500;

describe('sampleGenotype', () => {
  for (const space of SEARCH_SPACE_NAMES) {
    describe(`space=${space}`, () => {
      const genotypes = sampleGenotypes(space, SAMPLES, 7);
      const blocks = genotypes.flatMap((g) => [...g.normal, ...g.reduce]);

      it('gives valid genotypes of the space with distinct inputs per block', () => {
        for (const g of genotypes.slice(0, 100)) {
          expect(validateGenotype(g)).toEqual(g);
          expect(g.space).toBe(space);
          expect(g.concat).toEqual([2, 3, 4, 5]);
        }
        expect(blocks.every((b) => b.first[0].input !== b.first[1].input)).toBe(true);
      });

      it('covers every op of the space in the first tier (and second tier)', () => {
        const ops = genotypeOps(space);
        const first = new Set(blocks.flatMap((b) => b.first.map((e) => e.op)));
        expect([...first].sort()).toEqual([...ops].sort());
        if (space === 'darts') {
          expect(blocks.every((b) => b.second === undefined)).toBe(true);
        } else {
          expect([...new Set(blocks.map((b) => b.second))].sort()).toEqual([...ops].sort());
          expect(blocks.every((b) => b.first.some((e) => familyOf(e.op) === 'feature'))).toBe(true);
        }
        expect(first.has('none')).toBe(false);
      });

      it('covers every input of every block about uniformly', () => {
        for (let k = 0; k < 4; k++) {
          const counts = new Array(k + 2).fill(0);
          for (const g of genotypes) {
            for (const e of g.normal[k].first) counts[e.input] += 1;
          }
          // Each input is in a chosen pair with probability 2 / (k + 2).
          const expected = (SAMPLES * 2) / (k + 2);
          for (const c of counts) expect(Math.abs(c - expected) / expected).toBeLessThan(0.1);
        }
      });
    });
  }

  it('draws first-tier ops of the nos space uniformly over the allowed blocks', () => {
    // Of the 11 x 11 op pairs, the 4 x 4 without a feature op are redrawn. Uniform over the
    // other 105, an edge holds a feature op in 7 x 11 of them: probability 77 / 105.
    const blocks = sampleGenotypes('nos', SAMPLES, 3).flatMap((g) => g.normal);
    const edges = blocks.flatMap((b) => b.first);
    const feature = edges.filter((e) => familyOf(e.op) === 'feature').length / edges.length;
    expect(feature).toBeCloseTo(77 / 105, 1);
  });

  it('is reproducible from its seed', () => {
    expect(sampleGenotypes('nos', 3, 11)).toEqual(sampleGenotypes('nos', 3, 11));
    expect(sampleGenotypes('nos', 3, 11)).not.toEqual(sampleGenotypes('nos', 3, 12));
  });

  it.each([{ nodes: 0 }, { nodes: 1.5 }])('rejects nodes=$nodes', ({ nodes }) => {
    expect(() => sampleGenotype('nos', new Random(0), nodes)).toThrow(/at least one inner node/);
  });
});
