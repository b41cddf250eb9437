import * as tf from '@tensorflow/tfjs-core';
import { setupTestBackend } from './setup-backend';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BatchNorm2d,
  Conv2d,
  DepthwiseConv2d,
  Linear,
  Module,
  Random,
  globalAvgPool,
} from '../../../src-main/nn';

/** conv → BN → ReLU → depthwise → BN(non-affine) → pool → linear: touches every layer. */
class Tiny extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly dw: DepthwiseConv2d;
  readonly bn2: BatchNorm2d;
  readonly fc: Linear;
  constructor(seed: number) {
    super();
    const rng = new Random(seed);
    this.conv = this.addModule('conv', new Conv2d(rng, 3, 4, 3, { stride: 2, bias: true }));
    this.bn = this.addModule('bn', new BatchNorm2d(4));
    this.dw = this.addModule('dw', new DepthwiseConv2d(rng, 4, 3));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(4, { affine: false }));
    this.fc = this.addModule('fc', new Linear(rng, 4, 5));
  }
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    let h = tf.relu(this.bn.forward(this.conv.forward(x), training));
    h = this.bn2.forward(this.dw.forward(h), training);
    return this.fc.forward(globalAvgPool(h));
  }
}

const input = (): tf.Tensor4D => tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 7);

describe('nn layers', () => {
  beforeAll(async () => {
    await setupTestBackend();
  });

  it('Random is reproducible and restorable', () => {
    const a = new Random(3);
    const b = new Random(3);
    expect(a.normalArray(5)).toEqual(b.normalArray(5));
    const s = a.getState();
    const x = a.uniform();
    a.setState(s);
    expect(a.uniform()).toBe(x);
    expect(new Random(4).uniform()).not.toBe(new Random(3).uniform());
    const n = new Random(1).normalArray(20000);
    const mean = n.reduce((p, v) => p + v, 0) / n.length;
    const sd = Math.sqrt(n.reduce((p, v) => p + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });

  it.each([
    { stride: 1, dilation: 1, h: 8 },
    { stride: 2, dilation: 1, h: 4 },
    { stride: 1, dilation: 2, h: 8 },
  ])('conv shapes stride=$stride dilation=$dilation', ({ stride, dilation, h }) => {
    const rng = new Random(0);
    const conv = new Conv2d(rng, 3, 6, 3, { stride, dilation });
    const dw = new DepthwiseConv2d(rng, 3, 5, { stride, dilation });
    tf.tidy(() => {
      expect(conv.forward(input()).shape).toEqual([2, h, h, 6]);
      expect(dw.forward(input()).shape).toEqual([2, h, h, 3]);
    });
    conv.dispose();
    dw.dispose();
  });

  it('names weights and buffers as dotted paths', () => {
    const m = new Tiny(0);
    expect(m.namedWeights().map(([n]) => n)).toEqual([
      'conv.filter',
      'conv.bias',
      'bn.gamma',
      'bn.beta',
      'dw.filter',
      'fc.kernel',
      'fc.bias',
    ]);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['bn.mean', 'bn.var', 'bn2.mean', 'bn2.var']);
    expect(m.paramCount()).toBe(3 * 3 * 3 * 4 + 4 + 4 + 4 + 3 * 3 * 4 + 4 * 5 + 5);
    m.dispose();
  });

  it('batch norm normalises in training and uses running stats in eval', () => {
    const bn = new BatchNorm2d(3, { momentum: 1 });
    const x = tf.add(tf.mul(input(), 3), 5) as tf.Tensor4D;
    const y = bn.forward(x, true);
    const m = tf.moments(y, [0, 1, 2]);
    expect(Math.max(...Array.from(m.mean.dataSync()).map(Math.abs))).toBeLessThan(1e-4);
    m.variance.dataSync().forEach((v) => expect(v).toBeCloseTo(1, 3));
    // momentum 1: running stats are the batch stats, so eval reproduces training output
    // up to the unbiased-variance factor.
    const yEval = bn.forward(x, false);
    const n = x.size / 3;
    const ratio = tf.div(y, yEval).dataSync();
    expect(ratio[0]).toBeCloseTo(Math.sqrt(n / (n - 1)), 4);
    tf.dispose([x, y, m.mean, m.variance, yEval]);
    bn.dispose();
  });

  it('stateDict round-trips into a differently seeded twin', () => {
    const a = new Tiny(1);
    const b = new Tiny(2);
    tf.tidy(() => {
      a.forward(input(), true); // moves the running stats away from their initial values
    });
    const outA = tf.tidy(() => a.forward(input(), false).dataSync());
    expect(tf.tidy(() => b.forward(input(), false).dataSync())).not.toEqual(outA);
    const state = a.stateDict();
    expect(state['bn.mean'].shape).toEqual([4]);
    b.loadStateDict(state);
    expect(tf.tidy(() => b.forward(input(), false).dataSync())).toEqual(outA);
    a.dispose();
    b.dispose();
  });

  it('loadStateDict rejects missing, misshapen and unexpected entries', () => {
    const a = new Tiny(1);
    const state = a.stateDict();
    const missing = { ...state };
    delete missing['fc.bias'];
    expect(() => a.loadStateDict(missing)).toThrow(/no entry "fc.bias"/);
    const bad = { ...state, 'fc.bias': { shape: [4], data: new Float32Array(4) } };
    expect(() => a.loadStateDict(bad)).toThrow(/"fc.bias" has shape \[4\]/);
    const extra = { ...state, 'zz.w': { shape: [1], data: new Float32Array(1) } };
    expect(() => a.loadStateDict(extra)).toThrow(/unexpected/);
    a.dispose();
  });

  it('gradients reach every weight and tensor count stays flat across steps', () => {
    const m = new Tiny(3);
    const labels = tf.oneHot(tf.tensor1d([1, 3], 'int32'), 5);
    const step = (): void => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(labels, m.forward(input(), true)) as tf.Scalar,
          m.weights(),
        );
        for (const [name, v] of m.namedWeights()) {
          const g = grads[v.name];
          expect(g, name).toBeDefined();
          expect(tf.sum(tf.abs(g)).dataSync()[0], name).toBeGreaterThan(0);
          v.assign(tf.sub(v, tf.mul(g, 0.01)));
        }
      });
    };
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
    labels.dispose();
    m.dispose();
  });

  it('dispose frees every variable', () => {
    const before = tf.memory().numTensors;
    new Tiny(0).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
