/**
 * Messages between the job queue (parent) and a training worker process, over the Node IPC
 * channel of `child_process.fork`. The worker reports; the parent stores and forwards. Messages
 * arrive in the order sent, so every metric a worker reported before a checkpoint is stored
 * before that checkpoint is.
 */
import type { NosErrorData } from '../contract/errors';
import type { StepProgress } from '../contract/runs';
import type { JobResult, JobSpec } from '../training/job';
import type { AlphaSnapshot, ControlSignal } from '../training/run-context';

/** Parent to worker. */
export type ParentMessage =
  /**
   * Run `spec` with the built-in trainer of its kind, or with the module at `modulePath` (an
   * override: tests, plug-ins). Either exports `run: JobRunner`.
   */
  | { type: 'start'; spec: JobSpec; modulePath: string | null }
  /** What `ctx.control()` answers from now on. */
  | { type: 'control'; signal: ControlSignal };

/** Worker to parent. */
export type WorkerMessage =
  | { type: 'progress'; progress: Omit<StepProgress, 'runId'> }
  | { type: 'metrics'; epoch: number; step: number | null; values: Record<string, number> }
  | { type: 'alphas'; epoch: number; snapshots: AlphaSnapshot[] }
  | { type: 'genotype'; epoch: number; genotype: unknown; final: boolean }
  | { type: 'checkpoint'; path: string; epoch: number; step: number }
  | { type: 'artifact'; kind: string; path: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'done'; result: JobResult }
  | { type: 'failed'; error: NosErrorData };

const WORKER_TYPES = new Set<string>([
  'progress',
  'metrics',
  'alphas',
  'genotype',
  'checkpoint',
  'artifact',
  'log',
  'done',
  'failed',
]);

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false;
  return WORKER_TYPES.has((value as { type?: unknown }).type as string);
}

export function isParentMessage(value: unknown): value is ParentMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'start' || type === 'control';
}
