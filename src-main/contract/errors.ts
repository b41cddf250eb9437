/**
 * The error vocabulary shared by every process. A failure carries a stable `code` that the CLI
 * (exit codes), the IPC layer and the renderer react to, a message that names the thing and what
 * was wrong, and a `hint` saying what to do about it. Plain TypeScript: no Node, no Electron.
 */

export const ERROR_CODES = [
  'BAD_INPUT', // a file, config, flag or payload is malformed: the user must change it
  'NOT_FOUND', // a named dataset, run, genotype or file does not exist
  'CONFLICT', // the thing already exists, or is in a state that forbids the action
  'BACKEND_UNAVAILABLE', // a named compute backend cannot be loaded here
  'OUT_OF_MEMORY', // a configuration does not fit, or a step ran out of memory
  'RUN_FAILED', // a training run stopped with an error (NaN loss, worker crash, ...)
  'STORAGE', // the data directory or database cannot be read or written
  'CANCELLED', // the user cancelled
  'INTERNAL', // a bug: none of the above
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface NosErrorData {
  code: ErrorCode;
  message: string;
  hint?: string;
  /** Machine-readable detail, such as the offending field path or file. */
  detail?: Record<string, unknown>;
}

export class NosError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly detail?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, hint?: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = 'NosError';
    this.code = code;
    this.hint = hint;
    this.detail = detail;
  }

  toData(): NosErrorData {
    return { code: this.code, message: this.message, hint: this.hint, detail: this.detail };
  }

  static fromData(data: NosErrorData): NosError {
    return new NosError(data.code, data.message, data.hint, data.detail);
  }
}

/** True when `value` is a serialised or live NosError. */
export function isNosErrorData(value: unknown): value is NosErrorData {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.message === 'string' && ERROR_CODES.includes(v.code as ErrorCode);
}

/** Normalises anything thrown into NosErrorData (unknown errors become INTERNAL). */
export function toErrorData(err: unknown): NosErrorData {
  if (err instanceof NosError) return err.toData();
  if (isNosErrorData(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}
