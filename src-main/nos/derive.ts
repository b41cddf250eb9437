/**
 * Derivation: from the softmaxed alphas of a search to a genotype (NOS-SPEC section 3).
 *
 * Strength of an op on an edge = its softmax weight on that edge; `none` never counts.
 * - NOS rule (two-tier spaces), per block: keep the two first-tier (op, input) pairs of largest
 *   total strength such that at least one is a feature op, and the strongest second-tier op.
 *   "Two strongest incoming ops" is read as DARTS reads "two strongest incoming edges": the two
 *   pairs come from different inputs (`distinctInputs`, default true; false allows an op and a
 *   calibration on the same input). The best constrained pair is found in one pass: it pairs the
 *   best feature op of one input with the best op of any family of another.
 * - DARTS rule (darts space): rank inputs by their best non-none op, keep the top two.
 * Pairs are listed strongest first, as DARTS lists them. Ties go to the lower input, then the
 * earlier op of the space.
 */
import {
  type Genotype,
  type GenotypeBlock,
  type GenotypeEdge,
  GENOTYPE_VERSION,
} from '../contract/genotype';
import {
  SEARCH_SPACES,
  familyOf,
  type Primitive,
  type SearchSpaceName,
} from '../contract/primitives';
import { firstTierEdges } from './cell';

export interface DeriveOptions {
  /** The two first-tier pairs must read different inputs (NOS rule; default true). */
  distinctInputs?: boolean;
}

/** softmax(alpha) of one cell type: [edge][op] in the space's op order. */
export type OpWeightMatrix = readonly (readonly number[])[];

interface Pick {
  input: number;
  op: number;
  strength: number;
}

/** Strongest op of one edge among those `accept` allows (null when none is allowed). */
function bestOp(
  row: readonly number[],
  accept: (op: number) => boolean,
  input: number,
): Pick | null {
  let best: Pick | null = null;
  for (let op = 0; op < row.length; op++) {
    if (accept(op) && (best === null || row[op] > best.strength)) {
      best = { input, op, strength: row[op] };
    }
  }
  return best;
}

const toEdge = (p: Pick, ops: readonly Primitive[]): GenotypeEdge => ({
  op: ops[p.op],
  input: p.input,
});

/** Orders a pair strongest first (ties keep the given order). */
const ordered = (a: Pick, b: Pick): [Pick, Pick] => (b.strength > a.strength ? [b, a] : [a, b]);

/** NOS rule for one block; `rows[i]` is the edge from input i. */
export function deriveNosBlock(
  rows: OpWeightMatrix,
  secondRow: readonly number[],
  ops: readonly Primitive[],
  opts: DeriveOptions = {},
): GenotypeBlock {
  const distinct = opts.distinctInputs ?? true;
  const isFeature = (o: number): boolean => familyOf(ops[o]) === 'feature';
  const notNone = (o: number): boolean => ops[o] !== 'none';
  let best: [Pick, Pick] | null = null;
  let bestSum = -Infinity;
  for (let i = 0; i < rows.length; i++) {
    const feature = bestOp(rows[i], isFeature, i);
    if (feature === null) continue;
    // Partner: the strongest other pair (another input, or any other op when allowed).
    for (let j = 0; j < rows.length; j++) {
      if (distinct && j === i) continue;
      const partner = bestOp(rows[j], (o) => notNone(o) && !(j === i && o === feature.op), j);
      if (partner !== null && feature.strength + partner.strength > bestSum) {
        bestSum = feature.strength + partner.strength;
        const partnerFirst = j < i || (j === i && partner.op < feature.op);
        best = partnerFirst ? [partner, feature] : [feature, partner];
      }
    }
  }
  if (best === null) throw new Error('deriveNosBlock: no valid pair of first-tier ops');
  const [a, b] = ordered(best[0], best[1]);
  const second = bestOp(secondRow, notNone, 0) as Pick;
  return { first: [toEdge(a, ops), toEdge(b, ops)], second: ops[second.op] };
}

/** DARTS rule for one node. */
export function deriveDartsBlock(rows: OpWeightMatrix, ops: readonly Primitive[]): GenotypeBlock {
  const perInput = rows.map((row, i) => bestOp(row, (o) => ops[o] !== 'none', i) as Pick);
  // Stable sort: equal strengths keep input order.
  const top = [...perInput].sort((x, y) => y.strength - x.strength).slice(0, 2);
  return { first: top.map((p) => toEdge(p, ops)) };
}

/** First-tier rows of block k in the alpha matrix (inputs 0..k+1). */
function blockRows(m: OpWeightMatrix, k: number): OpWeightMatrix {
  const start = firstTierEdges(k); // edges of the blocks before k
  return m.slice(start, start + 2 + k);
}

function deriveCell(
  m: OpWeightMatrix,
  space: SearchSpaceName,
  nodes: number,
  opts: DeriveOptions,
): GenotypeBlock[] {
  const ops = SEARCH_SPACES[space];
  const blocks: GenotypeBlock[] = [];
  for (let k = 0; k < nodes; k++) {
    const rows = blockRows(m, k);
    blocks.push(
      space === 'darts'
        ? deriveDartsBlock(rows, ops)
        : deriveNosBlock(rows, m[firstTierEdges(nodes) + k], ops, opts),
    );
  }
  return blocks;
}

/** The genotype of a search from softmax(alpha) of its normal and reduction cells. */
export function deriveGenotype(
  opWeights: { normal: OpWeightMatrix; reduce: OpWeightMatrix },
  space: SearchSpaceName,
  nodes: number,
  opts: DeriveOptions = {},
): Genotype {
  return {
    version: GENOTYPE_VERSION,
    space,
    normal: deriveCell(opWeights.normal, space, nodes, opts),
    reduce: deriveCell(opWeights.reduce, space, nodes, opts),
    concat: Array.from({ length: nodes }, (_, j) => j + 2),
  };
}
