import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NosError } from '../../../src-main/contract/errors';
import {
  evaluationConfigFromPreset,
  randomBaselineConfigFromPreset,
} from '../../../src-main/contract/evaluation';
import { run as runEvaluation } from '../../../src-main/evaluation/job';
import { run as runRandomBaseline } from '../../../src-main/evaluation/random-baseline-job';
import { loadExportedNetwork } from '../../../src-main/evaluation/export';
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

  // A tiny DARTS V2 network on a few hundred real images: it must learn (chance is 90% error).
  const learnConfig = evaluationConfigFromPreset('smoke', {
    genotype: { from: 'published', name: 'darts-v2' },
    channels: 8,
    epochs: 3,
    batch: 32,
    lr: 0.1,
    trainImages: 384,
    testImages: 300,
    evalBatch: 150,
    repeats: 2,
    dropPath: 0.1,
  });

  it('learns on the bundled real sample and reports labelled statistics', async () => {
    const runDir = join(tmp.dir, 'learn');
    const { ctx, record } = memoryRunContext(runDir);
    const started = Date.now();
    const result = await runEvaluation(spec(runDir, learnConfig), ctx);
    const seconds = (Date.now() - started) / 1000;
    const s = result.summary;
    console.log(`evaluation test: ${JSON.stringify(s)} in ${seconds.toFixed(1)} s`);
    expect(s.top1_error_n).toBe(2);
    expect(s.top1_error_best as number).toBeLessThan(60);
    expect(s.top1_error_mean as number).toBeLessThan(65);
    expect(s.top1_error_sd).not.toBeNull();
    expect(s.params as number).toBeGreaterThan(0);
    expect(s.mult_adds as number).toBeGreaterThan(0);

    // Per epoch: losses, errors and the learning rate; the two runs one after the other.
    const epochs = record.metrics.filter((m) => m.values['eval/top1_error'] !== undefined);
    expect(epochs.map((m) => m.epoch)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(epochs[0].values.lr).toBeCloseTo(0.1);
    const stats = JSON.parse(readFileSync(join(runDir, 'evaluation.json'), 'utf8'));
    expect(stats.statistics.top1Error).toMatchObject({ n: 2, better: 'lower' });
    expect(record.genotypes[0].final).toBe(true);
    expect(existsSync(join(runDir, 'genotype.darts.txt'))).toBe(true);
  });

  it("exports the best run's network, which reloads to identical predictions", async () => {
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
      testImages: 300,
      seed: learnConfig.seed,
    });
    // The reloaded network's test error equals the one the run recorded for it.
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
    expect((100 * wrong) / count).toBeCloseTo(stats.runs[0].top1Error, 6);
    expect(loaded.genotype?.space).toBe('darts');
    loaded.dispose();
    data.close();
  });

  it('pauses with a checkpoint and resumes to completion', async () => {
    const runDir = join(tmp.dir, 'pause');
    const config = evaluationConfigFromPreset('smoke', {
      genotype: { from: 'published', name: 'darts-v1' },
    });
    let calls = 0;
    const control = (): ControlSignal => (++calls === 2 ? 'pause' : 'run');
    const first = memoryRunContext(runDir, control);
    const stopped = await runEvaluation(spec(runDir, config), first.ctx).catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(NosError);
    expect((stopped as NosError).code).toBe('CANCELLED');
    const checkpoint = first.record.checkpoints.at(-1)?.path as string;
    expect(existsSync(checkpoint)).toBe(true);

    const second = memoryRunContext(runDir);
    const result = await runEvaluation(
      spec(runDir, config, { resumeFrom: checkpoint }),
      second.ctx,
    );
    expect(result.summary.top1_error_n).toBe(1);
    expect(second.record.logs.some((l) => /Resuming/.test(l.message))).toBe(true);
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

  it('trains each sampled genotype and reports the best and the spread', async () => {
    const runDir = join(tmp.dir, 'rb');
    mkdirSync(runDir, { recursive: true });
    const { ctx, record } = memoryRunContext(runDir);
    const config = randomBaselineConfigFromPreset('smoke', { space: 'nos' });
    const result = await runRandomBaseline(
      { kind: 'random-baseline', runId: 2, runDir, datasetDir, backend: 'wasm', config },
      ctx,
    );
    expect(result.summary.top1_error_n).toBe(2);
    expect(result.summary.top1_error_best as number).toBeLessThanOrEqual(
      result.summary.top1_error_mean as number,
    );
    expect(record.genotypes).toHaveLength(2);
    const saved = JSON.parse(readFileSync(join(runDir, 'random-baseline.json'), 'utf8'));
    expect(saved.results).toHaveLength(2);
    expect(saved.results[0].genotype.space).toBe('nos');
  });
});
