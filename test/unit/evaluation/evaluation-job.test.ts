import * as tf from '@tensorflow/tfjs-core';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NosError } from '../../../src-main/contract/errors';
import {
  evaluationConfigFromPreset,
  randomBaselineConfigFromPreset,
} from '../../../src-main/contract/evaluation';
import { run as runEvaluation } from '../../../src-main/evaluation/job';
import { run as runRandomBaseline } from '../../../src-main/evaluation/random-baseline-job';
import { sampleGenotypes } from '../../../src-main/evaluation/random-genotype';
import { loadExportedNetwork } from '../../../src-main/evaluation/export';
import { resourcePath } from '../../../src-main/evaluation/reference';
import '../../../src-main/evaluation/train-derived';
import { openDataset } from '../../../src-main/data';
import { BatchSource } from '../../../src-main/evaluation/batches';
import { memoryRunContext, type ControlSignal } from '../../../src-main/training/run-context';
import type { JobSpec } from '../../../src-main/training/job';
import { importSample, tempDir, useWasm } from './helpers';

describe('evaluation job', () => {
  const tmp = tempDir('nos-eval-job-');
  let datasetDir: string;
  beforeAll(async () => {
    await useWasm();
    datasetDir = await importSample(tmp.dir);
  });
  afterAll(tmp.cleanup);

  /** A job spec; like the job runner, it creates the run folder first. */
  const spec = (runDir: string, config: unknown, extra: Partial<JobSpec> = {}): JobSpec => {
    mkdirSync(runDir, { recursive: true });
    return { kind: 'evaluation', runId: 1, runDir, datasetDir, backend: 'wasm', config, ...extra };
  };

  // A tiny DARTS V2 network (3 cells, C = 4) on a few hundred real images, 36 SGD steps: it must
  // learn (chance is 90% error). Cutout and drop-path are off here, as they slow the first
  // steps; the smoke runs below train with both.
  const learnConfig = evaluationConfigFromPreset('smoke', {
    genotype: { from: 'published', name: 'darts-v2' },
    epochs: 3,
    batch: 32,
    lr: 0.1,
    trainImages: 384,
    testImages: 200,
    evalBatch: 200,
    cutout: 0,
    dropPath: 0,
  });

  it('learns on the bundled real sample', async () => {
    const runDir = join(tmp.dir, 'learn');
    const { ctx, record } = memoryRunContext(runDir);
    const before = tf.memory().numTensors;
    const result = await runEvaluation(spec(runDir, learnConfig), ctx);
    expect(tf.memory().numTensors).toBe(before);
    const s = result.summary;
    console.log(`evaluation learn test: ${JSON.stringify(s)}`);
    expect(s.top1_error_n).toBe(1);
    expect(s.top1_error_sd).toBeNull(); // a single run has no spread
    expect(s.top1_error_mean as number).toBeLessThan(65);
    expect(s.params as number).toBeGreaterThan(0);
    expect(s.mult_adds as number).toBeGreaterThan(0);

    // Per epoch: train and test loss, top-1 and top-5 error, the learning rate (cosine).
    const epochs = record.metrics.filter((m) => m.values['eval/top1_error'] !== undefined);
    expect(epochs.map((m) => m.epoch)).toEqual([0, 1, 2]);
    for (const key of ['train/loss', 'eval/loss', 'eval/top5_error', 'lr']) {
      expect(epochs.every((m) => Number.isFinite(m.values[key]))).toBe(true);
    }
    expect(epochs.map((m) => m.values.lr)).toEqual(
      [0.1, 0.075, 0.025].map((v) => expect.closeTo(v, 9)),
    );
    expect(epochs[2].values['eval/top1_error']).toBeLessThan(epochs[0].values['eval/top1_error']);
    // Parameters and multiply-adds at the end.
    const cost = record.metrics.find((m) => m.values['model/params'] !== undefined);
    expect(cost?.values['model/params']).toBe(s.params);
    expect(record.genotypes[0].final).toBe(true);
    expect(existsSync(join(runDir, 'genotype.darts.txt'))).toBe(true);
    expect(record.artifacts.find((a) => a.kind === 'model')?.path).toBe(
      join(runDir, 'exports', 'seed-0'),
    );
  }, 300_000); // 36 training steps on wasm: room for a machine busy with other work

  it('exports the network, which reloads to the same predictions', async () => {
    const runDir = join(tmp.dir, 'learn');
    const stats = JSON.parse(readFileSync(join(runDir, 'evaluation.json'), 'utf8'));
    const dir = stats.runs[0].exportDir as string;
    const loaded = await loadExportedNetwork(dir);
    const data = openDataset(datasetDir);
    const source = new BatchSource(data, {
      batch: 32,
      evalBatch: 100,
      augment: { cropPadding: 0, flip: false, cutout: 0 },
      trainImages: 64,
      testImages: learnConfig.testImages,
      seed: learnConfig.seed,
    });
    // Every test image classified as before: the reloaded network's error is the recorded one.
    let wrong = 0;
    let count = 0;
    for await (const batch of source.testBatches()) {
      const predicted = tf.tidy(() => tf.argMax(loaded.predict(batch.x), 1));
      const p = predicted.dataSync();
      const y = batch.y.dataSync();
      for (let i = 0; i < y.length; i++) wrong += p[i] === y[i] ? 0 : 1;
      count += y.length;
      tf.dispose([predicted, batch.x, batch.y]);
    }
    expect(count).toBe(learnConfig.testImages);
    expect((100 * wrong) / count).toBeCloseTo(stats.runs[0].top1Error, 9);
    expect(loaded.genotype?.space).toBe('darts');
    // Only what prediction needs: no auxiliary tower.
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).weightsManifest;
    const names = manifest[0].weights.map((w: { name: string }) => w.name) as string[];
    expect(names.some((n) => n.startsWith('aux.'))).toBe(false);
    expect(names).toContain('classifier.kernel');
    loaded.dispose();
    data.close();
  });

  it('repeats with seeds seed, seed + 1, ... and labels mean, sample sd and best', async () => {
    const runDir = join(tmp.dir, 'repeats');
    const { ctx, record } = memoryRunContext(runDir);
    const config = evaluationConfigFromPreset('smoke', {
      genotype: { from: 'published', name: 'darts-v1' },
      repeats: 3,
      seed: 5,
      export: false,
    });
    const result = await runEvaluation(spec(runDir, config), ctx);
    const saved = JSON.parse(readFileSync(join(runDir, 'evaluation.json'), 'utf8'));
    const errors = (saved.runs as { seed: number; top1Error: number }[]).map((r) => r.top1Error);
    expect(saved.runs.map((r: { seed: number }) => r.seed)).toEqual([5, 6, 7]);
    // By hand: mean, sample standard deviation (n - 1), best = lowest error.
    const mean = (errors[0] + errors[1] + errors[2]) / 3;
    const sd = Math.sqrt(errors.reduce((a, e) => a + (e - mean) ** 2, 0) / 2);
    expect(result.summary.top1_error_n).toBe(3);
    expect(result.summary.top1_error_mean).toBeCloseTo(mean, 9);
    expect(result.summary.top1_error_sd).toBeCloseTo(sd, 9);
    expect(result.summary.top1_error_best).toBe(Math.min(...errors));
    expect(result.summary.top1_error_worst).toBe(Math.max(...errors));
    expect(saved.statistics.top1Error).toMatchObject({ n: 3, better: 'lower', values: errors });
    // Each run's epoch figures follow the previous run's in one series.
    const epochs = record.metrics.filter((m) => m.values['eval/top1_error'] !== undefined);
    expect(epochs.map((m) => m.epoch)).toEqual([0, 1, 2]);
    expect(epochs.map((m) => m.values['eval/top1_error'])).toEqual(errors);
    expect(record.logs.some((l) => /mean .* ± .* \(sample sd, n = 3\); best/.test(l.message))).toBe(
      true,
    );
  });

  it('pauses in the second repeat with a checkpoint and resumes to completion', async () => {
    const runDir = join(tmp.dir, 'pause');
    const genotypeFile = join(tmp.dir, 'to-evaluate.txt');
    copyFileSync(resourcePath('genotypes/darts-v1.txt'), genotypeFile);
    const config = evaluationConfigFromPreset('smoke', {
      genotype: { from: 'file', path: genotypeFile },
      repeats: 2,
      export: false,
    });
    // 4 steps per run (64 images, batch 16): the 6th step is the second run's second.
    let calls = 0;
    const control = (): ControlSignal => (++calls === 6 ? 'pause' : 'run');
    const first = memoryRunContext(runDir, control);
    const stopped = await runEvaluation(spec(runDir, config), first.ctx).catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(NosError);
    expect((stopped as NosError).code).toBe('CANCELLED');
    const checkpoint = first.record.checkpoints.at(-1)?.path as string;
    expect(existsSync(checkpoint)).toBe(true);

    // The run resumes with the genotype it started with, though its file is gone.
    rmSync(genotypeFile);
    const second = memoryRunContext(runDir);
    const result = await runEvaluation(
      spec(runDir, config, { resumeFrom: checkpoint }),
      second.ctx,
    );
    expect(result.summary.top1_error_n).toBe(2);
    expect(second.record.logs.some((l) => /Resuming evaluation 2\/2/.test(l.message))).toBe(true);
    // The first run's result came from the checkpoint, not from training it again.
    const resumedEpochs = second.record.metrics.filter(
      (m) => m.values['eval/top1_error'] !== undefined,
    );
    expect(resumedEpochs.map((m) => m.epoch)).toEqual([1]);
    const firstRun = first.record.metrics.find((m) => m.values['eval/top1_error'] !== undefined);
    const saved = JSON.parse(readFileSync(join(runDir, 'evaluation.json'), 'utf8'));
    expect(saved.runs[0].top1Error).toBe(firstRun?.values['eval/top1_error']);
  });

  it('stops without a checkpoint when cancelled', async () => {
    const runDir = join(tmp.dir, 'cancel');
    const config = evaluationConfigFromPreset('smoke', {
      genotype: { from: 'published', name: 'darts-v1' },
    });
    const { ctx, record } = memoryRunContext(runDir, () => 'cancel');
    await expect(runEvaluation(spec(runDir, config), ctx)).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(record.checkpoints).toHaveLength(0);
  });

  it('refuses a run genotype that was not handed over', async () => {
    const runDir = join(tmp.dir, 'nogenotype');
    const { ctx } = memoryRunContext(runDir);
    await expect(
      runEvaluation(spec(runDir, evaluationConfigFromPreset('smoke')), ctx),
    ).rejects.toThrow(/none was handed over/);
  });
});

describe('random-baseline job', () => {
  const tmp = tempDir('nos-eval-random-');
  let datasetDir: string;
  beforeAll(async () => {
    await useWasm();
    datasetDir = await importSample(tmp.dir);
  });
  afterAll(tmp.cleanup);

  const spec = (runDir: string, config: unknown, extra: Partial<JobSpec> = {}): JobSpec => {
    mkdirSync(runDir, { recursive: true });
    const kind = 'random-baseline';
    return { kind, runId: 2, runDir, datasetDir, backend: 'wasm', config, ...extra };
  };
  const config = randomBaselineConfigFromPreset('smoke', { space: 'nos', sampleSeed: 4 });

  it('trains each sampled genotype and reports the best and the spread', async () => {
    const runDir = join(tmp.dir, 'rb');
    const { ctx, record } = memoryRunContext(runDir);
    const result = await runRandomBaseline(spec(runDir, config), ctx);
    const saved = JSON.parse(readFileSync(join(runDir, 'random-baseline.json'), 'utf8'));
    // The samples are the seeded uniform draws from the space, each trained once.
    expect(saved.results.map((r: { genotype: unknown }) => r.genotype)).toEqual(
      sampleGenotypes('nos', 2, 4),
    );
    const errors = saved.results.map((r: { top1Error: number }) => r.top1Error) as number[];
    expect(result.summary.top1_error_n).toBe(2);
    expect(result.summary.top1_error_best).toBe(Math.min(...errors));
    expect(result.summary.top1_error_worst).toBe(Math.max(...errors));
    expect(result.summary.top1_error_sd).toBeCloseTo(
      Math.abs(errors[0] - errors[1]) / Math.SQRT2,
      9,
    );
    expect(result.genotype).toEqual(saved.results[result.summary.best_sample as number].genotype);
    // Each sample's genotype is recorded where its metrics start (epochs 0 and 1).
    expect(record.genotypes.map((g) => g.epoch)).toEqual([0, 1]);
  });

  it('pauses in the second sample and resumes without training the first again', async () => {
    const runDir = join(tmp.dir, 'rb-pause');
    let calls = 0;
    const first = memoryRunContext(runDir, () => (++calls === 6 ? 'pause' : 'run'));
    await expect(runRandomBaseline(spec(runDir, config), first.ctx)).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    const checkpoint = first.record.checkpoints.at(-1)?.path as string;
    const second = memoryRunContext(runDir);
    const result = await runRandomBaseline(
      spec(runDir, config, { resumeFrom: checkpoint }),
      second.ctx,
    );
    expect(result.summary.top1_error_n).toBe(2);
    const trained = second.record.metrics.filter((m) => m.values['eval/top1_error'] !== undefined);
    expect(trained.map((m) => m.epoch)).toEqual([1]);
    const saved = JSON.parse(readFileSync(join(runDir, 'random-baseline.json'), 'utf8'));
    const firstSample = first.record.metrics.find((m) => m.values['eval/top1_error'] !== undefined);
    expect(saved.results[0].top1Error).toBe(firstSample?.values['eval/top1_error']);
  });
});
