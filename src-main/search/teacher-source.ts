/**
 * Where a search's teacher comes from (config `teacher.mode`): trained inline as the run's
 * `teacher` phase, loaded from a stored teacher run, or none. Whatever the source, the teacher
 * must have learned the dataset the search runs on.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SearchConfig } from '../contract/config';
import { NosError } from '../contract/errors';
import type { RunContext } from '../training/run-context';
import type { SearchDataset } from './data-source';
import { TEACHER_META_FILE, Teacher } from './teachers/teacher';
import { trainTeacher } from './teachers/train-teacher';

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
    // Known shortcoming: importing a saved TensorFlow.js layers model is not implemented. It
    // needs tfjs-layers (not a dependency of the training layer) and a way to name the three
    // stage layers; a teacher trained here (teacher.mode 'train' or a teacher run) works today.
    throw new NosError(
      'BAD_INPUT',
      "teacher.mode 'import' (a saved TensorFlow.js layers model) is not supported yet.",
      'Train the teacher in NOS Studio: teacher.mode "train", or a teacher run with mode "run".',
    );
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
      teacher = await trainTeacher({ dataset, config: teacherConfig, ctx, phase: 'teacher' });
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
