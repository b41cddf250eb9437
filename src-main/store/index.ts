/**
 * The run history of one data directory: `openStore(dataDir)` opens (creating and migrating) its
 * SQLite database and gives the tables as three small services:
 *
 *   store.datasets   imported datasets (add, find, get, list, delete)
 *   store.runs       run rows (create, get, summary, list with filters / sort / paging, status,
 *                    tags, notes, crash recovery)
 *   store.records    what runs record (metrics, alphas, genotypes, artifacts, logs)
 *
 * Every statement is prepared once; every write is one short synchronous transaction. Failures
 * of the disk or the database come out as NosError('STORAGE') naming the file and the fix.
 */
import { rmSync } from 'node:fs';
import { makeDirs } from '../data/fs-errors';
import type { RunDetail } from '../contract';
import { DatasetTable } from './datasets';
import { guard, openDatabase, type Db, type OpenOptions } from './db';
import { dataPaths, runDirOf, type DataPaths } from './paths';
import { RunRecords } from './records';
import { RunTable } from './runs';

export { storageError } from './db';
export type { OpenOptions } from './db';
export * from './paths';
export type { CheckpointRef, ArtifactInput } from './records';
export type { FinishInfo, NewRun, RunQuery, RunRecord } from './runs';
export { DatasetTable, RunRecords, RunTable };

export class Store {
  readonly paths: DataPaths;
  readonly datasets: DatasetTable;
  readonly runs: RunTable;
  readonly records: RunRecords;

  constructor(
    readonly db: Db,
    root: string,
  ) {
    this.paths = dataPaths(root);
    this.datasets = new DatasetTable(db, root, this.paths.db);
    this.runs = new RunTable(db, this.paths.db);
    this.records = new RunRecords(db, root, this.paths.db);
  }

  /** Folder of a run's checkpoints and artifacts, created on demand. */
  runDir(runId: number, create = false): string {
    const dir = runDirOf(this.paths.root, runId);
    if (create) guard(dir, 'create the run folder', () => makeDirs(dir));
    return dir;
  }

  /** Everything stored about a run. `progress` is null: only a live job queue knows it. */
  runDetail(runId: number): RunDetail {
    const summary = this.runs.summary(runId);
    const { config } = this.runs.get(runId);
    return {
      ...summary,
      config,
      metrics: this.records.series(runId),
      alphas: this.records.alphaSnapshots(runId),
      genotypes: this.records.genotypes(runId),
      artifacts: this.records.artifacts(runId),
      progress: null,
      logs: this.records.logs(runId),
    };
  }

  /** Deletes a finished run, everything recorded for it, and its folder. */
  deleteRun(runId: number): void {
    this.runs.delete(runId);
    const dir = this.runDir(runId);
    guard(dir, 'remove the run folder', () => rmSync(dir, { recursive: true, force: true }));
  }

  /** `PRAGMA integrity_check`: 'ok', or the problems SQLite found. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('\n');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Opens the store of a data directory, creating the folder and database when needed. */
export function openStore(dataDir: string, options: OpenOptions = {}): Store {
  const paths = dataPaths(dataDir);
  const db = openDatabase(paths.db, paths.root, options);
  return new Store(db, paths.root);
}
