import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { accumulateGradients } from '../../../src-main/engine/memory';
import {
  DataParallelPool,
  defaultThreadCount,
  gradientTensors,
  readWeights,
  shardBounds,
  toHostTensor,
} from '../../../src-main/engine/parallel/pool';
import type { HostBatch, Replica, ReplicaLoss } from '../../../src-main/engine/parallel/protocol';
import { createReplica } from './fixtures/tiny-replica';
import { relError } from './fixtures/rel-error';

/** The replica's loss alone (its metrics are disposed by the caller's tidy). */
const lossOf = (r: Replica) => (b: Readonly<Record<string, tf.Tensor>>) => {
  const out: ReplicaLoss = r.loss(b);
  return out instanceof tf.Tensor ? out : out.loss;
};

const MODULE = resolve(__dirname, 'fixtures/tiny-replica.ts');

function hostBatch(n: number): HostBatch {
  // Host copies are plain arrays, so the device tensors are disposed here rather than by tidy.
  const x = tf.randomNormal([n, 6, 6, 2], 0, 1, 'float32', 7);
  const labels = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 3),
    'int32',
  );
  const y = tf.oneHot(labels, 3);
  const batch = { x: toHostTensor(x), y: toHostTensor(y) };
  tf.dispose([x, labels, y]);
  return batch;
}

describe('shardBounds', () => {
  it.each([
    [
      7,
      2,
      [
        [0, 4],
        [4, 7],
      ],
    ],
    [
      6,
      3,
      [
        [0, 2],
        [2, 4],
        [4, 6],
      ],
    ],
    [
      2,
      2,
      [
        [0, 1],
        [1, 2],
      ],
    ],
  ])('total=%i parts=%i splits contiguously and evenly', (total, parts, expected) => {
    expect(shardBounds(total, parts)).toEqual(expected);
  });
});

describe('DataParallelPool', () => {
  let pool: DataParallelPool;

  beforeAll(async () => {
    await initBackend('wasm', () => undefined);
    pool = await DataParallelPool.create({ modulePath: MODULE, config: { seed: 3 }, threads: 2 });
  });

  afterAll(async () => {
    await pool?.close();
  });

  it('defaults its thread count to the number of cores', () => {
    expect(defaultThreadCount()).toBeGreaterThanOrEqual(1);
    expect(pool.size).toBe(2);
  });

  it('one parallel SGD step matches a single-instance step to float rounding', async () => {
    const local = createReplica({ seed: 3 });
    const twin = createReplica({ seed: 3 });
    const batch = hostBatch(7); // shards of 4 and 3: unequal shares must be weighted
    const tensors = {
      x: tf.tensor(batch.x.data, batch.x.shape),
      y: tf.tensor(batch.y.data, batch.y.shape),
    };

    // Single instance: whole-batch gradient, one update.
    const stateBefore = readWeights(twin.state ?? []);
    const single = accumulateGradients(lossOf(local), local.variables, tensors, 7);
    const before = tf.memory().numTensors;
    // Parallel: same weights to two threads, averaged gradient, one update in this thread.
    const parallel = await pool.gradients(readWeights(twin.variables), batch, null, stateBefore);
    expect(parallel.threadTensors).toHaveLength(2);
    expect(parallel.loss).toBeCloseTo(single.loss.dataSync()[0], 5);
    single.grads.forEach((g, i) => {
      expect(relError(parallel.grads[i], g.dataSync())).toBeLessThan(1e-5);
    });
    // The running mean is linear in the batch, so the shard-weighted mean equals the whole
    // batch's update; top-1 is the share of hits over all 7 samples.
    const localState = local.state ?? [];
    expect(localState).toHaveLength(1);
    expect(relError(parallel.state[0], localState[0].dataSync())).toBeLessThan(1e-6);
    expect(Array.from(parallel.state[0]).some((v) => v !== 0)).toBe(true);
    const top1 = tf.tidy(() => {
      const out = local.loss(tensors);
      return out instanceof tf.Tensor ? -1 : out.metrics.top1.dataSync()[0];
    });
    expect(parallel.metrics.top1).toBeCloseTo(top1, 6);

    const lr = 0.1;
    // assign() takes its own reference to the new value, so the value itself is disposed.
    const update = (vars: readonly tf.Variable[], grads: readonly tf.Tensor[]) =>
      vars.forEach((v, i) => {
        const next = tf.tidy(() => tf.sub(v, tf.mul(grads[i], lr)));
        v.assign(next);
        next.dispose();
      });
    update(local.variables, single.grads);
    const host = gradientTensors(parallel.grads, twin.variables);
    update(twin.variables, host);
    tf.dispose(host);
    expect(tf.memory().numTensors).toBe(before); // main-thread tensor count flat
    local.variables.forEach((v, i) => {
      expect(relError(twin.variables[i].dataSync() as Float32Array, v.dataSync())).toBeLessThan(
        1e-6,
      );
    });
    tf.dispose([single.loss, ...single.grads, tensors.x, tensors.y]);
    local.dispose?.();
    twin.dispose?.();
  });

  it("keeps every thread's tensor count flat across steps, micro-batches included", async () => {
    const replica = createReplica({ seed: 3 });
    const weights = readWeights(replica.variables);
    const state = readWeights(replica.state ?? []);
    const first = await pool.gradients(weights, hostBatch(6), 2, state);
    const second = await pool.gradients(weights, hostBatch(6), 2, state);
    const third = await pool.gradients(weights, hostBatch(6), null, state);
    expect(second.threadTensors).toEqual(first.threadTensors);
    expect(third.threadTensors).toEqual(first.threadTensors);
    // Same weights, same batch: micro-batching inside a thread does not change the gradient.
    third.grads.forEach((g, i) => expect(relError(g, first.grads[i])).toBeLessThan(1e-5));
    replica.dispose?.();
  });

  it('refuses weights or state that do not match the replica', async () => {
    await expect(pool.gradients([new Float32Array(3)], hostBatch(2))).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    const replica = createReplica({ seed: 3 });
    await expect(
      pool.gradients(readWeights(replica.variables), hostBatch(2), null, []),
    ).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('State') });
    replica.dispose?.();
  });

  it('reports a replica module without createReplica as an error, not a hang', async () => {
    await expect(
      DataParallelPool.create({
        // A module that exists but exports no createReplica.
        modulePath: resolve(__dirname, '../../../src-main/engine/parallel/protocol.ts'),
        config: {},
        threads: 1,
      }),
    ).rejects.toMatchObject({ code: expect.any(String) });
  });
});
