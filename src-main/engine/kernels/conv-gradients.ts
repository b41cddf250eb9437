/**
 * Convolution gradients composed from forward convolutions, so every backend that has a fast
 * forward conv (wasm's XNNPACK above all) also has fast, complete gradients.
 *
 * Notation (NHWC): x [N, H, W, Ci], filter [K1, K2, Ci, Co] (depthwise: [K1, K2, Ci, M] with
 * Co = Ci * M), dy [N, Ho, Wo, Co]; stride s, dilation d, padding top/left pT/pL.
 * The forward pass computes y[n,i,j,o] = sum_{a,b,c} x[n, i*s + a*d - pT, j*s + b*d - pL, c] *
 * w[a,b,c,o]. Each gradient is rewritten as an ordinary forward convolution:
 *
 * - input gradient: insert s-1 zeros between dy's rows and columns, pad by (K-1)*d - pT, and
 *   correlate with the 180-degree-rotated filter (in/out channels swapped) at dilation d.
 * - filter gradient: swap roles of axes. For a dense conv the image channels become the batch
 *   and the images become the channels, so dw = conv(x^T, dy^T) at stride d and dilation s.
 *   For a depthwise conv, images and channels fold together into one depthwise conv over
 *   N*Ci channels whose per-channel filter is dy, then the images are summed out.
 *
 * All functions take 4-D tensors and return a new tensor; callers own the tidy scope.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Spatial geometry of one convolution (from tf.backend_util.computeConv2DInfo). */
export interface ConvGeometry {
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

export type PadSpec = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
export type Pair = [number, number];

/** Geometry of a conv of input `xShape` with `filterShape` (NHWC, 4-D shapes). */
export function convGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | Pair,
  pad: PadSpec,
  dilations: number | Pair = 1,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  depthwise = false,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
  );
  return {
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

// ---------------------------------------------------------------------------------------------
// Layout helpers

/**
 * Pads (positive amounts) or crops (negative amounts) axes 1 and 2 of a 4-D tensor.
 * [N, H, W, C] -> [N, H + top + bottom, W + left + right, C].
 */
export function padOrCrop(
  x: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  let out = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const t = Math.max(0, -top);
    const l = Math.max(0, -left);
    const size: [number, number, number, number] = [
      n,
      h - t - Math.max(0, -bottom),
      w - l - Math.max(0, -right),
      c,
    ];
    out = tf.slice(out, [0, t, l, 0], size);
  }
  const p = (v: number) => Math.max(0, v);
  if (p(top) + p(bottom) + p(left) + p(right) === 0) return out;
  return tf.pad(out, [
    [0, 0],
    [p(top), p(bottom)],
    [p(left), p(right)],
    [0, 0],
  ]);
}

/**
 * Inserts sh-1 zero rows after every row and sw-1 zero columns after every column (the trailing
 * ones included, callers crop them with padOrCrop). [N, H, W, C] -> [N, H*sh, W*sw, C].
 */
export function zeroInsert(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  // [N, H, 1, W, 1, C] padded to [N, H, sh, W, sw, C]: each value followed by its zeros.
  const spread = tf.pad(tf.reshape(x, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return tf.reshape(spread, [n, h * sh, w * sw, c]);
}

/**
 * Keeps every sh-th row and sw-th column starting at 0, without StridedSlice (which has no
 * gradient in tfjs): [N, H, W, C] -> [N, ceil(H/sh), ceil(W/sw), C].
 */
export function subsample(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  const oh = Math.ceil(h / sh);
  const ow = Math.ceil(w / sw);
  const even = padOrCrop(x, 0, oh * sh - h, 0, ow * sw - w);
  const grid = tf.reshape(even, [n, oh, sh, ow, sw, c]);
  return tf.reshape(tf.slice(grid, [0, 0, 0, 0, 0, 0], [n, oh, 1, ow, 1, c]), [n, oh, ow, c]);
}

/** tfjs convolutions take a stride or a dilation above 1, not both: split the stride off. */
function stridedDilated(
  conv: (x: tf.Tensor4D, f: tf.Tensor4D, s: Pair, d: Pair) => tf.Tensor4D,
  x: tf.Tensor4D,
  f: tf.Tensor4D,
  strides: Pair,
  dilations: Pair,
): tf.Tensor4D {
  const unitStride = strides[0] === 1 && strides[1] === 1;
  const unitDilation = dilations[0] === 1 && dilations[1] === 1;
  if (unitStride || unitDilation) return conv(x, f, strides, dilations);
  return subsample(conv(x, f, [1, 1], dilations), strides[0], strides[1]);
}

const denseConv = (x: tf.Tensor4D, f: tf.Tensor4D, s: Pair, d: Pair) =>
  tf.conv2d(x, f, s, 'valid', 'NHWC', d);
const depthwiseConv = (x: tf.Tensor4D, f: tf.Tensor4D, s: Pair, d: Pair) =>
  tf.depthwiseConv2d(x, f, s, 'valid', 'NHWC', d);

/**
 * dy zero-inserted by the stride and padded so that a stride-1 'valid' correlation with the
 * rotated filter at the forward dilation yields exactly [N, H, W, *].
 */
function spreadOutputGradient(dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const spread = zeroInsert(dy, g.strideHeight, g.strideWidth);
  const reachH = (g.filterHeight - 1) * g.dilationHeight;
  const reachW = (g.filterWidth - 1) * g.dilationWidth;
  const top = reachH - g.padTop;
  const left = reachW - g.padLeft;
  const bottom = g.inHeight + reachH - top - spread.shape[1];
  const right = g.inWidth + reachW - left - spread.shape[2];
  return padOrCrop(spread, top, bottom, left, right);
}

/** x with the forward padding applied and cropped to the rows the filter gradient reads. */
function paddedForFilterGradient(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const needH = (g.filterHeight - 1) * g.dilationHeight + (g.outHeight - 1) * g.strideHeight + 1;
  const needW = (g.filterWidth - 1) * g.dilationWidth + (g.outWidth - 1) * g.strideWidth + 1;
  const bottom = needH - x.shape[1] - g.padTop;
  const right = needW - x.shape[2] - g.padLeft;
  return padOrCrop(x, g.padTop, bottom, g.padLeft, right);
}

// ---------------------------------------------------------------------------------------------
// The four gradients

/**
 * Gradient of a dense conv with respect to its input.
 * dy [N, Ho, Wo, Co], filter [K1, K2, Ci, Co] -> dx [N, H, W, Ci].
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
): tf.Tensor4D {
  // Rotated filter with channels swapped: [K1, K2, Co, Ci].
  const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
  const dilation: Pair = [g.dilationHeight, g.dilationWidth];
  return denseConv(spreadOutputGradient(dy, g), rotated, [1, 1], dilation);
}

/**
 * Gradient of a dense conv with respect to its filter.
 * x [N, H, W, Ci], dy [N, Ho, Wo, Co] -> dw [K1, K2, Ci, Co].
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  g: ConvGeometry,
): tf.Tensor4D {
  // Channels become the batch and images the contracted channels: [Ci, H', W', N].
  const xT = tf.transpose(paddedForFilterGradient(x, g), [3, 1, 2, 0]);
  // dy as a filter over images: [Ho, Wo, N, Co].
  const dyT = tf.transpose(dy, [1, 2, 0, 3]);
  // The forward stride becomes the dilation and the forward dilation the stride.
  const swapped = stridedDilated(
    denseConv,
    xT,
    dyT,
    [g.dilationHeight, g.dilationWidth],
    [g.strideHeight, g.strideWidth],
  ); // [Ci, K1, K2, Co]
  return tf.transpose(swapped, [1, 2, 0, 3]);
}

/**
 * Gradient of a depthwise conv with respect to its input.
 * dy [N, Ho, Wo, Ci*M], filter [K1, K2, Ci, M] -> dx [N, H, W, Ci].
 */
export function depthwiseInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
): tf.Tensor4D {
  const [k1, k2, ci, m] = filter.shape;
  // One rotated single-output filter per output channel ci*M+m: [K1, K2, Ci*M, 1].
  const rotated = tf.reshape<tf.Rank.R4>(tf.reverse(filter, [0, 1]), [k1, k2, ci * m, 1]);
  const dilation: Pair = [g.dilationHeight, g.dilationWidth];
  const perOutput = depthwiseConv(spreadOutputGradient(dy, g), rotated, [1, 1], dilation);
  if (m === 1) return perOutput;
  const [n, h, w] = perOutput.shape;
  // Output channel ci*M+m feeds input channel ci: sum the M multipliers.
  return tf.sum(tf.reshape(perOutput, [n, h, w, ci, m]), 4);
}

/**
 * Gradient of a depthwise conv with respect to its filter.
 * x [N, H, W, Ci], dy [N, Ho, Wo, Ci*M] -> dw [K1, K2, Ci, M].
 */
export function depthwiseFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  g: ConvGeometry,
  multiplier: number,
): tf.Tensor4D {
  const [n, , , ci] = x.shape;
  const [, ho, wo] = dy.shape;
  const xp = paddedForFilterGradient(x, g);
  // Fold images into channels, one batch: [1, H', W', N*Ci] (channel index n*Ci + c).
  const xFolded = tf.reshape<tf.Rank.R4>(tf.transpose(xp, [1, 2, 0, 3]), [
    1,
    xp.shape[1],
    xp.shape[2],
    n * ci,
  ]);
  // dy as per-channel filters in the same order: [Ho, Wo, N*Ci, M].
  const dyFolded = tf.reshape<tf.Rank.R4>(tf.transpose(dy, [1, 2, 0, 3]), [
    ho,
    wo,
    n * ci,
    multiplier,
  ]);
  const swapped = stridedDilated(
    depthwiseConv,
    xFolded,
    dyFolded,
    [g.dilationHeight, g.dilationWidth],
    [g.strideHeight, g.strideWidth],
  ); // [1, K1, K2, N*Ci*M]
  const k1 = g.filterHeight;
  const k2 = g.filterWidth;
  const perImage = tf.reshape(swapped, [k1, k2, n, ci * multiplier]);
  return tf.reshape(tf.sum(perImage, 2), [k1, k2, ci, multiplier]);
}
