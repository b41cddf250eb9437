/**
 * The attention-guided search loop (NOS-SPEC sections 3 and 4): epochs of paired steps, each an
 * alpha step on a search-split batch and a weight step on a train-split batch (architect.ts),
 * with the weight learning rate on a per-epoch cosine schedule (as DARTS) and the alpha learning
 * rate fixed; optional alpha warm-up epochs in which only weights train.
 *
 * Reports through the RunContext: progress every step; per epoch the train and search loss and
 * accuracy, the attention-transfer loss, both alpha matrices, their entropy, the genotype they
 * imply, its parameter-free op count (with a collapse warning) and the epoch time.
 *
 * Checkpoints hold everything needed to continue bit for bit on the same backend: network
 * weights, alphas, batch-norm buffers, both optimisers' slots, the position (epoch, step), the
 * epoch's running sums and its data order. Batches and augmentation are pure functions of
 * (seed, epoch, step), so the resumed run draws exactly the batches the uninterrupted run drew.
 * A non-finite loss fails the run; the last checkpoint written before it stays as it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SearchConfig } from '../contract/config';
import type { Genotype } from '../contract/genotype';
import { METRIC } from '../contract/metrics';
import { PARAM_FREE_PRIMITIVES, type Primitive } from '../contract/primitives';
import { mixSeed } from '../data/rng';
import { guardStep, type MemoryBudget } from '../engine/memory';
import type { StateDict } from '../nn/module';
import {
  loadCheckpoint,
  saveCheckpoint,
  takePrefix,
  withPrefix,
  type CheckpointData,
} from '../training/checkpoint';
import { Adam, Sgd, type OptimizerState } from '../training/optim';
import type { AlphaSnapshot, RunContext } from '../training/run-context';
import { cosineLr } from '../training/schedule';
import { Architect, type HalfStepStats, type SearchNetwork, type StepBatch } from './architect';
import {
  epochOrder,
  imageCount,
  makeBatch,
  normalise,
  resizeTo,
  type ImageSet,
} from './data-source';
import { planSearchMicroBatch } from './memory-plan';
import { startParallelWeightStep, type ParallelWeightStep } from './parallel-step';
import { assertFinite, checkControl, correctCount, RunStopped } from './steps';
import type { Teacher } from './teachers/teacher';

/** A supernet as the loop drives it (src-main/nos/supernet.ts). */
export interface SearchSupernet extends SearchNetwork {
  alphaSoftmax(): { normal: number[][]; reduce: number[][] };
  deriveGenotype(): Genotype;
  stateDict(): StateDict;
  loadStateDict(state: StateDict, strict?: boolean): void;
}

export interface SearchLoopInput {
  config: SearchConfig;
  net: SearchSupernet;
  /** Column order of the alpha matrices (the space's primitives). */
  primitives: readonly Primitive[];
  teacher: Teacher | null;
  trainSplit: ImageSet;
  searchSplit: ImageSet;
  /** Held-out images scored with the final supernet (never used to search), or null. */
  test: ImageSet | null;
  /** Dataset statistics the supernet's input is normalised with (pixels in [0, 1]). */
  normalisation: { mean: number[]; std: number[] };
  ctx: RunContext;
  /** Where checkpoints are written (one file, replaced atomically). */
  checkpointPath: string;
  /** A checkpoint to continue from. */
  resumeFrom?: string;
  /** Progress phase name. */
  phase?: string;
  /** The memory limit the micro-batch is planned against; the active backend's by default. */
  memoryBudget?: MemoryBudget;
}

export interface SearchOutcome {
  genotype: Genotype;
  alphaSoftmax: { normal: number[][]; reduce: number[][] };
  /** The last epoch's metrics, by METRIC key. */
  lastEpoch: Record<string, number>;
  /** Eval-mode top-1 of the final supernet on the held-out images (null without them). */
  testTop1: number | null;
}

/** Running sums of one epoch: part of a checkpoint so a resumed epoch reports the same. */
interface EpochMeters {
  train: { loss: number; ce: number; at: number; correct: number; count: number };
  search: { loss: number; ce: number; at: number; correct: number; count: number };
  atSeen: boolean;
}

interface CheckpointMeta {
  kind: 'search';
  epoch: number;
  step: number;
  globalStep: number;
  seed: number;
  config: SearchConfig;
  meters: EpochMeters;
  order: { train: number[]; search: number[] };
  optimizers: { weights: Omit<OptimizerState, 'slots'>; alphas: Omit<OptimizerState, 'slots'> };
}

const ORDER_STREAM = { train: 0x71, search: 0x72 } as const;

function emptyMeters(): EpochMeters {
  const zero = () => ({ loss: 0, ce: 0, at: 0, correct: 0, count: 0 });
  return { train: zero(), search: zero(), atSeen: false };
}

function addStats(m: EpochMeters['train'], s: HalfStepStats): void {
  m.loss += s.loss * s.count;
  m.ce += s.ce * s.count;
  m.at += (s.at ?? 0) * s.count;
  m.correct += s.correct;
  m.count += s.count;
}

/** Mean entropy (nats) of the rows of an alpha softmax matrix. */
export function meanEntropy(rows: number[][]): number {
  const h = rows.map((r) => -r.reduce((s, p) => s + (p > 0 ? p * Math.log(p) : 0), 0));
  return h.reduce((a, b) => a + b, 0) / Math.max(rows.length, 1);
}

/** Parameter-free ops (skip, pooling, none) among a cell's chosen ops, and the op count. */
export function paramFreeCount(blocks: Genotype['normal']): { free: number; total: number } {
  const ops = blocks.flatMap((b) => [...b.first.map((e) => e.op), ...(b.second ? [b.second] : [])]);
  return { free: ops.filter((o) => PARAM_FREE_PRIMITIVES.includes(o)).length, total: ops.length };
}

export async function runSearchLoop(input: SearchLoopInput): Promise<SearchOutcome> {
  const { config, net } = input;
  const phase = input.phase ?? 'search';
  const weightOpt = new Sgd(net.namedWeights(), {
    lr: config.weightLr,
    momentum: config.momentum,
    weightDecay: config.weightDecay,
  });
  const alphaParams = net
    .alphaList()
    .map((v, i) => [`alpha.${i === 0 ? 'normal' : 'reduce'}`, v] as [string, tf.Variable]);
  const alphaOpt = new Adam(alphaParams, {
    lr: config.alphaLr,
    beta1: 0.5,
    beta2: 0.999,
    weightDecay: config.alphaWeightDecay,
  });
  let parallel: ParallelWeightStep | null = null;
  try {
    // The memory guard: the micro-batch that fits, or OUT_OF_MEMORY before the first step.
    const { microBatch } = await planSearchMicroBatch({
      config,
      net,
      weightOpt,
      alphaOpt,
      batchOf: (size) => {
        const sized = { ...input, config: { ...config, batch: size } };
        const order = Array.from({ length: imageCount(input.trainSplit) }, (_, i) => i);
        return prepareBatch(sized, input.trainSplit, order, 0, 0, 0x1);
      },
      disposeBatch,
      budget: input.memoryBudget,
      log: (line) => input.ctx.log.info(line),
    });
    // Data-parallel weight step across worker threads (config.workers; engine/parallel).
    parallel = await startParallelWeightStep({
      net,
      optimizer: weightOpt,
      config: { ...config, microBatch },
      hasTeacher: input.teacher !== null,
      log: (line) => input.ctx.log.info(line),
    });
    return await loop(input, phase, weightOpt, alphaOpt, parallel, microBatch);
  } finally {
    await parallel?.close();
    weightOpt.dispose();
    alphaOpt.dispose();
  }
}

async function loop(
  input: SearchLoopInput,
  phase: string,
  weightOpt: Sgd,
  alphaOpt: Adam,
  parallel: ParallelWeightStep | null,
  microBatch: number,
): Promise<SearchOutcome> {
  const { config, net, ctx } = input;
  const architect = new Architect(net, weightOpt, alphaOpt, { ...config, microBatch });
  const nTrain = imageCount(input.trainSplit);
  const nSearch = imageCount(input.searchSplit);
  const stepsPerEpoch = Math.min(
    Math.ceil(nTrain / config.batch),
    Math.ceil(nSearch / config.batch),
  );
  const totalSteps = stepsPerEpoch * config.epochs;

  // Start or resume
  let epoch = 0;
  let step = 0;
  let globalStep = 0;
  let meters = emptyMeters();
  let resumedOrder: CheckpointMeta['order'] | null = null;
  if (input.resumeFrom) {
    const ckpt = loadCheckpoint<CheckpointMeta>(input.resumeFrom);
    restore(ckpt, net, weightOpt, alphaOpt);
    ({ epoch, step, globalStep, meters } = ckpt.meta);
    resumedOrder = ckpt.meta.order;
    ctx.log.info(
      `search: resumed from ${input.resumeFrom} at epoch ${epoch + 1}, step ${step + 1}`,
    );
  }

  const sessionStart = Date.now();
  const sessionFirstStep = globalStep;
  let lastEpoch: Record<string, number> = {};

  for (; epoch < config.epochs; epoch++, step = 0) {
    const epochStart = Date.now();
    const order = resumedOrder ?? {
      train: Array.from(epochOrder(nTrain, config.seed, epoch, ORDER_STREAM.train)),
      search: Array.from(epochOrder(nSearch, config.seed, epoch, ORDER_STREAM.search)),
    };
    resumedOrder = null;
    weightOpt.lr = cosineLr(config.weightLr, config.weightLrMin, epoch, config.epochs);
    const save = (atEpoch: number, atStep: number, m: EpochMeters, o: CheckpointMeta['order']) => {
      writeCheckpoint(input, weightOpt, alphaOpt, {
        epoch: atEpoch,
        step: atStep,
        globalStep,
        meters: m,
        order: o,
      });
    };

    for (; step < stepsPerEpoch; step++) {
      const signal = await checkControl(ctx);
      if (signal === 'pause') {
        save(epoch, step, meters, order);
        ctx.log.info(`search: paused at epoch ${epoch + 1}, step ${step + 1}; checkpoint written`);
      }
      if (signal !== 'run') throw new RunStopped(signal);

      const [trainBatch, searchBatch] = [
        prepareBatch(input, input.trainSplit, order.train, epoch, step, 0x1),
        prepareBatch(input, input.searchSplit, order.search, epoch, step, 0x2),
      ];
      let alphaStats: HalfStepStats | null = null;
      let weightStats: HalfStepStats;
      try {
        // An allocation failure ends the run as failed (OUT_OF_MEMORY); the last checkpoint stays.
        [alphaStats, weightStats] = await guardStep(
          async () => {
            let alpha: HalfStepStats | null = null;
            if (epoch >= config.alphaWarmupEpochs)
              alpha = architect.alphaStep(searchBatch, trainBatch);
            if (alpha) assertFinite(alpha.loss, 'search-split loss (alpha step)', epoch, step);
            const weight = parallel
              ? await parallel.weightStep(trainBatch)
              : architect.weightStep(trainBatch);
            assertFinite(weight.loss, 'train-split loss (weight step)', epoch, step);
            return [alpha, weight] as const;
          },
          `search step (epoch ${epoch + 1}, step ${step + 1})`,
        );
      } finally {
        disposeBatch(trainBatch);
        disposeBatch(searchBatch);
      }
      if (alphaStats) addStats(meters.search, alphaStats);
      addStats(meters.train, weightStats);
      meters.atSeen = meters.atSeen || weightStats.at !== null;
      globalStep += 1;

      const elapsed = (Date.now() - sessionStart) / 1000;
      const doneThisSession = globalStep - sessionFirstStep;
      ctx.progress({
        phase,
        epoch,
        epochs: config.epochs,
        step,
        stepsPerEpoch,
        imagesPerSecond:
          (doneThisSession * config.batch * (alphaStats ? 2 : 1)) / Math.max(elapsed, 1e-3),
        etaSeconds: (elapsed / doneThisSession) * (totalSteps - globalStep),
        loss: weightStats.loss,
      });
      if (globalStep % config.checkpointEverySteps === 0 && step + 1 < stepsPerEpoch) {
        save(epoch, step + 1, meters, order);
      }
    }

    lastEpoch = reportEpoch(input, epoch, meters, weightOpt.lr, (Date.now() - epochStart) / 1000);
    meters = emptyMeters();
    save(epoch + 1, 0, meters, { train: [], search: [] });
  }

  const genotype = net.deriveGenotype();
  const testTop1 =
    input.test && input.config.evalImages > 0 ? evaluateTop1(input, input.test) : null;
  if (testTop1 !== null) {
    ctx.metrics(config.epochs - 1, null, { [METRIC.evalTop1]: testTop1 });
    ctx.log.info(`search: final supernet ${(testTop1 * 100).toFixed(1)}% top-1 on held-out images`);
  }
  ctx.genotype(config.epochs - 1, genotype, true);
  return { genotype, alphaSoftmax: net.alphaSoftmax(), lastEpoch, testTop1 };
}

/** One batch of a split with its teacher stages: pixels → teacher; normalised → supernet. */
function prepareBatch(
  input: SearchLoopInput,
  set: ImageSet,
  order: number[],
  epoch: number,
  step: number,
  stream: number,
): StepBatch {
  const { config } = input;
  const n = imageCount(set);
  // The split with fewer images wraps around so both halves give a full batch every step.
  const idx = Array.from(
    { length: config.batch },
    (_, i) => order[(step * config.batch + i) % n],
  ).slice(0, Math.min(config.batch, n));
  const { pixels, labels } = makeBatch(set, idx, config, mixSeed(config.seed, epoch, step, stream));
  const teacherStages = input.teacher ? input.teacher.stages(pixels) : null;
  const x = tf.tidy(() =>
    normalise(
      resizeTo(pixels, config.inputSize),
      input.normalisation.mean,
      input.normalisation.std,
    ),
  );
  pixels.dispose();
  return { x, labels, teacherStages };
}

function disposeBatch(b: StepBatch): void {
  tf.dispose([b.x, b.labels, ...(b.teacherStages ?? [])]);
}

function writeCheckpoint(
  input: SearchLoopInput,
  weightOpt: Sgd,
  alphaOpt: Adam,
  pos: Pick<CheckpointMeta, 'epoch' | 'step' | 'globalStep' | 'meters' | 'order'>,
): void {
  const w = weightOpt.getState();
  const a = alphaOpt.getState();
  const data: CheckpointData<CheckpointMeta> = {
    meta: {
      kind: 'search',
      ...pos,
      seed: input.config.seed,
      config: input.config,
      optimizers: {
        weights: { kind: w.kind, step: w.step, lr: w.lr },
        alphas: { kind: a.kind, step: a.step, lr: a.lr },
      },
    },
    tensors: {
      ...withPrefix(input.net.stateDict(), 'model'),
      ...withPrefix(w.slots, 'opt.weights'),
      ...withPrefix(a.slots, 'opt.alphas'),
    },
  };
  saveCheckpoint(input.checkpointPath, data);
  input.ctx.checkpoint(input.checkpointPath, pos.epoch, pos.step);
}

function restore(
  ckpt: CheckpointData<CheckpointMeta>,
  net: SearchSupernet,
  weightOpt: Sgd,
  alphaOpt: Adam,
): void {
  const meta = ckpt.meta;
  net.loadStateDict(takePrefix(ckpt.tensors, 'model'));
  weightOpt.setState({
    ...meta.optimizers.weights,
    slots: takePrefix(ckpt.tensors, 'opt.weights'),
  });
  alphaOpt.setState({ ...meta.optimizers.alphas, slots: takePrefix(ckpt.tensors, 'opt.alphas') });
}

/** Epoch metrics, alpha snapshots, genotype and the collapse check. */
function reportEpoch(
  input: SearchLoopInput,
  epoch: number,
  meters: EpochMeters,
  lr: number,
  seconds: number,
): Record<string, number> {
  const { ctx, net, primitives } = input;
  const softmax = net.alphaSoftmax();
  const genotype = net.deriveGenotype();
  const { free, total } = paramFreeCount(genotype.normal);
  const mean = (m: EpochMeters['train'], key: 'loss' | 'ce' | 'at') =>
    m[key] / Math.max(m.count, 1);
  const values: Record<string, number> = {
    [METRIC.trainLoss]: mean(meters.train, 'loss'),
    [METRIC.trainTop1]: meters.train.correct / Math.max(meters.train.count, 1),
    [METRIC.alphaEntropyNormal]: meanEntropy(softmax.normal),
    [METRIC.alphaEntropyReduce]: meanEntropy(softmax.reduce),
    [METRIC.paramFreeOps]: free,
    [METRIC.lr]: lr,
    [METRIC.epochSeconds]: seconds,
  };
  if (meters.search.count > 0) {
    values[METRIC.searchLoss] = mean(meters.search, 'loss');
    values[METRIC.searchTop1] = meters.search.correct / meters.search.count;
  }
  if (meters.atSeen) values[METRIC.atLoss] = mean(meters.train, 'at');
  ctx.metrics(epoch, null, values);
  const snapshots: AlphaSnapshot[] = [
    { cellType: 'normal', primitives, alphaSoftmax: softmax.normal },
    { cellType: 'reduce', primitives, alphaSoftmax: softmax.reduce },
  ];
  ctx.alphas(epoch, snapshots);
  ctx.genotype(epoch, genotype, false);
  if (free * 2 > total) {
    ctx.log.warn(
      `search: ${free} of the normal cell's ${total} chosen ops are parameter-free (skip, pooling): ` +
        'the search may be collapsing. Consider alpha warm-up epochs (alphaWarmupEpochs) or ' +
        'more training images.',
    );
  }
  return values;
}

/** Eval-mode top-1 of the supernet on the first `evalImages` held-out images. */
function evaluateTop1(input: SearchLoopInput, set: ImageSet): number {
  const n = Math.min(imageCount(set), input.config.evalImages);
  const batch = Math.max(input.config.microBatch ?? input.config.batch, 1);
  let correct = 0;
  for (let start = 0; start < n; start += batch) {
    const idx = Array.from({ length: Math.min(batch, n - start) }, (_, i) => start + i);
    const b = makeBatch(set, idx, null, 0);
    const hits = tf.tidy(() => {
      const sized = resizeTo(b.pixels, input.config.inputSize);
      const x = normalise(sized, input.normalisation.mean, input.normalisation.std);
      return correctCount(input.net.forward(x, false).logits, b.labels);
    });
    correct += hits.dataSync()[0];
    tf.dispose([hits, b.pixels, b.labels]);
  }
  return correct / n;
}
