/**
 * Training a classifier from scratch with the evaluation recipe of DARTS and NOS (NOS-SPEC
 * section 4): SGD with momentum and weight decay, a per-epoch learning-rate schedule, global-norm
 * gradient clipping, an auxiliary-tower loss, drop-path raised over the epochs; after each epoch
 * the loss and top-1/top-5 error on the held-out test set. One loop serves the derived networks
 * of evaluation and the random baseline and the ResNet-18 variants of the op study.
 *
 * Checkpoints hold the network (weights and batch-norm buffers), the optimiser's slots, the
 * position (epoch, step) and the running sums of the epoch in progress, so a resumed run
 * reports the same epoch figures as an uninterrupted one. Drop-path masks are drawn from the
 * backend's generator and are not replayed on resume: a resumed run with drop-path on follows a
 * different (equally valid) random path.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself; idempotent if the engine already did.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { NosError } from '../contract/errors';
import { METRIC } from '../contract/metrics';
import { accumulateGradients, guardStep, planRunMemory, type MemoryBudget } from '../engine/memory';
import type { StateDict } from '../nn/module';
import {
  saveCheckpoint,
  takePrefix,
  withPrefix,
  type CheckpointData,
} from '../training/checkpoint';
import { clipByGlobalNorm, Sgd, type OptimizerState } from '../training/optim';
import type { RunContext } from '../training/run-context';
import type { Batch, BatchSource } from './batches';

/** What the loop needs of a network. */
export interface Classifier {
  /** x: NHWC [N, H, W, C] normalised → logits [N, classes] (and the auxiliary head's). */
  forward(
    x: tf.Tensor4D,
    training: boolean,
  ): { logits: tf.Tensor2D; auxLogits?: tf.Tensor2D | null };
  namedWeights(): Array<[string, tf.Variable]>;
  stateDict(): StateDict;
  loadStateDict(state: StateDict, strict?: boolean): void;
}

export interface TrainSchedule {
  epochs: number;
  /** Learning rate of epoch `epoch` (0-based). */
  lrAt(epoch: number): number;
  momentum: number;
  weightDecay: number;
  /** Global-norm clip of weight gradients; 0 turns it off. */
  gradClip: number;
  /** Weight of the auxiliary logits' loss (ignored when the network has no auxiliary head). */
  auxiliaryWeight: number;
  /** Drop-path probability of epoch `epoch`, handed to `setDropPath` before it starts. */
  dropPathAt?(epoch: number): number;
  checkpointEverySteps: number;
  /**
   * Images per forward pass, gradients accumulated up to the batch; null or absent: the memory
   * guard keeps the whole batch if it fits, else picks the largest micro-batch that does.
   */
  microBatch?: number | null;
}

/** Test-set figures after an epoch. Errors in percent. */
export interface EpochEvaluation {
  epoch: number;
  loss: number;
  top1Error: number;
  top5Error: number;
  trainLoss: number;
  trainTop1Error: number;
}

/** Running sums of the epoch in progress (checkpointed). */
interface EpochSums {
  lossSum: number;
  correct: number;
  seen: number;
  seconds: number;
}

/** Checkpoint meta of the loop; `extra` is the caller's (which repeat, earlier results). */
export interface TrainerMeta<E = unknown> {
  kind: 'train-from-scratch';
  epoch: number;
  step: number;
  sums: EpochSums;
  history: EpochEvaluation[];
  optimizer: Omit<OptimizerState, 'slots'>;
  extra: E;
}

export interface TrainRequest<E> {
  net: Classifier;
  data: BatchSource;
  schedule: TrainSchedule;
  ctx: RunContext;
  /** Progress label, e.g. 'evaluation 2/10'. */
  phase: string;
  /** Added to the epoch of every metric, so consecutive runs in one job form one series. */
  metricEpochOffset: number;
  /** Where checkpoints go, and the caller's state to store with them. */
  checkpointPath: string;
  extra: E;
  setDropPath?(p: number): void;
  /** A checkpoint of this same training to continue from. */
  resume?: CheckpointData<TrainerMeta<E>>;
  /** The memory limit the micro-batch is planned against; the active backend's by default. */
  memoryBudget?: MemoryBudget;
}

export type TrainOutcome =
  | { status: 'completed'; final: EpochEvaluation; history: EpochEvaluation[] }
  | { status: 'paused' | 'cancelled'; checkpointPath: string | null };

/** Mean softmax cross-entropy. logits [N, K], labels int32 [N] → scalar. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels, logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** How many rows have their label among the k largest logits. logits [N, K] → scalar. */
export function countTopK(logits: tf.Tensor2D, labels: tf.Tensor1D, k: number): tf.Scalar {
  return tf.tidy(() => {
    const kk = Math.min(k, logits.shape[1]);
    const { indices } = tf.topk(logits, kk);
    const hit = tf.any(tf.equal(indices, tf.reshape(labels, [-1, 1])), 1);
    return tf.sum(tf.cast(hit, 'float32'));
  });
}

/** Loss, top-1 and top-5 error (percent) of `net` on the test batches, in inference mode. */
export async function evaluateOnTest(
  net: Classifier,
  data: BatchSource,
): Promise<{ loss: number; top1Error: number; top5Error: number; count: number }> {
  let lossSum = 0;
  let top1 = 0;
  let top5 = 0;
  let count = 0;
  for await (const batch of data.testBatches()) {
    const sums = tf.tidy(() => {
      const { logits } = net.forward(batch.x, false);
      const n = batch.y.shape[0];
      return tf.stack([
        tf.mul(crossEntropy(logits, batch.y), n),
        countTopK(logits, batch.y, 1),
        countTopK(logits, batch.y, 5),
      ]);
    });
    const [l, t1, t5] = await sums.data();
    sums.dispose();
    lossSum += l;
    top1 += t1;
    top5 += t5;
    count += batch.y.shape[0];
    disposeBatch(batch);
  }
  return {
    loss: lossSum / count,
    top1Error: 100 * (1 - top1 / count),
    top5Error: 100 * (1 - top5 / count),
    count,
  };
}

/**
 * Trains `net` for `schedule.epochs` (from the resume point if given), reporting per step
 * (progress) and per epoch (metrics) through the RunContext, checkpointing every
 * `checkpointEverySteps` steps and at each epoch's end. Pause writes a checkpoint and returns;
 * cancel returns without one. A non-finite loss fails the run, keeping the last checkpoint.
 */
export async function trainClassifier<E>(req: TrainRequest<E>): Promise<TrainOutcome> {
  const { net, data, schedule, ctx } = req;
  const params = net.namedWeights();
  const variables = params.map(([, v]) => v);
  const optimizer = new Sgd(params, {
    lr: schedule.lrAt(0),
    momentum: schedule.momentum,
    weightDecay: schedule.weightDecay,
  });
  let epoch = 0;
  let step = 0;
  let sums: EpochSums = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
  let history: EpochEvaluation[] = [];

  // Resume: network, optimiser slots, position and the epoch's running sums.
  if (req.resume) {
    const { meta, tensors } = req.resume;
    net.loadStateDict(takePrefix(tensors, 'model'));
    optimizer.setState({ ...meta.optimizer, slots: takePrefix(tensors, 'opt') });
    ({ epoch, step, sums, history } = meta);
    ctx.log.info(`Resuming ${req.phase} at epoch ${epoch + 1}, step ${step + 1}.`);
  }

  const save = (): void => {
    const { slots, ...optMeta } = optimizer.getState();
    const meta: TrainerMeta<E> = {
      kind: 'train-from-scratch',
      epoch,
      step,
      sums,
      history,
      optimizer: optMeta,
      extra: req.extra,
    };
    const tensors = { ...withPrefix(net.stateDict(), 'model'), ...withPrefix(slots, 'opt') };
    saveCheckpoint(req.checkpointPath, { meta, tensors });
    ctx.checkpoint(req.checkpointPath, epoch, step);
  };

  // The memory guard: the micro-batch that fits, or OUT_OF_MEMORY before the first step.
  const microBatch = await planTrainMemory(req, variables, schedule, epoch, step).catch(
    (err: unknown) => {
      optimizer.dispose();
      throw err;
    },
  );
  const stepSchedule = { ...schedule, microBatch };

  const stream = data.openTrain(epoch, step);
  try {
    const started = Date.now();
    let stepsDone = 0;
    const totalSteps = schedule.epochs * data.stepsPerEpoch;
    for (; epoch < schedule.epochs; epoch++, step = 0) {
      optimizer.lr = schedule.lrAt(epoch);
      req.setDropPath?.(schedule.dropPathAt?.(epoch) ?? 0);
      for (; step < data.stepsPerEpoch; step++) {
        // A pause or cancel request arrives as a message: give the event loop a turn first.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const signal = ctx.control();
        if (signal === 'pause') {
          save();
          ctx.log.info(`Paused ${req.phase}; checkpoint ${req.checkpointPath}.`);
          return { status: 'paused', checkpointPath: req.checkpointPath };
        }
        if (signal === 'cancel') {
          ctx.log.info(`Cancelled ${req.phase}.`);
          return { status: 'cancelled', checkpointPath: null };
        }
        const t0 = Date.now();
        const batch = await stream.next();
        const n = batch.y.shape[0];
        // An allocation failure ends the run as failed (OUT_OF_MEMORY); the last checkpoint stays.
        const { loss, correct } = await guardStep(
          () => trainStep(net, variables, optimizer, batch, stepSchedule),
          `${req.phase} step (epoch ${epoch + 1}, step ${step + 1})`,
        ).finally(() => disposeBatch(batch));
        if (!Number.isFinite(loss)) {
          throw new NosError(
            'RUN_FAILED',
            `${req.phase}: the training loss became ${loss} at epoch ${epoch + 1}, step ${step + 1}.`,
            'Lower the learning rate (lr) or raise gradClip; the last checkpoint is kept.',
            { epoch, step },
          );
        }
        const seconds = (Date.now() - t0) / 1000;
        sums = {
          lossSum: sums.lossSum + loss * n,
          correct: sums.correct + correct,
          seen: sums.seen + n,
          seconds: sums.seconds + seconds,
        };
        stepsDone += 1;
        const perStep = (Date.now() - started) / 1000 / stepsDone;
        const left = totalSteps - (epoch * data.stepsPerEpoch + step + 1);
        ctx.progress({
          phase: req.phase,
          epoch,
          epochs: schedule.epochs,
          step,
          stepsPerEpoch: data.stepsPerEpoch,
          imagesPerSecond: seconds > 0 ? n / seconds : 0,
          etaSeconds: perStep * left,
          loss,
        });
        if ((step + 1) % schedule.checkpointEverySteps === 0 && step + 1 < data.stepsPerEpoch) {
          step += 1; // the checkpoint names the next step to run
          save();
          step -= 1;
        }
      }
      history = [...history, await endEpoch(req, optimizer.lr, sums, epoch)];
      sums = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
      // Position after the epoch: the next epoch, step 0.
      epoch += 1;
      save();
      epoch -= 1;
    }
    const final = history[history.length - 1];
    return { status: 'completed', final, history };
  } finally {
    stream.close();
    optimizer.dispose();
  }
}

/**
 * One SGD step on one batch, in micro-batches of `schedule.microBatch` with the gradients
 * accumulated (engine/memory.ts); returns the loss and the count of correct top-1 predictions.
 */
export function trainStep(
  net: Classifier,
  variables: tf.Variable[],
  optimizer: Sgd,
  batch: Batch,
  schedule: Pick<TrainSchedule, 'gradClip' | 'auxiliaryWeight' | 'microBatch'>,
): { loss: number; correct: number } {
  const { value, grads, correct } = stepGradients(net, variables, batch, schedule);
  const { clipped, norm } = clipByGlobalNorm(grads, schedule.gradClip);
  tf.dispose(grads);
  optimizer.apply(clipped);
  tf.dispose([...clipped, norm]);
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, correct };
}

/** The batch's mean loss and its gradient (accumulated over micro-batches), and the hits. */
function stepGradients(
  net: Classifier,
  variables: tf.Variable[],
  batch: Batch,
  schedule: Pick<TrainSchedule, 'auxiliaryWeight' | 'microBatch'>,
): { value: tf.Scalar; grads: tf.Tensor[]; correct: number } {
  const n = batch.y.shape[0];
  const hits: tf.Scalar[] = [];
  const { loss, grads } = accumulateGradients(
    (part) => {
      const x = part.x as tf.Tensor4D;
      const y = part.y as tf.Tensor1D;
      const { logits, auxLogits } = net.forward(x, true);
      hits.push(tf.keep(countTopK(logits, y, 1)));
      const main = crossEntropy(logits, y);
      if (auxLogits && schedule.auxiliaryWeight > 0) {
        return tf.add(main, tf.mul(crossEntropy(auxLogits, y), schedule.auxiliaryWeight));
      }
      return main;
    },
    variables,
    { x: batch.x, y: batch.y },
    Math.min(schedule.microBatch ?? n, n),
  );
  const correct = hits.reduce((s, t) => s + t.dataSync()[0], 0);
  tf.dispose(hits);
  return { value: loss, grads, correct };
}

/**
 * Measures one step of `net` at 1 and 2 images of the first batch (nothing applied, the
 * batch-norm statistics put back) and plans the micro-batch (engine/memory.ts).
 */
async function planTrainMemory<E>(
  req: TrainRequest<E>,
  variables: tf.Variable[],
  schedule: TrainSchedule,
  epoch: number,
  step: number,
): Promise<number> {
  const stream = req.data.openTrain(epoch, step);
  const sample = await stream.next().finally(() => stream.close());
  const state = req.net.stateDict();
  try {
    const { microBatch } = await planRunMemory({
      what: req.phase,
      batchSize: sample.y.shape[0], // a full batch: the pipeline drops short ones
      requestedMicroBatch: schedule.microBatch ?? null,
      budget: req.memoryBudget,
      log: (line) => req.ctx.log.info(line),
      probe: (b) =>
        tf.tidy(() => {
          // b images of the sample batch (repeated if it is shorter).
          const idx = tf.tensor1d(
            Array.from({ length: b }, (_, i) => i % sample.y.shape[0]),
            'int32',
          );
          const part = { x: tf.gather(sample.x, idx), y: tf.gather(sample.y, idx) };
          const { value, grads } = stepGradients(req.net, variables, part, {
            ...schedule,
            microBatch: null,
          });
          const { clipped, norm } = clipByGlobalNorm(grads, schedule.gradClip);
          tf.dispose([value, ...grads, ...clipped, norm]);
        }),
    });
    return microBatch;
  } finally {
    req.net.loadStateDict(state);
    disposeBatch(sample);
  }
}

async function endEpoch<E>(
  req: TrainRequest<E>,
  lr: number,
  sums: EpochSums,
  epoch: number,
): Promise<EpochEvaluation> {
  const test = await evaluateOnTest(req.net, req.data);
  const result: EpochEvaluation = {
    epoch,
    loss: test.loss,
    top1Error: test.top1Error,
    top5Error: test.top5Error,
    trainLoss: sums.lossSum / Math.max(sums.seen, 1),
    trainTop1Error: 100 * (1 - sums.correct / Math.max(sums.seen, 1)),
  };
  req.ctx.metrics(req.metricEpochOffset + epoch, null, {
    [METRIC.trainLoss]: result.trainLoss,
    // Accuracies are fractions, errors percent (the contract's metric units).
    [METRIC.trainTop1]: 1 - result.trainTop1Error / 100,
    [METRIC.evalLoss]: result.loss,
    [METRIC.evalTop1]: 1 - result.top1Error / 100,
    [METRIC.evalTop5]: 1 - result.top5Error / 100,
    [METRIC.evalTop1Error]: result.top1Error,
    [METRIC.evalTop5Error]: result.top5Error,
    [METRIC.lr]: lr,
    [METRIC.epochSeconds]: sums.seconds,
    [METRIC.imagesPerSecond]: sums.seconds > 0 ? sums.seen / sums.seconds : 0,
  });
  req.ctx.log.info(
    `${req.phase} epoch ${epoch + 1}: train loss ${result.trainLoss.toFixed(4)}, ` +
      `test loss ${result.loss.toFixed(4)}, top-1 error ${result.top1Error.toFixed(2)}%, ` +
      `top-5 error ${result.top5Error.toFixed(2)}%`,
  );
  return result;
}

function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  batch.y.dispose();
}
