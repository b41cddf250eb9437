/**
 * The evaluation job (paper section 5.3; NOS-SPEC section 4): train the derived network of one
 * genotype from scratch `repeats` times with seeds seed, seed + 1, ..., and report the test
 * error of the runs as mean ± sample sd and best, each labelled (the paper: 10 runs, best and
 * mean). Each run's network is exported (TensorFlow.js weights, genotype) into
 * `exports/seed-<seed>/`; the best run's folder is the run's `model` artifact.
 *
 * Runs follow one another in one job; metrics of run r are reported at epochs
 * r * epochs ... (r + 1) * epochs - 1, so one chart shows them in sequence.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseEvaluationConfig,
  resolveWeightDecay,
  type EvaluationConfig,
  type RunStatistics,
} from '../contract/evaluation';
import { parseGenotype, type Genotype } from '../contract/genotype';
import { METRIC } from '../contract/metrics';
import type { LoadedDataset } from '../data/dataset';
import type { CheckpointData } from '../training/checkpoint';
import type { JobRunner, JobSpec } from '../training/job';
import type { RunContext } from '../training/run-context';
import { writeJsonAtomic } from '../util/atomic-file';
import type { BatchSource } from './batches';
import { exportGenotype, exportNetwork } from './export';
import { resolveGenotype } from './genotype-source';
import {
  batchSourceFor,
  checkpointPath,
  resumePoint,
  startBackend,
  throwIfStopped,
  withJobDataset,
} from './job-support';
import { formatStatistics, statisticsSummary, summarize } from './statistics';
import { trainDerived, type DerivedTraining } from './train-derived';
import type { TrainerMeta } from './trainer';

/** One finished training run of the genotype. Errors in percent. */
export interface EvaluationRunResult {
  seed: number;
  top1Error: number;
  top5Error: number;
  loss: number;
  params: number;
  multAdds: number;
  exportDir: string | null;
}

interface EvaluationState {
  /** Index of the repeat being trained. */
  repeat: number;
  runs: EvaluationRunResult[];
}

export const run: JobRunner = async (job, ctx) => {
  const config = parseEvaluationConfig(job.config);
  const backend = await startBackend(job, config.backend, ctx);
  const genotype = genotypeToTrain(job, config);
  ctx.genotype(0, genotype, true);
  exportGenotype(ctx.runDir, genotype).forEach((f) => ctx.artifact('genotype', f));

  return withJobDataset(job, async (data) => {
    const source = batchSourceFor(data, config);
    ctx.log.info(
      `evaluation: ${genotype.space} genotype, ${config.cells} cells, ${config.channels} channels, ` +
        `${source.trainCount} training and ${source.testCount} test images of ${data.meta.name}`,
    );
    const runs = await evaluate(config, genotype, data, source, ctx, resumePoint(job));
    return { summary: evaluationSummary(runs), genotype, backend };
  });
};

/**
 * The genotype named by the config; on resume, the one the run started with (written into its
 * folder at the start), so a genotype file edited or removed meanwhile changes nothing.
 */
function genotypeToTrain(job: JobSpec, config: EvaluationConfig): Genotype {
  const started = join(job.runDir, 'genotype.json');
  if (job.resumeFrom && existsSync(started)) return parseGenotype(readFileSync(started, 'utf8'));
  return resolveGenotype(config.genotype, job.genotype);
}

async function evaluate(
  config: EvaluationConfig,
  genotype: Genotype,
  data: LoadedDataset,
  source: BatchSource,
  ctx: RunContext,
  resume: CheckpointData<TrainerMeta<EvaluationState>> | undefined,
): Promise<EvaluationRunResult[]> {
  const state: EvaluationState = resume?.meta.extra ?? { repeat: 0, runs: [] };
  const training: DerivedTraining = {
    ...config,
    weightDecay: resolveWeightDecay(config.weightDecay, data.meta.format),
  };
  for (let r = state.repeat; r < config.repeats; r++) {
    const seed = config.seed + r;
    const {
      outcome,
      net,
      config: built,
      params,
      multAdds,
    } = await trainDerived({
      genotype,
      training,
      seed,
      source,
      ctx,
      phase: config.repeats > 1 ? `evaluation ${r + 1}/${config.repeats}` : 'evaluation',
      metricEpochOffset: r * config.epochs,
      checkpointPath: checkpointPath(ctx.runDir),
      extra: { repeat: r, runs: state.runs },
      resume: r === state.repeat ? resume : undefined,
    });
    try {
      throwIfStopped(outcome, `Evaluation run ${r + 1}`);
      ctx.metrics((r + 1) * config.epochs - 1, null, {
        [METRIC.params]: params,
        [METRIC.multAdds]: multAdds,
      });
      let exportDir: string | null = null;
      if (config.export) {
        exportDir = join(ctx.runDir, 'exports', `seed-${seed}`);
        await exportNetwork(exportDir, {
          net,
          genotype,
          description: {
            format: 'nos-studio-network',
            version: 1,
            // For prediction: the auxiliary tower is a training aid, left out.
            build: { kind: 'derived', genotype, options: { ...built, auxiliary: false } },
            inputShape: [source.shape[0], source.shape[1], source.shape[2]],
            normalisation: { mean: data.meta.mean, std: data.meta.std },
            classNames: data.meta.classNames,
            trainedOn: {
              dataset: data.meta.name,
              seed,
              epochs: config.epochs,
              testTop1Error: outcome.final.top1Error,
            },
          },
          omit: ['aux'],
        });
      }
      state.runs = [
        ...state.runs,
        {
          seed,
          top1Error: outcome.final.top1Error,
          top5Error: outcome.final.top5Error,
          loss: outcome.final.loss,
          params,
          multAdds,
          exportDir,
        },
      ];
    } finally {
      net.dispose();
    }
  }
  report(state.runs, ctx);
  return state.runs;
}

/** Top-1 and top-5 error statistics of the runs. */
function runStatistics(runs: EvaluationRunResult[]): { top1: RunStatistics; top5: RunStatistics } {
  return {
    top1: summarize(
      'eval/top1_error',
      runs.map((r) => r.top1Error),
    ),
    top5: summarize(
      'eval/top5_error',
      runs.map((r) => r.top5Error),
    ),
  };
}

/** Writes the runs and their statistics, and names the best run's export. */
function report(runs: EvaluationRunResult[], ctx: RunContext): void {
  const { top1, top5 } = runStatistics(runs);
  ctx.log.info(`evaluation: test top-1 error % ${formatStatistics(top1)}`);
  ctx.log.info(`evaluation: test top-5 error % ${formatStatistics(top5)}`);
  const path = join(ctx.runDir, 'evaluation.json');
  writeJsonAtomic(path, { runs, statistics: { top1Error: top1, top5Error: top5 } });
  ctx.artifact('evaluation', path);
  const best = runs.find((r) => r.top1Error === top1.best);
  // Kind 'model': what `nos export weights` and the app's weights export look for.
  if (best?.exportDir) ctx.artifact('model', best.exportDir);
}

/** Headline figures, each named for what it is (mean, sd, best, n). */
export function evaluationSummary(runs: EvaluationRunResult[]): Record<string, number | null> {
  const { top1, top5 } = runStatistics(runs);
  return {
    ...statisticsSummary('top1_error', top1),
    ...statisticsSummary('top5_error', top5),
    params: runs[0].params,
    mult_adds: runs[0].multAdds,
  };
}
