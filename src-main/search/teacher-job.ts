/**
 * The teacher job (NOS-SPEC section 4, teacher recipe): train a ResNet-18 or PyramidNet on a
 * dataset and store it in the run folder (teacher.json + weights), ready to guide searches on
 * that same dataset (search config teacher.mode 'run').
 *
 * Training checkpoints (every epoch and on pause) live in the run folder; a resumed teacher run
 * continues from the last one.
 */
import { join } from 'node:path';
import { parseTeacherConfig } from '../contract/config';
import { NosError } from '../contract/errors';
import { initBackend } from '../engine';
import type { JobRunner } from '../training/job';
import { openSearchDataset } from './data-source';
import { TEACHER_TRAINING_CHECKPOINT, trainTeacher } from './teachers/train-teacher';

export const run: JobRunner = async (job, ctx) => {
  const config = parseTeacherConfig(job.config);
  const backend = await initBackend(job.backend, (l) => ctx.log.info(l));
  if (!job.datasetDir) {
    throw new NosError('BAD_INPUT', 'A teacher run needs a dataset.', 'Pass --dataset NAME.');
  }
  const dataset = openSearchDataset(job.datasetDir);
  const teacher = await trainTeacher({
    dataset,
    config,
    ctx,
    phase: 'teacher',
    checkpointPath: join(job.runDir, TEACHER_TRAINING_CHECKPOINT),
  });
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
