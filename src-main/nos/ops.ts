/**
 * The candidate operations of the NOS search space (paper section 2.1; NOS-SPEC section 1).
 * Layout NHWC throughout.
 *
 * Feature ops follow DARTS: ReLU-conv-BN, sep_conv = the depthwise-separable unit applied twice
 * (only the first strided), dil_conv = one dilated (2) separable unit, pools, identity (or
 * factorized reduce on stride 2), and the zero op `none`.
 *
 * Choices where the paper is silent (kept in line with the PyTorch peer in shared/bench):
 * - Spatial attention: ReLU, 3x3 conv (stride of the edge) to max(C/4, 4) channels, BN, ReLU,
 *   1x1 conv to one channel, sigmoid → [N, H', W', 1]. On a stride-2 edge the strided conv puts
 *   the map at the reduced resolution of the feature it will multiply.
 * - Channel attention: global average, FC C → max(C/4, 4), ReLU, FC → C, sigmoid →
 *   [N, 1, 1, C]: resolution independent, so it fits stride-2 edges unchanged.
 * - Dynamic convolution (paper Fig. 1): bottleneck = adaptive average pool to a k x k grid and a
 *   1x1 conv C → max(C/r, 4) (r = 4), ReLU; kernel transform = 3x3 conv on the k x k latent,
 *   ReLU; kernel decode = 1x1 conv back to C channels (bias), scaled by 1/k² so the initial
 *   calibration is small. Output: a per-sample depthwise kernel [N, k, k, C]. Kernels do not
 *   depend on resolution, so on a stride-2 edge they apply unchanged to the reduced feature.
 * - Dilated dynamic variants return their effective kernel: the k x k taps spread with zeros
 *   to (2k-1) x (2k-1). Applying it undilated equals a dilation-2 convolution, and kernels of
 *   different sizes can be summed after centred zero padding (convolution is linear in the
 *   kernel), which is how the block accumulates the dynamic family.
 * - Stride 2 with dilation 2 (dil_conv on reduction edges): computed exactly as an undilated
 *   convolution on one phase of the 2x2-subsampled input (see `DepthwiseConv2d` below), which
 *   is what TF 'same' padding would give and costs a quarter of dilate-then-subsample.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OpFamily } from '../contract/primitives';
import { BatchNorm2d, Conv2d, Linear, Module, Random, globalAvgPool } from '../nn';
import { DepthwiseConv2d, recordMultAdds } from '../nn';

/** A candidate op on one edge: a module with a family and a forward pass. */
export abstract class Op extends Module {
  abstract readonly family: OpFamily;
  /**
   * x: [N, H, W, C]. Output by family: feature [N, H', W', C]; attention [N, H', W', 1] or
   * [N, 1, 1, C]; dynamic [N, K, K, C] (a per-sample depthwise kernel). H' = ceil(H / stride).
   */
  abstract forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

/**
 * Takes one phase of a 2x2 subsampling: [N, H, W, C] → [N, ceil(H/2), ceil(W/2), C] holding
 * x[2i + phase, 2j + phase]. Odd sizes are zero-padded at the bottom/right first. Written as
 * reshape + slice because tfjs's strided slice has no gradient.
 */
export function subsample2(x: tf.Tensor4D, phase: 0 | 1): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const padded =
    h % 2 || w % 2
      ? tf.pad(x, [
          [0, 0],
          [0, h % 2],
          [0, w % 2],
          [0, 0],
        ])
      : x;
  const [hh, wh] = [(h + (h % 2)) / 2, (w + (w % 2)) / 2];
  const grid = tf.reshape(padded, [n, hh, 2, wh, 2, c]);
  const phaseSlice = tf.slice(grid, [0, 0, phase, 0, phase, 0], [n, hh, 1, wh, 1, c]);
  return tf.reshape(phaseSlice, [n, hh, wh, c]);
}

/**
 * Depthwise conv with dilation 2 and stride 2, as an undilated stride-1 conv on one phase of
 * the input (TF 'same' padding): the taps x[2i + 2t - padTop] all share the parity of padTop.
 * Even sizes use the odd phase, odd sizes the even phase.
 */
export function dilatedStridedDepthwise(x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  const phase = x.shape[1] % 2 === 0 ? 1 : 0;
  const y = tf.depthwiseConv2d(subsample2(x, phase), filter, 1, 'same');
  recordMultAdds(y.size * filter.shape[0] * filter.shape[1]);
  return y;
}

/** ReLU → depthwise k x k (stride, dilation) → pointwise → BN: one separable unit. */
class SeparableUnit extends Module {
  private readonly dw: DepthwiseConv2d;
  private readonly pw: Conv2d;
  private readonly bn: BatchNorm2d;

  constructor(rng: Random, C: number, k: number, stride: number, dil: number, affine: boolean) {
    super();
    this.dw = this.addModule('dw', new DepthwiseConv2d(rng, C, k, { stride, dilation: dil }));
    this.pw = this.addModule('pw', new Conv2d(rng, C, C, 1));
    this.bn = this.addModule('bn', new BatchNorm2d(C, { affine }));
  }

  /** [N, H, W, C] → [N, ceil(H/stride), ceil(W/stride), C]. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const h = tf.relu(x);
    const { stride, dilation } = this.dw;
    const d =
      stride === 2 && dilation === 2
        ? dilatedStridedDepthwise(h, this.dw.filter as tf.Tensor4D)
        : this.dw.forward(h);
    return this.bn.forward(this.pw.forward(d), training);
  }
}

/** sep_conv_kxk: two separable units, only the first strided. */
export class SepConv extends Op {
  readonly family = 'feature';
  private readonly units: SeparableUnit[];

  constructor(rng: Random, C: number, k: number, stride: number, affine: boolean) {
    super();
    this.units = this.addModules('units', [
      new SeparableUnit(rng, C, k, stride, 1, affine),
      new SeparableUnit(rng, C, k, 1, 1, affine),
    ]);
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.units[1].forward(this.units[0].forward(x, training), training);
  }
}

/** dil_conv_kxk: one separable unit with dilation 2. */
export class DilConv extends Op {
  readonly family = 'feature';
  private readonly unit: SeparableUnit;

  constructor(rng: Random, C: number, k: number, stride: number, affine: boolean) {
    super();
    this.unit = this.addModule('unit', new SeparableUnit(rng, C, k, stride, 2, affine));
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.unit.forward(x, training);
  }
}

/** 3x3 average (padding excluded from the count) or max pooling. */
export class Pool extends Op {
  readonly family = 'feature';

  constructor(
    private readonly kind: 'avg' | 'max',
    private readonly stride: number,
  ) {
    super();
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.kind === 'avg'
      ? tf.avgPool(x, 3, this.stride, 'same')
      : tf.maxPool(x, 3, this.stride, 'same');
  }
}

/** skip_connect on a stride-1 edge. */
export class Identity extends Op {
  readonly family = 'feature';
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return x;
  }
}

/**
 * Halves the resolution keeping every pixel: ReLU, two 1x1 convs (C_out/2 each) on the even
 * and the odd phase of the 2x2 grid, concatenated, BN. skip_connect on stride-2 edges, and the
 * cell preprocessing after a reduction cell.
 */
export class FactorizedReduce extends Op {
  readonly family = 'feature';
  private readonly convA: Conv2d;
  private readonly convB: Conv2d;
  private readonly bn: BatchNorm2d;

  constructor(rng: Random, cIn: number, cOut: number, affine: boolean) {
    super();
    this.convA = this.addModule('convA', new Conv2d(rng, cIn, cOut / 2, 1));
    this.convB = this.addModule('convB', new Conv2d(rng, cIn, cOut - cOut / 2, 1));
    this.bn = this.addModule('bn', new BatchNorm2d(cOut, { affine }));
  }

  /** [N, H, W, cIn] → [N, ceil(H/2), ceil(W/2), cOut]. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const h = tf.relu(x);
    const a = this.convA.forward(subsample2(h, 0));
    const b = this.convB.forward(subsample2(h, 1));
    return this.bn.forward(tf.concat([a, b], 3), training);
  }
}

/** ReLU → conv k x k → BN (cell preprocessing). */
export class ReLUConvBN extends Module {
  private readonly conv: Conv2d;
  private readonly bn: BatchNorm2d;

  constructor(rng: Random, cIn: number, cOut: number, k: number, affine: boolean) {
    super();
    this.conv = this.addModule('conv', new Conv2d(rng, cIn, cOut, k));
    this.bn = this.addModule('bn', new BatchNorm2d(cOut, { affine }));
  }

  /** [N, H, W, cIn] → [N, H, W, cOut]. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.bn.forward(this.conv.forward(tf.relu(x)), training);
  }
}

/** The zero op of the DARTS space. Mixtures skip it (its term is exactly zero). */
export class Zero extends Op {
  readonly family = 'none';
  constructor(private readonly stride: number) {
    super();
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const [n, h, w, c] = x.shape;
    const s = this.stride;
    return tf.zeros([n, Math.ceil(h / s), Math.ceil(w / s), c]);
  }
}

const bottleneckWidth = (C: number, ratio: number): number => Math.max(Math.floor(C / ratio), 4);

/** Saliency over positions: [N, H, W, C] → [N, H', W', 1] in (0, 1). */
export class SpatialAttention extends Op {
  readonly family = 'attention';
  private readonly reduce: Conv2d;
  private readonly bn: BatchNorm2d;
  private readonly score: Conv2d;

  constructor(rng: Random, C: number, stride: number, ratio = 4) {
    super();
    const mid = bottleneckWidth(C, ratio);
    this.reduce = this.addModule('reduce', new Conv2d(rng, C, mid, 3, { stride }));
    this.bn = this.addModule('bn', new BatchNorm2d(mid, { affine: false }));
    this.score = this.addModule('score', new Conv2d(rng, mid, 1, 1, { bias: true }));
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const h = tf.relu(this.bn.forward(this.reduce.forward(tf.relu(x)), training));
    return tf.sigmoid(this.score.forward(h));
  }
}

/** Squeeze-and-excitation channel scales: [N, H, W, C] → [N, 1, 1, C] in (0, 1). */
export class ChannelAttention extends Op {
  readonly family = 'attention';
  private readonly fc1: Linear;
  private readonly fc2: Linear;

  constructor(rng: Random, C: number, ratio = 4) {
    super();
    const mid = bottleneckWidth(C, ratio);
    this.fc1 = this.addModule('fc1', new Linear(rng, C, mid));
    this.fc2 = this.addModule('fc2', new Linear(rng, mid, C));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const [n, , , c] = x.shape;
    const s = this.fc2.forward(tf.relu(this.fc1.forward(globalAvgPool(x))));
    return tf.reshape(tf.sigmoid(s), [n, 1, 1, c]);
  }
}

/** Row i averages the input positions [floor(i*L/k), ceil((i+1)*L/k)): [k, L]. */
function adaptivePoolMatrix(L: number, k: number): tf.Tensor2D {
  const m = new Float32Array(k * L);
  for (let i = 0; i < k; i++) {
    const lo = Math.floor((i * L) / k);
    const hi = Math.ceil(((i + 1) * L) / k);
    for (let j = lo; j < hi; j++) m[i * L + j] = 1 / (hi - lo);
  }
  return tf.tensor2d(m, [k, L]);
}

/**
 * Adaptive average pooling to a k x k grid as two batched matmuls (no transposes):
 * [N, H, W, C] → [N, k, k, C].
 */
export function adaptiveAvgPool(x: tf.Tensor4D, k: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ph = tf.reshape(adaptivePoolMatrix(h, k), [1, k, h]) as tf.Tensor3D;
  const pw = tf.reshape(adaptivePoolMatrix(w, k), [1, k, w]) as tf.Tensor3D;
  const rows = tf.matMul(ph, tf.reshape(x, [n, h, w * c]) as tf.Tensor3D); // [N, k, W*C]
  const cols = tf.matMul(pw, tf.reshape(rows, [n * k, w, c]) as tf.Tensor3D); // [N*k, k, C]
  return tf.reshape(cols, [n, k, k, c]);
}

/** Spreads k x k taps with zeros to (2k-1) x (2k-1): [N, k, k, C] → [N, 2k-1, 2k-1, C]. */
function dilateKernel(kernel: tf.Tensor4D): tf.Tensor4D {
  const [n, k, , c] = kernel.shape;
  const grid = tf.reshape(kernel, [n, k, 1, k, 1, c]);
  const spread = tf.pad(grid, [
    [0, 0],
    [0, 0],
    [0, 1],
    [0, 0],
    [0, 1],
    [0, 0],
  ]);
  const flat = tf.reshape(spread, [n, 2 * k, 2 * k, c]) as tf.Tensor4D;
  return tf.slice(flat, [0, 0, 0, 0], [n, 2 * k - 1, 2 * k - 1, c]);
}

/**
 * Dynamic convolution kernel generator (paper Fig. 1): bottleneck, kernel transform, kernel
 * decode. [N, H, W, C] → per-sample depthwise kernel [N, K, K, C], K = k (or 2k-1 dilated).
 */
export class DynamicKernel extends Op {
  readonly family = 'dynamic';
  private readonly bottleneck: Conv2d;
  private readonly transform: Conv2d;
  private readonly decode: Conv2d;

  constructor(
    rng: Random,
    C: number,
    private readonly k: number,
    private readonly dilated: boolean,
    ratio = 4,
  ) {
    super();
    const mid = bottleneckWidth(C, ratio);
    this.bottleneck = this.addModule('bottleneck', new Conv2d(rng, C, mid, 1));
    this.transform = this.addModule('transform', new Conv2d(rng, mid, mid, 3));
    this.decode = this.addModule('decode', new Conv2d(rng, mid, C, 1, { bias: true }));
  }

  /** Effective kernel size of the output. */
  get kernelSize(): number {
    return this.dilated ? 2 * this.k - 1 : this.k;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const latent = tf.relu(this.bottleneck.forward(adaptiveAvgPool(x, this.k)));
    const mixed = tf.relu(this.transform.forward(latent));
    const kernel = tf.div(this.decode.forward(mixed), this.k * this.k) as tf.Tensor4D;
    return this.dilated ? dilateKernel(kernel) : kernel;
  }
}

/** Zero-pads a square kernel [N, k, k, C] to [N, size, size, C], centred. */
export function padKernel(kernel: tf.Tensor4D, size: number): tf.Tensor4D {
  const p = (size - kernel.shape[1]) / 2;
  return p === 0
    ? kernel
    : tf.pad(kernel, [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ]);
}

/** Sum of per-sample kernels of possibly different (odd) sizes: [N, K, K, C]. */
export function addKernels(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  const size = Math.max(a.shape[1], b.shape[1]);
  return tf.add(padKernel(a, size), padKernel(b, size));
}

/**
 * Per-sample depthwise convolution, 'same' padding, stride 1: x [N, H, W, C] with kernel
 * [N, K, K, C] → [N, H, W, C]. The batch is folded into the channels so one ordinary
 * depthwise convolution (with gradients on every backend) does all samples at once:
 * x → [1, H, W, N*C], kernel → [K, K, N*C, 1].
 */
export function dynamicDepthwise(x: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const k = kernel.shape[1];
  const folded = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * c]);
  const filter = tf.reshape(tf.transpose(kernel, [1, 2, 0, 3]), [k, k, n * c, 1]);
  const out = tf.depthwiseConv2d(folded as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same');
  recordMultAdds(x.size * k * k);
  return tf.transpose(tf.reshape(out, [h, w, n, c]), [2, 0, 1, 3]) as tf.Tensor4D;
}
