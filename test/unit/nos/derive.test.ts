import { describe, expect, it } from 'vitest';
import { validateGenotype, type GenotypeBlock } from '../../../src-main/contract/genotype';
import {
  SEARCH_SPACES,
  familyOf,
  type Primitive,
  type SearchSpaceName,
} from '../../../src-main/contract/primitives';
import { Random } from '../../../src-main/nn';
import { deriveDartsBlock, deriveGenotype, deriveNosBlock } from '../../../src-main/nos/derive';

const softmax = (row: number[]): number[] => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** Strength of a chosen pair list under `rows`. */
const strengthOf = (b: GenotypeBlock, rows: number[][], ops: readonly Primitive[]): number =>
  b.first.reduce((s, e) => s + rows[e.input][ops.indexOf(e.op)], 0);

/** Exhaustive NOS rule: best total strength over every valid pair of (input, op). */
function exhaustiveNos(rows: number[][], ops: readonly Primitive[], distinct: boolean): number {
  const cands = rows.flatMap((row, i) =>
    row.map((w, o) => ({ i, op: ops[o], w })).filter((c) => c.op !== 'none'),
  );
  let best = -Infinity;
  for (let a = 0; a < cands.length; a++) {
    for (let b = a + 1; b < cands.length; b++) {
      const [x, y] = [cands[a], cands[b]];
      if (distinct && x.i === y.i) continue;
      if (familyOf(x.op) !== 'feature' && familyOf(y.op) !== 'feature') continue;
      best = Math.max(best, x.w + y.w);
    }
  }
  return best;
}

/** Exhaustive DARTS rule: best total over pairs of distinct inputs of their best non-none op. */
function exhaustiveDarts(rows: number[][], ops: readonly Primitive[]): number {
  const best = rows.map((r) => Math.max(...r.filter((_, o) => ops[o] !== 'none')));
  let top = -Infinity;
  for (let i = 0; i < best.length; i++) {
    for (let j = i + 1; j < best.length; j++) top = Math.max(top, best[i] + best[j]);
  }
  return top;
}

/** Alphas of one block with `inputs` edges: random, or built to trap greedy rules. */
function blockAlphas(
  rng: Random,
  inputs: number,
  ops: readonly Primitive[],
  kind: string,
): number[][] {
  return Array.from({ length: inputs }, (_, i) =>
    softmax(
      ops.map((op) => {
        const f = familyOf(op);
        switch (kind) {
          case 'random':
            return rng.normal();
          case 'ties':
            return Math.round(rng.uniform() * 2); // many equal strengths
          case 'calibration-dominant': // attention/dynamic ops strongest everywhere
            return f === 'feature' ? rng.normal() - 3 : rng.normal() + 3;
          case 'none-dominant':
            return op === 'none' ? 10 : rng.normal();
          case 'one-strong-input': // both best ops on input 0
            return i === 0 ? rng.normal() + 4 : rng.normal();
          default:
            throw new Error(kind);
        }
      }),
    ),
  );
}

const KINDS = ['random', 'ties', 'calibration-dominant', 'none-dominant', 'one-strong-input'];

describe('derivation', () => {
  const nosCases = (['nos', 'feature+attention', 'feature+dynamic'] as const).flatMap((space) =>
    KINDS.flatMap((kind) => [true, false].map((distinct) => ({ space, kind, distinct }))),
  );
  it.each(nosCases)(
    'NOS rule matches exhaustive search space=$space alphas=$kind distinct=$distinct',
    ({ space, kind, distinct }) => {
      const ops = SEARCH_SPACES[space];
      const rng = new Random(7);
      for (let trial = 0; trial < 200; trial++) {
        const inputs = 2 + (trial % 4);
        const rows = blockAlphas(rng, inputs, ops, kind);
        const second = blockAlphas(rng, 1, ops, kind)[0];
        const b = deriveNosBlock(rows, second, ops, { distinctInputs: distinct });
        expect(strengthOf(b, rows, ops)).toBeCloseTo(exhaustiveNos(rows, ops, distinct), 12);
        expect(b.first.some((e) => familyOf(e.op) === 'feature')).toBe(true);
        if (distinct) expect(b.first[0].input).not.toBe(b.first[1].input);
        const [s0, s1] = b.first.map((e) => rows[e.input][ops.indexOf(e.op)]);
        expect(s0).toBeGreaterThanOrEqual(s1); // strongest first
        expect(second[ops.indexOf(b.second!)]).toBe(Math.max(...second));
      }
    },
  );

  it.each(KINDS)('DARTS rule matches exhaustive search alphas=%s and never picks none', (kind) => {
    const ops = SEARCH_SPACES.darts;
    const rng = new Random(8);
    for (let trial = 0; trial < 200; trial++) {
      const rows = blockAlphas(rng, 2 + (trial % 4), ops, kind);
      const b = deriveDartsBlock(rows, ops);
      expect(b.first.every((e) => e.op !== 'none')).toBe(true);
      expect(b.first[0].input).not.toBe(b.first[1].input);
      expect(strengthOf(b, rows, ops)).toBeCloseTo(exhaustiveDarts(rows, ops), 12);
      expect(b.second).toBeUndefined();
    }
  });

  it.each(['nos', 'darts', 'feature+attention', 'feature+dynamic'] as SearchSpaceName[])(
    'whole genotypes of space=%s are valid',
    (space) => {
      const ops = SEARCH_SPACES[space];
      const rows = space === 'darts' ? 14 : 18;
      const rng = new Random(9);
      const m = (): number[][] =>
        Array.from({ length: rows }, () => softmax(ops.map(() => rng.normal())));
      const g = deriveGenotype({ normal: m(), reduce: m() }, space, 4);
      expect(validateGenotype(g)).toEqual(g);
      expect(g.concat).toEqual([2, 3, 4, 5]);
    },
  );
});
