/**
 * Where a search's teacher comes from (config `teacher.mode`): trained inline as the run's
 * `teacher` phase, loaded from a stored teacher run, imported from a saved TensorFlow.js layers
 * model (teachers/imported.ts), or none. Whatever the source, the teacher
 * must have learned the dataset the search runs on.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SearchConfig } from '../contract/config';
import { NosError } from '../contract/errors';
import { TEACHER_METRIC_PREFIX } from '../contract/metrics';
import { withMetricPrefix, type RunContext } from '../training/run-context';
import type { SearchDataset } from './data-source';
import { importTeacher } from './teachers/imported';
import { TEACHER_META_FILE, Teacher } from './teachers/teacher';
import { TEACHER_TRAINING_CHECKPOINT, trainTeacher } from './teachers/train-teacher';

/** Folder inside a search run where an inline-trained teacher is kept (resume reuses it). */
export const INLINE_TEACHER_DIR = 'teacher';

export async function obtainTeacher(
  config: SearchConfig,
  dataset: SearchDataset,
  ctx: RunContext,
  teacherDir: string | undefined,
): Promise<Teacher | null> {
  const mode = config.teacher.mode;
  if (mode === 'none') return null;
  let teacher: Teacher;
  if (mode === 'run') {
    if (!teacherDir) {
      throw new NosError(
        'BAD_INPUT',
        "teacher.mode is 'run' but the search was given no teacher run.",
        'Pass --teacher RUN_ID (a completed teacher run), or set teacher.mode to "train".',
      );
    }
    teacher = Teacher.load(teacherDir);
    ctx.log.info(`search: teacher loaded from ${teacherDir}`);
  } else if (mode === 'import') {
    const path = config.teacher.importPath as string; // the config schema requires it here
    const { teacher: imported, boundByDeclaration } = await importTeacher(
      path,
      config.teacher,
      dataset.meta,
    );
    teacher = imported;
    const stages = imported.meta.spec.arch === 'imported' ? imported.meta.spec.stageLayers : [];
    ctx.log.info(`search: teacher imported from ${path} (stages: ${stages.join(', ')})`);
    if (boundByDeclaration) {
      ctx.log.warn(
        `search: ${path} has no ${TEACHER_META_FILE} naming the dataset the model learned; it is ` +
          `taken to have learned "${dataset.meta.name}", the dataset of this search.`,
      );
    }
  } else {
    const inline = join(ctx.runDir, INLINE_TEACHER_DIR);
    if (existsSync(join(inline, TEACHER_META_FILE))) {
      // A resumed search keeps the teacher it trained before it stopped.
      teacher = Teacher.load(inline);
      ctx.log.info(`search: reusing the teacher trained earlier in this run (${inline})`);
    } else {
      ctx.log.info(
        `search: training a ${config.teacher.arch} teacher (${config.teacher.epochs} epochs)`,
      );
      // The inline teacher sees the search's input size unless its own config names one.
      const teacherConfig = {
        ...config.teacher,
        inputSize: config.teacher.inputSize ?? config.inputSize,
      };
      teacher = await trainTeacher({
        dataset,
        config: teacherConfig,
        // Its metrics live beside the search's in the same run, so they get their own keys.
        ctx: withMetricPrefix(ctx, TEACHER_METRIC_PREFIX),
        phase: 'teacher',
        // A search paused while its teacher trains continues the teacher's training.
        checkpointPath: join(ctx.runDir, TEACHER_TRAINING_CHECKPOINT),
      });
      teacher.save(inline);
      ctx.artifact('teacher', inline);
    }
  }
  try {
    teacher.assertGuides(dataset.meta);
  } catch (err) {
    teacher.dispose();
    throw err;
  }
  return teacher;
}
