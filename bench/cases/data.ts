/**
 * The data pipeline's throughput with augmentation. One timed iteration prepares exactly the
 * images one search step consumes (a batch for the weight step and one for the alpha step), so
 * the "vs peer" column (our pipeline time over the PyTorch peer's whole search step, measured in
 * the same run) is the fraction of a step spent on data: it must stay under 0.1. The images per
 * second are printed after each case and stored in its notes.
 *
 * Every case compares against the peer's tiny config (5 cells, C=8, batch 16: TINY_PEER), the
 * cheapest peer step: the CIFAR-shaped cases prepare 64-image batches against it, which overstates the data
 * share of a real CIFAR step, and avoid running the 9 GB small peer on a shared machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchCase } from '../harness';
import { TINY_PEER } from '../peer';
import { CanonicalBuilder } from '../../src-main/data/canonical';
import { openDataset, type LoadedDataset } from '../../src-main/data/dataset';
import { bundledSampleSource } from '../../src-main/data/detect';
import { importDataset } from '../../src-main/data/import';
import { BatchPipeline, type PipelineOptions } from '../../src-main/data/pipeline';
import { Rng } from '../../src-main/data/rng';
import { searchSplits } from '../../src-main/data/splits';

interface PipelineState {
  dir: string;
  dataset: LoadedDataset;
  weights: BatchPipeline;
  alphas: BatchPipeline;
  images: number;
  ms: number;
}

/** A CIFAR-shaped dataset of random pixels (32x32x3, 10 classes), written canonically. */
function writeRandomCifar(root: string, count: number): string {
  const builder = new CanonicalBuilder(root, 'random-cifar');
  const rng = new Rng(1);
  for (const [split, n] of [
    ['train', count],
    ['test', 100],
  ] as const) {
    const writer = builder.openSplit(split, [32, 32, 3], 10);
    const images = new Uint8Array(n * 3072).map(() => rng.int(256));
    writer.append(
      images,
      Array.from({ length: n }, (_, i) => i % 10),
      'random',
    );
  }
  builder.commit(
    { format: 'cifar10', classNames: [...'abcdefghij'], options: {}, skippedFiles: [] },
    'random',
    'bench',
  );
  return join(root, 'random-cifar');
}

function pipelineCase(
  name: string,
  open: (root: string) => Promise<string>,
  batchSize: number,
  augment: PipelineOptions['augment'],
  streamed: boolean,
  peer: BenchCase['peer'],
): BenchCase<PipelineState> {
  const notes: Record<string, number | string> = { batchSize, imagesPerIteration: 2 * batchSize };
  return {
    group: 'data',
    name,
    backends: ['cpu'],
    iterations: 20,
    warmup: 2,
    notes,
    peer,
    async setup() {
      const dir = mkdtempSync(join(tmpdir(), 'nos-bench-data-'));
      const datasetDir = await open(dir);
      const dataset = openDataset(datasetDir, streamed ? { streamAboveBytes: 0 } : {});
      const splits = searchSplits(dataset.meta.trainCount, 0);
      const options = { batchSize, seed: 0, augment, normalise: dataset.meta, dropLast: true };
      return {
        dir,
        dataset,
        weights: new BatchPipeline(dataset.train, options, splits.train),
        alphas: new BatchPipeline(dataset.train, { ...options, seed: 1 }, splits.search),
        images: 0,
        ms: 0,
      };
    },
    async run(s) {
      const t0 = performance.now();
      const a = await s.weights.next();
      const b = await s.alphas.next();
      // Count the replacements prepared ahead too: in steady state each step builds two batches.
      await Promise.all([s.weights.ready(), s.alphas.ready()]);
      s.ms += performance.now() - t0;
      s.images += a.n + b.n;
    },
    teardown(s) {
      const perSecond = Math.round((s.images / s.ms) * 1000);
      notes.imagesPerSecond = perSecond;
      console.log(`\n  data/${name}: ${perSecond} images/s (${s.images} images)`);
      s.weights.close();
      s.alphas.close();
      s.dataset.close();
      rmSync(s.dir, { recursive: true, force: true });
    },
  };
}

const cifarAugment = { cropPadding: 4, flip: true, cutout: 16 };

export const cases: BenchCase[] = [
  pipelineCase(
    'pipeline fashion-mnist sample 28x28x1 b32 crop+flip',
    async (root) => {
      const meta = await importDataset(bundledSampleSource(), root);
      return join(root, meta.id);
    },
    32,
    { cropPadding: 4, flip: true, cutout: 0 },
    false,
    TINY_PEER,
  ),
  pipelineCase(
    'pipeline cifar 32x32x3 b64 crop+flip+cutout16 (memory)',
    async (root) => writeRandomCifar(root, 10_000),
    64,
    cifarAugment,
    false,
    TINY_PEER,
  ),
  pipelineCase(
    'pipeline cifar 32x32x3 b64 crop+flip+cutout16 (streamed from disk)',
    async (root) => writeRandomCifar(root, 10_000),
    64,
    cifarAugment,
    true,
    TINY_PEER,
  ),
];
