/**
 * The random-architecture baseline (paper Table 2: "best architecture among 30 random
 * samples"): `samples` genotypes drawn uniformly from the search space (random-genotype.ts),
 * each trained from scratch once with the same schedule, reporting the best test error and the
 * spread (mean ± sample sd, worst) over the samples.
 *
 * Samples follow one another in one job; metrics of sample i are reported at epochs
 * i * epochs ... (i + 1) * epochs - 1.
 */
import { join } from 'node:path';
import {
  parseRandomBaselineConfig,
  resolveWeightDecay,
  type RandomBaselineConfig,
} from '../contract/evaluation';
import type { Genotype } from '../contract/genotype';
import type { LoadedDataset } from '../data/dataset';
import type { CheckpointData } from '../training/checkpoint';
import type { JobRunner } from '../training/job';
import type { RunContext } from '../training/run-context';
import { writeJsonAtomic } from '../util/atomic-file';
import type { BatchSource } from './batches';
import {
  batchSourceFor,
  checkpointPath,
  resumePoint,
  startBackend,
  throwIfStopped,
  withJobDataset,
} from './job-support';
import { sampleGenotypes } from './random-genotype';
import { formatStatistics, statisticsSummary, summarize } from './statistics';
import { trainDerived } from './train-derived';
import type { TrainerMeta } from './trainer';

/** One trained random architecture. Errors in percent. */
export interface RandomSampleResult {
  index: number;
  genotype: Genotype;
  top1Error: number;
  top5Error: number;
  params: number;
  multAdds: number;
}

interface BaselineState {
  index: number;
  results: RandomSampleResult[];
}

export const run: JobRunner = async (job, ctx) => {
  const config = parseRandomBaselineConfig(job.config);
  const backend = await startBackend(job, config.backend, ctx);
  return withJobDataset(job, async (data) => {
    const source = batchSourceFor(data, config);
    const results = await trainSamples(config, data, source, ctx, resumePoint(job));
    const top1 = summarize(
      'eval/top1_error',
      results.map((r) => r.top1Error),
    );
    ctx.log.info(
      `random baseline: test top-1 error % over ${results.length} random architectures: ` +
        formatStatistics(top1),
    );
    const path = join(ctx.runDir, 'random-baseline.json');
    writeJsonAtomic(path, { config, results, statistics: { top1Error: top1 } });
    ctx.artifact('random-baseline', path);
    const best = results.find((r) => r.top1Error === top1.best) as RandomSampleResult;
    return {
      summary: {
        ...statisticsSummary('top1_error', top1),
        best_sample: best.index,
        best_params: best.params,
      },
      genotype: best.genotype,
      backend,
    };
  });
};

async function trainSamples(
  config: RandomBaselineConfig,
  data: LoadedDataset,
  source: BatchSource,
  ctx: RunContext,
  resume: CheckpointData<TrainerMeta<BaselineState>> | undefined,
): Promise<RandomSampleResult[]> {
  const genotypes = sampleGenotypes(config.space, config.samples, config.sampleSeed);
  const state: BaselineState = resume?.meta.extra ?? { index: 0, results: [] };
  const training = {
    ...config,
    weightDecay: resolveWeightDecay(config.weightDecay, data.meta.format),
  };
  for (let i = state.index; i < genotypes.length; i++) {
    const genotype = genotypes[i];
    // Recorded at the sample's first epoch, where its metrics start.
    ctx.genotype(i * config.epochs, genotype, false);
    const { outcome, net, params, multAdds } = await trainDerived({
      genotype,
      training,
      seed: config.seed,
      source,
      ctx,
      phase: `random ${i + 1}/${genotypes.length}`,
      metricEpochOffset: i * config.epochs,
      checkpointPath: checkpointPath(ctx.runDir),
      extra: { index: i, results: state.results },
      resume: i === state.index ? resume : undefined,
    });
    net.dispose();
    throwIfStopped(outcome, `Random architecture ${i + 1}`);
    state.results = [
      ...state.results,
      {
        index: i,
        genotype,
        top1Error: outcome.final.top1Error,
        top5Error: outcome.final.top5Error,
        params,
        multAdds,
      },
    ];
  }
  return state.results;
}
