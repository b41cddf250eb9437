/**
 * What a training procedure (teacher training, search, evaluation) may ask of the world around
 * it. Training code knows nothing of SQLite, IPC or HTTP: the job runner (src-main/jobs) builds a
 * RunContext that forwards these calls to the store and to listeners, and tests build one in
 * memory (see `memoryRunContext`).
 */
import type { StepProgress } from '../contract/runs';

export type ControlSignal = 'run' | 'pause' | 'cancel';

export interface RunLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Architecture parameters of one cell type at one epoch: rows are edges, columns are ops. */
export interface AlphaSnapshot {
  cellType: 'normal' | 'reduce';
  primitives: readonly string[];
  /** softmax(alphas) per edge, row-major, edges x ops. */
  alphaSoftmax: number[][];
}

export interface RunContext {
  readonly runId: number;
  /** Folder owned by this run: checkpoints and artifacts go here. */
  readonly runDir: string;
  readonly log: RunLogger;
  progress(p: Omit<StepProgress, 'runId'>): void;
  /** Scalar metrics under contract METRIC keys. `step` is null for per-epoch values. */
  metrics(epoch: number, step: number | null, values: Record<string, number>): void;
  alphas(epoch: number, snapshots: AlphaSnapshot[]): void;
  /** A genotype derived at `epoch`; `final` marks the run's result. Genotype is plain JSON. */
  genotype(epoch: number, genotype: unknown, final: boolean): void;
  /** After a checkpoint file has been written atomically. */
  checkpoint(path: string, epoch: number, step: number): void;
  /** An exported artifact (weights, genotype file, image) that the run produced. */
  artifact(kind: string, path: string): void;
  /** Polled once per training step. */
  control(): ControlSignal;
}

/** An in-memory RunContext for tests and benchmarks: records every call. */
export function memoryRunContext(runDir: string, control: () => ControlSignal = () => 'run') {
  const record = {
    progress: [] as Omit<StepProgress, 'runId'>[],
    metrics: [] as { epoch: number; step: number | null; values: Record<string, number> }[],
    alphas: [] as { epoch: number; snapshots: AlphaSnapshot[] }[],
    genotypes: [] as { epoch: number; genotype: unknown; final: boolean }[],
    checkpoints: [] as { path: string; epoch: number; step: number }[],
    artifacts: [] as { kind: string; path: string }[],
    logs: [] as { level: string; message: string }[],
  };
  const ctx: RunContext = {
    runId: 0,
    runDir,
    log: {
      info: (message) => record.logs.push({ level: 'info', message }),
      warn: (message) => record.logs.push({ level: 'warn', message }),
      error: (message) => record.logs.push({ level: 'error', message }),
    },
    progress: (p) => record.progress.push(p),
    metrics: (epoch, step, values) => record.metrics.push({ epoch, step, values }),
    alphas: (epoch, snapshots) => record.alphas.push({ epoch, snapshots }),
    genotype: (epoch, genotype, final) => record.genotypes.push({ epoch, genotype, final }),
    checkpoint: (path, epoch, step) => record.checkpoints.push({ path, epoch, step }),
    artifact: (kind, path) => record.artifacts.push({ kind, path }),
    control,
  };
  return { ctx, record };
}

/**
 * The same context with every metric key prefixed, for a phase that runs inside another run
 * (a search training its own teacher): the teacher's `train/loss` at epoch 2 must not overwrite
 * the search's `train/loss` at epoch 2 in the store, where a metric is keyed by run, epoch and key.
 */
export function withMetricPrefix(ctx: RunContext, prefix: string): RunContext {
  // Delegating methods rather than a spread: a context may keep its methods on a prototype.
  return {
    runId: ctx.runId,
    runDir: ctx.runDir,
    log: ctx.log,
    progress: (p) => ctx.progress(p),
    metrics: (epoch, step, values) =>
      ctx.metrics(
        epoch,
        step,
        Object.fromEntries(Object.entries(values).map(([k, v]) => [`${prefix}${k}`, v])),
      ),
    alphas: (epoch, snapshots) => ctx.alphas(epoch, snapshots),
    genotype: (epoch, genotype, final) => ctx.genotype(epoch, genotype, final),
    checkpoint: (path, epoch, step) => ctx.checkpoint(path, epoch, step),
    artifact: (kind, path) => ctx.artifact(kind, path),
    control: () => ctx.control(),
  };
}
