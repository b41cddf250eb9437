import { resolve } from 'node:path';
import type { RunKind } from '../../../src-main/contract/runs';
import { JobQueue, type QueueOptions } from '../../../src-main/jobs';
import type { Store } from '../../../src-main/store';
import type { TinyConfig } from './fixtures/tiny-job';

export { tempDir } from '../store/helpers';

export const TINY_JOB = resolve(__dirname, 'fixtures', 'tiny-job.ts');

/** Every kind runs the tiny job, unless a test names other modules. */
export function tinyModules(): Partial<Record<RunKind, string>> {
  return { search: TINY_JOB, teacher: TINY_JOB, evaluation: TINY_JOB };
}

export function tinyQueue(store: Store, options: QueueOptions = {}): JobQueue {
  return new JobQueue(store, { jobModules: tinyModules(), stopTimeoutMs: 10_000, ...options });
}

export function tinyConfig(overrides: Partial<TinyConfig> = {}): TinyConfig {
  return { epochs: 2, stepsPerEpoch: 4, checkpointEverySteps: 1, ...overrides };
}

/** A run's metrics as `epoch:step:key -> value` (per-epoch values have step -1). */
export function pointsOf(store: Store, runId: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const series of store.records.series(runId)) {
    for (const p of series.points) out.set(`${p.epoch}:${p.step ?? -1}:${series.key}`, p.value);
  }
  return out;
}
