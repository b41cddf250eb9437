/**
 * The `runs` table: one row per teacher, search, evaluation, random baseline or op study, from
 * `queued` to a final status, with its validated config, links (dataset, parent run), timings,
 * error and headline summary. Lists are answered from this table and its indexes alone: the
 * best error and parameter count are kept on the row as metrics arrive (see records.ts).
 */
import { hostname } from 'node:os';
import type { RunList, RunSortField, RunSummary } from '../contract';
import { NosError } from '../contract/errors';
import type { RunKind, RunStatus } from '../contract/runs';
import { guard, type Db } from './db';

/** What a new run needs; everything else is filled in as it runs. */
export interface NewRun {
  kind: RunKind;
  /** The validated config (stored as JSON). */
  config: unknown;
  name?: string;
  datasetId?: string | null;
  parentRunId?: number | null;
  seed?: number | null;
  /** The backend asked for (`auto`, `wasm`, ...); replaced by the one used when it starts. */
  backend?: string | null;
  tags?: string[];
  /** Inputs that are not config, such as a genotype to evaluate given as a file. */
  inputs?: Record<string, unknown>;
}

/** A run row as the job queue needs it (the API shapes come from `summary` and `detail`). */
export interface RunRecord {
  id: number;
  kind: RunKind;
  name: string;
  status: RunStatus;
  config: unknown;
  inputs: Record<string, unknown>;
  datasetId: string | null;
  datasetName: string | null;
  parentRunId: number | null;
  backend: string | null;
  backendVersion: string | null;
  seed: number | null;
  host: string;
  ownerPid: number | null;
  workerPid: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: { code: string | null; message: string; hint?: string } | null;
  summary: Record<string, number | string | null>;
  note: string;
}

export interface RunQuery {
  kind?: RunKind;
  status?: RunStatus;
  dataset?: string;
  tag?: string;
  /** Matched (case-insensitive substring) against name, note and tags. */
  text?: string;
  parentRunId?: number;
  sortBy?: RunSortField;
  sortDir?: 'asc' | 'desc';
  offset?: number;
  /** Default 100. */
  limit?: number;
}

export interface FinishInfo {
  error?: { code?: string; message: string; hint?: string } | null;
  summary?: Record<string, number | string | null>;
}

interface RunRow {
  id: number;
  kind: RunKind;
  name: string;
  status: RunStatus;
  config: string;
  inputs: string;
  dataset_id: string | null;
  dataset_name: string | null;
  parent_run_id: number | null;
  backend: string | null;
  backend_version: string | null;
  seed: number | null;
  host: string;
  owner_pid: number | null;
  worker_pid: number | null;
  created_at: string;
  started_at: string | null;
  segment_started_at: string | null;
  finished_at: string | null;
  active_seconds: number;
  error_code: string | null;
  error_message: string | null;
  error_hint: string | null;
  summary: string;
  note: string;
  best_error: number | null;
  params: number | null;
  tags: string | null;
}

const SORT_COLUMNS: Record<RunSortField, string> = {
  id: 'r.id',
  createdAt: 'r.created_at',
  kind: 'r.kind',
  dataset: 'r.dataset_name',
  status: 'r.status',
  bestError: 'r.best_error',
  params: 'r.params',
  duration: 'r.active_seconds',
};

/** Sort fields whose column may be NULL (sorted last). */
const NULLABLE_SORT = new Set<RunSortField>(['dataset', 'bestError', 'params']);

/** Tags travel as one string inside a row; the unit separator never occurs in a tag. */
const TAG_SEP = '\u001f';
const SELECT_ROW = `SELECT r.*,
  (SELECT group_concat(tag, char(31)) FROM run_tags t WHERE t.run_id = r.id) AS tags
  FROM runs r`;

const now = () => new Date().toISOString();

function secondsBetween(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    config: JSON.parse(row.config),
    inputs: JSON.parse(row.inputs) as Record<string, unknown>,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    parentRunId: row.parent_run_id,
    backend: row.backend,
    backendVersion: row.backend_version,
    seed: row.seed,
    host: row.host,
    ownerPid: row.owner_pid,
    workerPid: row.worker_pid,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: errorOf(row),
    summary: JSON.parse(row.summary) as RunRecord['summary'],
    note: row.note,
  };
}

function errorOf(row: RunRow): RunRecord['error'] {
  if (row.error_message === null) return null;
  const error: NonNullable<RunRecord['error']> = {
    code: row.error_code,
    message: row.error_message,
  };
  if (row.error_hint !== null) error.hint = row.error_hint;
  return error;
}

function toSummary(row: RunRow): RunSummary {
  const running = row.status === 'running' && row.segment_started_at !== null;
  const duration =
    row.started_at === null
      ? null
      : row.active_seconds + (running ? secondsBetween(row.segment_started_at!, now()) : 0);
  const error = errorOf(row);
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    dataset: row.dataset_id ?? row.dataset_name,
    tags: row.tags ? row.tags.split(TAG_SEP).sort() : [],
    note: row.note,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationSeconds: duration,
    bestError: row.best_error,
    params: row.params,
    backend: row.backend,
    summary: JSON.parse(row.summary) as RunSummary['summary'],
    error: error ? { message: error.message, ...(error.hint ? { hint: error.hint } : {}) } : null,
    parentRunId: row.parent_run_id,
  };
}

export class RunTable {
  private readonly insert;
  private readonly byId;
  private readonly insertTag;
  private readonly clearTags;
  private readonly updateNote;
  private readonly started;
  private readonly finished;
  private readonly statusOnly;
  private readonly backendUsed;
  private readonly summaryOnly;
  private readonly remove;
  private readonly live;
  private readonly workerPid;
  private readonly pageRows;
  private readonly putRequest;
  private readonly requests;
  private readonly clearRequests;

  constructor(
    private readonly db: Db,
    private readonly file: string,
  ) {
    this.insert = db.prepare(
      `INSERT INTO runs (kind, name, status, config, inputs, dataset_id, dataset_name,
         parent_run_id, backend, seed, host, created_at)
       VALUES (@kind, @name, 'queued', @config, @inputs, @datasetId, @datasetName,
         @parentRunId, @backend, @seed, @host, @createdAt)`,
    );
    this.byId = db.prepare<[number], RunRow>(`${SELECT_ROW} WHERE r.id = ?`);
    this.insertTag = db.prepare('INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)');
    this.clearTags = db.prepare('DELETE FROM run_tags WHERE run_id = ?');
    this.updateNote = db.prepare('UPDATE runs SET note = ? WHERE id = ?');
    this.started = db.prepare(
      `UPDATE runs SET status = 'running', started_at = coalesce(started_at, @at),
         segment_started_at = @at, finished_at = NULL, owner_pid = @ownerPid,
         worker_pid = @workerPid, control_request = NULL, error_code = NULL, error_message = NULL, error_hint = NULL
       WHERE id = @id`,
    );
    this.finished = db.prepare(
      `UPDATE runs SET status = @status, finished_at = @at, worker_pid = NULL,
         active_seconds = active_seconds + CASE WHEN segment_started_at IS NULL THEN 0
           ELSE max(0, (julianday(@at) - julianday(segment_started_at)) * 86400) END,
         segment_started_at = NULL,
         error_code = @errorCode, error_message = @errorMessage, error_hint = @errorHint,
         summary = coalesce(@summary, summary)
       WHERE id = @id`,
    );
    this.statusOnly = db.prepare('UPDATE runs SET status = ?, owner_pid = ? WHERE id = ?');
    this.backendUsed = db.prepare('UPDATE runs SET backend = ?, backend_version = ? WHERE id = ?');
    this.summaryOnly = db.prepare('UPDATE runs SET summary = ? WHERE id = ?');
    this.remove = db.prepare('DELETE FROM runs WHERE id = ?');
    this.putRequest = db.prepare('UPDATE runs SET control_request = ? WHERE id = ?');
    this.requests = db.prepare<[number], { id: number; signal: 'pause' | 'cancel' }>(
      `SELECT id, control_request AS signal FROM runs
       WHERE control_request IS NOT NULL AND owner_pid = ? AND status IN ('running', 'queued')`,
    );
    this.clearRequests = db.prepare('UPDATE runs SET control_request = NULL WHERE owner_pid = ?');
    this.pageRows = db.prepare<[string], RunRow>(
      `${SELECT_ROW} WHERE r.id IN (SELECT value FROM json_each(?))`,
    );
    this.workerPid = db.prepare('UPDATE runs SET worker_pid = ? WHERE id = ?');
    this.live = db.prepare<[string], RunRow>(
      `${SELECT_ROW} WHERE r.status IN ('running', 'queued') AND r.host = ?`,
    );
  }

  /** Creates a queued run and returns its id. */
  create(run: NewRun & { datasetName?: string | null }): number {
    const createdAt = now();
    const name = run.name ?? defaultName(run.kind, run.datasetName ?? run.datasetId, createdAt);
    const row = {
      kind: run.kind,
      name,
      config: JSON.stringify(run.config ?? {}),
      inputs: JSON.stringify(run.inputs ?? {}),
      datasetId: run.datasetId ?? null,
      datasetName: run.datasetName ?? run.datasetId ?? null,
      parentRunId: run.parentRunId ?? null,
      backend: run.backend ?? null,
      seed: run.seed ?? null,
      host: hostname(),
      createdAt,
    };
    return guard(this.file, 'create a run', () => {
      return this.db
        .transaction(() => {
          const id = Number(this.insert.run(row).lastInsertRowid);
          for (const tag of run.tags ?? []) this.insertTag.run(id, tag);
          return id;
        })
        .immediate();
    });
  }

  find(id: number): RunRecord | null {
    const row = guard(this.file, `read run ${id}`, () => this.byId.get(id));
    return row ? toRecord(row) : null;
  }

  /** @throws NosError NOT_FOUND */
  get(id: number): RunRecord {
    const run = this.find(id);
    if (!run) throw notFound(id);
    return run;
  }

  summary(id: number): RunSummary {
    const row = guard(this.file, `read run ${id}`, () => this.byId.get(id));
    if (!row) throw notFound(id);
    return toSummary(row);
  }

  /** A page of runs matching `q`, with the total count of matches. */
  list(q: RunQuery = {}): RunList {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (q.kind) {
      where.push('r.kind = @kind');
      params.kind = q.kind;
    }
    if (q.status) {
      where.push('r.status = @status');
      params.status = q.status;
    }
    if (q.dataset) {
      where.push('(r.dataset_id = @dataset OR r.dataset_name = @dataset)');
      params.dataset = q.dataset;
    }
    if (q.parentRunId !== undefined) {
      where.push('r.parent_run_id = @parent');
      params.parent = q.parentRunId;
    }
    if (q.tag) {
      where.push('EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.tag = @tag)');
      params.tag = q.tag;
    }
    if (q.text) {
      where.push(`(r.name LIKE @text ESCAPE '\\' OR r.note LIKE @text ESCAPE '\\' OR EXISTS
        (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.tag LIKE @text ESCAPE '\\'))`);
      params.text = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const column = SORT_COLUMNS[q.sortBy ?? 'createdAt'];
    const dir = q.sortDir === 'asc' ? 'ASC' : 'DESC';
    // Runs without a value (no best error yet) sort last in either direction.
    const nulls = NULLABLE_SORT.has(q.sortBy ?? 'createdAt') ? ' NULLS LAST' : '';
    const order = `${column} ${dir}${nulls}, r.id ${dir}`;
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 100;
    return guard(this.file, 'list runs', () => {
      const total = (
        this.cached(`SELECT count(*) AS n FROM runs r ${filter}`).get(params) as { n: number }
      ).n;
      // Sort and page narrow rows (ids) first; only the page's rows are read in full, so the
      // cost does not grow with the width of a row or its tags.
      const ids = this.cached(
        `SELECT r.id FROM runs r ${filter} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
      )
        .pluck()
        .all({ ...params, limit, offset }) as number[];
      const rows = this.pageRows.all(JSON.stringify(ids));
      const byId = new Map(rows.map((row) => [row.id, row]));
      return { total, offset, runs: ids.map((id) => toSummary(byId.get(id)!)) };
    });
  }

  /** List queries vary only in their filter and order: each distinct text is prepared once. */
  private readonly statements = new Map<string, ReturnType<Db['prepare']>>();
  private cached(sql: string) {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  markStarted(id: number, ownerPid: number, workerPid: number | null): void {
    guard(this.file, `start run ${id}`, () => {
      this.started.run({ id, at: now(), ownerPid, workerPid });
    });
  }

  setWorkerPid(id: number, workerPid: number): void {
    guard(this.file, `update run ${id}`, () => {
      this.workerPid.run(workerPid, id);
    });
  }

  /** A final (or paused / interrupted) status, with the error or summary when there is one. */
  markFinished(id: number, status: RunStatus, info: FinishInfo = {}): void {
    const error = info.error ?? null;
    guard(this.file, `finish run ${id}`, () => {
      this.finished.run({
        id,
        status,
        at: now(),
        errorCode: error?.code ?? null,
        errorMessage: error?.message ?? null,
        errorHint: error?.hint ?? null,
        summary: info.summary ? JSON.stringify(info.summary) : null,
      });
    });
  }

  /** Back to `queued` (a resume waiting for a worker slot), owned by process `ownerPid`. */
  requeue(id: number, ownerPid: number): void {
    guard(this.file, `queue run ${id}`, () => this.statusOnly.run('queued', ownerPid, id));
  }

  /** Asks the process that owns a live run to pause or cancel it (see `takeControlRequests`). */
  requestControl(id: number, signal: 'pause' | 'cancel'): void {
    guard(this.file, `update run ${id}`, () => this.putRequest.run(signal, id));
  }

  /** Pause and cancel requests for the live runs of process `ownerPid`, cleared as they are read. */
  takeControlRequests(ownerPid: number): { id: number; signal: 'pause' | 'cancel' }[] {
    return guard(this.file, 'read control requests', () => {
      return this.db
        .transaction(() => {
          const found = this.requests.all(ownerPid);
          if (found.length > 0) this.clearRequests.run(ownerPid);
          return found;
        })
        .immediate();
    });
  }

  setBackend(id: number, name: string, version: string): void {
    guard(this.file, `update run ${id}`, () => this.backendUsed.run(name, version, id));
  }

  setSummary(id: number, summary: Record<string, number | string | null>): void {
    guard(this.file, `update run ${id}`, () => this.summaryOnly.run(JSON.stringify(summary), id));
  }

  setTags(id: number, tags: readonly string[]): void {
    this.get(id);
    guard(this.file, `tag run ${id}`, () => {
      this.db
        .transaction(() => {
          this.clearTags.run(id);
          for (const tag of tags) this.insertTag.run(id, tag);
        })
        .immediate();
    });
  }

  setNote(id: number, note: string): void {
    this.get(id);
    guard(this.file, `annotate run ${id}`, () => this.updateNote.run(note, id));
  }

  /** Deletes the row and (by cascade) everything recorded for it. The caller removes files. */
  delete(id: number): void {
    const run = this.get(id);
    if (run.status === 'running' || run.status === 'queued') {
      throw new NosError(
        'CONFLICT',
        `Run ${id} is ${run.status}; a live run cannot be deleted.`,
        `Cancel it first with \`nos runs cancel ${id}\`.`,
        { runId: id, status: run.status },
      );
    }
    guard(this.file, `delete run ${id}`, () => this.remove.run(id));
  }

  /**
   * Runs this host left `running` or `queued` whose owning process is gone (a crash, a kill, a
   * power cut) become `interrupted`, resumable from their last checkpoint. Returns their ids.
   */
  recoverInterrupted(isAlive: (pid: number) => boolean): number[] {
    const stale = guard(this.file, 'read live runs', () => this.live.all(hostname()))
      .filter((row) => row.owner_pid === null || !isAlive(row.owner_pid))
      .map((row) => row.id);
    for (const id of stale) {
      this.markFinished(id, 'interrupted', {
        error: {
          code: 'RUN_FAILED',
          message: `Run ${id} stopped when the process running it ended unexpectedly.`,
          hint: `Resume it from its last checkpoint with \`nos runs resume ${id}\`.`,
        },
      });
    }
    return stale;
  }
}

function notFound(id: number): NosError {
  return new NosError(
    'NOT_FOUND',
    `No run with id ${id}.`,
    'List runs with `nos runs list` to see their ids.',
    { runId: id },
  );
}

function defaultName(kind: RunKind, dataset: string | null | undefined, createdAt: string): string {
  const when = createdAt.slice(0, 16).replace('T', ' ');
  return dataset ? `${kind} on ${dataset}, ${when}` : `${kind}, ${when}`;
}
