/**
 * Runs as every process sees them: kinds, statuses, progress events. The store (src-main/store)
 * persists them; the renderer and the CLI display them.
 */

export const RUN_KINDS = [
  'teacher',
  'search',
  'evaluation',
  'random-baseline',
  'op-study',
] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export const RUN_STATUSES = [
  'queued',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses from which `runs resume` can continue a run from its last checkpoint. */
export const RESUMABLE_STATUSES: readonly RunStatus[] = ['paused', 'interrupted', 'failed'];

/** One training step's progress, streamed live; never stored as a metric. */
export interface StepProgress {
  runId: number;
  phase: string; // e.g. 'teacher', 'search', 'evaluation'
  epoch: number; // 0-based
  epochs: number;
  step: number; // 0-based within the epoch
  stepsPerEpoch: number;
  imagesPerSecond: number;
  /** Estimated seconds left for the whole run (phase included), or null before the first step. */
  etaSeconds: number | null;
  /** Last step's loss, for the progress bar. */
  loss: number;
}

/** Events a job streams to whoever listens (CLI progress bar, live run view). */
export type RunEvent =
  | { type: 'status'; runId: number; status: RunStatus; error?: { message: string; hint?: string } }
  | { type: 'progress'; progress: StepProgress }
  | { type: 'epoch'; runId: number; epoch: number; metrics: Record<string, number> }
  | { type: 'log'; runId: number; level: 'info' | 'warn' | 'error'; message: string };
