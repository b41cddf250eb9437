/**
 * Ops that tfjs lacks in the form training needs. Model code uses these instead of the tfjs op
 * of the same name when it may pass a stride and a dilation above 1 together (DARTS'
 * dil_conv in reduction cells: stride 2, dilation 2).
 */
import * as tf from '@tensorflow/tfjs-core';
import { convGeometry, padOrCrop, subsample } from './kernels/conv-gradients';
import type { Pair, PadSpec } from './kernels/conv-gradients';

const pair = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);

/**
 * Depthwise convolution that accepts stride and dilation above 1 together.
 * x [N, H, W, Ci], filter [K1, K2, Ci, M] -> [N, Ho, Wo, Ci*M], the same numbers as
 * PyTorch's grouped conv with stride and dilation. Differentiable on every backend.
 *
 * tfjs refuses (cpu) or does not promise (wasm) stride and dilation together, so this pads
 * explicitly as the strided conv would, convolves at stride 1 and keeps every stride-th output.
 * That costs stride^2 more multiply-adds than necessary; it only runs in reduction cells.
 */
export function depthwiseConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | Pair,
  pad: 'same' | 'valid' | number,
  dilations: number | Pair = 1,
): tf.Tensor4D {
  const s = pair(strides);
  const d = pair(dilations);
  const unit = (p: Pair) => p[0] === 1 && p[1] === 1;
  if (unit(s) || unit(d)) return tf.depthwiseConv2d(x, filter, s, pad, 'NHWC', d);
  return tf.tidy(() => {
    const g = convGeometry(x.shape, filter.shape, s, pad as PadSpec, d, undefined, true);
    // Padding that makes a stride-1 'valid' conv start where the strided conv starts, and
    // exactly long enough for its last strided output.
    const needH = (g.filterHeight - 1) * g.dilationHeight + (g.outHeight - 1) * s[0] + 1;
    const needW = (g.filterWidth - 1) * g.dilationWidth + (g.outWidth - 1) * s[1] + 1;
    const padded = padOrCrop(
      x,
      g.padTop,
      needH - x.shape[1] - g.padTop,
      g.padLeft,
      needW - x.shape[2] - g.padLeft,
    );
    const dense = tf.depthwiseConv2d(padded, filter, 1, 'valid', 'NHWC', d);
    return subsample(dense, s[0], s[1]);
  });
}
