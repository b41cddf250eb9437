/**
 * Opening the SQLite database: pragmas (WAL, foreign keys, busy timeout), migrations, and the
 * translation of SQLite and file-system failures into NosError('STORAGE') messages that name the
 * file and say what to do. Every statement elsewhere in the store runs through `guard`.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { makeDirs } from '../data/fs-errors';
import Database from 'better-sqlite3';
import { NosError } from '../contract/errors';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations';

export type Db = Database.Database;

export interface OpenOptions {
  /** How long a write waits for another process's lock before failing (ms). Default 5000. */
  busyTimeoutMs?: number;
}

interface CodedError {
  code?: string;
  message?: string;
}

/** A SQLite or file-system failure on `file` while doing `action`, as a NosError. */
export function storageError(err: unknown, file: string, action: string): NosError {
  if (err instanceof NosError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as CodedError;
  const code = e.code ?? '';
  const detail = { file, code };
  const what = `Cannot ${action}: ${file}`;
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') {
    return new NosError(
      'STORAGE',
      `${what} is locked by another process (${e.message ?? code}).`,
      'Another NOS Studio process is writing to this data directory; wait for it to finish ' +
        'or stop it, then try again.',
      detail,
    );
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code === 'EROFS' ||
    code === 'EACCES' ||
    code === 'EPERM'
  ) {
    return new NosError(
      'STORAGE',
      `${what} is read-only (${e.message ?? code}).`,
      'Give your user write permission on the data directory, or choose another one with ' +
        '--data-dir DIR or NOS_STUDIO_HOME.',
      detail,
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new NosError(
      'STORAGE',
      `${what}: the disk is full.`,
      'Free some disk space (old runs can be removed with `nos runs delete ID`), then try again.',
      detail,
    );
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new NosError(
      'STORAGE',
      `${what}: the database file cannot be opened or created (${e.message ?? code}).`,
      'Check that the data directory exists and is writable, or choose another with --data-dir.',
      detail,
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new NosError(
      'STORAGE',
      `${what}: the file is damaged or is not a NOS Studio database (${e.message ?? code}).`,
      'Move the file aside (keep it for recovery) and start with a fresh data directory.',
      detail,
    );
  }
  return new NosError('STORAGE', `${what}: ${e.message ?? String(err)}`, undefined, detail);
}

/** Runs `fn`, turning any SQLite or file-system failure into a STORAGE NosError. */
export function guard<T>(file: string, action: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw storageError(err, file, action);
  }
}

/** Opens (creating if needed) the database at `file` and brings its schema up to date. */
export function openDatabase(file: string, dir: string, options: OpenOptions = {}): Db {
  refuseNonFolder(dir);
  guard(dir, 'create the data directory', () => makeDirs(dir));
  const db = guard(file, 'open the database', () => {
    return new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
  });
  try {
    guard(file, 'configure the database', () => {
      db.pragma('journal_mode = WAL');
      // WAL with synchronous=NORMAL never corrupts on a crash; a power cut may lose the last
      // transaction, which a training run repeats from its checkpoint anyway.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
    });
    migrate(db, file);
    return db;
  } catch (err) {
    db.close();
    throw explainCantOpen(err, dir);
  }
}

/** A data directory that names an existing file is the user's mistake, not a storage fault. */
function refuseNonFolder(dir: string): void {
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) {
    throw new NosError(
      'BAD_INPUT',
      `The data directory ${dir} is a file, not a folder.`,
      'Pass --data-dir (or set NOS_STUDIO_HOME to) a folder, or a path where one can be created.',
    );
  }
}

/**
 * SQLite says only "unable to open database file" when WAL mode cannot create its `-shm` and
 * `-wal` files beside the database; the usual cause is a data directory that is not writable.
 */
function explainCantOpen(err: unknown, dir: string): unknown {
  if (!(err instanceof NosError) || err.detail?.code !== 'SQLITE_CANTOPEN') return err;
  try {
    accessSync(dir, constants.W_OK);
    return err;
  } catch (access) {
    return storageError(access, dir, 'open the database (WAL mode writes beside it)');
  }
}

function migrate(db: Db, file: string): void {
  const current = guard(file, 'read the schema version', () => {
    return db.pragma('user_version', { simple: true }) as number;
  });
  if (current > SCHEMA_VERSION) {
    throw new NosError(
      'STORAGE',
      `${file} has schema version ${current}; this NOS Studio knows up to ${SCHEMA_VERSION}.`,
      'Update NOS Studio, or point --data-dir at another folder.',
    );
  }
  for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
    guard(file, `migrate the database to version ${version}`, () => {
      db.transaction(() => {
        db.exec(MIGRATIONS[version - 1]);
        db.pragma(`user_version = ${version}`);
      }).immediate();
    });
  }
}
