/**
 * The search's weight step across worker threads (src-main/search/parallel-step.ts) against the
 * single-thread Architect.weightStep on a small NOS supernet with attention transfer. Batch norm
 * uses per-shard statistics in the threads, so the reference splits the batch into the same
 * shards as micro-batches: then weights, loss and accuracy agree up to float rounding. The
 * stem's running mean is compared with a whole-batch step (the mean of equal shards' means is
 * the batch mean; deeper layers see inputs normalised per shard, so theirs differ).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchConfigFromPreset, type SearchConfig } from '../../../src-main/contract/config';
import { initBackend } from '../../../src-main/engine/backend';
import { Supernet } from '../../../src-main/nos/supernet';
import { Architect, type StepBatch } from '../../../src-main/search/architect';
import {
  ParallelWeightStep,
  startParallelWeightStep,
} from '../../../src-main/search/parallel-step';
import { Adam, Sgd } from '../../../src-main/training/optim';
import { relError } from './fixtures/rel-error';

const SHAPE: [number, number, number] = [8, 8, 1];
const BATCH = 8;

function config(overrides: Partial<SearchConfig> = {}): SearchConfig {
  return {
    ...searchConfigFromPreset('smoke', { batch: BATCH, cells: 3, channels: 4, lambda: 100 }),
    ...overrides,
  };
}

function build(cfg: SearchConfig) {
  const net = new Supernet({ ...cfg, numClasses: 3, inputShape: SHAPE });
  const sgd = new Sgd(net.namedWeights(), { lr: 0.05, momentum: 0.9, weightDecay: 3e-4 });
  const adam = new Adam(
    net.alphaList().map((a, i) => [`alpha.${i}`, a] as [string, tf.Variable]),
    { lr: 6e-4, weightDecay: 1e-3 },
  );
  return { net, sgd, adam, architect: new Architect(net, sgd, adam, cfg) };
}

function makeBatch(): StepBatch {
  return {
    x: tf.randomNormal<tf.Rank.R4>([BATCH, ...SHAPE], 0, 1, 'float32', 11),
    labels: tf.tensor1d(
      Array.from({ length: BATCH }, (_, i) => i % 3),
      'int32',
    ),
    // Stand-ins for a frozen teacher's three stage outputs (any positive maps will do).
    teacherStages: [8, 4, 2].map((s, j) =>
      tf.abs(tf.randomNormal<tf.Rank.R4>([BATCH, s, s, 4], 0, 1, 'float32', 20 + j)),
    ),
  };
}

describe('data-parallel search weight step', () => {
  const cfg = config();
  let parallel: ParallelWeightStep;
  let subject: ReturnType<typeof build>;

  beforeAll(async () => {
    await initBackend('wasm', () => undefined);
    subject = build(cfg);
    parallel = await ParallelWeightStep.start({
      net: subject.net,
      optimizer: subject.sgd,
      config: cfg,
      hasTeacher: true,
      backend: 'wasm',
      threads: 2,
    });
  }, 60_000);

  afterAll(async () => {
    await parallel?.close();
    [subject.net, subject.sgd, subject.adam].forEach((o) => o.dispose());
  });

  it('matches one thread with the same shards as micro-batches, and leaks no tensor', async () => {
    const sharded = build(config({ microBatch: BATCH / 2 }));
    const whole = build(cfg);
    const batch = makeBatch();

    const reference = sharded.architect.weightStep(batch);
    whole.architect.weightStep(batch);
    const before = tf.memory().numTensors;
    const stats = await parallel.weightStep(batch);
    expect(tf.memory().numTensors).toBe(before);

    expect(stats.count).toBe(BATCH);
    expect(stats.correct).toBe(reference.correct);
    expect(stats.loss).toBeCloseTo(reference.loss, 4);
    expect(stats.ce).toBeCloseTo(reference.ce, 5);
    expect(stats.at).toBeCloseTo(reference.at!, 6);
    expect(stats.at).toBeGreaterThan(0);

    const mine = subject.net.namedWeights();
    sharded.net.namedWeights().forEach(([name, v], i) => {
      expect(mine[i][0]).toBe(name);
      expect(relError(mine[i][1].dataSync(), v.dataSync()), name).toBeLessThan(1e-4);
    });
    // Running mean of the stem: shard-weighted mean of equal shards = the whole batch's update.
    const stem = (net: Supernet) => new Map(net.namedBuffers()).get('stemBn.mean')!.dataSync();
    expect(Array.from(stem(subject.net)).some((v) => v !== 0)).toBe(true);
    expect(relError(stem(subject.net), stem(whole.net))).toBeLessThan(1e-5);
    for (const s of [sharded, whole]) [s.net, s.sgd, s.adam].forEach((o) => o.dispose());
    tf.dispose([batch.x, batch.labels, ...batch.teacherStages!]);
  }, 60_000);

  it('is used only when the workers setting and backend allow more than one thread', async () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const one = await startParallelWeightStep({
      net: subject.net,
      optimizer: subject.sgd,
      config: config({ workers: 1 }),
      hasTeacher: true,
      log,
    });
    expect(one).toBeNull();
    // The default: at least 8 images per thread, so a batch of 8 stays in one thread.
    const small = await startParallelWeightStep({
      net: subject.net,
      optimizer: subject.sgd,
      config: cfg,
      hasTeacher: true,
      log,
    });
    expect(small).toBeNull();
    expect(lines.join('\n')).toMatch(/one thread.*the workers setting/);
    expect(lines.join('\n')).toMatch(/at least 8 images per thread in a batch of 8/);
  });
});
