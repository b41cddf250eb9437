/**
 * The heterogeneous residual block (NOS-SPEC section 2, equations 2-9) piece by piece: the
 * mixed op's per-family weighted sums (eqs. 2-4 and 6-8) and the residual combination
 * F + F * A + sum_D dynconv(F, D) (eqs. 5 and 9), against direct computations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Primitive } from '../../../src-main/contract/primitives';
import { Random } from '../../../src-main/nn';
import { MixedOp, heterogeneousResidual, sumFamilies } from '../../../src-main/nos/block';
import { createOp } from '../../../src-main/nos/primitives';
import { setupTestBackend } from '../nn/setup-backend';

const C = 4;
const N = 2;
const feature = (seed: number, h = 6): tf.Tensor4D =>
  tf.randomNormal([N, h, h, C], 0, 1, 'float32', seed);
const kernel = (k: number, seed: number): tf.Tensor4D =>
  tf.randomNormal([N, k, k, C], 0, 0.3, 'float32', seed);

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** Depthwise convolution of each sample with its own kernel, one sample at a time. */
function perSampleConv(f: tf.Tensor4D, d: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const outs = Array.from({ length: f.shape[0] }, (_, i) => {
      const xi = tf.slice(f, [i, 0, 0, 0], [1, ...f.shape.slice(1)]) as tf.Tensor4D;
      const ki = tf.reshape(tf.slice(d, [i, 0, 0, 0], [1, ...d.shape.slice(1)]), [
        d.shape[1],
        d.shape[2],
        C,
        1,
      ]) as tf.Tensor4D;
      return tf.depthwiseConv2d(xi, ki, 1, 'same');
    });
    return tf.concat(outs, 0);
  });
}

describe('heterogeneous residual block', () => {
  beforeAll(async () => {
    await setupTestBackend();
  });

  it('combines a tier as F + F * A + dynconv(F, D) (eqs. 5 and 9)', () => {
    const f = feature(1);
    const spatial = tf.sigmoid(tf.randomNormal([N, 6, 6, 1], 0, 1, 'float32', 2)) as tf.Tensor4D;
    const d = kernel(3, 3);
    const got = heterogeneousResidual({ f, a: spatial, d });
    const want = tf.tidy(() => tf.addN([f, tf.mul(f, spatial), perSampleConv(f, d)]));
    expect(maxDiff(got, want)).toBeLessThan(1e-5);
    // Empty families vanish: with no attention and no kernel the block passes F through.
    const plain = heterogeneousResidual({ f, a: null, d: null });
    expect(maxDiff(plain, f)).toBe(0);
    tf.dispose([f, spatial, d, got, want]);
  });

  it('accumulates first-tier edges per family: features and maps add, kernels of any size sum (eqs. 2-4)', () => {
    const f1 = feature(4);
    const f2 = feature(5);
    const spatial = tf.sigmoid(tf.randomNormal([N, 6, 6, 1], 0, 1, 'float32', 6)) as tf.Tensor4D;
    const channel = tf.sigmoid(tf.randomNormal([N, 1, 1, C], 0, 1, 'float32', 7)) as tf.Tensor4D;
    const k3 = kernel(3, 8);
    const k5 = kernel(5, 9);
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => {
      const s = sumFamilies([
        { f: f1, a: spatial, d: k3 },
        { f: f2, a: channel, d: k5 },
      ]);
      return [s.f!, s.a!, s.d!, heterogeneousResidual(s)];
    });
    const [sf, sa, sd, block] = got;
    expect(sd.shape).toEqual([N, 5, 5, C]);
    const want = tf.tidy(() => {
      const F = tf.add(f1, f2) as tf.Tensor4D;
      const A = tf.add(spatial, channel); // broadcast to [N, H, W, C]
      // Convolution is linear in the kernel: one conv with the summed kernel = the sum of convs.
      const D = tf.add(perSampleConv(F, k3), perSampleConv(F, k5));
      return [F, A, tf.addN([F, tf.mul(F, A), D])];
    });
    expect(maxDiff(sf, want[0])).toBeLessThan(1e-6);
    expect(maxDiff(sa, want[1])).toBeLessThan(1e-6);
    expect(maxDiff(block, want[2])).toBeLessThan(1e-4);
    tf.dispose([...got, ...want]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([f1, f2, spatial, channel, k3, k5]);
  });

  it('weights each candidate by its softmax share and files it under its family', () => {
    const prims: Primitive[] = ['none', 'sep_conv_3x3', 'channel_attention', 'dynamic_conv_3x3'];
    const w = [0.1, 0.2, 0.3, 0.4];
    const x = feature(10);
    const mixed = new MixedOp(new Random(5), prims, C, 1);
    // The same candidates built from the same seed, in the same order (none builds nothing).
    const rng = new Random(5);
    const [sep, att, dyn] = prims.slice(1).map((p) => createOp(p, C, 1, false, rng));
    const weights = w.map((v) => tf.scalar(v));
    const out = tf.tidy(() => {
      const s = mixed.forward(x, weights, true);
      return [s.f!, s.a!, s.d!];
    });
    const want = tf.tidy(() => [
      tf.mul(sep.forward(x, true), w[1]),
      tf.mul(att.forward(x, true), w[2]),
      tf.mul(dyn.forward(x, true), w[3]),
    ]);
    expect(out.map((t) => t.shape)).toEqual([
      [N, 6, 6, C],
      [N, 1, 1, C],
      [N, 3, 3, C],
    ]);
    out.forEach((t, i) => expect(maxDiff(t, want[i])).toBeLessThan(1e-5));
    tf.dispose([x, ...weights, ...out, ...want]);
    [mixed, sep, att, dyn].forEach((m) => m.dispose());
  });
});
