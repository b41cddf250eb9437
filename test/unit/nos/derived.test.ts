import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Genotype, parseAnyGenotype } from '../../../src-main/contract/genotype';
import { countMultAdds, countParams } from '../../../src-main/nos/complexity';
import { DerivedNetwork, type DerivedConfig } from '../../../src-main/nos/derived';
import { setupTestBackend } from '../nn/setup-backend';

const dartsV2 = (): Genotype =>
  parseAnyGenotype(
    readFileSync(resolve(__dirname, '../../../resources/genotypes/darts-v2.json'), 'utf8'),
  );

/** A NOS genotype exercising every family in both tiers and on stride-2 edges. */
const nosGenotype = (): Genotype => ({
  version: 1,
  space: 'nos',
  normal: [
    {
      first: [
        { op: 'sep_conv_3x3', input: 0 },
        { op: 'spatial_attention', input: 1 },
      ],
      second: 'dynamic_conv_5x5',
    },
    {
      first: [
        { op: 'skip_connect', input: 1 },
        { op: 'dynamic_conv_3x3', input: 2 },
      ],
      second: 'channel_attention',
    },
    {
      first: [
        { op: 'dil_conv_5x5', input: 3 },
        { op: 'channel_attention', input: 0 },
      ],
      second: 'sep_conv_5x5',
    },
    {
      first: [
        { op: 'avg_pool_3x3', input: 4 },
        { op: 'max_pool_3x3', input: 2 },
      ],
      second: 'skip_connect',
    },
  ],
  reduce: [
    {
      first: [
        { op: 'dil_conv_3x3', input: 0 },
        { op: 'spatial_attention', input: 1 },
      ],
      second: 'spatial_attention',
    },
    {
      first: [
        { op: 'skip_connect', input: 1 },
        { op: 'dynamic_conv_5x5', input: 0 },
      ],
      second: 'dil_conv_3x3',
    },
    {
      first: [
        { op: 'max_pool_3x3', input: 0 },
        { op: 'channel_attention', input: 3 },
      ],
      second: 'dynamic_conv_3x3',
    },
    {
      first: [
        { op: 'sep_conv_5x5', input: 1 },
        { op: 'avg_pool_3x3', input: 4 },
      ],
      second: 'max_pool_3x3',
    },
  ],
  concat: [2, 3, 4, 5],
});

const tiny = (patch: Partial<DerivedConfig> = {}): DerivedConfig => ({
  channels: 4,
  cells: 3,
  numClasses: 3,
  inputShape: [8, 8, 2],
  auxiliary: true,
  dropPathProb: 0.2,
  seed: 3,
  ...patch,
});

describe('DerivedNetwork', () => {
  beforeAll(async () => {
    await setupTestBackend();
  });

  it('DARTS V2 as the 20-cell, 36-channel CIFAR network has the published 3.3M parameters', () => {
    const net = new DerivedNetwork(dartsV2(), {
      ...tiny({ channels: 36, cells: 20, numClasses: 10, inputShape: [32, 32, 3] }),
    });
    const params = countParams(net, ['aux']);
    expect(Math.abs(params - 3.3e6) / 3.3e6).toBeLessThan(0.02);
    expect(countParams(net)).toBeGreaterThan(params); // the auxiliary head is there
    net.dispose();
  });

  it.each([
    { name: 'darts-v2', genotype: dartsV2 },
    { name: 'nos', genotype: nosGenotype },
  ])(
    'genotype=$name: shapes, auxiliary logits only in training, every weight learns',
    ({ genotype }) => {
      const net = new DerivedNetwork(genotype(), tiny());
      const x = tf.randomNormal([4, 8, 8, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
      const evalOut = tf.tidy(() => {
        const o = net.forward(x, false);
        return { logits: o.logits.shape, aux: o.auxLogits, stages: o.stages.map((s) => s.shape) };
      });
      expect(evalOut.logits).toEqual([4, 3]);
      expect(evalOut.aux).toBeUndefined();
      expect(evalOut.stages).toEqual([
        [4, 8, 8, 16],
        [4, 4, 4, 32],
        [4, 2, 2, 64],
      ]);
      const step = (): string[] =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => {
            const o = net.forward(x, true);
            expect(o.auxLogits?.shape).toEqual([4, 3]);
            const main = tf.losses.softmaxCrossEntropy(y, o.logits);
            return tf.add(
              main,
              tf.mul(0.4, tf.losses.softmaxCrossEntropy(y, o.auxLogits!)),
            ) as tf.Scalar;
          }, net.weights());
          const dead = net
            .namedWeights()
            .filter(([, v]) => !(tf.sum(tf.abs(grads[v.name])).dataSync()[0] > 0))
            .map(([n]) => n);
          for (const v of net.weights()) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.01)));
          return dead;
        });
      net.dropPathProb = 0; // every path active: every weight must receive gradient
      expect(step()).toEqual([]);
      net.dropPathProb = 0.3;
      const before = tf.memory().numTensors;
      step();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, y]);
      net.dispose();
    },
  );

  it('counts multiply-adds of convolutions and linear layers', () => {
    const net = new DerivedNetwork(dartsV2(), tiny({ auxiliary: false }));
    const macs = countMultAdds((x) => net.forward(x, false), [8, 8, 2]);
    // stem alone: 8*8 positions x 12 outputs x 3*3*2 taps
    expect(macs).toBeGreaterThan(8 * 8 * 12 * 18);
    // convolutions scale with the image area; the classifier (64 features x 3 classes) does not
    const classifier = 64 * 3;
    const macs16 = countMultAdds((x) => net.forward(x, false), [16, 16, 2]);
    expect(macs16 - classifier).toBe(4 * (macs - classifier));
    net.dispose();
  });

  it('rejects a bad config', () => {
    expect(() => new DerivedNetwork(dartsV2(), tiny({ dropPathProb: 1 }))).toThrow(/dropPathProb/);
  });
});
