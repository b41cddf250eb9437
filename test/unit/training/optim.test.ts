import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, clipByGlobalNorm, Sgd, type NamedVariable } from '../../../src-main/training/optim';
import { cosineLr, stepLr } from '../../../src-main/training/schedule';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function param(name: string, values: number[]): NamedVariable {
  return [name, tf.variable(tf.tensor1d(values))];
}

describe('Sgd', () => {
  it('follows the PyTorch rule: decay added to the gradient, b = m b + g, w -= lr b', () => {
    const p = param('w', [1, -2]);
    const sgd = new Sgd([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const g = tf.tensor1d([0.5, 0.5]);
    sgd.apply([g]);
    sgd.apply([g]);
    // step 1: g' = g + 0.01 w; b = g'; w -= 0.1 b
    let w = [1, -2];
    let b = [0, 0];
    for (let s = 0; s < 2; s++) {
      const gp = w.map((wi) => 0.5 + 0.01 * wi);
      b = b.map((bi, i) => 0.9 * bi + gp[i]);
      w = w.map((wi, i) => wi - 0.1 * b[i]);
    }
    const got = Array.from(p[1].dataSync());
    got.forEach((v, i) => expect(v).toBeCloseTo(w[i], 6));
    g.dispose();
    sgd.dispose();
    p[1].dispose();
  });

  it('restores its momentum from a saved state so the next step is identical', () => {
    const a = param('w', [1, 2, 3]);
    const b = param('w', [1, 2, 3]);
    const optA = new Sgd([a], { lr: 0.05, momentum: 0.9, weightDecay: 0 });
    const g = tf.tensor1d([1, -1, 0.5]);
    optA.apply([g]);
    const optB = new Sgd([b], { lr: 0.05, momentum: 0.9, weightDecay: 0 });
    b[1].assign(a[1]);
    optB.setState(optA.getState());
    optA.apply([g]);
    optB.apply([g]);
    expect(Array.from(b[1].dataSync())).toEqual(Array.from(a[1].dataSync()));
    [g, a[1], b[1]].forEach((t) => t.dispose());
    optA.dispose();
    optB.dispose();
  });

  it('refuses a state with a missing slot, naming it', () => {
    const a = param('w', [1]);
    const opt = new Sgd([a], { lr: 0.1, momentum: 0.9, weightDecay: 0 });
    expect(() => opt.setState({ kind: 'sgd', step: 1, lr: 0.1, slots: {} })).toThrow(/momentum:w/);
    expect(() => opt.setState({ kind: 'adam', step: 1, lr: 0.1, slots: {} })).toThrow(/adam/);
    opt.dispose();
    a[1].dispose();
  });
});

describe('Adam', () => {
  it('moves each value by about lr on its first step (bias correction)', () => {
    const p = param('alpha', [0, 0]);
    const adam = new Adam([p], { lr: 6e-4, weightDecay: 0 });
    const g = tf.tensor1d([3, -0.2]);
    adam.apply([g]);
    const got = Array.from(p[1].dataSync());
    expect(got[0]).toBeCloseTo(-6e-4, 7);
    expect(got[1]).toBeCloseTo(6e-4, 7);
    g.dispose();
    adam.dispose();
    p[1].dispose();
  });

  it('leaves the tensor count unchanged across steps', () => {
    const p = param('alpha', [1, 2, 3]);
    const adam = new Adam([p], { lr: 1e-3, weightDecay: 1e-3 });
    const g = tf.tensor1d([1, 1, 1]);
    adam.apply([g]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) adam.apply([g]);
    expect(tf.memory().numTensors).toBe(before);
    g.dispose();
    adam.dispose();
    p[1].dispose();
  });
});

describe('clipByGlobalNorm', () => {
  it.each([
    { maxNorm: 1, expected: 1 },
    { maxNorm: 10, expected: 5 },
  ])('maxNorm=$maxNorm gives norm $expected for gradients of norm 5', ({ maxNorm, expected }) => {
    const grads = [tf.tensor1d([3]), tf.tensor1d([4])];
    const { clipped, norm } = clipByGlobalNorm(grads, maxNorm);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
    const n = Math.hypot(clipped[0].dataSync()[0], clipped[1].dataSync()[0]);
    expect(n).toBeCloseTo(expected, 4);
    tf.dispose([...grads, ...clipped, norm]);
  });
});

describe('schedules', () => {
  it('cosine goes from base to min', () => {
    expect(cosineLr(0.025, 0, 0, 10)).toBeCloseTo(0.025);
    expect(cosineLr(0.025, 0, 5, 10)).toBeCloseTo(0.0125);
    expect(cosineLr(0.025, 0.001, 10, 10)).toBeCloseTo(0.001);
  });
  it('step divides by 10 every 30 epochs', () => {
    expect(stepLr(0.025, 29, 30)).toBeCloseTo(0.025);
    expect(stepLr(0.025, 30, 30)).toBeCloseTo(0.0025);
    expect(stepLr(0.025, 65, 30)).toBeCloseTo(0.00025);
  });
});
