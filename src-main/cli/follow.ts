/**
 * Following a run from the terminal until it stops: progress on stderr, epoch results and
 * warnings as lines, Ctrl-C pauses the run at a checkpoint (a second Ctrl-C cancels it), and at
 * the end one result: a summary for people or the --json document.
 */
import type { NosService } from '../api/service';
import type { RunDetail } from '../contract/api';
import type { RunEvent, RunStatus } from '../contract/runs';
import { validateGenotype } from '../contract/genotype';
import { dataPaths, runDirOf } from '../store/paths';
import { describeGenotype, duration, fixed } from './format';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, type Output } from './output';
import { progressView } from './progress';

const STOPPED: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'paused', 'interrupted'];

/** A run's result as the --json document carries it. */
export function runDocument(detail: RunDetail) {
  const final = detail.genotypes.filter((g) => g.final).pop();
  return {
    runId: detail.id,
    kind: detail.kind,
    status: detail.status,
    dataset: detail.dataset,
    parentRunId: detail.parentRunId,
    bestError: detail.bestError,
    params: detail.params,
    durationSeconds: detail.durationSeconds,
    backend: detail.backend,
    summary: detail.summary,
    genotype: final ? final.genotype : null,
    error: detail.error,
    artifacts: detail.artifacts.filter((a) => a.kind !== 'checkpoint'),
  };
}

/**
 * Subscribes to a run's events before `start` creates or resumes it (so no event is missed) and
 * resolves with the exit code once the run stops.
 */
export async function follow(
  service: NosService,
  output: Output,
  start: () => Promise<number>,
): Promise<number> {
  const view = progressView(output);
  let runId: number | null = null;
  const early: RunEvent[] = [];
  let interrupts = 0;
  let done!: (status: RunStatus) => void;
  const stopped = new Promise<RunStatus>((resolve) => (done = resolve));

  const handle = (event: RunEvent) => {
    if (event.type === 'progress') return view.update(event.progress);
    // Info lines too: the few a run writes say what it chose (backend, teacher, micro-batches).
    if (event.type === 'log') {
      return view.note(event.level === 'info' ? event.message : `${event.level}: ${event.message}`);
    }
    if (event.type === 'epoch') {
      const values = Object.entries(event.metrics).map(([k, v]) => `${k} ${fixed(v, 4)}`);
      return view.note(`epoch ${event.epoch + 1}: ${values.join(', ')}`);
    }
    if (event.type === 'status' && STOPPED.includes(event.status)) done(event.status);
  };
  const off = service.onRunEvent((event) => {
    const id = event.type === 'progress' ? event.progress.runId : event.runId;
    if (runId === null) early.push(event);
    else if (id === runId) handle(event);
  });
  const onSigint = () => {
    if (runId === null) return;
    interrupts += 1;
    view.note(
      interrupts === 1
        ? `pausing run ${runId} at a checkpoint (Ctrl-C again cancels it)`
        : `cancelling run ${runId}`,
    );
    const stop =
      interrupts === 1 ? service.api.pauseRun({ runId }) : service.api.cancelRun({ runId });
    stop.catch((err: unknown) => output.error(err));
  };
  process.on('SIGINT', onSigint);

  try {
    runId = await start();
    output.note(`run ${runId} started (follow it with \`nos runs show ${runId}\`)`);
    for (const event of early.splice(0)) {
      const id = event.type === 'progress' ? event.progress.runId : event.runId;
      if (id === runId) handle(event);
    }
    const status = await stopped;
    view.stop();
    return report(service, output, runId, status);
  } finally {
    view.stop();
    off();
    process.off('SIGINT', onSigint);
  }
}

async function report(service: NosService, output: Output, runId: number, status: RunStatus) {
  const detail = await service.api.getRun({ runId });
  output.document(runDocument(detail));
  const took = duration(detail.durationSeconds);
  if (status === 'completed') {
    const best =
      detail.bestError === null ? '' : `, best top-1 error ${detail.bestError.toFixed(2)}%`;
    output.line(`run ${runId} completed in ${took}${best}`);
    const genotype = runDocument(detail).genotype;
    if (genotype !== null) {
      output.line(`genotype (${detail.kind === 'search' ? 'searched' : 'trained'}):`);
      for (const line of readableGenotype(genotype)) output.line(`  ${line}`);
      output.line(`genotype JSON: ${JSON.stringify(genotype)}`);
    }
    const { dataDir } = await service.api.about();
    output.line(`stored in ${runDirOf(dataDir, runId)} (history: ${dataPaths(dataDir).db})`);
    if (detail.kind === 'search') {
      output.line(
        `next: \`nos evaluate --run ${runId}\` trains this cell from scratch; ` +
          `\`nos export genotype ${runId} -o cell.json\` saves it`,
      );
    }
    return EXIT_OK;
  }
  output.note(`run ${runId} ${status} after ${took}`);
  if (detail.error) {
    output.note(`error: ${detail.error.message}`);
    if (detail.error.hint) output.note(`hint: ${detail.error.hint}`);
  }
  if (status === 'paused') {
    output.note(`resume it with \`nos runs resume ${runId}\``);
    return EXIT_INTERRUPTED;
  }
  return EXIT_FAILED;
}

/** The genotype block by block; a plug-in job's own genotype format is shown as it is. */
function readableGenotype(genotype: unknown): string[] {
  try {
    return describeGenotype(validateGenotype(genotype));
  } catch {
    return [];
  }
}
