/**
 * The teacher job (NOS-SPEC section 4, teacher recipe): train a ResNet-18 or PyramidNet on a
 * dataset and store it in the run folder (teacher.json + weights), ready to guide searches on
 * that same dataset (search config teacher.mode 'run').
 *
 * Known shortcoming: teacher training restarts from its first epoch when resumed; it writes no
 * mid-training checkpoints (the search, which is the long job, does).
 */
import { parseTeacherConfig } from '../contract/config';
import { NosError } from '../contract/errors';
import { initBackend } from '../engine';
import type { JobRunner } from '../training/job';
import { openSearchDataset } from './data-source';
import { trainTeacher } from './teachers/train-teacher';

export const run: JobRunner = async (job, ctx) => {
  const config = parseTeacherConfig(job.config);
  const backend = await initBackend(job.backend, (l) => ctx.log.info(l));
  if (!job.datasetDir) {
    throw new NosError('BAD_INPUT', 'A teacher run needs a dataset.', 'Pass --dataset NAME.');
  }
  const dataset = openSearchDataset(job.datasetDir);
  const teacher = await trainTeacher({ dataset, config, ctx, phase: 'teacher' });
  try {
    teacher.save(job.runDir);
    ctx.artifact('teacher', job.runDir);
    return {
      summary: {
        arch: config.arch,
        testTop1: teacher.meta.training.testTop1,
        params: teacher.net.paramCount(),
        dataset: dataset.meta.name,
      },
      backend: { name: backend.name, version: backend.version },
    };
  } finally {
    teacher.dispose();
  }
};
