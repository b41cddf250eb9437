/**
 * The self-calibration op study (paper section 5.1, Table 1) as a job: ResNet-18 and one
 * variant per self-calibration op added after stages 1-3, each trained with the same recipe
 * (NOS-SPEC section 4, "Teacher / ResNet-18 study": SGD momentum 0.9, lr 0.025 divided by 10
 * every 30 epochs, weight decay 1e-4, flip and crop), reporting per variant the test top-1 and
 * top-5 error, and the parameters and multiply-adds it adds to the baseline.
 *
 * Variants run one after another in one run; metrics of variant i are reported at epochs
 * i * epochs ... (i + 1) * epochs - 1, so one chart shows them in sequence.
 */
import { join } from 'node:path';
import {
  parseOpStudyConfig,
  type OpStudyConfig,
  type OpStudyVariant,
} from '../contract/evaluation';
import { METRIC } from '../contract/metrics';
import { Random } from '../nn/random';
import { countMultAdds } from '../nos/complexity';
import type { JobRunner, JobResult } from '../training/job';
import type { RunContext } from '../training/run-context';
import {
  batchSourceFor,
  checkpointPath,
  cosineSchedule,
  resumePoint,
  startBackend,
  stepSchedule,
  throwIfStopped,
  withJobDataset,
} from './job-support';
import { OpStudyNet } from './op-study-net';
import { trainClassifier, type TrainerMeta, type TrainSchedule } from './trainer';
import type { CheckpointData } from '../training/checkpoint';
import type { BatchSource } from './batches';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-file';

/** One row of this machine's Table 1. Errors in percent. */
export interface OpStudyRow {
  variant: OpStudyVariant;
  top1Error: number;
  top5Error: number;
  params: number;
  multAdds: number;
  /** Cost over the baseline of the same width (null when the baseline was not in the run). */
  addedParams: number | null;
  addedMultAdds: number | null;
}

interface StudyState {
  /** Index into config.variants of the variant being trained. */
  index: number;
  rows: OpStudyRow[];
}

export const run: JobRunner = async (job, ctx) => {
  const config = parseOpStudyConfig(job.config);
  const backend = await startBackend(job, config.backend, ctx);
  return withJobDataset(job, async (data): Promise<JobResult> => {
    const source = batchSourceFor(data, { ...config, cutout: 0 });
    const rows = await runStudy(config, source, ctx, resumePoint<StudyState>(job));
    const path = join(ctx.runDir, 'op-study.json');
    writeJsonAtomic(path, { dataset: data.meta.name, config, rows });
    ctx.artifact('op-study', path);
    writeFileAtomic(join(ctx.runDir, 'op-study.md'), formatStudyTable(rows));
    ctx.artifact('op-study-table', join(ctx.runDir, 'op-study.md'));
    return { summary: studySummary(rows), backend };
  });
};

async function runStudy(
  config: OpStudyConfig,
  source: BatchSource,
  ctx: RunContext,
  resume: CheckpointData<TrainerMeta<StudyState>> | undefined,
): Promise<OpStudyRow[]> {
  const state: StudyState = resume?.meta.extra ?? { index: 0, rows: [] };
  const schedule: TrainSchedule = {
    epochs: config.epochs,
    lrAt:
      config.schedule === 'step'
        ? stepSchedule(config.lr, config.lrStepEpochs)
        : cosineSchedule(config.lr, 0, config.epochs),
    momentum: config.momentum,
    weightDecay: config.weightDecay,
    gradClip: 0,
    auxiliaryWeight: 0,
    checkpointEverySteps: config.checkpointEverySteps,
  };
  const [h, w, c] = source.shape;
  for (let i = state.index; i < config.variants.length; i++) {
    const variant = config.variants[i];
    // The same seed for every variant: the baseline's layers start from the same weights.
    const net = new OpStudyNet(new Random(config.seed), {
      inChannels: c,
      classes: source.classes,
      width: config.width,
      variant,
      stages: config.stages,
    });
    try {
      const multAdds = countMultAdds((x) => net.forward(x, false).logits, [h, w, c]);
      const params = net.paramCount();
      ctx.log.info(
        `Op study ${i + 1}/${config.variants.length}: ${variant}, ${params} parameters.`,
      );
      const outcome = await trainClassifier({
        net,
        data: source,
        schedule,
        ctx,
        phase: `op-study ${variant}`,
        metricEpochOffset: i * config.epochs,
        checkpointPath: checkpointPath(ctx.runDir),
        extra: { index: i, rows: state.rows },
        resume: i === state.index ? resume : undefined,
      });
      throwIfStopped(outcome, `Op study (${variant})`);
      state.rows = [
        ...state.rows,
        {
          variant,
          top1Error: outcome.final.top1Error,
          top5Error: outcome.final.top5Error,
          params,
          multAdds,
          addedParams: null,
          addedMultAdds: null,
        },
      ];
      ctx.metrics((i + 1) * config.epochs - 1, null, {
        [METRIC.params]: params,
        [METRIC.multAdds]: multAdds,
      });
    } finally {
      net.dispose();
    }
  }
  return withAddedCost(state.rows);
}

/** Fills in each row's cost over the baseline row. */
export function withAddedCost(rows: OpStudyRow[]): OpStudyRow[] {
  const base = rows.find((r) => r.variant === 'baseline');
  return rows.map((r) => ({
    ...r,
    addedParams: base ? r.params - base.params : null,
    addedMultAdds: base ? r.multAdds - base.multAdds : null,
  }));
}

function studySummary(rows: OpStudyRow[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const r of rows) {
    out[`${r.variant}/top1_error`] = r.top1Error;
    out[`${r.variant}/top5_error`] = r.top5Error;
    out[`${r.variant}/added_params`] = r.addedParams;
    out[`${r.variant}/added_mult_adds`] = r.addedMultAdds;
  }
  return out;
}

/** This machine's Table 1 as Markdown (M = millions). */
export function formatStudyTable(rows: OpStudyRow[]): string {
  const m = (v: number | null, sign = false): string =>
    v === null ? '-' : `${sign && v >= 0 ? '+' : ''}${(v / 1e6).toFixed(2)}`;
  const lines = [
    '| variant | top-1 error % | top-5 error % | params M | added params M | mult-adds M | added mult-adds M |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.top1Error.toFixed(2)} | ${r.top5Error.toFixed(2)} | ${m(r.params)} | ` +
        `${m(r.addedParams, true)} | ${m(r.multAdds)} | ${m(r.addedMultAdds, true)} |`,
    ),
  ];
  return lines.join('\n') + '\n';
}
