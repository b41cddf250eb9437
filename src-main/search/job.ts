/**
 * The search job (NOS-SPEC sections 3 and 4): validate the config, start the backend, open the
 * dataset and split it, obtain the teacher, build the supernet, run the bilevel search (or
 * continue it from a checkpoint) and return the genotype.
 */
import { join } from 'node:path';
import { parseSearchConfig } from '../contract/config';
import { NosError } from '../contract/errors';
import { SEARCH_SPACES } from '../contract/primitives';
import { initBackend } from '../engine';
import { memoryBudget } from '../engine/memory';
import { Supernet } from '../nos/supernet';
import type { JobRunner } from '../training/job';
import { writeJsonAtomic } from '../util/atomic-file';
import { openSearchDataset, searchSplits } from './data-source';
import { runSearchLoop } from './search-loop';
import { obtainTeacher } from './teacher-source';

export const CHECKPOINT_FILE = 'search.nosckpt';
export const GENOTYPE_FILE = 'genotype.json';

export const run: JobRunner = async (job, ctx) => {
  // Config and backend
  const config = parseSearchConfig(job.config);
  const backend = await initBackend(job.backend === 'auto' ? config.backend : job.backend, (l) =>
    ctx.log.info(l),
  );
  ctx.log.info(`search: backend ${backend.name} ${backend.version}`);

  // Data: the train split trains weights, the search split alphas; the test set stays held out.
  if (!job.datasetDir) {
    throw new NosError('BAD_INPUT', 'A search needs a dataset.', 'Pass --dataset NAME.');
  }
  const dataset = openSearchDataset(job.datasetDir);
  const { trainSplit, searchSplit } = searchSplits(dataset.train, config);
  ctx.log.info(
    `search: ${dataset.meta.name}, ${trainSplit.labels.length} train-split and ` +
      `${searchSplit.labels.length} search-split images`,
  );

  // Teacher, then supernet
  const teacher = await obtainTeacher(config, dataset, ctx, job.teacherDir);
  const net = new Supernet({
    space: config.space,
    channels: config.channels,
    cells: config.cells,
    nodes: config.nodes,
    numClasses: dataset.meta.classCount,
    inputShape: config.inputSize
      ? [config.inputSize, config.inputSize, dataset.meta.imageShape[2]]
      : dataset.meta.imageShape,
    seed: config.seed,
  });
  try {
    const outcome = await runSearchLoop({
      config,
      net,
      primitives: SEARCH_SPACES[config.space],
      teacher,
      trainSplit,
      searchSplit,
      test: dataset.test,
      normalisation: { mean: dataset.meta.mean, std: dataset.meta.std },
      ctx,
      checkpointPath: join(job.runDir, CHECKPOINT_FILE),
      resumeFrom: job.resumeFrom,
      memoryBudget: memoryBudget(backend.name),
    });
    const genotypePath = join(job.runDir, GENOTYPE_FILE);
    writeJsonAtomic(genotypePath, outcome.genotype);
    ctx.artifact('genotype', genotypePath);
    const last = outcome.lastEpoch;
    return {
      summary: {
        searchTop1: last['search/top1'] ?? null,
        trainTop1: last['train/top1'] ?? null,
        testTop1: outcome.testTop1,
        paramFreeOps: last['genotype/param_free_ops'] ?? null,
        teacherTop1: teacher?.meta.training.testTop1 ?? null,
      },
      genotype: outcome.genotype,
      backend: { name: backend.name, version: backend.version },
    };
  } finally {
    net.dispose();
    teacher?.dispose();
  }
};
