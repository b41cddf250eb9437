import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { searchConfigFromPreset, type SearchConfig } from '../../../src-main/contract/config';
import { SEARCH_SPACES } from '../../../src-main/contract/primitives';
import { initBackend } from '../../../src-main/engine';
import { MEASURE_PASSES } from '../../../src-main/engine/memory';
import { Supernet } from '../../../src-main/nos/supernet';
import { Architect } from '../../../src-main/search/architect';
import { makeBatch, normalise, searchSplits } from '../../../src-main/search/data-source';
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
