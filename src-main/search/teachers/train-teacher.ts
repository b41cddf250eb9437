/**
 * Teacher training (NOS-SPEC section 4, "Teacher / ResNet-18 study"): SGD with momentum 0.9 and
 * weight decay, lr divided by 10 every 30 epochs (or cosine, for the short CPU presets),
 * flip + random-crop augmentation, then the held-out test accuracy. The result is a frozen
 * Teacher tied to the dataset's checksum.
 *
 * Where we differ: presets scale the recipe down (fewer epochs, a narrower network, a subset
 * of the images) so a teacher trains in minutes on a CPU; `paper` keeps it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TeacherConfig } from '../../contract/config';
import { METRIC } from '../../contract/metrics';
import { mixSeed, permutation } from '../../data/rng';
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
import {
  assertFinite,
  checkControl,
  correctCount,
  crossEntropy,
  gradientsOf,
  RunStopped,
} from '../steps';
import { buildTeacherNetwork, Teacher, type TeacherMeta } from './teacher';

export interface TrainTeacherOptions {
  dataset: SearchDataset;
  config: TeacherConfig;
  ctx: RunContext;
  /** Progress phase name ('teacher' both standalone and inline in a search run). */
  phase?: string;
  /** Test images scored at the end (a prefix of the test set); 0 skips scoring. */
  testImages?: number;
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
    await fit(teacher, pickImages(dataset.train, config), config, ctx, phase);
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
  try {
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      const epochStart = Date.now();
      const order = epochOrder(n, config.seed, epoch, 0x7e);
      let lossSum = 0;
      let correct = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const signal = await checkControl(ctx);
        if (signal !== 'run') throw new RunStopped(signal);
        const done = epoch * stepsPerEpoch + step;
        optimizer.lr =
          config.schedule === 'cosine'
            ? cosineLr(config.lr, 0, done, totalSteps)
            : stepLr(config.lr, epoch, config.lrStepEpochs);
        const idx = order.subarray(step * config.batch, (step + 1) * config.batch);
        const batch = makeBatch(images, idx, config, mixSeed(config.seed, epoch, step, 0x7b));
        let hits: tf.Scalar | null = null;
        const { loss, grads } = gradientsOf(weights, () => {
          const out = teacher.forward(batch.pixels, true);
          hits = tf.keep(correctCount(out.logits, batch.labels));
          return crossEntropy(out.logits, batch.labels);
        });
        optimizer.apply(grads);
        const lossValue = loss.dataSync()[0];
        correct += (hits as tf.Scalar | null)?.dataSync()[0] ?? 0;
        tf.dispose(
          [loss, ...grads, batch.pixels, batch.labels, hits as tf.Scalar | null].filter(
            (t): t is tf.Tensor => t !== null,
          ),
        );
        assertFinite(lossValue, 'teacher loss', epoch, step);
        lossSum += lossValue * idx.length;
        const elapsed = (Date.now() - started) / 1000;
        ctx.progress({
          phase,
          epoch,
          epochs: config.epochs,
          step,
          stepsPerEpoch,
          imagesPerSecond: ((done + 1) * config.batch) / Math.max(elapsed, 1e-3),
          etaSeconds: (elapsed / (done + 1)) * (totalSteps - done - 1),
          loss: lossValue,
        });
      }
      ctx.metrics(epoch, null, {
        [METRIC.trainLoss]: lossSum / n,
        [METRIC.trainTop1]: correct / n,
        [METRIC.lr]: optimizer.lr,
        [METRIC.epochSeconds]: (Date.now() - epochStart) / 1000,
      });
    }
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
