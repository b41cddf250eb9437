/**
 * The heterogeneous residual block of NOS (paper section 2.2, equations 2-9; NOS-SPEC section
 * 2) and the mixed op that relaxes one edge (DARTS continuous relaxation).
 *
 * A mixed op applies every candidate to its input once and returns the softmax-weighted
 * outputs accumulated per family: F (features), A (attention maps, broadcast to [N, H, W, C]
 * when spatial and channel maps meet) and D (per-sample kernels, zero-padded to a common size
 * and summed). Summing kernels is exact: depthwise convolution is linear in the kernel, so
 * sum_D dynconv(F, D) = dynconv(F, sum_D D), one convolution per tier instead of one per op.
 *
 * `none` is never computed: its output is zero, so its weighted term is exactly zero; its alpha
 * still receives gradient through the softmax normaliser.
 *
 * In the supernet, pools are followed by a non-affine BN (as DARTS does in its MixedOp), so
 * their scale matches the parametric ops'.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Primitive } from '../contract/primitives';
import { BatchNorm2d, Module, type Random } from '../nn';
import { type Op, addKernels, dynamicDepthwise } from './ops';
import { createOp, familyOf, isPool } from './primitives';

/** Per-family partial sums of one tier; null when the family contributed nothing. */
export interface FamilySums {
  /** [N, H, W, C] */
  f: tf.Tensor4D | null;
  /** [N, H, W, C], [N, H, W, 1] or [N, 1, 1, C] */
  a: tf.Tensor4D | null;
  /** [N, K, K, C] */
  d: tf.Tensor4D | null;
}

/** Sums a list of tensors (null when empty); addN needs equal shapes, so broadcast by pairs. */
function sumAll(terms: tf.Tensor4D[]): tf.Tensor4D | null {
  if (terms.length === 0) return null;
  if (terms.length === 1) return terms[0];
  const same = terms.every((t) => t.shape.every((d, i) => d === terms[0].shape[i]));
  if (same) return tf.addN(terms);
  return terms.reduce((acc, t) => tf.add(acc, t));
}

/** Accumulates per-family sums of several edges (first tier of one block). */
export function sumFamilies(parts: FamilySums[]): FamilySums {
  const pick = (key: keyof FamilySums): tf.Tensor4D[] =>
    parts.map((p) => p[key]).filter((t): t is tf.Tensor4D => t !== null);
  const kernels = pick('d');
  return {
    f: sumAll(pick('f')),
    a: sumAll(pick('a')),
    d: kernels.length === 0 ? null : kernels.reduce((acc, k) => addKernels(acc, k)),
  };
}

/**
 * Equations (5) and (9): F + F * A + sum_D dynconv(F, D). F must be present (every relaxed
 * tier has a feature mixture). [N, H, W, C] → [N, H, W, C].
 */
export function heterogeneousResidual(s: FamilySums): tf.Tensor4D {
  if (s.f === null) throw new Error('heterogeneousResidual: the feature sum is empty');
  const f = s.f;
  const terms: tf.Tensor4D[] = [f];
  if (s.a !== null) terms.push(tf.mul(f, s.a));
  if (s.d !== null) terms.push(dynamicDepthwise(f, s.d));
  return sumAll(terms) as tf.Tensor4D;
}

/** A supernet pool: pool then non-affine BN. */
class PoolBN extends Module {
  readonly family = 'feature';
  private readonly bn: BatchNorm2d;
  constructor(
    private readonly pool: Op,
    C: number,
  ) {
    super();
    this.addModule('pool', pool);
    this.bn = this.addModule('bn', new BatchNorm2d(C, { affine: false }));
  }
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.bn.forward(this.pool.forward(x, training), training);
  }
}

type Candidate = Op | PoolBN;

/** One relaxed edge: every candidate of the space, computed once, weighted by softmax(alpha). */
export class MixedOp extends Module {
  private readonly ops: Array<Candidate | null>;
  private readonly families: ReturnType<typeof familyOf>[];

  constructor(rng: Random, primitives: readonly Primitive[], C: number, stride: number) {
    super();
    this.families = primitives.map(familyOf);
    this.ops = primitives.map((p, i) => {
      if (p === 'none') return null;
      const op = createOp(p, C, stride, false, rng);
      const candidate = isPool(p) ? new PoolBN(op, C) : op;
      return this.addModule(`ops.${i}`, candidate);
    });
  }

  /**
   * x: [N, H, W, C]; opWeights: one scalar per candidate (a softmax row of the alphas).
   * Returns the per-family weighted sums (F at [N, H/stride, W/stride, C]).
   */
  forward(x: tf.Tensor4D, opWeights: tf.Scalar[], training: boolean): FamilySums {
    const byFamily: Record<'feature' | 'attention' | 'dynamic', tf.Tensor4D[]> = {
      feature: [],
      attention: [],
      dynamic: [],
    };
    this.ops.forEach((op, i) => {
      const family = this.families[i];
      if (op === null || family === 'none') return;
      byFamily[family].push(tf.mul(op.forward(x, training), opWeights[i]));
    });
    return sumFamilies([
      { f: sumAll(byFamily.feature), a: sumAll(byFamily.attention), d: null },
      ...byFamily.dynamic.map((d) => ({ f: null, a: null, d })),
    ]);
  }
}
