/**
 * Random architectures for the baseline of the paper's Table 2 ("best architecture among 30
 * random samples"), drawn uniformly from the same space the search derives from: the set of
 * genotypes the derivation rule can produce (NOS-SPEC section 3, and the space size of the
 * paper's section 5.2, prod over blocks of C(inputs, 2) x |O|^3).
 *
 * Per block k (inputs 0..k+1): two distinct inputs, uniform over the C(k+2, 2) pairs; one op of
 * the space per chosen input, uniform; in two-tier spaces one second-tier op, uniform. The NOS
 * rule keeps at least one feature op in the first tier: blocks without one are redrawn, which
 * leaves the draw uniform over the blocks the rule allows. `none` is never drawn.
 */
import {
  GENOTYPE_VERSION,
  validateGenotype,
  type Genotype,
  type GenotypeBlock,
} from '../contract/genotype';
import { NosError } from '../contract/errors';
import {
  SEARCH_SPACES,
  familyOf,
  type Primitive,
  type SearchSpaceName,
} from '../contract/primitives';
import { Random } from '../nn/random';

/** The ops a genotype of `space` may hold: the space's list without `none`. */
export function genotypeOps(space: SearchSpaceName): Primitive[] {
  return SEARCH_SPACES[space].filter((p) => p !== 'none');
}

const pick = <T>(rng: Random, list: readonly T[]): T =>
  list[Math.floor(rng.uniform() * list.length)];

function sampleBlock(rng: Random, k: number, space: SearchSpaceName): GenotypeBlock {
  const ops = genotypeOps(space);
  const twoTier = space !== 'darts';
  const inputs = k + 2;
  for (;;) {
    const a = Math.floor(rng.uniform() * inputs);
    // A second input uniform over the others: every ordered pair, so every unordered pair, is
    // equally likely.
    let b = Math.floor(rng.uniform() * (inputs - 1));
    if (b >= a) b += 1;
    const first = [
      { op: pick(rng, ops), input: a },
      { op: pick(rng, ops), input: b },
    ];
    if (twoTier && !first.some((e) => familyOf(e.op) === 'feature')) continue;
    return twoTier ? { first, second: pick(rng, ops) } : { first };
  }
}

/** One genotype of `space` with `nodes` inner nodes per cell, uniform over the space. */
export function sampleGenotype(space: SearchSpaceName, rng: Random, nodes = 4): Genotype {
  if (!Number.isInteger(nodes) || nodes < 1) {
    throw new NosError(
      'BAD_INPUT',
      `A cell needs at least one inner node; received nodes = ${nodes}.`,
      'Use 4 inner nodes, as the paper does.',
    );
  }
  const cell = (): GenotypeBlock[] =>
    Array.from({ length: nodes }, (_, k) => sampleBlock(rng, k, space));
  const normal = cell();
  const reduce = cell();
  return validateGenotype({
    version: GENOTYPE_VERSION,
    space,
    normal,
    reduce,
    concat: Array.from({ length: nodes }, (_, j) => j + 2),
  });
}

/** `count` genotypes from one seed: the same seed always gives the same list. */
export function sampleGenotypes(
  space: SearchSpaceName,
  count: number,
  seed: number,
  nodes = 4,
): Genotype[] {
  const rng = new Random(seed);
  return Array.from({ length: count }, () => sampleGenotype(space, rng, nodes));
}
