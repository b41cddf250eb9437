/**
 * Which module trains each run kind. Each exports `run: JobRunner` (src-main/training/job.ts).
 * The worker loads the module by path when a job starts, so a kind whose module is missing fails
 * that job with a clear message instead of breaking every other kind.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NosError } from '../contract/errors';
import type { RunKind } from '../contract/runs';

/** Module of each kind, relative to src-main (resolved without an extension). */
export const JOB_MODULES: Readonly<Record<RunKind, string>> = {
  teacher: 'search/teacher-job',
  search: 'search/job',
  evaluation: 'evaluation/job',
  'random-baseline': 'evaluation/random-baseline-job',
  'op-study': 'evaluation/op-study-job',
};

const SRC_MAIN = resolve(__dirname, '..');
const EXTENSIONS = ['.ts', '.js', '.cjs'];

/** Absolute path of the job module for `kind`, or an override (tests, plug-ins). */
export function jobModulePath(
  kind: RunKind,
  overrides: Partial<Record<RunKind, string>> = {},
): string {
  const override = overrides[kind];
  if (override) return resolve(override);
  const base = join(SRC_MAIN, JOB_MODULES[kind]);
  return EXTENSIONS.map((ext) => base + ext).find((p) => existsSync(p)) ?? `${base}.ts`;
}

/** The message a worker gives when a job module cannot be loaded. */
export function missingModule(kind: RunKind, path: string, cause: string): NosError {
  return new NosError(
    'INTERNAL',
    `No trainer for ${kind} runs: ${path} could not be loaded (${cause}).`,
    `This build of NOS Studio cannot run ${kind} jobs yet; it expects that file to export ` +
      '`run: JobRunner` (src-main/training/job.ts).',
    { kind, path },
  );
}
