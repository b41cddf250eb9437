import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset, type LoadedDataset } from '../../../src-main/data';
import { BatchSource } from '../../../src-main/evaluation/batches';
import { OpStudyNet } from '../../../src-main/evaluation/op-study-net';
import {
  countTopK,
  trainClassifier,
  type TrainerMeta,
  type TrainRequest,
  type TrainSchedule,
} from '../../../src-main/evaluation/trainer';
import { Random } from '../../../src-main/nn/random';
import { loadCheckpoint } from '../../../src-main/training/checkpoint';
import { memoryRunContext, type ControlSignal } from '../../../src-main/training/run-context';
import { importSample, tempDir, useWasm } from './helpers';

const schedule: TrainSchedule = {
  epochs: 2,
  lrAt: (e) => 0.05 * (1 - e / 2),
  momentum: 0.9,
  weightDecay: 3e-4,
  gradClip: 5,
  auxiliaryWeight: 0,
  checkpointEverySteps: 2,
};

describe('trainClassifier', () => {
  const tmp = tempDir('nos-eval-trainer-');
  let data: LoadedDataset;
  let source: BatchSource;

  beforeAll(async () => {
    await useWasm();
    data = openDataset(await importSample(tmp.dir));
    source = new BatchSource(data, {
      batch: 16,
      evalBatch: 64,
      augment: { cropPadding: 2, flip: true, cutout: 8 },
      trainImages: 64,
      testImages: 64,
      seed: 3,
    });
  });
  afterAll(() => {
    data.close();
    tmp.cleanup();
  });

  const newNet = () =>
    new OpStudyNet(new Random(1), {
      inChannels: 1,
      classes: 10,
      width: 4,
      variant: 'baseline',
      stages: [],
    });

  /** Trains a fresh net; `control` decides pause/cancel per step. */
  async function train(
    name: string,
    control: () => ControlSignal,
    resumeFrom?: string,
    memory: Pick<TrainRequest<unknown>, 'memoryBudget'> & Pick<TrainSchedule, 'microBatch'> = {},
  ) {
    const net = newNet();
    const { ctx, record } = memoryRunContext(tmp.dir, control);
    const outcome = await trainClassifier({
      net,
      data: source,
      schedule: { ...schedule, microBatch: memory.microBatch },
      memoryBudget: memory.memoryBudget,
      ctx,
      phase: name,
      metricEpochOffset: 0,
      checkpointPath: join(tmp.dir, `${name}.nosckpt`),
      extra: { tag: name },
      resume: resumeFrom ? loadCheckpoint<TrainerMeta<{ tag: string }>>(resumeFrom) : undefined,
    }).catch((err: unknown) => {
      net.dispose();
      throw err;
    });
    const state = net.stateDict();
    net.dispose();
    return { outcome, state, record };
  }

  it('reports per-epoch metrics and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const { outcome, record } = await train('plain', () => 'run');
    expect(tf.memory().numTensors).toBe(before);
    expect(outcome.status).toBe('completed');
    const epochs = record.metrics.filter((m) => m.step === null);
    expect(epochs.map((m) => m.epoch)).toEqual([0, 1]);
    for (const key of ['train/loss', 'eval/loss', 'eval/top1_error', 'eval/top5_error', 'lr']) {
      expect(Number.isFinite(epochs[1].values[key]), key).toBe(true);
    }
    expect(epochs[0].values.lr).toBeCloseTo(0.05);
    expect(epochs[1].values.lr).toBeCloseTo(0.025);
    expect(record.progress).toHaveLength(2 * source.stepsPerEpoch);
  });

  it('resumes after a pause to exactly the weights of an uninterrupted run', async () => {
    const straight = await train('straight', () => 'run');
    let calls = 0;
    const paused = await train('paused', () => (++calls === 3 ? 'pause' : 'run'));
    expect(paused.outcome).toEqual({
      status: 'paused',
      checkpointPath: join(tmp.dir, 'paused.nosckpt'),
    });
    const ckpt = loadCheckpoint<TrainerMeta<{ tag: string }>>(join(tmp.dir, 'paused.nosckpt'));
    expect(ckpt.meta).toMatchObject({ epoch: 0, step: 2, extra: { tag: 'paused' } });

    const resumed = await train('paused', () => 'run', join(tmp.dir, 'paused.nosckpt'));
    expect(resumed.outcome.status).toBe('completed');
    if (resumed.outcome.status !== 'completed' || straight.outcome.status !== 'completed') return;
    expect(resumed.outcome.history).toEqual(straight.outcome.history);
    for (const [name, t] of Object.entries(straight.state)) {
      expect(Array.from(resumed.state[name].data), name).toEqual(Array.from(t.data));
    }
  });

  it('stops on cancel without writing a checkpoint', async () => {
    const { outcome } = await train('cancelled', () => 'cancel');
    expect(outcome).toEqual({ status: 'cancelled', checkpointPath: null });
    expect(existsSync(join(tmp.dir, 'cancelled.nosckpt'))).toBe(false);
  });

  it('refuses before the first step a network of which not even one image fits', async () => {
    const before = tf.memory().numTensors;
    const budget = { backend: 'wasm' as const, limitBytes: 1024, source: 'a 1 KiB test heap' };
    const err = await train('oom', () => 'run', undefined, { memoryBudget: budget }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'OUT_OF_MEMORY', hint: expect.stringContaining('channels') });
    expect(existsSync(join(tmp.dir, 'oom.nosckpt'))).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains in the micro-batches asked for, gradients accumulated, no tensor left', async () => {
    const before = tf.memory().numTensors;
    const { outcome, record } = await train('micro', () => 'run', undefined, { microBatch: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(outcome.status).toBe('completed');
    expect(record.logs.map((l) => l.message)).toContainEqual(
      expect.stringContaining('batch 16 as 4 micro-batches of 4 (gradients accumulated)'),
    );
    expect(record.progress).toHaveLength(2 * source.stepsPerEpoch);
  });
});

describe('countTopK', () => {
  it('counts labels among the k largest logits', () => {
    const logits = tf.tensor2d([
      [0.1, 0.9, 0.0],
      [0.8, 0.1, 0.3],
      [0.2, 0.3, 0.5],
    ]);
    const labels = tf.tensor1d([1, 2, 0], 'int32');
    expect(countTopK(logits, labels, 1).dataSync()[0]).toBe(1);
    expect(countTopK(logits, labels, 2).dataSync()[0]).toBe(2);
    expect(countTopK(logits, labels, 5).dataSync()[0]).toBe(3);
    tf.dispose([logits, labels]);
  });
});
