/**
 * The engine's convolution gradients against an independent reference: a naive loop
 * convolution in float64 written here (padding from TensorFlow's published definition, not
 * from tfjs), its hand-derived adjoint, and finite differences that check the adjoint itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { depthwiseConv2d } from '../../../src-main/engine/ops';
import { relError } from './fixtures/rel-error';

interface Case {
  kernel: number;
  stride: number;
  dilation: number;
  pad: 'same' | 'valid';
  size: number;
  /** Depthwise: channel multiplier. Dense: output channels. */
  mult: number;
  depthwise: boolean;
}

const BATCH = 2;
const CHANNELS = 3;

// ---------------------------------------------------------------------------------------------
// Naive reference (float64)

interface Geometry {
  out: number;
  padTop: number;
}

/** TensorFlow's SAME/VALID rule, square inputs. */
function geometry(c: Case): Geometry {
  const eff = (c.kernel - 1) * c.dilation + 1;
  if (c.pad === 'valid') return { out: Math.ceil((c.size - eff + 1) / c.stride), padTop: 0 };
  const out = Math.ceil(c.size / c.stride);
  const total = Math.max((out - 1) * c.stride + eff - c.size, 0);
  return { out, padTop: Math.floor(total / 2) };
}

const outChannels = (c: Case) => (c.depthwise ? CHANNELS * c.mult : c.mult);

/**
 * Visits every multiply of the forward conv: (x index, w index, y index).
 * x [N,S,S,C], w [K,K,C,M] (depthwise) or [K,K,C,Co], y [N,O,O,Co], all row-major.
 */
function forEachTerm(c: Case, visit: (xi: number, wi: number, yi: number) => void): void {
  const { out, padTop } = geometry(c);
  const co = outChannels(c);
  for (let n = 0; n < BATCH; n++)
    for (let i = 0; i < out; i++)
      for (let j = 0; j < out; j++)
        for (let a = 0; a < c.kernel; a++)
          for (let b = 0; b < c.kernel; b++) {
            const p = i * c.stride + a * c.dilation - padTop;
            const q = j * c.stride + b * c.dilation - padTop;
            if (p < 0 || q < 0 || p >= c.size || q >= c.size) continue;
            for (let ch = 0; ch < CHANNELS; ch++) {
              const xi = ((n * c.size + p) * c.size + q) * CHANNELS + ch;
              const outs = c.depthwise ? c.mult : co;
              for (let m = 0; m < outs; m++) {
                const o = c.depthwise ? ch * c.mult + m : m;
                const wi = ((a * c.kernel + b) * CHANNELS + ch) * outs + m;
                const yi = ((n * out + i) * out + j) * co + o;
                visit(xi, wi, yi);
              }
            }
          }
}

function naiveForward(c: Case, x: Float64Array, w: Float64Array): Float64Array {
  const { out } = geometry(c);
  const y = new Float64Array(BATCH * out * out * outChannels(c));
  forEachTerm(c, (xi, wi, yi) => (y[yi] += x[xi] * w[wi]));
  return y;
}

/** Gradients of L = sum(y * r) by the adjoint of the loop above. */
function naiveGrads(c: Case, x: Float64Array, w: Float64Array, r: Float64Array) {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  forEachTerm(c, (xi, wi, yi) => {
    dx[xi] += r[yi] * w[wi];
    dw[wi] += r[yi] * x[xi];
  });
  return { dx, dw };
}

/** Deterministic values in [-1, 1), exactly representable in float32. */
function values(count: number, seed: number): Float64Array {
  const out = new Float64Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = Math.fround((s / 2147483648) * 2 - 1);
  }
  return out;
}

function inputs(c: Case) {
  const { out } = geometry(c);
  const wShape = [c.kernel, c.kernel, CHANNELS, c.depthwise ? c.mult : c.mult];
  return {
    xShape: [BATCH, c.size, c.size, CHANNELS],
    wShape,
    yShape: [BATCH, out, out, outChannels(c)],
    x: values(BATCH * c.size * c.size * CHANNELS, 1),
    w: values(
      wShape.reduce((a, b) => a * b, 1),
      2,
    ),
    r: values(BATCH * out * out * outChannels(c), 3),
  };
}

// ---------------------------------------------------------------------------------------------
// The grid

function grid(depthwise: boolean): Case[] {
  const cases: Case[] = [];
  for (const kernel of [1, 3, 5])
    for (const stride of [1, 2])
      for (const dilation of [1, 2])
        for (const pad of ['same', 'valid'] as const)
          for (const size of [9, 10])
            for (const mult of depthwise ? [1, 2] : [2])
              // tf.conv2d takes a stride or a dilation above 1, not both; depthwise takes both
              // through the engine's depthwiseConv2d.
              if (depthwise || stride === 1 || dilation === 1)
                cases.push({ kernel, stride, dilation, pad, size, mult, depthwise });
  return cases;
}

const title = (c: Case) =>
  `kernel=${c.kernel} stride=${c.stride} dilation=${c.dilation} pad=${c.pad} size=${c.size} ` +
  (c.depthwise ? `multiplier=${c.mult}` : `out=${c.mult}`);

/** Forward and both gradients on the active backend, read back as plain arrays. */
function tfForwardAndGrads(c: Case) {
  const d = inputs(c);
  const before = tf.memory().numTensors;
  const x = tf.tensor4d(Float32Array.from(d.x), d.xShape as [number, number, number, number]);
  const w = tf.tensor4d(Float32Array.from(d.w), d.wShape as [number, number, number, number]);
  const r = tf.tensor4d(Float32Array.from(d.r), d.yShape as [number, number, number, number]);
  const conv = (xi: tf.Tensor4D, wi: tf.Tensor4D) =>
    c.depthwise
      ? depthwiseConv2d(xi, wi, c.stride, c.pad, c.dilation)
      : tf.conv2d(xi, wi, c.stride, c.pad, 'NHWC', c.dilation);
  const y = conv(x, w);
  const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
    tf.sum(tf.mul(conv(xi as tf.Tensor4D, wi as tf.Tensor4D), r)),
  )([x, w]);
  const out = { y: y.dataSync(), dx: dx.dataSync(), dw: dw.dataSync(), yShape: y.shape };
  tf.dispose([x, w, r, y, dx, dw]);
  return { ...out, leaked: tf.memory().numTensors - before, ref: d };
}

describe.each(['wasm', 'cpu'] as const)('convolution gradients on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend, () => undefined);
  });

  for (const depthwise of [true, false]) {
    it.each(grid(depthwise).map((c) => [title(c), c] as const))(
      `${depthwise ? 'depthwise' : 'dense'} %s matches the naive reference`,
      (_title, c) => {
        const got = tfForwardAndGrads(c);
        const { x, w, r, yShape } = got.ref;
        expect(got.yShape).toEqual(yShape);
        const grads = naiveGrads(c, x, w, r);
        expect(relError(got.y, naiveForward(c, x, w))).toBeLessThanOrEqual(1e-5);
        expect(relError(got.dx, grads.dx)).toBeLessThanOrEqual(1e-5);
        expect(relError(got.dw, grads.dw)).toBeLessThanOrEqual(1e-5);
        expect(got.leaked).toBe(0);
      },
    );
  }
});

describe('the naive reference', () => {
  it.each([
    { kernel: 3, stride: 2, dilation: 2, pad: 'same', size: 10, mult: 2, depthwise: true },
    { kernel: 5, stride: 1, dilation: 2, pad: 'valid', size: 9, mult: 1, depthwise: true },
    { kernel: 3, stride: 2, dilation: 1, pad: 'same', size: 9, mult: 2, depthwise: false },
  ] as Case[])('adjoint agrees with finite differences ($kernel/$stride/$dilation)', (c) => {
    const { x, w, r } = inputs(c);
    const loss = (xs: Float64Array, ws: Float64Array) =>
      naiveForward(c, xs, ws).reduce((acc, v, i) => acc + v * r[i], 0);
    const { dx, dw } = naiveGrads(c, x, w, r);
    const h = 1e-6;
    for (const [arr, grad] of [
      [x, dx],
      [w, dw],
    ] as const) {
      for (const i of [0, 7, Math.floor(arr.length / 2), arr.length - 1]) {
        const plus = Float64Array.from(arr);
        const minus = Float64Array.from(arr);
        plus[i] += h;
        minus[i] -= h;
        const numeric =
          arr === x
            ? (loss(plus, w) - loss(minus, w)) / (2 * h)
            : (loss(x, plus) - loss(x, minus)) / (2 * h);
        expect(Math.abs(numeric - grad[i])).toBeLessThan(1e-6);
      }
    }
  });
});

describe.each(['wasm', 'cpu'] as const)(
  'registered depthwise backprop kernels on %s',
  (backend) => {
    beforeAll(async () => {
      await initBackend(backend, () => undefined);
    });

    // Called directly (as tf.depthwiseConv2dNativeBackprop* would), with dilation: cpu's own
    // kernels ignore it, ours must not.
    it.each([
      { kernel: 3, stride: 1, dilation: 2, pad: 'same', size: 9, mult: 2, depthwise: true },
      { kernel: 5, stride: 2, dilation: 2, pad: 'valid', size: 10, mult: 1, depthwise: true },
    ] as Case[])('kernel=$kernel stride=$stride dilation=$dilation match the reference', (c) => {
      const d = inputs(c);
      const before = tf.memory().numTensors;
      const x = tf.tensor(Float32Array.from(d.x), d.xShape);
      const w = tf.tensor(Float32Array.from(d.w), d.wShape);
      const dy = tf.tensor(Float32Array.from(d.r), d.yShape);
      const attrs = { strides: c.stride, pad: c.pad, dilations: c.dilation };
      const dx = tf.engine().runKernel(
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter: w },
        {
          ...attrs,
          inputShape: d.xShape,
        },
      ) as tf.Tensor;
      const dw = tf.engine().runKernel(
        'DepthwiseConv2dNativeBackpropFilter',
        { x, dy },
        {
          ...attrs,
          filterShape: d.wShape,
        },
      ) as tf.Tensor;
      const grads = naiveGrads(c, d.x, d.w, d.r);
      expect(relError(dx.dataSync(), grads.dx)).toBeLessThanOrEqual(1e-5);
      expect(relError(dw.dataSync(), grads.dw)).toBeLessThanOrEqual(1e-5);
      tf.dispose([x, w, dy, dx, dw]);
      expect(tf.memory().numTensors).toBe(before);
    });
  },
);
