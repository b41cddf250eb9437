/**
 * The job queue: runs training jobs in worker processes, a few at a time, and is the one writer
 * of what they report. Every report from a worker (metrics, alphas, genotypes, checkpoints,
 * artifacts, logs) becomes one short transaction in the store and, where a listener cares, a
 * RunEvent. Progress is only streamed, never stored.
 *
 * Lifecycle of a run: queued -> running -> completed | failed | cancelled | paused | interrupted.
 * Pause asks the worker (through `ctx.control()`) to write a checkpoint and stop; resume starts a
 * new worker with `resumeFrom` set to the last checkpoint. A worker that is killed or crashes
 * leaves its run `interrupted` (killed by a signal) or `failed` (exited with an error), with every
 * report it made up to then, including its last checkpoint, still stored.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { RunSummary } from '../contract';
import { NosError, toErrorData, type NosErrorData } from '../contract/errors';
import type { BackendName } from '../contract/primitives';
import {
  RESUMABLE_STATUSES,
  type RunEvent,
  type RunKind,
  type RunStatus,
  type StepProgress,
} from '../contract/runs';
import type { NewRun, RunRecord, Store } from '../store';
import type { JobResult, JobSpec } from '../training/job';
import type { ControlSignal } from '../training/run-context';
import { jobModulePath } from './modules';
import { isWorkerMessage, type ParentMessage, type WorkerMessage } from './protocol';

export interface QueueOptions {
  /** Jobs that run at the same time. Default 1. */
  concurrency?: number;
  /** The JavaScript file forked for each job (default: see `defaultWorkerEntry`). */
  workerEntry?: string;
  /** Job module per kind, replacing JOB_MODULES (tests use tiny jobs of their own). */
  jobModules?: Partial<Record<RunKind, string>>;
  /** How long a worker may take to stop after pause or cancel before it is killed (ms). */
  stopTimeoutMs?: number;
  /** Extra environment for workers. */
  env?: NodeJS.ProcessEnv;
  /** Lifecycle lines (run started, finished, ...) for the host's logger. */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** A run to start: what the store needs, plus the backend asked for. */
export interface SubmitRequest extends NewRun {
  backend?: BackendName;
}

interface ActiveJob {
  run: RunRecord;
  child: ChildProcess;
  requested: ControlSignal;
  result: JobResult | null;
  failure: NosErrorData | null;
  /** A failure of the store while recording a report: the job is stopped, the run fails. */
  storeFailure: NosErrorData | null;
  lastEpoch: number;
  stderrTail: string[];
  killTimer: NodeJS.Timeout | null;
}

const LIVE: readonly RunStatus[] = ['queued', 'running'];
/** How often a queue looks for pause / cancel requests from other processes (ms). */
const REQUEST_POLL_MS = 1000;
const STDERR_TAIL = 20;

/** `out/main/worker.js` beside the bundled main process, else `bin/nos-worker.js` (tsx). */
export function defaultWorkerEntry(): string {
  const bundled = join(__dirname, 'worker.js');
  if (existsSync(bundled)) return bundled;
  return resolve(__dirname, '..', '..', 'bin', 'nos-worker.js');
}

/** True when a process with this id exists (on this host). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

export class JobQueue {
  private readonly pending: number[] = [];
  private readonly active = new Map<number, ActiveJob>();
  private readonly progressOf = new Map<number, StepProgress>();
  private readonly waiters = new Map<number, ((run: RunSummary) => void)[]>();
  private readonly events = new EventEmitter();
  private readonly concurrency: number;
  private closed = false;
  private requestPoll: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: QueueOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.events.setMaxListeners(0);
  }

  // -------------------------------------------------------------------------------------------
  // Listening

  /** Subscribes to every run's events; returns the unsubscribe function. */
  onEvent(listener: (event: RunEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  /** The last progress report of a live run, or null. */
  progress(runId: number): StepProgress | null {
    return this.progressOf.get(runId) ?? null;
  }

  /** True while the run is queued or running in this queue. */
  isLive(runId: number): boolean {
    return this.active.has(runId) || this.pending.includes(runId);
  }

  /** Resolves with the run's summary once it is no longer queued or running in this queue. */
  wait(runId: number): Promise<RunSummary> {
    if (!this.isLive(runId)) return Promise.resolve(this.store.runs.summary(runId));
    return new Promise((resolveWait) => {
      const list = this.waiters.get(runId) ?? [];
      list.push(resolveWait);
      this.waiters.set(runId, list);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  /**
   * Marks runs of this host that a crashed process left `running` or `queued` as `interrupted`.
   * Call once at start-up, before submitting. Returns their ids.
   */
  recoverInterrupted(): number[] {
    const ids = this.store.runs.recoverInterrupted(
      (pid) => pid !== process.pid && processAlive(pid),
    );
    for (const runId of ids) this.emitStatus(runId);
    return ids;
  }

  /**
   * Creates a queued run and schedules it. The config must already be validated (see
   * `parseRunConfig`); links are checked here.
   * @throws NosError NOT_FOUND for a missing dataset or parent run.
   */
  submit(request: SubmitRequest): number {
    this.assertOpen();
    const dataset = request.datasetId ? this.store.datasets.get(request.datasetId) : null;
    if (request.parentRunId !== undefined && request.parentRunId !== null) {
      this.store.runs.get(request.parentRunId);
    }
    const runId = this.store.runs.create({
      ...request,
      datasetId: dataset?.id ?? null,
      datasetName: dataset?.name ?? null,
    });
    this.store.runs.requeue(runId, process.pid);
    this.enqueue(runId);
    return runId;
  }

  /**
   * Continues a paused, interrupted or failed run from its last checkpoint (or from the start
   * when it has none), in a new worker.
   * @throws NosError CONFLICT for a run in any other state.
   */
  resume(runId: number): void {
    this.assertOpen();
    const run = this.store.runs.get(runId);
    if (!RESUMABLE_STATUSES.includes(run.status) || this.isLive(runId)) {
      throw new NosError(
        'CONFLICT',
        `Run ${runId} is ${run.status}; only ${RESUMABLE_STATUSES.join(', ')} runs can be resumed.`,
        run.status === 'completed' ? 'Start a new run instead.' : 'List runs with `nos runs list`.',
        { runId, status: run.status },
      );
    }
    this.store.runs.requeue(runId, process.pid);
    this.enqueue(runId);
  }

  /** Asks a running job to write a checkpoint and stop (status `paused`). */
  pause(runId: number): void {
    this.stop(runId, 'pause');
  }

  /** Stops a queued or running job for good (status `cancelled`); a paused run too. */
  cancel(runId: number): void {
    this.stop(runId, 'cancel');
  }

  /**
   * Stops taking work: queued runs become `paused`, running jobs are asked to pause (and killed
   * after the stop timeout). Resolves when every worker has exited.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const runId of this.pending.splice(0)) {
      this.store.runs.markFinished(runId, 'paused');
      this.settle(runId);
    }
    const running = [...this.active.keys()];
    for (const runId of running) this.stop(runId, 'pause');
    await Promise.all(running.map((runId) => this.wait(runId)));
  }

  // -------------------------------------------------------------------------------------------
  // Scheduling

  private enqueue(runId: number): void {
    this.pending.push(runId);
    this.emitStatus(runId);
    this.schedule();
  }

  private schedule(): void {
    while (!this.closed && this.active.size < this.concurrency && this.pending.length > 0) {
      const runId = this.pending.shift()!;
      try {
        this.start(runId);
      } catch (err) {
        this.failBeforeStart(runId, err);
      }
    }
  }

  private stop(runId: number, signal: 'pause' | 'cancel'): void {
    const job = this.active.get(runId);
    if (job) {
      if (job.requested === 'cancel') return;
      job.requested = signal;
      this.sendTo(job, { type: 'control', signal });
      job.killTimer ??= setTimeout(
        () => job.child.kill('SIGKILL'),
        this.options.stopTimeoutMs ?? 30_000,
      );
      return;
    }
    const run = this.store.runs.get(runId);
    const at = this.pending.indexOf(runId);
    if (at >= 0) {
      this.pending.splice(at, 1);
      this.store.runs.markFinished(runId, signal === 'pause' ? 'paused' : 'cancelled');
      this.settle(runId);
      return;
    }
    if (
      LIVE.includes(run.status) &&
      run.ownerPid !== null &&
      run.ownerPid !== process.pid &&
      processAlive(run.ownerPid)
    ) {
      // Another NOS Studio process runs it: leave the request where that process looks.
      this.store.runs.requestControl(runId, signal);
      this.options.log?.('info', `run ${runId}: asked process ${run.ownerPid} to ${signal} it`);
      return;
    }
    if (LIVE.includes(run.status)) {
      // Its owner is gone (a crash this process has not recovered from yet).
      this.recoverInterrupted();
      return this.stop(runId, signal);
    }
    if (signal === 'cancel' && RESUMABLE_STATUSES.includes(run.status)) {
      this.store.runs.markFinished(runId, 'cancelled');
      this.emitStatus(runId);
      return;
    }
    throw new NosError(
      'CONFLICT',
      `Run ${runId} is ${run.status}; there is nothing to ${signal}.`,
      'Only queued or running runs can be paused; queued, running or paused runs cancelled.',
      { runId, status: run.status },
    );
  }

  // -------------------------------------------------------------------------------------------
  // One worker

  private start(runId: number): void {
    const run = this.store.runs.get(runId);
    const spec = this.specFor(run);
    const child = fork(this.options.workerEntry ?? defaultWorkerEntry(), [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
      env: { ...process.env, ...this.options.env, NOS_WORKER: '1' },
      serialization: 'json',
    });
    const job: ActiveJob = {
      run,
      child,
      requested: 'run',
      result: null,
      failure: null,
      storeFailure: null,
      lastEpoch: 0,
      stderrTail: [],
      killTimer: null,
    };
    this.active.set(runId, job);
    this.store.runs.markStarted(runId, process.pid, child.pid ?? null);
    this.requestPoll ??= setInterval(() => this.pollRequests(), REQUEST_POLL_MS).unref();
    this.emitStatus(runId);
    this.options.log?.('info', `run ${runId} (${run.kind}) started in worker ${child.pid}`);

    this.pipeOutput(job);
    child.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) this.receive(job, message);
    });
    // 'exit' can come before the last IPC messages are read; 'close' comes after both the
    // process and its pipes (IPC included) are done, so every report is stored first.
    child.on('close', (code, signal) => this.finish(job, code, signal));
    child.on('error', (err) => {
      job.failure ??= toErrorData(err);
    });
    const override = this.options.jobModules?.[run.kind];
    this.sendTo(job, {
      type: 'start',
      spec,
      modulePath: override ? jobModulePath(run.kind, this.options.jobModules) : null,
    });
  }

  /** Applies pause / cancel requests other processes left for our runs. */
  private pollRequests(): void {
    if (this.active.size === 0 && this.requestPoll) {
      clearInterval(this.requestPoll);
      this.requestPoll = null;
      return;
    }
    try {
      for (const { id, signal } of this.store.runs.takeControlRequests(process.pid)) {
        if (this.isLive(id)) this.stop(id, signal);
      }
    } catch (err) {
      this.options.log?.('warn', `cannot read control requests: ${toErrorData(err).message}`);
    }
  }

  private specFor(run: RunRecord): JobSpec {
    const config = run.config as { backend?: BackendName } | null;
    const spec: JobSpec = {
      kind: run.kind,
      runId: run.id,
      runDir: this.store.runDir(run.id, true),
      config: run.config,
      backend: (run.backend as BackendName | null) ?? config?.backend ?? 'auto',
    };
    if (run.datasetId)
      spec.datasetDir = this.store.datasets.dir(this.store.datasets.get(run.datasetId).id);
    if (run.parentRunId !== null) {
      const parent = this.store.runs.get(run.parentRunId);
      if (parent.kind === 'teacher') spec.teacherDir = this.store.runDir(parent.id);
      if (parent.kind === 'search') spec.genotype = this.store.records.finalGenotype(parent.id);
    }
    if (run.inputs.genotype !== undefined) spec.genotype = run.inputs.genotype;
    const checkpoint = this.store.records.lastCheckpoint(run.id);
    if (checkpoint) spec.resumeFrom = checkpoint.path;
    return spec;
  }

  private pipeOutput(job: ActiveJob): void {
    const { child } = job;
    // Worker output never reaches our stdout (it may carry --json); keep the tail of stderr to
    // explain a crash.
    if (child.stdout) createInterface({ input: child.stdout }).on('line', () => undefined);
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        job.stderrTail.push(line);
        if (job.stderrTail.length > STDERR_TAIL) job.stderrTail.shift();
      });
    }
  }

  private sendTo(job: ActiveJob, message: ParentMessage): void {
    if (job.child.connected) job.child.send(message, (err) => err && undefined);
  }

  /** Stores one report of a worker; a store failure stops the job. */
  private receive(job: ActiveJob, message: WorkerMessage): void {
    const runId = job.run.id;
    try {
      this.record(job, message);
    } catch (err) {
      if (job.storeFailure) return;
      job.storeFailure = toErrorData(err);
      this.options.log?.(
        'error',
        `run ${runId}: cannot record a report: ${job.storeFailure.message}`,
      );
      job.child.kill('SIGKILL');
    }
  }

  private record(job: ActiveJob, message: WorkerMessage): void {
    const runId = job.run.id;
    const { records } = this.store;
    switch (message.type) {
      case 'progress': {
        const progress = { ...message.progress, runId };
        this.progressOf.set(runId, progress);
        this.emit({ type: 'progress', progress });
        return;
      }
      case 'metrics':
        records.metrics(runId, message.epoch, message.step, message.values);
        job.lastEpoch = Math.max(job.lastEpoch, message.epoch);
        if (message.step === null) {
          this.emit({ type: 'epoch', runId, epoch: message.epoch, metrics: message.values });
        }
        return;
      case 'alphas':
        records.alphas(runId, message.epoch, message.snapshots);
        return;
      case 'genotype':
        records.genotype(runId, message.epoch, message.genotype, message.final);
        return;
      case 'checkpoint':
        records.artifact(runId, { kind: 'checkpoint', ...message });
        return;
      case 'artifact':
        records.artifact(runId, { kind: message.kind, path: message.path });
        return;
      case 'log':
        records.log(runId, message.level, message.message);
        this.emit({ type: 'log', runId, level: message.level, message: message.message });
        return;
      case 'done':
        job.result = message.result;
        return;
      case 'failed':
        job.failure = message.error;
        return;
    }
  }

  /** The worker is gone: decide the run's status from what it said and how it ended. */
  private finish(job: ActiveJob, code: number | null, signal: NodeJS.Signals | null): void {
    const runId = job.run.id;
    if (job.killTimer) clearTimeout(job.killTimer);
    this.active.delete(runId);
    this.progressOf.delete(runId);
    try {
      this.conclude(job, code, signal);
    } catch (err) {
      this.options.log?.(
        'error',
        `run ${runId}: cannot record its end: ${toErrorData(err).message}`,
      );
    }
    this.settle(runId);
    this.schedule();
  }

  private conclude(job: ActiveJob, code: number | null, signal: NodeJS.Signals | null): void {
    const runId = job.run.id;
    const runs = this.store.runs;
    if (job.storeFailure) {
      runs.markFinished(runId, 'failed', { error: job.storeFailure });
    } else if (job.result) {
      this.storeResult(job, job.result);
    } else if (job.requested === 'cancel') {
      runs.markFinished(runId, 'cancelled');
    } else if (job.requested === 'pause') {
      runs.markFinished(runId, 'paused');
    } else if (job.failure) {
      runs.markFinished(runId, 'failed', { error: job.failure });
    } else if (signal) {
      runs.markFinished(runId, 'interrupted', {
        error: {
          code: 'RUN_FAILED',
          message: `The worker of run ${runId} was stopped by ${signal} before it finished.`,
          hint: `Resume it from its last checkpoint with \`nos runs resume ${runId}\`.`,
        },
      });
    } else {
      const tail = job.stderrTail.slice(-5).join('\n');
      runs.markFinished(runId, 'failed', {
        error: {
          code: 'RUN_FAILED',
          message:
            `The worker of run ${runId} exited with code ${code} without a result` +
            (tail ? `; its last output:\n${tail}` : '.'),
          hint:
            'An abort here usually means the wasm heap ran out of memory: lower batch or ' +
            `microBatch, then \`nos runs resume ${runId}\`.`,
        },
      });
    }
    const status = runs.get(runId).status;
    this.options.log?.(status === 'completed' ? 'info' : 'warn', `run ${runId} ${status}`);
  }

  private storeResult(job: ActiveJob, result: JobResult): void {
    const runId = job.run.id;
    const { runs, records } = this.store;
    if (result.backend) runs.setBackend(runId, result.backend.name, result.backend.version);
    if (result.genotype !== undefined && records.finalGenotype(runId) === null) {
      records.genotype(runId, job.lastEpoch, result.genotype, true);
    }
    runs.markFinished(runId, 'completed', { summary: result.summary });
  }

  private failBeforeStart(runId: number, err: unknown): void {
    const error = toErrorData(err);
    this.active.delete(runId);
    try {
      this.store.runs.markFinished(runId, 'failed', { error });
    } catch (storeErr) {
      this.options.log?.('error', `run ${runId}: ${toErrorData(storeErr).message}`);
    }
    this.settle(runId);
  }

  // -------------------------------------------------------------------------------------------
  // Events

  /** Emits the run's stored status and wakes whoever waits for it to end. */
  private settle(runId: number): void {
    const summary = this.emitStatus(runId);
    const list = this.waiters.get(runId);
    if (!list || this.isLive(runId) || !summary) return;
    this.waiters.delete(runId);
    for (const wake of list) wake(summary);
  }

  private emitStatus(runId: number): RunSummary | null {
    let summary: RunSummary;
    try {
      summary = this.store.runs.summary(runId);
    } catch {
      return null;
    }
    const event: RunEvent = { type: 'status', runId, status: summary.status };
    if (summary.error) event.error = summary.error;
    this.emit(event);
    return summary;
  }

  private emit(event: RunEvent): void {
    this.events.emit('event', event);
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new NosError('CONFLICT', 'The job queue is shutting down.', 'Try again after restart.');
    }
  }
}
