/**
 * Teacher training (NOS-SPEC section 4, "Teacher / ResNet-18 study"): SGD with momentum 0.9 and
 * weight decay, lr divided by 10 every 30 epochs (or cosine, for the short CPU presets),
 * flip + random-crop augmentation, then the held-out test accuracy. The result is a frozen
 * Teacher tied to the dataset's checksum.
 *
 * Where we differ: presets scale the recipe down (fewer epochs, a narrower network, a subset
 * of the images) so a teacher trains in minutes on a CPU; `paper` keeps it.
 *
 * With a checkpoint path, training writes a checkpoint (weights, batch-norm buffers, optimiser
 * slots, epoch, step and the epoch's running sums) at the end of every epoch and when paused,
 * and continues from that file when it exists: the paper's 300-epoch teacher survives a pause
 * or a crash. Batches and augmentation are pure functions of (seed, epoch, step), so the
 * continued training draws what an uninterrupted one would.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TeacherConfig } from '../../contract/config';
import { NosError } from '../../contract/errors';
import { METRIC } from '../../contract/metrics';
import { mixSeed, permutation } from '../../data/rng';
import {
  accumulateGradients,
  guardStep,
  planRunMemory,
  type MemoryBudget,
} from '../../engine/memory';
import { existsSync, rmSync } from 'node:fs';
import { loadCheckpoint, saveCheckpoint, takePrefix, withPrefix } from '../../training/checkpoint';
import type { RunContext } from '../../training/run-context';
import { Sgd } from '../../training/optim';
import { cosineLr, stepLr } from '../../training/schedule';
import {
  epochOrder,
  imageCount,
  makeBatch,
  subset,
  type ImageSet,
  type SearchDataset,
} from '../data-source';
import { assertFinite, checkControl, correctCount, crossEntropy, RunStopped } from '../steps';
import { buildTeacherNetwork, Teacher, type TeacherMeta } from './teacher';

export interface TrainTeacherOptions {
  dataset: SearchDataset;
  config: TeacherConfig;
  ctx: RunContext;
  /** Progress phase name ('teacher' both standalone and inline in a search run). */
  phase?: string;
  /** Test images scored at the end (a prefix of the test set); 0 skips scoring. */
  testImages?: number;
  /**
   * Where training checkpoints go (one file, replaced atomically); when the file exists,
   * training continues from it. It is removed once the teacher is trained.
   */
  checkpointPath?: string;
  /** The memory limit the micro-batch is planned against; the active backend's by default. */
  memoryBudget?: MemoryBudget;
}

/** File name of the checkpoint of a teacher in training, inside its run folder. */
export const TEACHER_TRAINING_CHECKPOINT = 'teacher-training.nosckpt';

/** Position and running sums of a teacher training, as its checkpoint stores them. */
interface TeacherCheckpointMeta {
  kind: 'teacher-training';
  epoch: number;
  step: number;
  lossSum: number;
  correct: number;
  optimizer: { kind: 'sgd' | 'adam'; step: number; lr: number };
}

/** Trains a teacher and returns it frozen (eval mode is the caller's: use `stages`). */
export async function trainTeacher(opts: TrainTeacherOptions): Promise<Teacher> {
  const { dataset, config, ctx } = opts;
  const phase = opts.phase ?? 'teacher';
  const meta = dataset.meta;
  const spec = { arch: config.arch, width: config.width, depth: config.depth, widen: config.widen };
  const net = buildTeacherNetwork(spec, meta, config.seed);
  const teacherMeta: TeacherMeta = {
    version: 1,
    spec,
    dataset: {
      checksum: meta.checksum,
      name: meta.name,
      imageShape: meta.imageShape,
      classCount: meta.classCount,
      mean: meta.mean,
      std: meta.std,
    },
    training: { epochs: config.epochs, testTop1: null, source: 'trained' },
    inputSize: config.inputSize,
  };
  const teacher = new Teacher(net, teacherMeta);
  try {
    await fit(teacher, pickImages(dataset.train, config), config, ctx, phase, opts);
    const limit = Math.min(opts.testImages ?? 1000, imageCount(dataset.test));
    if (limit > 0) {
      const top1 = evaluateTop1(teacher, dataset.test, limit);
      teacher.meta.training.testTop1 = top1;
      ctx.metrics(config.epochs - 1, null, { [METRIC.evalTop1]: top1 });
      ctx.log.info(`teacher: ${(top1 * 100).toFixed(1)}% top-1 on ${limit} held-out test images`);
    }
    return teacher;
  } catch (err) {
    teacher.dispose();
    throw err;
  }
}

function pickImages(train: ImageSet, config: TeacherConfig): ImageSet {
  const n = imageCount(train);
  if (config.trainImages === null || config.trainImages >= n) return train;
  return subset(
    train,
    permutation(n, mixSeed(config.seed, 0x7eac)).subarray(0, config.trainImages),
  );
}

async function fit(
  teacher: Teacher,
  images: ImageSet,
  config: TeacherConfig,
  ctx: RunContext,
  phase: string,
  { checkpointPath, memoryBudget }: Pick<TrainTeacherOptions, 'checkpointPath' | 'memoryBudget'>,
): Promise<void> {
  const net = teacher.net;
  const optimizer = new Sgd(net.namedWeights(), {
    lr: config.lr,
    momentum: config.momentum,
    weightDecay: config.weightDecay,
  });
  const weights = net.weights();
  const n = imageCount(images);
  const stepsPerEpoch = Math.ceil(n / config.batch);
  const totalSteps = stepsPerEpoch * config.epochs;
  const started = Date.now();
  let [epoch, step, lossSum, correct] = [0, 0, 0, 0];
  type Position = Pick<TeacherCheckpointMeta, 'epoch' | 'step' | 'lossSum' | 'correct'>;
  const save = (at: Position): void => {
    if (!checkpointPath) return;
    const state = optimizer.getState();
    const meta: TeacherCheckpointMeta = {
      kind: 'teacher-training',
      ...at,
      optimizer: { kind: state.kind, step: state.step, lr: state.lr },
    };
    saveCheckpoint(checkpointPath, {
      meta,
      tensors: { ...withPrefix(net.stateDict(), 'model'), ...withPrefix(state.slots, 'opt') },
    });
  };
  try {
    if (checkpointPath && existsSync(checkpointPath)) {
      const ckpt = loadCheckpoint<TeacherCheckpointMeta>(checkpointPath);
      if (ckpt.meta.kind !== 'teacher-training') {
        throw new NosError(
          'BAD_INPUT',
          `${checkpointPath} is not a teacher-training checkpoint.`,
          'Delete it to train the teacher from the start.',
        );
      }
      net.loadStateDict(takePrefix(ckpt.tensors, 'model'));
      optimizer.setState({ ...ckpt.meta.optimizer, slots: takePrefix(ckpt.tensors, 'opt') });
      ({ epoch, step, lossSum, correct } = ckpt.meta);
      ctx.log.info(`teacher: continuing from epoch ${epoch + 1}, step ${step + 1}`);
    }
    // The memory guard: the micro-batch that fits, or OUT_OF_MEMORY before the first step.
    const saved = net.stateDict();
    const { microBatch } = await planRunMemory({
      what: `teacher (${spec(config)}, batch ${config.batch})`,
      batchSize: config.batch,
      requestedMicroBatch: config.microBatch,
      budget: memoryBudget,
      log: (line) => ctx.log.info(line),
      probe: (b) => {
        const probe = makeBatch(
          images,
          Array.from({ length: b }, (_, i) => i % n),
          null,
          0,
        );
        const r = batchGradients(teacher, weights, probe.pixels, probe.labels, b);
        tf.dispose([r.loss, ...r.grads, probe.pixels, probe.labels]);
      },
    }).finally(() => net.loadStateDict(saved)); // the probe moved batch-norm statistics
    const sessionStart = epoch * stepsPerEpoch + step;
    for (; epoch < config.epochs; epoch++, step = 0, lossSum = 0, correct = 0) {
      const epochStart = Date.now();
      const order = epochOrder(n, config.seed, epoch, 0x7e);
      for (; step < stepsPerEpoch; step++) {
        const signal = await checkControl(ctx);
        if (signal === 'pause') save({ epoch, step, lossSum, correct });
        if (signal !== 'run') throw new RunStopped(signal);
        const done = epoch * stepsPerEpoch + step;
        optimizer.lr =
          config.schedule === 'cosine'
            ? cosineLr(config.lr, 0, done, totalSteps)
            : stepLr(config.lr, epoch, config.lrStepEpochs);
        const idx = order.subarray(step * config.batch, (step + 1) * config.batch);
        const batch = makeBatch(images, idx, config, mixSeed(config.seed, epoch, step, 0x7b));
        // An allocation failure ends the run as failed (OUT_OF_MEMORY); the last checkpoint stays.
        const { loss, grads, hits } = await guardStep(
          () => batchGradients(teacher, weights, batch.pixels, batch.labels, microBatch),
          `teacher step (epoch ${epoch + 1}, step ${step + 1})`,
        ).finally(() => tf.dispose([batch.pixels, batch.labels]));
        optimizer.apply(grads);
        const lossValue = loss.dataSync()[0];
        correct += hits;
        tf.dispose([loss, ...grads]);
        assertFinite(lossValue, 'teacher loss', epoch, step);
        lossSum += lossValue * idx.length;
        const elapsed = (Date.now() - started) / 1000;
        const doneHere = done + 1 - sessionStart;
        ctx.progress({
          phase,
          epoch,
          epochs: config.epochs,
          step,
          stepsPerEpoch,
          imagesPerSecond: (doneHere * config.batch) / Math.max(elapsed, 1e-3),
          etaSeconds: (elapsed / doneHere) * (totalSteps - done - 1),
          loss: lossValue,
        });
      }
      ctx.metrics(epoch, null, {
        [METRIC.trainLoss]: lossSum / n,
        [METRIC.trainTop1]: correct / n,
        [METRIC.lr]: optimizer.lr,
        [METRIC.epochSeconds]: (Date.now() - epochStart) / 1000,
      });
      if (epoch + 1 < config.epochs) save({ epoch: epoch + 1, step: 0, lossSum: 0, correct: 0 });
    }
    if (checkpointPath) rmSync(checkpointPath, { force: true });
  } finally {
    optimizer.dispose();
  }
}

/** Eval-mode top-1 accuracy on the first `limit` images of `set`. */
export function evaluateTop1(teacher: Teacher, set: ImageSet, limit: number, batch = 100): number {
  let correct = 0;
  for (let start = 0; start < limit; start += batch) {
    const idx = Array.from({ length: Math.min(batch, limit - start) }, (_, i) => start + i);
    const b = makeBatch(set, idx, null, 0);
    const hits = tf.tidy(() => correctCount(teacher.forward(b.pixels, false).logits, b.labels));
    correct += hits.dataSync()[0];
    tf.dispose([hits, b.pixels, b.labels]);
  }
  return correct / limit;
}

/** The architecture in words, for messages. */
function spec(config: TeacherConfig): string {
  return config.arch === 'resnet18'
    ? `ResNet-18 width ${config.width}`
    : `PyramidNet-${config.depth} alpha ${config.widen}`;
}

/**
 * Gradient of the mean cross-entropy of a batch, accumulated over micro-batches of
 * `microBatch` images, and its correct predictions. The caller disposes `loss` and `grads`.
 */
function batchGradients(
  teacher: Teacher,
  weights: tf.Variable[],
  pixels: tf.Tensor4D,
  labels: tf.Tensor1D,
  microBatch: number,
): { loss: tf.Scalar; grads: tf.Tensor[]; hits: number } {
  const kept: tf.Scalar[] = [];
  const { loss, grads } = accumulateGradients(
    (part) => {
      const out = teacher.forward(part.x as tf.Tensor4D, true);
      kept.push(tf.keep(correctCount(out.logits, part.y as tf.Tensor1D)));
      return crossEntropy(out.logits, part.y as tf.Tensor1D);
    },
    weights,
    { x: pixels, y: labels },
    Math.min(microBatch, labels.shape[0]),
  );
  const hits = kept.reduce((s, t) => s + t.dataSync()[0], 0);
  tf.dispose(kept);
  return { loss, grads, hits };
}
