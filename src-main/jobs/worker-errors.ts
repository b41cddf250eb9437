/**
 * How a failure inside a training worker travels to the parent: as NosErrorData. Disk failures
 * (a full disk while a checkpoint is written, a read-only run folder) become STORAGE errors that
 * say what to do; NosErrors pass through; anything else is INTERNAL with its stack.
 */
import { NosError, toErrorData, type NosErrorData } from '../contract/errors';

export function workerErrorData(err: unknown): NosErrorData {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof NosError) && (code === 'ENOSPC' || code === 'EDQUOT')) {
    return new NosError(
      'STORAGE',
      `The disk is full: ${message}`,
      'Free some disk space, then resume the run from its last checkpoint (`nos runs resume ID`).',
    ).toData();
  }
  if (!(err instanceof NosError) && (code === 'EROFS' || code === 'EACCES' || code === 'EPERM')) {
    return new NosError(
      'STORAGE',
      `The run folder cannot be written: ${message}`,
      'Make the data directory writable (or choose another with --data-dir), then resume.',
    ).toData();
  }
  const data = toErrorData(err);
  if (data.code === 'INTERNAL' && err instanceof Error && err.stack) {
    return { ...data, detail: { ...data.detail, stack: err.stack } };
  }
  return data;
}
