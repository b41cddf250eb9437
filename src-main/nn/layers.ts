/**
 * Layers on the module system: convolutions, batch norm, linear, global pooling.
 * Layout is NHWC throughout; convolution filters are HWIO ([k, k, in, out]) and depthwise
 * filters [k, k, C, 1], as tfjs-core expects them.
 *
 * Padding is tfjs 'same': on stride 2 the extra row/column goes to the bottom/right (PyTorch's
 * symmetric padding takes the other phase of the subsampling grid). Output sizes agree:
 * ceil(H / stride).
 */
import * as tf from '@tensorflow/tfjs-core';
import { recordMultAdds } from './mult-adds';
import { Module } from './module';
import type { Random } from './random';

export interface ConvOptions {
  stride?: number;
  dilation?: number;
  bias?: boolean;
  /** 'same' (default) or 'valid' (no padding). */
  padding?: 'same' | 'valid';
}

/** Kaiming-normal values (fan-in mode, ReLU gain) for a filter of `fanIn` inputs per output. */
function kaimingNormal(rng: Random, shape: number[], fanIn: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normalArray(size, Math.sqrt(2 / fanIn)), shape);
}

/** Dense 2-D convolution, 'same' padding, optional stride or dilation (not both) and bias. */
export class Conv2d extends Module {
  readonly filter: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly dilation: number;
  readonly padding: 'same' | 'valid';

  constructor(rng: Random, cIn: number, cOut: number, k: number, opts: ConvOptions = {}) {
    super();
    this.stride = opts.stride ?? 1;
    this.dilation = opts.dilation ?? 1;
    this.padding = opts.padding ?? 'same';
    this.filter = this.addWeight('filter', kaimingNormal(rng, [k, k, cIn, cOut], k * k * cIn));
    this.bias = opts.bias ? this.addWeight('bias', tf.zeros([cOut])) : null;
  }

  /** x: [N, H, W, cIn] → [N, ceil(H/stride), ceil(W/stride), cOut] ('same'). */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const f = this.filter as tf.Tensor4D;
    const y = tf.conv2d(x, f, this.stride, this.padding, 'NHWC', this.dilation);
    recordMultAdds(y.size * f.shape[0] * f.shape[1] * f.shape[2]);
    return this.bias ? tf.add(y, this.bias) : y;
  }
}

/**
 * How a stride-1 dilated depthwise convolution runs. 'space-to-batch' (default): the input is
 * split into its d x d phases (tf.spaceToBatchND), each convolved undilated, and interleaved
 * back; this is exact and has gradients on every backend. 'native': tf.depthwiseConv2d with
 * `dilations`, whose gradient tfjs-core refuses unless the engine registers one.
 */
export type DilationMode = 'space-to-batch' | 'native';

/** Depthwise 2-D convolution (channel multiplier 1), 'same' padding, stride or dilation. */
export class DepthwiseConv2d extends Module {
  static dilationMode: DilationMode = 'space-to-batch';
  readonly filter: tf.Variable;
  readonly stride: number;
  readonly dilation: number;

  constructor(rng: Random, channels: number, k: number, opts: ConvOptions = {}) {
    super();
    this.stride = opts.stride ?? 1;
    this.dilation = opts.dilation ?? 1;
    this.filter = this.addWeight('filter', kaimingNormal(rng, [k, k, channels, 1], k * k));
  }

  /** x: [N, H, W, C] → [N, ceil(H/stride), ceil(W/stride), C]. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const f = this.filter as tf.Tensor4D;
    const d = this.dilation;
    const y =
      d > 1 && this.stride === 1 && DepthwiseConv2d.dilationMode === 'space-to-batch'
        ? spaceToBatchDepthwise(x, f, d)
        : tf.depthwiseConv2d(x, f, this.stride, 'same', 'NHWC', d);
    recordMultAdds(y.size * f.shape[0] * f.shape[1]);
    return y;
  }
}

/**
 * Dilated ('same', stride 1) depthwise conv via phases: with K = d(k-1)+1, output row
 * i = d*m + p reads rows d*(m + t - (k-1)/2) + p, i.e. an undilated 'same' conv of phase p.
 * Sizes not divisible by d are zero-padded at the bottom/right and cropped back.
 * [N, H, W, C] → [N, H, W, C]; odd k only.
 */
function spaceToBatchDepthwise(x: tf.Tensor4D, filter: tf.Tensor4D, d: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const pads = [
    [0, (d - (h % d)) % d],
    [0, (d - (w % d)) % d],
  ];
  const phases = tf.spaceToBatchND(x, [d, d], pads) as tf.Tensor4D; // [d*d*N, H/d, W/d, C]
  const y = tf.depthwiseConv2d(phases, filter, 1, 'same');
  return tf.batchToSpaceND(y, [d, d], pads) as tf.Tensor4D;
}

export interface BatchNormOptions {
  /** Learn a per-channel scale and shift (DARTS search ops use affine = false). */
  affine?: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch convention). */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over N, H, W as a broadcast formula rather than tf.batchNorm: the fused
 * op's gradient goes through Tile, which is slow on wasm (about 35% end to end).
 * Training normalises with the batch statistics and updates the running statistics; eval uses
 * the running statistics. The running update reads the batch mean and variance and writes two
 * non-trainable buffers: nothing downstream reads it, so no gradient flows through it.
 */
export class BatchNorm2d extends Module {
  readonly gamma: tf.Variable | null;
  readonly beta: tf.Variable | null;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  private readonly momentum: number;
  private readonly eps: number;

  constructor(channels: number, opts: BatchNormOptions = {}) {
    super();
    const affine = opts.affine ?? true;
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-5;
    this.gamma = affine ? this.addWeight('gamma', tf.ones([channels])) : null;
    this.beta = affine ? this.addWeight('beta', tf.zeros([channels])) : null;
    this.runningMean = this.addBuffer('mean', tf.zeros([channels]));
    this.runningVar = this.addBuffer('var', tf.ones([channels]));
  }

  /** x: [N, H, W, C] → [N, H, W, C]. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    if (!training) return this.normalise(x, this.runningMean, this.runningVar);
    const mean = tf.mean(x, [0, 1, 2]);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), [0, 1, 2]);
    this.updateRunning(mean, variance, x.size / x.shape[3]);
    let scale: tf.Tensor = tf.rsqrt(tf.add(variance, this.eps));
    if (this.gamma) scale = tf.mul(scale, this.gamma);
    const y = tf.mul(centred, scale);
    return (this.beta ? tf.add(y, this.beta) : y) as tf.Tensor4D;
  }

  /** Eval path: y = x * scale + shift with scale and shift folded from the running stats. */
  private normalise(x: tf.Tensor4D, mean: tf.Tensor, variance: tf.Tensor): tf.Tensor4D {
    let scale: tf.Tensor = tf.rsqrt(tf.add(variance, this.eps));
    if (this.gamma) scale = tf.mul(scale, this.gamma);
    let shift = tf.neg(tf.mul(mean, scale));
    if (this.beta) shift = tf.add(shift, this.beta);
    return tf.add(tf.mul(x, scale), shift);
  }

  /** Running average with the unbiased batch variance (as PyTorch stores it). */
  private updateRunning(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const m = this.momentum;
    const unbiased = count > 1 ? count / (count - 1) : 1;
    const newMean = tf.tidy(() => tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
    const newVar = tf.tidy(() =>
      tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(variance, m * unbiased)),
    );
    this.runningMean.assign(newMean);
    this.runningVar.assign(newVar);
    newMean.dispose();
    newVar.dispose();
  }
}

/** Fully connected layer; PyTorch's default uniform(±1/sqrt(in)) initialisation. */
export class Linear extends Module {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(rng: Random, inFeatures: number, outFeatures: number, bias = true) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    const k = rng.uniformArray(inFeatures * outFeatures, -bound, bound);
    this.kernel = this.addWeight('kernel', tf.tensor(k, [inFeatures, outFeatures]));
    this.bias = bias
      ? this.addWeight('bias', tf.tensor(rng.uniformArray(outFeatures, -bound, bound)))
      : null;
  }

  /** x: [N, in] → [N, out]. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    const y: tf.Tensor2D = tf.matMul(x, this.kernel as tf.Tensor2D);
    recordMultAdds(y.size * this.kernel.shape[0]);
    return this.bias ? (tf.add(y, this.bias) as tf.Tensor2D) : y;
  }
}

/** Global average pooling: [N, H, W, C] → [N, C]. */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}
