/**
 * The op registry: every primitive of the contract's list (contract/primitives.ts) mapped to
 * the factory that builds it, declared as data. A primitive without a factory does not compile,
 * and tests iterate this table.
 *
 * One factory signature for all: (C, stride, affine, rng) => Op. `stride` is 2 on reduction
 * edges from the cell inputs; `affine` is false in the supernet (DARTS convention: the alphas
 * play the role of the output scale) and true in derived networks.
 */
import { familyOf, type OpFamily, type Primitive } from '../contract/primitives';
import type { Random } from '../nn';
import {
  ChannelAttention,
  DilConv,
  DynamicKernel,
  FactorizedReduce,
  Identity,
  type Op,
  Pool,
  SepConv,
  SpatialAttention,
  Zero,
} from './ops';

export type OpFactory = (C: number, stride: number, affine: boolean, rng: Random) => Op;

export const OPS: { readonly [P in Primitive]: OpFactory } = {
  none: (_C, stride) => new Zero(stride),
  sep_conv_3x3: (C, stride, affine, rng) => new SepConv(rng, C, 3, stride, affine),
  sep_conv_5x5: (C, stride, affine, rng) => new SepConv(rng, C, 5, stride, affine),
  dil_conv_3x3: (C, stride, affine, rng) => new DilConv(rng, C, 3, stride, affine),
  dil_conv_5x5: (C, stride, affine, rng) => new DilConv(rng, C, 5, stride, affine),
  avg_pool_3x3: (_C, stride) => new Pool('avg', stride),
  max_pool_3x3: (_C, stride) => new Pool('max', stride),
  skip_connect: (C, stride, affine, rng) =>
    stride === 1 ? new Identity() : new FactorizedReduce(rng, C, C, affine),
  spatial_attention: (C, stride, _affine, rng) => new SpatialAttention(rng, C, stride),
  channel_attention: (C, _stride, _affine, rng) => new ChannelAttention(rng, C),
  dynamic_conv_3x3: (C, _stride, _affine, rng) => new DynamicKernel(rng, C, 3, false),
  dynamic_conv_5x5: (C, _stride, _affine, rng) => new DynamicKernel(rng, C, 5, false),
  dil_dynamic_conv_3x3: (C, _stride, _affine, rng) => new DynamicKernel(rng, C, 3, true),
  dil_dynamic_conv_5x5: (C, _stride, _affine, rng) => new DynamicKernel(rng, C, 5, true),
};

/** Builds one candidate op. */
export function createOp(
  name: Primitive,
  C: number,
  stride: number,
  affine: boolean,
  rng: Random,
): Op {
  return OPS[name](C, stride, affine, rng);
}

export { familyOf, type OpFamily };

/** True for the pooling primitives (the supernet follows them with a non-affine BN). */
export const isPool = (p: Primitive): boolean => p === 'avg_pool_3x3' || p === 'max_pool_3x3';
