import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRIMITIVES, familyOf } from '../../../src-main/contract/primitives';
import { DepthwiseConv2d, Random } from '../../../src-main/nn';
import {
  FactorizedReduce,
  adaptiveAvgPool,
  dilatedStridedDepthwise,
  dynamicDepthwise,
} from '../../../src-main/nos/ops';
import { OPS } from '../../../src-main/nos/primitives';
import { setupTestBackend } from '../nn/setup-backend';

const C = 4;
const x = (h: number, n = 2, c = C): tf.Tensor4D =>
  tf.randomNormal([n, h, h, c], 0, 1, 'float32', 11);

/** Largest absolute difference of two tensors. */
const maxDiff = (a: tf.Tensor, b: tf.Tensor): number =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('nos ops', () => {
  beforeAll(async () => {
    await setupTestBackend();
  });

  const cases = PRIMITIVES.flatMap((op) =>
    [1, 2].flatMap((stride) => [8, 7].map((size) => ({ op, stride, size }))),
  );
  it.each(cases)('output shape op=$op stride=$stride size=$size', ({ op, stride, size }) => {
    const m = OPS[op](C, stride, false, new Random(0));
    const out = tf.tidy(() => m.forward(x(size), true).shape);
    const h = Math.ceil(size / stride);
    const expected = {
      none: [2, h, h, C],
      feature: [2, h, h, C],
      attention: op === 'spatial_attention' ? [2, h, h, 1] : [2, 1, 1, C],
      dynamic: ((k) => [2, k, k, C])(
        (op.includes('5x5') ? 5 : 3) * (op.startsWith('dil_dynamic') ? 2 : 1) -
          (op.startsWith('dil_dynamic') ? 1 : 0),
      ),
    }[familyOf(op)];
    expect(out).toEqual(expected);
    m.dispose();
  });

  it('per-sample depthwise conv equals one depthwise conv per sample', () => {
    tf.tidy(() => {
      const input = x(6, 3);
      const kernel = tf.randomNormal([3, 5, 5, C], 0, 1, 'float32', 2) as tf.Tensor4D;
      const got = dynamicDepthwise(input, kernel);
      const want = tf.concat(
        [0, 1, 2].map((i) =>
          tf.depthwiseConv2d(
            tf.slice(input, [i, 0, 0, 0], [1, 6, 6, C]),
            tf.reshape(tf.slice(kernel, [i, 0, 0, 0], [1, 5, 5, C]), [5, 5, C, 1]) as tf.Tensor4D,
            1,
            'same',
          ),
        ),
      );
      expect(maxDiff(got, want)).toBeLessThan(1e-5);
    });
  });

  it('a dilated dynamic kernel applied undilated equals the dilated convolution', () => {
    const op = OPS.dil_dynamic_conv_3x3(C, 1, false, new Random(1));
    tf.tidy(() => {
      const input = x(8, 1);
      const spread = op.forward(input, true); // [1, 5, 5, C]
      // Recover the 3x3 taps from the spread kernel and compare convolutions.
      const k3 = tf.reshape(
        tf.stack(
          [0, 2, 4].flatMap((i) =>
            [0, 2, 4].map((j) => tf.slice(spread, [0, i, j, 0], [1, 1, 1, C])),
          ),
        ),
        [3, 3, C, 1],
      ) as tf.Tensor4D;
      const dilated = tf.depthwiseConv2d(input, k3, 1, 'same', 'NHWC', 2);
      expect(maxDiff(dynamicDepthwise(input, spread), dilated)).toBeLessThan(1e-5);
    });
    op.dispose();
  });

  it.each([{ size: 8 }, { size: 7 }])(
    'space-to-batch dilation equals native size=$size',
    ({ size }) => {
      const dw = new DepthwiseConv2d(new Random(2), C, 5, { dilation: 2 });
      tf.tidy(() => {
        const input = x(size);
        const native = tf.depthwiseConv2d(input, dw.filter as tf.Tensor4D, 1, 'same', 'NHWC', 2);
        expect(maxDiff(dw.forward(input), native)).toBeLessThan(1e-5);
      });
      dw.dispose();
    },
  );

  it.each([
    { size: 8, k: 3 },
    { size: 8, k: 5 },
    { size: 7, k: 3 },
    { size: 7, k: 5 },
  ])('stride-2 dilated conv equals TF same padding size=$size k=$k', ({ size, k }) => {
    tf.tidy(() => {
      const input = x(size);
      const f = tf.randomNormal([k, k, C, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
      // TF 'same' with stride 2 reads the stride-1 output at rows 2i+1 (even) or 2i (odd).
      const full = tf.depthwiseConv2d(input, f, 1, 'same', 'NHWC', 2);
      const phase = size % 2 === 0 ? 1 : 0;
      const idx = Array.from({ length: Math.ceil(size / 2) }, (_, i) => 2 * i + phase);
      const want = tf.gather(tf.gather(full, idx, 1), idx, 2);
      expect(maxDiff(dilatedStridedDepthwise(input, f), want)).toBeLessThan(1e-5);
    });
  });

  it('factorized reduce halves odd sizes upward and keeps channel count', () => {
    const fr = new FactorizedReduce(new Random(0), C, 6, false);
    expect(tf.tidy(() => fr.forward(x(7), true).shape)).toEqual([2, 4, 4, 6]);
    fr.dispose();
  });

  it('adaptive average pooling matches block means when the size divides', () => {
    tf.tidy(() => {
      const input = x(6);
      expect(maxDiff(adaptiveAvgPool(input, 3), tf.avgPool(input, 2, 2, 'valid'))).toBeLessThan(
        1e-5,
      );
    });
  });
});
