/**
 * What the three evaluation jobs (evaluation, random baseline, op study) share: opening the
 * job's dataset, the batch source of a config, the checkpoint to resume from, the schedules of
 * the recipes, and how a paused or cancelled training ends the job.
 */
import { join } from 'node:path';
import { NosError } from '../contract/errors';
import type { BackendName } from '../contract/primitives';
import { openDataset, type LoadedDataset } from '../data/dataset';
import { initBackend } from '../engine';
import { loadCheckpoint, type CheckpointData } from '../training/checkpoint';
import type { JobSpec } from '../training/job';
import type { RunContext } from '../training/run-context';
import { cosineLr, stepLr } from '../training/schedule';
import { BatchSource } from './batches';
import type { TrainerMeta, TrainOutcome } from './trainer';

/** The single checkpoint file of a run (overwritten; the latest position only). */
export const checkpointPath = (runDir: string): string => join(runDir, 'checkpoint.nosckpt');

/** Starts the backend the job names, or the config's when the job says 'auto'. */
export async function startBackend(
  job: JobSpec,
  configured: BackendName,
  ctx: RunContext,
): Promise<{ name: string; version: string }> {
  const info = await initBackend(job.backend === 'auto' ? configured : job.backend, (l) =>
    ctx.log.info(l),
  );
  return { name: info.name, version: info.version };
}

/** Runs `fn` on the job's dataset and closes the dataset afterwards. */
export async function withJobDataset<T>(
  job: JobSpec,
  fn: (data: LoadedDataset) => Promise<T>,
): Promise<T> {
  const data = openJobDataset(job);
  try {
    return await fn(data);
  } finally {
    data.close();
  }
}

export function openJobDataset(job: JobSpec): LoadedDataset {
  if (!job.datasetDir) {
    throw new NosError(
      'BAD_INPUT',
      `The ${job.kind} run ${job.runId} has no dataset.`,
      'Start it with --dataset NAME (or pick a dataset in the app).',
    );
  }
  return openDataset(job.datasetDir);
}

interface SourceConfig {
  batch: number;
  evalBatch: number;
  trainImages: number | null;
  testImages: number | null;
  flip: boolean;
  cropPadding: number;
  cutout?: number;
  seed: number;
}

export function batchSourceFor(data: LoadedDataset, config: SourceConfig): BatchSource {
  return new BatchSource(data, {
    batch: config.batch,
    evalBatch: config.evalBatch,
    trainImages: config.trainImages,
    testImages: config.testImages,
    seed: config.seed,
    augment: { cropPadding: config.cropPadding, flip: config.flip, cutout: config.cutout ?? 0 },
  });
}

/** The checkpoint a resumed job continues from, checked to be one of ours. */
export function resumePoint<E>(job: JobSpec): CheckpointData<TrainerMeta<E>> | undefined {
  if (!job.resumeFrom) return undefined;
  const data = loadCheckpoint<TrainerMeta<E>>(job.resumeFrom);
  if (data.meta?.kind !== 'train-from-scratch') {
    throw new NosError(
      'BAD_INPUT',
      `Checkpoint ${job.resumeFrom} was not written by an evaluation job.`,
      'Resume the run that wrote it, or start this one afresh.',
    );
  }
  return data;
}

/** Cosine from `lr` to `lrMin` over `epochs`, stepped per epoch (DARTS's evaluation). */
export const cosineSchedule = (lr: number, lrMin: number, epochs: number) => (epoch: number) =>
  cosineLr(lr, lrMin, epoch, epochs);

/** The teacher / op-study recipe: lr divided by 10 every `every` epochs. */
export const stepSchedule = (lr: number, every: number) => (epoch: number) =>
  stepLr(lr, epoch, every);

/** Drop-path raised linearly from 0 at the first epoch to `max` at the last one (DARTS). */
export const linearDropPath = (max: number, epochs: number) => (epoch: number) =>
  (max * epoch) / epochs;

/**
 * Ends the job when training stopped early. The job runner marks the run paused or cancelled
 * from its own request; a result would mark it completed, so the job throws instead.
 */
export function throwIfStopped(
  outcome: TrainOutcome,
  what: string,
): asserts outcome is Extract<TrainOutcome, { status: 'completed' }> {
  if (outcome.status === 'completed') return;
  throw new NosError(
    'CANCELLED',
    outcome.status === 'paused'
      ? `${what} paused; checkpoint ${outcome.checkpointPath}.`
      : `${what} cancelled.`,
    outcome.status === 'paused' ? 'Resume the run to continue from its checkpoint.' : undefined,
    { status: outcome.status },
  );
}
