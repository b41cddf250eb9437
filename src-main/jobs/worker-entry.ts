/**
 * The training worker: a child process that runs exactly one job. The parent (the job queue)
 * sends `start` with a JobSpec; this process loads the job module for the run kind, hands it a
 * RunContext whose every call becomes an IPC message to the parent, and exits when the job ends.
 * Training therefore never blocks the event loop that serves the UI or the CLI, and a crash here
 * (even a wasm abort) takes down only this process: the parent records what happened.
 *
 * Started by `bin/nos-worker.js` under tsx, or as the bundled `out/main/worker.js` in the app.
 */
import type { JobRunner, JobSpec } from '../training/job';
import type { ControlSignal, RunContext } from '../training/run-context';
import { BUILTIN_JOBS } from './builtin-jobs';
import { JOB_MODULES, jobModulePath, missingModule } from './modules';
import { isParentMessage, type WorkerMessage } from './protocol';
import { workerErrorData } from './worker-errors';

let control: ControlSignal = 'run';

/**
 * The parent when this worker started. A training step on wasm never yields to the event loop,
 * so the IPC channel's `disconnect` event is not seen while a run trains; a parent that died
 * shows instead as a new parent process id (the orphan is re-parented). Read at every step.
 */
const parentPid = process.ppid;

/**
 * Exits when the parent is gone: nobody would store our reports, and checkpoints written now
 * would be newer than the store knows, racing a resumed worker on the same run folder.
 */
function exitIfOrphaned(): void {
  if (process.ppid !== parentPid || !process.connected) process.exit(3);
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** A RunContext that forwards every report to the parent process. */
function ipcRunContext(spec: JobSpec): RunContext {
  const post = (message: WorkerMessage) => void send(message);
  return {
    runId: spec.runId,
    runDir: spec.runDir,
    log: {
      info: (message) => post({ type: 'log', level: 'info', message }),
      warn: (message) => post({ type: 'log', level: 'warn', message }),
      error: (message) => post({ type: 'log', level: 'error', message }),
    },
    progress: (progress) => post({ type: 'progress', progress }),
    metrics: (epoch, step, values) => post({ type: 'metrics', epoch, step, values }),
    alphas: (epoch, snapshots) => post({ type: 'alphas', epoch, snapshots }),
    genotype: (epoch, genotype, final) => post({ type: 'genotype', epoch, genotype, final }),
    checkpoint: (path, epoch, step) => post({ type: 'checkpoint', path, epoch, step }),
    artifact: (kind, path) => post({ type: 'artifact', kind, path }),
    control: () => {
      exitIfOrphaned();
      return control;
    },
  };
}

async function loadRunner(spec: JobSpec, modulePath: string | null): Promise<JobRunner> {
  const where = modulePath ?? jobModulePath(spec.kind);
  let loaded: { run?: unknown };
  try {
    loaded = modulePath === null ? await BUILTIN_JOBS[spec.kind]() : await loadFile(modulePath);
  } catch (err) {
    const missing = (err as { code?: string }).code === 'MODULE_NOT_FOUND';
    if (missing && String((err as Error).message).includes(modulePath ?? JOB_MODULES[spec.kind])) {
      throw missingModule(spec.kind, where, 'the file does not exist');
    }
    throw err;
  }
  if (typeof loaded.run !== 'function') {
    throw missingModule(spec.kind, where, 'it does not export a `run` function');
  }
  return loaded.run as JobRunner;
}

/** A job module named by path (an override); required, since it may be TypeScript under tsx. */
async function loadFile(path: string): Promise<{ run?: unknown }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module chosen at run time
  return require(path) as { run?: unknown };
}

async function runJob(spec: JobSpec, modulePath: string | null): Promise<void> {
  try {
    const runner = await loadRunner(spec, modulePath);
    const result = await runner(spec, ipcRunContext(spec));
    await send({ type: 'done', result });
    process.exit(0);
  } catch (err) {
    await send({ type: 'failed', error: workerErrorData(err) });
    process.exit(1);
  }
}

function main(): void {
  if (!process.send) {
    process.stderr.write(
      'worker-entry: start this file with child_process.fork (no IPC channel)\n',
    );
    process.exit(2);
  }
  let started = false;
  process.on('message', (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.type === 'control') {
      control = message.signal;
    } else if (!started) {
      started = true;
      void runJob(message.spec, message.modulePath);
    }
  });
  // The parent went away (it crashed or was killed): nobody would store our reports.
  process.on('disconnect', () => process.exit(3));
  process.on('uncaughtException', (err) => {
    void send({ type: 'failed', error: workerErrorData(err) }).then(() => process.exit(1));
  });
}

main();
