/**
 * The trainer of each run kind, loaded when a worker starts a job of that kind. Literal dynamic
 * imports, so the Electron build bundles every trainer into the worker (out/main/worker.js) and
 * a worker loads only the one it runs. Each module exports `run: JobRunner`.
 */
import type { RunKind } from '../contract/runs';

export const BUILTIN_JOBS: Readonly<Record<RunKind, () => Promise<{ run?: unknown }>>> = {
  teacher: () => import('../search/teacher-job'),
  search: () => import('../search/job'),
  evaluation: () => import('../evaluation/job'),
  'random-baseline': () => import('../evaluation/random-baseline-job'),
  'op-study': () => import('../evaluation/op-study-job'),
};
