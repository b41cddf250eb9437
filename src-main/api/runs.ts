/**
 * The run methods of the NosApi: starting each kind of run through the job queue, controlling
 * live runs, and reading and annotating the history in the store. Configs arrive already
 * validated by the contract's payload schemas (defaults filled in); links between runs are
 * checked here, where both sides are known.
 */
import {
  NosError,
  SEARCH_PRESETS,
  type ApiPayload,
  type CompareRow,
  type Comparison,
  type PresetName,
  type PublishedResults,
  type RunDetail,
  type RunKind,
  type RunList,
  type RunSummary,
  type SearchPreset,
  type StartedRun,
} from '../contract';
import { METRIC } from '../contract/metrics';
import { parseRunConfig, type JobQueue, type SubmitRequest } from '../jobs';
import type { Store } from '../store';

const PRESET_TEXT: Readonly<Record<PresetName, { title: string; description: string }>> = {
  smoke: {
    title: 'Smoke',
    description: 'A few images, one epoch, tiny network: checks the whole path in under a minute.',
  },
  quick: {
    title: 'Quick',
    description:
      'A real search on the bundled Fashion-MNIST sample with a small teacher: minutes on a laptop CPU.',
  },
  paper: {
    title: 'Paper',
    description:
      "The paper's settings (8 cells, 16 channels, 25 epochs, PyramidNet-110 teacher): meant for a GPU.",
  },
};

interface Labels {
  name?: string;
  tags?: string[];
}

export class RunService {
  constructor(
    private readonly store: Store,
    private readonly queue: JobQueue,
  ) {}

  list(p: ApiPayload<'listRuns'>): RunList {
    return this.store.runs.list(p ?? {});
  }

  get(runId: number): RunDetail {
    const detail = this.store.runDetail(runId);
    return { ...detail, progress: this.queue.progress(runId) };
  }

  presets(): SearchPreset[] {
    return (Object.keys(SEARCH_PRESETS) as PresetName[]).map((name) => ({
      name,
      ...PRESET_TEXT[name],
      config: SEARCH_PRESETS[name],
    }));
  }

  startSearch(p: ApiPayload<'startSearch'>): StartedRun {
    const config = parseRunConfig('search', p.config) as {
      teacher: { mode: string };
      seed: number;
    };
    if (config.teacher.mode === 'run' && p.teacherRunId === undefined) {
      throw new NosError(
        'BAD_INPUT',
        "config.teacher.mode is 'run' but no teacherRunId names the stored teacher to use.",
        'Pick a completed teacher run, or set teacher.mode to train, import or none.',
      );
    }
    if (p.teacherRunId !== undefined) {
      if (config.teacher.mode !== 'run') {
        throw new NosError(
          'BAD_INPUT',
          `teacherRunId ${p.teacherRunId} was given but config.teacher.mode is '${config.teacher.mode}'.`,
          "Set teacher.mode to 'run' to search with a stored teacher, or drop teacherRunId.",
        );
      }
      this.expectRun(p.teacherRunId, 'teacher');
    }
    return this.submit('search', config, p, { datasetId: p.dataset, parentRunId: p.teacherRunId });
  }

  startTeacher(p: ApiPayload<'startTeacher'>): StartedRun {
    const config = parseRunConfig('teacher', p.config);
    return this.submit('teacher', config, p, { datasetId: p.dataset });
  }

  startEvaluation(p: ApiPayload<'startEvaluation'>): StartedRun {
    const config = parseRunConfig('evaluation', p.config) as { genotype: { from: string } };
    let dataset = p.dataset ?? null;
    if (config.genotype.from === 'run') {
      if (p.searchRunId === undefined) {
        throw new NosError(
          'BAD_INPUT',
          "config.genotype.from is 'run' but no searchRunId names the search to evaluate.",
          'Pass the id of a completed search run, or evaluate a genotype file or a published one.',
        );
      }
      const search = this.expectRun(p.searchRunId, 'search');
      if (this.store.records.finalGenotype(search.id) === null) {
        throw new NosError(
          'CONFLICT',
          `Search run ${search.id} has no final genotype yet (it is ${search.status}).`,
          'Wait for the search to complete, or resume it if it was interrupted.',
        );
      }
      dataset ??= search.datasetId;
    }
    if (dataset === null) {
      throw new NosError('BAD_INPUT', 'No dataset to evaluate on.', 'Pass dataset (a dataset id).');
    }
    return this.submit('evaluation', config, p, { datasetId: dataset, parentRunId: p.searchRunId });
  }

  startRandomBaseline(p: ApiPayload<'startRandomBaseline'>): StartedRun {
    const config = parseRunConfig('random-baseline', p.config);
    return this.submit('random-baseline', config, p, { datasetId: p.dataset });
  }

  startOpStudy(p: ApiPayload<'startOpStudy'>): StartedRun {
    const config = parseRunConfig('op-study', p.config);
    return this.submit('op-study', config, p, { datasetId: p.dataset });
  }

  pause(runId: number): RunSummary {
    this.queue.pause(runId);
    return this.store.runs.summary(runId);
  }

  resume(runId: number): RunSummary {
    this.queue.resume(runId);
    return this.store.runs.summary(runId);
  }

  cancel(runId: number): RunSummary {
    this.queue.cancel(runId);
    return this.store.runs.summary(runId);
  }

  delete(runId: number): void {
    if (this.queue.isLive(runId)) {
      throw new NosError(
        'CONFLICT',
        `Run ${runId} is still queued or running.`,
        'Cancel it first, then delete it.',
      );
    }
    this.store.deleteRun(runId);
  }

  setTags(runId: number, tags: string[]): RunSummary {
    this.store.runs.setTags(runId, [...new Set(tags)]);
    return this.store.runs.summary(runId);
  }

  setNote(runId: number, note: string): RunSummary {
    this.store.runs.setNote(runId, note);
    return this.store.runs.summary(runId);
  }

  /** The chosen runs side by side; an evaluation borrows its search's genotype and cost. */
  compare(runIds: number[], reference: PublishedResults | null): Comparison {
    const rows = runIds.map((id): CompareRow => {
      const run = this.store.runs.summary(id);
      const search = this.searchOf(run);
      const top5 = this.best(id, METRIC.evalTop5Error);
      return {
        run,
        top1Error: run.bestError,
        top5Error: top5,
        params: run.params,
        searchSeconds: search ? search.durationSeconds : null,
        genotype: search ? this.store.records.finalGenotype(search.id) : null,
      };
    });
    return { rows, reference };
  }

  // -------------------------------------------------------------------------------------------

  private submit(
    kind: RunKind,
    config: unknown,
    labels: Labels,
    links: { datasetId: string | null; parentRunId?: number },
  ): StartedRun {
    const c = config as { seed?: number; backend?: SubmitRequest['backend'] };
    const runId = this.queue.submit({
      kind,
      config,
      name: labels.name,
      tags: labels.tags,
      datasetId: links.datasetId,
      parentRunId: links.parentRunId ?? null,
      seed: c.seed ?? null,
      backend: c.backend,
    });
    return { runId, status: this.store.runs.summary(runId).status };
  }

  /** A stored run of the given kind, or BAD_INPUT saying what it is instead. */
  private expectRun(runId: number, kind: RunKind) {
    const run = this.store.runs.get(runId);
    if (run.kind !== kind) {
      throw new NosError(
        'BAD_INPUT',
        `Run ${runId} is a ${run.kind} run; a ${kind} run was expected.`,
        `Pick a ${kind} run (filter the run list by kind).`,
      );
    }
    return run;
  }

  /** The search a run stands for: itself, or the search an evaluation came from. */
  private searchOf(run: RunSummary): RunSummary | null {
    if (run.kind === 'search') return run;
    if (run.kind === 'evaluation' && run.parentRunId !== null) {
      const parent = this.store.runs.summary(run.parentRunId);
      return parent.kind === 'search' ? parent : null;
    }
    return null;
  }

  private best(runId: number, key: string): number | null {
    const series = this.store.records.series(runId, [key])[0];
    if (!series || series.points.length === 0) return null;
    return Math.min(...series.points.map((p) => p.value));
  }
}
