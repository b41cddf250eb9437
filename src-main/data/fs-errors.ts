/**
 * File-system failures turned into NosErrors that name the file and say what to do. Importers
 * and readers call `asNosError` in their catch blocks so a raw `EACCES` never reaches the user.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NosError } from '../contract/errors';

interface ErrnoLike {
  code?: string;
  message?: string;
}

/** Wraps a thrown value from reading or writing `file`; a NosError passes through unchanged. */
export function asNosError(err: unknown, file: string, action: 'read' | 'write'): NosError {
  if (err instanceof NosError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrnoLike;
  const detail = { file, errno: e.code };
  switch (e.code) {
    case 'ENOENT':
      return new NosError(
        'NOT_FOUND',
        `${file} does not exist.`,
        'Check the path; give the folder or file as it is on disk.',
        detail,
      );
    case 'EROFS':
      return new NosError(
        'STORAGE',
        `Cannot ${action} ${file}: it is on a read-only file system.`,
        action === 'read'
          ? 'Copy the files somewhere readable and import from there.'
          : 'Choose a data directory on a writable disk (--data-dir DIR or NOS_STUDIO_HOME).',
        detail,
      );
    case 'EACCES':
    case 'EPERM':
      return new NosError(
        'STORAGE',
        `Permission denied: cannot ${action} ${file}.`,
        action === 'read'
          ? 'Give your user read permission on the file (and execute permission on its folders).'
          : 'Choose a data directory you can write to, or fix its permissions.',
        detail,
      );
    case 'ENOSPC':
      return new NosError(
        'STORAGE',
        `No space left on the device while writing ${file}.`,
        'Free some disk space and import again.',
        detail,
      );
    case 'EISDIR':
    case 'ENOTDIR':
      return new NosError(
        'BAD_INPUT',
        `${file}: expected a ${e.code === 'EISDIR' ? 'file' : 'folder'}.`,
        'Check the path.',
        detail,
      );
    default:
      return new NosError(
        'STORAGE',
        `Cannot ${action} ${file}: ${e.message ?? String(err)}`,
        undefined,
        detail,
      );
  }
}

/** Runs `fn`, turning any file-system error into a NosError naming `file`. */
export function withFile<T>(file: string, action: 'read' | 'write', fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asNosError(err, file, action);
  }
}

/**
 * `mkdir -p` that throws the real cause. Node's recursive mkdir reports ENOENT when a parent is
 * read-only or not writable (it is EROFS or EACCES underneath), which would send the user looking
 * for a missing folder; on ENOENT this creates the missing folders one at a time instead, so the
 * first one that fails says why. Throws the raw error: callers wrap it with their own context.
 */
export function makeDirs(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    return;
  } catch (err) {
    if ((err as ErrnoLike).code !== 'ENOENT') throw err;
  }
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) mkdirSync(d);
}
