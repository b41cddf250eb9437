import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NosError } from '../../../src-main/contract/errors';
import { initBackend } from '../../../src-main/engine/backend';
import {
  accumulateGradients,
  guardStep,
  measureStepMemory,
  memoryBudget,
  planMicroBatches,
  WASM_HEAP_LIMIT_BYTES,
} from '../../../src-main/engine/memory';
import type { Batch, StepMemoryProfile } from '../../../src-main/engine/memory';

/** A tiny conv net: x [N, 8, 8, 2] -> conv 3x3 (4) -> relu -> mean pool -> dense (3). */
function tinyNet() {
  const filter = tf.variable(tf.randomNormal<tf.Rank.R4>([3, 3, 2, 4], 0, 0.5, 'float32', 1));
  const dense = tf.variable(tf.randomNormal<tf.Rank.R2>([4, 3], 0, 0.5, 'float32', 2));
  const unused = tf.variable(tf.zeros([2]));
  const loss = (b: Batch) => {
    const h = tf.relu(tf.conv2d(b.x as tf.Tensor4D, filter, 1, 'same'));
    const logits = tf.matMul(tf.mean(h, [1, 2]), dense);
    return tf.losses.softmaxCrossEntropy(b.y, logits) as tf.Scalar;
  };
  return { variables: [filter, dense, unused], loss };
}

function tinyBatch(n: number): Batch {
  return {
    x: tf.randomNormal([n, 8, 8, 2], 0, 1, 'float32', 3),
    y: tf.oneHot(
      tf.tensor1d(
        Array.from({ length: n }, (_, i) => i % 3),
        'int32',
      ),
      3,
    ),
  };
}

describe('planMicroBatches', () => {
  // A supernet-like profile: 200 MB fixed, 250 MB per sample.
  const profile: StepMemoryProfile = { fixedBytes: 200e6, perSampleBytes: 250e6 };
  const wasm = memoryBudget('wasm');

  it('keeps the whole batch when it fits', () => {
    const plan = planMicroBatches({ batchSize: 8, profile, budget: wasm });
    expect(plan).toMatchObject({ microBatch: 8, passes: 1 });
    expect(plan.estimatedPeakBytes).toBeLessThanOrEqual(WASM_HEAP_LIMIT_BYTES);
  });

  it('splits a batch that would overflow the wasm heap into micro-batches that fit', () => {
    const plan = planMicroBatches({ batchSize: 32, profile, budget: wasm });
    // (4 GiB - 1.3 * 200 MB) / (1.3 * 250 MB) = 12.4
    expect(plan).toMatchObject({ microBatch: 12, passes: 3 });
    expect(plan.estimatedPeakBytes).toBeLessThanOrEqual(WASM_HEAP_LIMIT_BYTES);
  });

  it('refuses a requested micro-batch that would overflow, suggesting one that fits', () => {
    const run = () =>
      planMicroBatches({
        batchSize: 32,
        profile,
        budget: wasm,
        requestedMicroBatch: 32,
        what: 'search',
      });
    expect(run).toThrow(NosError);
    try {
      run();
    } catch (e) {
      const err = e as NosError;
      expect(err.code).toBe('OUT_OF_MEMORY');
      expect(err.message).toContain('micro-batch 32');
      expect(err.message).toContain('4.00 GiB');
      expect(err.hint).toContain('microBatch to 12 or less');
    }
  });

  it('refuses a configuration where one sample does not fit, suggesting fewer channels', () => {
    const huge = { fixedBytes: 1e9, perSampleBytes: 5e9 };
    expect(() => planMicroBatches({ batchSize: 4, profile: huge, budget: wasm })).toThrow(
      expect.objectContaining({ code: 'OUT_OF_MEMORY', hint: expect.stringContaining('channels') }),
    );
  });

  it.each([0, -1, 2.5])('batchSize=%s is refused as BAD_INPUT', (batchSize) => {
    expect(() => planMicroBatches({ batchSize, profile, budget: wasm })).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT' }),
    );
  });

  it('places no limit on tfjs-node-gpu (GPU memory is not visible)', () => {
    const gpu = memoryBudget('tfjs-node-gpu');
    expect(planMicroBatches({ batchSize: 512, profile, budget: gpu }).microBatch).toBe(512);
  });
});

describe.each(['wasm', 'cpu'] as const)('memory on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend, () => undefined);
  });

  it('measures a step: peak bytes grow linearly with the micro-batch', async () => {
    const net = tinyNet();
    const data = tinyBatch(8);
    const step = (b: number) => {
      const { loss, grads } = accumulateGradients(net.loss, net.variables, data, b);
      tf.dispose([loss, ...grads]);
    };
    const profile = await measureStepMemory((b) => {
      const part = { x: data.x.slice(0, b), y: data.y.slice(0, b) };
      const { loss, grads } = accumulateGradients(net.loss, net.variables, part, b);
      tf.dispose([loss, ...grads, part.x, part.y]);
    });
    // One sample's activations: input + conv output + relu + their gradients, each 8*8*4 floats
    // at most: a few KB, and more than the input alone (8*8*2*4 bytes).
    expect(profile.perSampleBytes).toBeGreaterThan(8 * 8 * 2 * 4);
    expect(profile.perSampleBytes).toBeLessThan(64 * 1024);
    // The limit set at 4 samples' worth: a plan for 8 is split, and the split plan runs.
    const budget = {
      backend,
      limitBytes: Math.ceil((profile.fixedBytes + 4 * profile.perSampleBytes) * 1.3),
      source: 'test',
    };
    expect(() =>
      planMicroBatches({ batchSize: 8, profile, budget, requestedMicroBatch: 8 }),
    ).toThrow(expect.objectContaining({ code: 'OUT_OF_MEMORY' }));
    const plan = planMicroBatches({ batchSize: 8, profile, budget });
    expect(plan.microBatch).toBe(4);
    step(plan.microBatch);
    tf.dispose([...net.variables, data.x, data.y]);
  });

  it('accumulated micro-batch gradients equal the whole-batch gradient, tensor count flat', () => {
    const net = tinyNet();
    const data = tinyBatch(7);
    const whole = accumulateGradients(net.loss, net.variables, data, 7);
    const before = tf.memory().numTensors;
    const micro = accumulateGradients(net.loss, net.variables, data, 3); // 3 + 3 + 1
    expect(tf.memory().numTensors).toBe(before + 1 + net.variables.length);
    expect(micro.loss.dataSync()[0]).toBeCloseTo(whole.loss.dataSync()[0], 5);
    whole.grads.forEach((g, i) => {
      const a = g.dataSync();
      const b = micro.grads[i].dataSync();
      expect(b.length).toBe(a.length);
      a.forEach((v, k) => expect(b[k]).toBeCloseTo(v, 5));
    });
    // The unused variable gets a zero gradient of its shape.
    expect(Array.from(micro.grads[2].dataSync())).toEqual([0, 0]);
    tf.dispose([whole.loss, ...whole.grads, micro.loss, ...micro.grads]);
    expect(tf.memory().numTensors).toBe(before - 1 - net.variables.length);
    tf.dispose([...net.variables, data.x, data.y]);
  });

  it('measureStepMemory refuses a step that leaks tensors', async () => {
    const leak = () => void tf.ones([4]);
    await expect(measureStepMemory(leak)).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

describe('guardStep', () => {
  it('turns an allocation failure into OUT_OF_MEMORY and passes other errors through', async () => {
    const oom = () => {
      throw new RangeError('Array buffer allocation failed');
    };
    await expect(guardStep(oom)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
    await expect(guardStep(() => new ArrayBuffer(2 ** 53))).rejects.toMatchObject({
      code: 'OUT_OF_MEMORY',
    });
    await expect(
      guardStep(() => {
        throw new Error('NaN loss');
      }),
    ).rejects.toThrow('NaN loss');
    expect(await guardStep(() => 3)).toBe(3);
  });
});
