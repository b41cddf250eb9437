import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { searchConfigFromPreset, type SearchConfig } from '../../../src-main/contract/config';
import type { NosError } from '../../../src-main/contract/errors';
import { SEARCH_SPACES } from '../../../src-main/contract/primitives';
import { initBackend } from '../../../src-main/engine';
import { MEASURE_PASSES, memoryBudget, type MemoryBudget } from '../../../src-main/engine/memory';
import { Supernet } from '../../../src-main/nos/supernet';
import { Architect } from '../../../src-main/search/architect';
import {
  makeBatch,
  normalise,
  searchSplits,
  type ImageSet,
} from '../../../src-main/search/data-source';
import { planSearchMicroBatch } from '../../../src-main/search/memory-plan';
import { runSearchLoop, type SearchSupernet } from '../../../src-main/search/search-loop';
import { RunStopped } from '../../../src-main/search/steps';
import { buildTeacherNetwork, Teacher } from '../../../src-main/search/teachers/teacher';
import { loadCheckpoint } from '../../../src-main/training/checkpoint';
import { Adam, Sgd } from '../../../src-main/training/optim';
import { memoryRunContext, type ControlSignal } from '../../../src-main/training/run-context';
import { tinyDataset } from './fixtures';

beforeAll(async () => {
  await initBackend('wasm', () => undefined);
});

const DATA = tinyDataset({ count: 32 });
const NORM = { mean: DATA.meta.mean, std: DATA.meta.std };

/** 8x8 inputs, C=4, 3 cells (the fewest with two reductions), 2 epochs of 2 steps. */
function tinyConfig(over: Partial<SearchConfig> = {}): SearchConfig {
  return {
    ...searchConfigFromPreset('smoke', {
      channels: 4,
      cells: 3,
      epochs: 2,
      batch: 4,
      trainImages: 8,
      searchImages: 8,
      checkpointEverySteps: 1,
      seed: 3,
    }),
    ...over,
  };
}

function tinyNet(config: SearchConfig): Supernet {
  return new Supernet({
    space: config.space,
    channels: config.channels,
    cells: config.cells,
    nodes: config.nodes,
    numClasses: DATA.meta.classCount,
    inputShape: DATA.meta.imageShape,
    seed: config.seed,
  });
}

function tinyTeacher(): Teacher {
  const spec = { arch: 'resnet18' as const, width: 4, depth: 110, widen: 84 };
  return new Teacher(buildTeacherNetwork(spec, DATA.meta, 1), {
    version: 1,
    spec,
    dataset: { ...DATA.meta },
    training: { epochs: 0, testTop1: null, source: 'trained' },
    inputSize: null,
  });
}

function loopInput(
  config: SearchConfig,
  net: SearchSupernet,
  teacher: Teacher | null,
  dir: string,
  control?: () => ControlSignal,
) {
  const { trainSplit, searchSplit } = searchSplits(DATA.train, config);
  const { ctx, record } = memoryRunContext(dir, control);
  return {
    record,
    input: {
      config,
      net,
      primitives: SEARCH_SPACES[config.space],
      teacher,
      trainSplit,
      searchSplit,
      test: null,
      normalisation: NORM,
      ctx,
      checkpointPath: join(dir, 'search.nosckpt'),
    },
  };
}

const snapshot = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));

describe('Architect', () => {
  it('changes only alphas in the alpha step and only weights in the weight step', () => {
    const config = tinyConfig();
    const net = tinyNet(config);
    const teacher = tinyTeacher();
    const weights = net.weights();
    const alphas = net.alphaList();
    const sgd = new Sgd(net.namedWeights(), { lr: 0.1, momentum: 0.9, weightDecay: 3e-4 });
    const adam = new Adam(
      alphas.map((a, i) => [`a${i}`, a]),
      { lr: 0.01, weightDecay: 1e-3 },
    );
    const architect = new Architect(net, sgd, adam, config);
    const batch = () => {
      const b = makeBatch(DATA.train, [0, 1, 2, 3], null, 0);
      const stages = teacher.stages(b.pixels);
      const x = normalise(b.pixels, NORM.mean, NORM.std);
      b.pixels.dispose();
      return { x, labels: b.labels, teacherStages: stages };
    };
    const b = batch();
    const before = tf.memory().numTensors;

    let w0 = snapshot(weights);
    let a0 = snapshot(alphas);
    architect.alphaStep(b, b);
    expect(snapshot(weights)).toEqual(w0);
    expect(snapshot(alphas)).not.toEqual(a0);

    w0 = snapshot(weights);
    a0 = snapshot(alphas);
    const stats = architect.weightStep(b);
    expect(snapshot(alphas)).toEqual(a0);
    expect(snapshot(weights)).not.toEqual(w0);
    expect(stats.at).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);

    tf.dispose([b.x, b.labels, ...b.teacherStages]);
    [sgd, adam, net, teacher].forEach((o) => o.dispose());
  });

  it('puts attention transfer in the alpha step for ags only (distill = weight step only)', () => {
    const teacher = tinyTeacher();
    const alphasAfter = (guidance: SearchConfig['guidance']) => {
      const config = tinyConfig({ guidance });
      const net = tinyNet(config);
      const sgd = new Sgd(net.namedWeights(), { lr: 0.1, momentum: 0.9, weightDecay: 0 });
      const adam = new Adam(
        net.alphaList().map((a, i) => [`a${i}`, a]),
        { lr: 0.01, weightDecay: 0 },
      );
      const raw = makeBatch(DATA.train, [0, 1, 2, 3], null, 0);
      const b = {
        x: normalise(raw.pixels, NORM.mean, NORM.std),
        labels: raw.labels,
        teacherStages: teacher.stages(raw.pixels),
      };
      new Architect(net, sgd, adam, config).alphaStep(b, b);
      const out = snapshot(net.alphaList());
      tf.dispose([raw.pixels, b.x, b.labels, ...b.teacherStages]);
      [sgd, adam, net].forEach((o) => o.dispose());
      return out;
    };
    const none = alphasAfter('none');
    expect(alphasAfter('distill')).toEqual(none);
    expect(alphasAfter('ags')).not.toEqual(none);
    teacher.dispose();
  });

  it('takes a second-order step that changes only alphas and leaks nothing', () => {
    const config = tinyConfig({ order: 'second' });
    const net = tinyNet(config);
    const sgd = new Sgd(net.namedWeights(), { lr: 0.1, momentum: 0.9, weightDecay: 3e-4 });
    const adam = new Adam(
      net.alphaList().map((a, i) => [`a${i}`, a]),
      { lr: 0.01, weightDecay: 0 },
    );
    const architect = new Architect(net, sgd, adam, { ...config, guidance: 'none' });
    const raw = makeBatch(DATA.train, [0, 1, 2, 3], null, 0);
    const b = {
      x: normalise(raw.pixels, NORM.mean, NORM.std),
      labels: raw.labels,
      teacherStages: null,
    };
    architect.weightStep(b); // fills the momentum buffers the unrolled step reads
    const before = tf.memory().numTensors;
    const w0 = snapshot(net.weights());
    const a0 = snapshot(net.alphaList());
    architect.alphaStep(b, b);
    expect(snapshot(net.weights())).toEqual(w0);
    expect(snapshot(net.alphaList())).not.toEqual(a0);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([raw.pixels, b.x, b.labels]);
    [sgd, adam, net].forEach((o) => o.dispose());
  });
});

describe('runSearchLoop', () => {
  it('resumed after a pause reaches the same alphas and genotype as an uninterrupted run', async () => {
    const config = tinyConfig({ epochs: 1 });
    const teacher = tinyTeacher();

    const dirA = mkdtempSync(join(tmpdir(), 'search-a-'));
    const netA = tinyNet(config);
    const before = tf.memory().numTensors;
    const a = loopInput(config, netA, teacher, dirA);
    const outA = await runSearchLoop(a.input);
    expect(tf.memory().numTensors).toBe(before);
    expect(a.record.progress.length).toBe(2);
    expect(a.record.alphas.length).toBe(1);
    const epochMetrics = a.record.metrics.filter((m) => m.step === null);
    expect(Object.keys(epochMetrics[0].values)).toEqual(
      expect.arrayContaining([
        'train/loss',
        'search/loss',
        'search/top1',
        'at/loss',
        'alpha/entropy_normal',
        'genotype/param_free_ops',
      ]),
    );

    // Pause before the second step (mid-epoch): a checkpoint at step 1, resumed in a new net.
    const dirB = mkdtempSync(join(tmpdir(), 'search-b-'));
    let polls = 0;
    const netB = tinyNet(config);
    const b = loopInput(config, netB, teacher, dirB, () => (++polls === 2 ? 'pause' : 'run'));
    await expect(runSearchLoop(b.input)).rejects.toBeInstanceOf(RunStopped);
    netB.dispose();
    const netC = tinyNet(config);
    const c = loopInput(config, netC, teacher, dirB);
    const outC = await runSearchLoop({ ...c.input, resumeFrom: b.input.checkpointPath });
    expect(c.record.progress.length).toBe(1);

    expect(outC.alphaSoftmax).toEqual(outA.alphaSoftmax);
    expect(outC.genotype).toEqual(outA.genotype);
    // The resumed epoch reports the same sums as the uninterrupted one (time aside).
    const lastEpoch = (r: typeof a.record) => {
      const { 'time/epoch_s': _t, ...rest } = r.metrics
        .filter((m) => m.step === null)
        .at(-1)!.values;
      return rest;
    };
    expect(lastEpoch(c.record)).toEqual(lastEpoch(a.record));
    [netA, netC, teacher].forEach((o) => o.dispose());
  });

  it('fails with a clear message on a NaN loss and keeps the last good checkpoint', async () => {
    const config = tinyConfig({
      guidance: 'none',
      teacher: { ...tinyConfig().teacher, mode: 'none' },
    });
    const net = tinyNet(config);
    let calls = 0;
    // Fault injection: from the 5th forward pass of training on (after the memory guard's
    // measuring passes), the logits are NaN.
    const faulty: SearchSupernet = {
      forward: (x, training) => {
        const out = net.forward(x, training);
        calls += 1;
        return calls >= 5 + MEASURE_PASSES
          ? { ...out, logits: tf.mul(out.logits, NaN) as tf.Tensor2D }
          : out;
      },
      namedWeights: () => net.namedWeights(),
      alphaList: () => net.alphaList(),
      alphaSoftmax: () => net.alphaSoftmax(),
      deriveGenotype: () => net.deriveGenotype(),
      stateDict: () => net.stateDict(),
      loadStateDict: (s, strict) => net.loadStateDict(s, strict),
    };
    const dir = mkdtempSync(join(tmpdir(), 'search-nan-'));
    const run = loopInput(config, faulty, null, dir);
    const err = await runSearchLoop(run.input).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RUN_FAILED' });
    expect((err as Error).message).toMatch(/loss \(alpha step\) became NaN at epoch 2, step 1/);
    expect(existsSync(run.input.checkpointPath)).toBe(true);
    const kept = loadCheckpoint<{ epoch: number; step: number }>(run.input.checkpointPath);
    expect([kept.meta.epoch, kept.meta.step]).toEqual([1, 0]);
    expect(run.record.checkpoints.at(-1)).toMatchObject({ epoch: 1, step: 0 });
    net.dispose();
  });

  it('trains only weights in alpha warm-up epochs, then alphas too', async () => {
    const config = tinyConfig({
      alphaWarmupEpochs: 1,
      guidance: 'none',
      teacher: { ...tinyConfig().teacher, mode: 'none' },
    });
    const net = tinyNet(config);
    const a0 = snapshot(net.alphaList());
    const w0 = snapshot(net.weights());
    const dir = mkdtempSync(join(tmpdir(), 'search-warmup-'));
    let alphasAfterWarmup: number[][] | null = null;
    let checks = 0;
    // The control poll before step 1 of epoch 2 (the 3rd poll) sees the state after warm-up.
    const run = loopInput(config, net, null, dir, () => {
      if (++checks === 3) alphasAfterWarmup = snapshot(net.alphaList());
      return 'run';
    });
    await runSearchLoop(run.input);
    expect(alphasAfterWarmup).toEqual(a0);
    expect(snapshot(net.weights())).not.toEqual(w0);
    expect(snapshot(net.alphaList())).not.toEqual(a0);
    const epochs = run.record.metrics.filter((m) => m.step === null && 'train/loss' in m.values);
    expect(epochs.map((m) => 'search/loss' in m.values)).toEqual([false, true]);
    // Per-step progress: every step, with throughput and time left.
    expect(run.record.progress.map((p) => [p.epoch, p.step])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    for (const p of run.record.progress) {
      expect(p.imagesPerSecond).toBeGreaterThan(0);
      expect(p.etaSeconds).toBeGreaterThanOrEqual(0);
    }
    expect(run.record.progress.at(-1)!.etaSeconds).toBe(0);
    net.dispose();
  });

  it('records both alpha matrices and the genotype per epoch, and warns when parameter-free ops take over', async () => {
    const config = tinyConfig({
      epochs: 1,
      guidance: 'none',
      teacher: { ...tinyConfig().teacher, mode: 'none' },
    });
    const net = tinyNet(config);
    // Alphas that already favour skip_connect everywhere: a collapsed search.
    const skip = SEARCH_SPACES.nos.indexOf('skip_connect');
    for (const a of net.alphaList()) {
      const [rows, cols] = a.shape;
      const values = Array.from({ length: rows * cols }, (_, i) => (i % cols === skip ? 3 : 0));
      const t = tf.tensor(values, a.shape);
      a.assign(t);
      t.dispose();
    }
    const dir = mkdtempSync(join(tmpdir(), 'search-collapse-'));
    const run = loopInput(config, net, null, dir);
    await runSearchLoop(run.input);

    const [snap] = run.record.alphas;
    expect(snap.snapshots.map((s) => s.cellType)).toEqual(['normal', 'reduce']);
    for (const s of snap.snapshots) {
      expect(s.primitives).toEqual(SEARCH_SPACES.nos);
      expect(s.alphaSoftmax.length).toBe(18);
      s.alphaSoftmax.forEach((row) => {
        expect(row.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
        expect(row.indexOf(Math.max(...row))).toBe(skip);
      });
    }
    expect(run.record.genotypes.map((g) => g.final)).toEqual([false, true]);
    const epoch = run.record.metrics.find((m) => m.step === null)!.values;
    expect(epoch['genotype/param_free_ops']).toBe(12);
    expect(epoch['time/epoch_s']).toBeGreaterThanOrEqual(0);
    const warnings = run.record.logs.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings.join('\n')).toMatch(/12 of the normal cell's 12 chosen ops are parameter-free/);
    net.dispose();
  });

  it('stops within one step on cancel', async () => {
    const config = tinyConfig({
      guidance: 'none',
      teacher: { ...tinyConfig().teacher, mode: 'none' },
    });
    const net = tinyNet(config);
    const dir = mkdtempSync(join(tmpdir(), 'search-cancel-'));
    let polls = 0;
    const run = loopInput(config, net, null, dir, () => (++polls >= 2 ? 'cancel' : 'run'));
    await expect(runSearchLoop(run.input)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(run.record.progress.length).toBe(1);
    net.dispose();
  });
});

describe('memory guard', () => {
  /** One step of one epoch without a teacher, augmentation off. */
  const guardConfig = (over: Partial<SearchConfig>) =>
    tinyConfig({
      epochs: 1,
      guidance: 'none',
      teacher: { ...tinyConfig().teacher, mode: 'none' },
      flip: false,
      cropPadding: 0,
      ...over,
    });

  /** The plan the search makes for `config` on `budget`, measured on a fresh net. */
  async function planFor(config: SearchConfig, budget: MemoryBudget) {
    const net = tinyNet(config);
    const weightOpt = new Sgd(net.namedWeights(), { lr: 0.1, momentum: 0.9, weightDecay: 0 });
    const alphaOpt = new Adam(
      net.alphaList().map((v, i) => [`a${i}`, v] as [string, tf.Variable]),
      { lr: 0.1, beta1: 0.5, beta2: 0.999, weightDecay: 0 },
    );
    const state = net.stateDict();
    const { trainSplit } = searchSplits(DATA.train, config);
    const plan = await planSearchMicroBatch({
      config,
      net,
      weightOpt,
      alphaOpt,
      batchOf: (size) => {
        const idx = Array.from({ length: size }, (_, i) => i % trainSplit.labels.length);
        const { pixels, labels } = makeBatch(trainSplit, idx, null, 0);
        const x = normalise(pixels, NORM.mean, NORM.std);
        pixels.dispose();
        return { x, labels, teacherStages: null };
      },
      disposeBatch: (b) => tf.dispose([b.x, b.labels]),
      budget,
      log: () => undefined,
    });
    // Measuring changes no training state (batch-norm statistics included).
    expect(net.stateDict()).toEqual(state);
    [net, weightOpt, alphaOpt].forEach((o) => o.dispose());
    return plan;
  }

  it("refuses on wasm's 4 GiB heap a micro-batch that would overflow it, before any step", async () => {
    const wasm = memoryBudget('wasm');
    const huge = guardConfig({ batch: 200_000, microBatch: 200_000 });
    const net = tinyNet(huge);
    const before = tf.memory().numTensors;
    const dir = mkdtempSync(join(tmpdir(), 'search-oom-'));
    const run = loopInput(huge, net, null, dir);
    const err = await runSearchLoop({ ...run.input, memoryBudget: wasm }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'OUT_OF_MEMORY' });
    expect((err as Error).message).toMatch(/micro-batch 200000 needs about [\d.]+ GiB on wasm/);
    expect((err as Error).message).toContain("wasm's 4 GiB heap allows 4.00 GiB");
    const fits = Number(/Set microBatch to (\d+) or less/.exec((err as NosError).hint ?? '')?.[1]);
    expect(fits).toBeGreaterThanOrEqual(1);
    expect(fits).toBeLessThan(200_000);
    expect(run.record.progress).toEqual([]);
    expect(existsSync(run.input.checkpointPath)).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();

    // Without a requested micro-batch the same batch is planned as micro-batches that fit.
    const plan = await planFor({ ...huge, microBatch: null }, wasm);
    expect(plan).toMatchObject({ batchSize: 200_000, microBatch: fits });
    expect(plan.passes).toBeGreaterThan(1);
    expect(plan.estimatedPeakBytes).toBeLessThanOrEqual(wasm.limitBytes!);
  });

  it('refuses a network of which not even one image fits, suggesting fewer channels', async () => {
    const tiny: MemoryBudget = { backend: 'wasm', limitBytes: 1024, source: 'a 1 KiB test heap' };
    await expect(planFor(guardConfig({ batch: 4 }), tiny)).rejects.toMatchObject({
      code: 'OUT_OF_MEMORY',
      message: expect.stringContaining('even one sample at a time'),
      hint: expect.stringContaining('channels'),
    });
  });

  it('runs a batch that does not fit in micro-batches that do, equal to the unsplit step', async () => {
    // Every image the same, so batch-norm's statistics per micro-batch equal the whole
    // batch's and micro-batching must give the unsplit result up to float rounding.
    const one = DATA.train.images.subarray(0, 64);
    const same: ImageSet = {
      images: Uint8Array.from({ length: 4 * 64 }, (_, i) => one[i % 64]),
      labels: Int32Array.from([1, 1, 1, 1]),
      shape: DATA.train.shape,
    };
    const config = guardConfig({ batch: 4, trainImages: 4, searchImages: 4 });
    // A heap between 2 and 3 images' worth: the whole batch of 4 does not fit.
    const wasm = memoryBudget('wasm');
    const whole = await planFor(config, wasm);
    const half = await planFor({ ...config, microBatch: 2 }, wasm);
    expect(whole.microBatch).toBe(4);
    const perImage = (whole.estimatedPeakBytes - half.estimatedPeakBytes) / 2;
    expect(perImage).toBeGreaterThan(0);
    const small: MemoryBudget = {
      backend: 'wasm',
      limitBytes: Math.floor(half.estimatedPeakBytes + perImage / 2),
      source: 'a test heap',
    };
    const unlimited: MemoryBudget = { backend: 'wasm', limitBytes: null, source: 'no limit' };

    const search = async (c: SearchConfig, budget: MemoryBudget) => {
      const net = tinyNet(c);
      try {
        const a0 = snapshot(net.alphaList());
        const run = loopInput(c, net, null, mkdtempSync(join(tmpdir(), 'search-micro-')));
        const before = tf.memory().numTensors;
        await runSearchLoop({
          ...run.input,
          trainSplit: same,
          searchSplit: same,
          memoryBudget: budget,
        }).finally(() => expect(tf.memory().numTensors).toBe(before));
        return {
          a0,
          alphas: snapshot(net.alphaList()),
          weights: snapshot(net.weights()),
          logs: run.record.logs.map((l) => l.message),
        };
      } finally {
        net.dispose();
      }
    };

    await expect(search({ ...config, microBatch: 4 }, small)).rejects.toMatchObject({
      code: 'OUT_OF_MEMORY',
      hint: expect.stringContaining('Set microBatch to 2 or less'),
    });
    const split = await search(config, small);
    expect(split.logs).toContainEqual(
      expect.stringContaining('batch 4 as 2 micro-batches of 2 (gradients accumulated)'),
    );
    const unsplit = await search(config, unlimited);
    expect(unsplit.logs).toContainEqual(expect.stringContaining('micro-batch 4 of 4'));
    expect(split.alphas).not.toEqual(split.a0);
    // Largest difference: float32 rounding of sums taken in another order (batch-norm's
    // backward pass amplifies it in the weights to about 1e-5 of values near 1).
    const maxDiff = (a: number[][], b: number[][]) =>
      a.reduce((m, row, i) => row.reduce((n, v, k) => Math.max(n, Math.abs(v - b[i][k])), m), 0);
    expect(maxDiff(unsplit.alphas, split.alphas)).toBeLessThan(1e-5);
    expect(maxDiff(unsplit.weights, split.weights)).toBeLessThan(1e-4);
  });
});
