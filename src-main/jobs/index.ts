/**
 * Training jobs in worker processes: the queue that runs them and records what they report, the
 * per-kind config door, and where each kind's trainer lives.
 *
 *   const queue = new JobQueue(store, { concurrency: 1 });
 *   queue.recoverInterrupted();                     // once, at start-up
 *   const off = queue.onEvent((event) => ...);      // RunEvent (src-main/contract/runs.ts)
 *   const runId = queue.submit({ kind: 'search', config: parseRunConfig('search', input),
 *                                datasetId, parentRunId, seed, tags });
 *   queue.pause(runId); queue.resume(runId); queue.cancel(runId);
 *   const summary = await queue.wait(runId);         // RunSummary once it stops
 */
export { parseRunConfig, runConfigFromPreset } from './configs';
export { JOB_MODULES, jobModulePath } from './modules';
export {
  defaultWorkerEntry,
  JobQueue,
  processAlive,
  type QueueOptions,
  type SubmitRequest,
} from './queue';
