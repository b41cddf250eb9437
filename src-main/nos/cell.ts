/**
 * Search cells (paper section 2.2; NOS-SPEC section 2): a DAG of 2 + n + 1 nodes (n = 4 inner
 * nodes gives the paper's 7): F1, F2 = the two previous cells' outputs after preprocessing,
 * F3..F(n+2) = inner nodes, the output = their channel concatenation.
 *
 * Alpha rows (edges) are ordered as in DARTS: first-tier edges node by node (node k has 2 + k
 * inputs: the two cell inputs, then the earlier inner nodes), 14 rows for n = 4, then (NOS cells
 * only) one second-tier row per node: 18 rows in all. In a reduction cell the edges leaving the
 * two cell inputs have stride 2.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Primitive } from '../contract/primitives';
import { Module, type Random } from '../nn';
import { MixedOp, heterogeneousResidual, sumFamilies } from './block';
import { FactorizedReduce, ReLUConvBN } from './ops';

/** Number of first-tier edges of a cell with `nodes` inner nodes (14 for 4). */
export const firstTierEdges = (nodes: number): number => (nodes * (nodes + 3)) / 2;

/** Alpha rows of a cell: first-tier edges, plus one second-tier edge per node for NOS cells. */
export const alphaRows = (nodes: number, twoTier: boolean): number =>
  firstTierEdges(nodes) + (twoTier ? nodes : 0);

export interface CellShape {
  /** Channels of the cell two back and one back. */
  cPrevPrev: number;
  cPrev: number;
  /** Channels of every inner node. */
  C: number;
  reduction: boolean;
  reductionPrev: boolean;
  nodes: number;
}

/** Preprocessing of the two cell inputs to C channels at the cell's input resolution. */
export class CellInputs extends Module {
  private readonly pre0: FactorizedReduce | ReLUConvBN;
  private readonly pre1: ReLUConvBN;

  constructor(rng: Random, s: CellShape, affine: boolean) {
    super();
    // After a reduction cell, the cell two back is at twice the resolution.
    this.pre0 = this.addModule(
      'pre0',
      s.reductionPrev
        ? new FactorizedReduce(rng, s.cPrevPrev, s.C, affine)
        : new ReLUConvBN(rng, s.cPrevPrev, s.C, 1, affine),
    );
    this.pre1 = this.addModule('pre1', new ReLUConvBN(rng, s.cPrev, s.C, 1, affine));
  }

  /** s0: [N, 2H or H, .., cPrevPrev], s1: [N, H, W, cPrev] → two [N, H, W, C]. */
  forward(s0: tf.Tensor4D, s1: tf.Tensor4D, training: boolean): tf.Tensor4D[] {
    return [this.pre0.forward(s0, training), this.pre1.forward(s1, training)];
  }
}

/** Common interface of search cells. */
export interface SearchCell extends Module {
  readonly reduction: boolean;
  /**
   * s0, s1: the two previous cells' outputs; opWeights: softmax(alpha) as scalars [row][op].
   * Returns [N, H', W', nodes * C] (H' = H/2 in a reduction cell).
   */
  forward(
    s0: tf.Tensor4D,
    s1: tf.Tensor4D,
    opWeights: tf.Scalar[][],
    training: boolean,
  ): tf.Tensor4D;
}

function buildFirstTier(rng: Random, primitives: readonly Primitive[], s: CellShape): MixedOp[] {
  const edges: MixedOp[] = [];
  for (let k = 0; k < s.nodes; k++) {
    for (let j = 0; j < 2 + k; j++) {
      const stride = s.reduction && j < 2 ? 2 : 1;
      edges.push(new MixedOp(rng, primitives, s.C, stride));
    }
  }
  return edges;
}

/** A NOS cell: every inner node is a two-tier heterogeneous residual block. */
export class NosCell extends Module implements SearchCell {
  readonly reduction: boolean;
  private readonly inputs: CellInputs;
  private readonly first: MixedOp[];
  private readonly second: MixedOp[];
  private readonly nodes: number;

  constructor(rng: Random, primitives: readonly Primitive[], s: CellShape) {
    super();
    this.reduction = s.reduction;
    this.nodes = s.nodes;
    this.inputs = this.addModule('inputs', new CellInputs(rng, s, false));
    this.first = this.addModules('first', buildFirstTier(rng, primitives, s));
    const second: MixedOp[] = [];
    for (let k = 0; k < s.nodes; k++) second.push(new MixedOp(rng, primitives, s.C, 1));
    this.second = this.addModules('second', second);
  }

  forward(s0: tf.Tensor4D, s1: tf.Tensor4D, w: tf.Scalar[][], training: boolean): tf.Tensor4D {
    const states = this.inputs.forward(s0, s1, training);
    const secondRow0 = firstTierEdges(this.nodes);
    let e = 0;
    for (let k = 0; k < this.nodes; k++) {
      // First tier: one mixed op per earlier node, accumulated per family (eqs. 2-4).
      const parts = states.map((h) => {
        const part = this.first[e].forward(h, w[e], training);
        e += 1;
        return part;
      });
      const surrogate = heterogeneousResidual(sumFamilies(parts)); // eq. 5
      // Second tier: one mixed op on the surrogate node (eqs. 6-9).
      const tier2 = this.second[k].forward(surrogate, w[secondRow0 + k], training);
      states.push(heterogeneousResidual(tier2));
    }
    return tf.concat(states.slice(2), 3);
  }
}

/** The standard DARTS cell: each node sums its mixed input edges. */
export class DartsCell extends Module implements SearchCell {
  readonly reduction: boolean;
  private readonly inputs: CellInputs;
  private readonly edges: MixedOp[];
  private readonly nodes: number;

  constructor(rng: Random, primitives: readonly Primitive[], s: CellShape) {
    super();
    this.reduction = s.reduction;
    this.nodes = s.nodes;
    this.inputs = this.addModule('inputs', new CellInputs(rng, s, false));
    this.edges = this.addModules('edges', buildFirstTier(rng, primitives, s));
  }

  forward(s0: tf.Tensor4D, s1: tf.Tensor4D, w: tf.Scalar[][], training: boolean): tf.Tensor4D {
    const states = this.inputs.forward(s0, s1, training);
    let e = 0;
    for (let k = 0; k < this.nodes; k++) {
      const terms = states.map((h) => {
        const f = this.edges[e].forward(h, w[e], training).f;
        e += 1;
        return f;
      });
      states.push(tf.addN(terms.filter((t): t is tf.Tensor4D => t !== null)));
    }
    return tf.concat(states.slice(2), 3);
  }
}
