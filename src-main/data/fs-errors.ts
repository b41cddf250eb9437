/**
 * File-system failures turned into NosErrors that name the file and say what to do. Importers
 * and readers call `asNosError` in their catch blocks so a raw `EACCES` never reaches the user.
 */
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
