/**
 * The contract between the job runner (src-main/jobs, which owns processes and the store) and a
 * training procedure (teacher training, search, evaluation, random baseline, op study). A job
 * module exports `run: JobRunner`; the worker process imports it by kind and hands it a JobSpec
 * and a RunContext. The job validates its own config with the contract's schema.
 */
import type { BackendName } from '../contract/primitives';
import type { RunKind } from '../contract/runs';
import type { RunContext } from './run-context';

export interface JobSpec {
  kind: RunKind;
  runId: number;
  /** Folder owned by the run (checkpoints, artifacts). Exists before the job starts. */
  runDir: string;
  /** The run's config as stored (validated again by the job). */
  config: unknown;
  /** Canonical dataset folder (see src-main/data) the job trains on. */
  datasetDir?: string;
  /** Run folder of a stored teacher run that guides a search. */
  teacherDir?: string;
  /** Genotype JSON to evaluate (evaluation jobs). */
  genotype?: unknown;
  /** Checkpoint file to resume from. */
  resumeFrom?: string;
  backend: BackendName;
}

export interface JobResult {
  /** Headline results shown in run lists and printed by the CLI (`--json`). */
  summary: Record<string, number | string | null>;
  /** The run's final genotype (search jobs). */
  genotype?: unknown;
  /** The backend actually used and its version, recorded with the run. */
  backend?: { name: string; version: string };
}

export type JobRunner = (job: JobSpec, ctx: RunContext) => Promise<JobResult>;
