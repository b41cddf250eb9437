import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateGenotype } from '../../../src-main/contract/genotype';
import type { SearchSpaceName } from '../../../src-main/contract/primitives';
import { Supernet, type SupernetConfig } from '../../../src-main/nos/supernet';
import { setupTestBackend } from '../nn/setup-backend';

const config = (space: SearchSpaceName, seed = 1): SupernetConfig => ({
  space,
  channels: 4,
  cells: 3,
  nodes: 4,
  numClasses: 3,
  inputShape: [8, 8, 2],
  seed,
});
const batch = (): tf.Tensor4D => tf.randomNormal([4, 8, 8, 2], 0, 1, 'float32', 5);
const labels = (): tf.Tensor2D => tf.oneHot(tf.tensor1d([0, 2, 1, 0], 'int32'), 3) as tf.Tensor2D;

/** One plain SGD step on the given variables; returns every gradient's values by name. */
function step(net: Supernet, vars: tf.Variable[], lr = 0.01): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  tf.tidy(() => {
    const y = labels();
    const { grads } = tf.variableGrads(() => {
      const { logits } = net.forward(batch(), true);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    }, vars);
    for (const v of vars) {
      const g = grads[v.name];
      values.set(v.name, g ? (g.dataSync() as Float32Array) : new Float32Array(0));
      if (g) v.assign(tf.sub(v, tf.mul(g, lr)));
    }
  });
  return values;
}

describe('Supernet', () => {
  beforeAll(async () => {
    await setupTestBackend();
  });

  it.each([
    { space: 'nos' as const, rows: 18, ops: 11 },
    { space: 'darts' as const, rows: 14, ops: 8 },
  ])(
    'alphas space=$space are $rows x $ops, small, apart from the weights',
    ({ space, rows, ops }) => {
      const net = new Supernet(config(space));
      const { normal, reduce } = net.alphas();
      expect(normal.shape).toEqual([rows, ops]);
      expect(reduce.shape).toEqual([rows, ops]);
      const values = Array.from(normal.dataSync());
      expect(Math.max(...values.map(Math.abs))).toBeLessThan(1e-2);
      expect(new Set(values).size).toBe(values.length);
      const weightIds = new Set(net.weights().map((w) => w.id));
      expect(net.alphaList().some((a) => weightIds.has(a.id))).toBe(false);
      net.dispose();
    },
  );

  it.each(['nos', 'darts', 'feature+attention', 'feature+dynamic'] as const)(
    'space=%s: logits, stage shapes and a valid derived genotype',
    (space) => {
      const net = new Supernet(config(space));
      const shapes = tf.tidy(() => {
        const out = net.forward(batch(), true);
        return { logits: out.logits.shape, stages: out.stages.map((s) => s.shape) };
      });
      expect(shapes.logits).toEqual([4, 3]);
      expect(shapes.stages).toEqual([
        [4, 8, 8, 16],
        [4, 4, 4, 32],
        [4, 2, 2, 64],
      ]);
      const g = net.deriveGenotype();
      expect(validateGenotype(g)).toEqual(g);
      expect(g.space).toBe(space);
      net.dispose();
    },
  );

  it.each(['nos', 'darts'] as const)(
    'space=%s: gradients reach every alpha and every weight; tensor count is flat',
    (space) => {
      const net = new Supernet(config(space));
      const named = [
        ...net.namedWeights(),
        ['alpha.normal', net.alphas().normal] as const,
        ['alpha.reduce', net.alphas().reduce] as const,
      ];
      const grads = step(net, [...net.weights(), ...net.alphaList()]);
      const l1 = (g: Float32Array | undefined): number =>
        g ? g.reduce((acc, v) => acc + Math.abs(v), 0) : 0;
      const dead = named.filter(([, v]) => !(l1(grads.get(v.name)) > 0)).map(([n]) => n);
      expect(dead).toEqual([]);
      // every single alpha entry receives gradient (none included, through the softmax)
      for (const a of net.alphaList()) {
        expect(Array.from(grads.get(a.name)!).filter((v) => v === 0)).toEqual([]);
      }
      const before = tf.memory().numTensors;
      step(net, [...net.weights(), ...net.alphaList()]);
      expect(tf.memory().numTensors).toBe(before);
      net.dispose();
    },
  );

  it('stateDict covers weights, BN buffers and alphas and round-trips', () => {
    const a = new Supernet(config('nos', 1));
    const b = new Supernet(config('nos', 2));
    tf.tidy(() => void a.forward(batch(), true));
    const state = a.stateDict();
    expect(state['alpha.normal'].shape).toEqual([18, 11]);
    expect(Object.keys(state).some((k) => k.endsWith('.mean'))).toBe(true);
    b.loadStateDict(state);
    const run = (n: Supernet): Float32Array =>
      tf.tidy(() => n.forward(batch(), false).logits.dataSync() as Float32Array);
    expect(run(b)).toEqual(run(a));
    expect(b.alphaSoftmax()).toEqual(a.alphaSoftmax());
    const { 'alpha.reduce': _dropped, ...withoutAlpha } = state;
    expect(() => b.loadStateDict(withoutAlpha)).toThrow(/alpha.reduce/);
    a.dispose();
    b.dispose();
  });

  it('dispose frees every tensor', () => {
    const before = tf.memory().numTensors;
    new Supernet(config('nos')).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    { field: 'cells', patch: { cells: 2 } },
    { field: 'channels', patch: { channels: 5 } },
    { field: 'nodes', patch: { nodes: 0 } },
  ])('rejects a bad config field=$field', ({ field, patch }) => {
    expect(() => new Supernet({ ...config('nos'), ...patch })).toThrow(new RegExp(field));
  });
});
