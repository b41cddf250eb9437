/**
 * The database schema as numbered migrations. Migration N brings `PRAGMA user_version` from N-1
 * to N inside one transaction; a database newer than this code is refused rather than guessed at.
 * Never edit a released migration: append a new one.
 */
import { RUN_KINDS, RUN_STATUSES } from '../contract/runs';

const kinds = RUN_KINDS.map((k) => `'${k}'`).join(', ');
const statuses = RUN_STATUSES.map((s) => `'${s}'`).join(', ');

export const MIGRATIONS: readonly string[] = [
  // 1: datasets, runs and everything a run records.
  `
  CREATE TABLE datasets (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    format      TEXT NOT NULL,
    checksum    TEXT NOT NULL UNIQUE,
    bytes       INTEGER NOT NULL DEFAULT 0,
    meta        TEXT NOT NULL,
    created_at  TEXT NOT NULL
  );

  CREATE TABLE runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL CHECK (kind IN (${kinds})),
    name             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN (${statuses})),
    config           TEXT NOT NULL,
    inputs           TEXT NOT NULL DEFAULT '{}',
    dataset_id       TEXT REFERENCES datasets(id) ON DELETE SET NULL,
    dataset_name     TEXT,
    parent_run_id    INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    backend          TEXT,
    backend_version  TEXT,
    seed             INTEGER,
    host             TEXT NOT NULL,
    owner_pid        INTEGER,
    worker_pid       INTEGER,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    segment_started_at TEXT,
    finished_at      TEXT,
    active_seconds   REAL NOT NULL DEFAULT 0,
    error_code       TEXT,
    error_message    TEXT,
    error_hint       TEXT,
    summary          TEXT NOT NULL DEFAULT '{}',
    note             TEXT NOT NULL DEFAULT '',
    best_error       REAL,
    params           REAL
  );
  CREATE INDEX runs_created ON runs(created_at);
  CREATE INDEX runs_kind_created ON runs(kind, created_at);
  CREATE INDEX runs_status ON runs(status);
  CREATE INDEX runs_dataset ON runs(dataset_id);
  CREATE INDEX runs_parent ON runs(parent_run_id);
  CREATE INDEX runs_best_error ON runs(best_error);

  CREATE TABLE run_tags (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
  ) WITHOUT ROWID;
  CREATE INDEX run_tags_tag ON run_tags(tag);

  -- Per-epoch values have step -1 (NULL cannot take part in the primary key). A value reported
  -- again for the same place (a resumed run repeating a step) replaces the earlier one.
  CREATE TABLE metrics (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    epoch   INTEGER NOT NULL,
    step    INTEGER NOT NULL,
    value   REAL NOT NULL,
    PRIMARY KEY (run_id, key, epoch, step)
  ) WITHOUT ROWID;

  -- Best and last value of every metric of a run, kept up to date as metrics arrive, so run lists
  -- never scan the metric series.
  CREATE TABLE run_best (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    best    REAL NOT NULL,
    last    REAL NOT NULL,
    PRIMARY KEY (run_id, key)
  ) WITHOUT ROWID;

  CREATE TABLE alpha_snapshots (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch      INTEGER NOT NULL,
    snapshots  TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
  ) WITHOUT ROWID;

  CREATE TABLE genotypes (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch     INTEGER NOT NULL,
    final     INTEGER NOT NULL CHECK (final IN (0, 1)),
    genotype  TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch, final)
  ) WITHOUT ROWID;

  CREATE TABLE artifacts (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    path        TEXT NOT NULL,
    bytes       INTEGER,
    sha256      TEXT,
    epoch       INTEGER,
    step        INTEGER,
    created_at  TEXT NOT NULL,
    UNIQUE (run_id, path)
  );
  CREATE INDEX artifacts_run_kind ON artifacts(run_id, kind, id);

  CREATE TABLE run_logs (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    at       TEXT NOT NULL,
    level    TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    message  TEXT NOT NULL
  );
  CREATE INDEX run_logs_run ON run_logs(run_id, id);
  `,

  // 2: filtered lists sorted by best error or duration (the run browser's usual views).
  `
  CREATE INDEX runs_kind_status_best ON runs(kind, status, best_error);
  CREATE INDEX runs_active_seconds ON runs(active_seconds);
  `,

  // 3: pause or cancel asked for by another process (a CLI beside the app): the process that
  // owns the run polls for it and tells its worker.
  `
  ALTER TABLE runs ADD COLUMN control_request TEXT CHECK (control_request IN ('pause', 'cancel'));
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
