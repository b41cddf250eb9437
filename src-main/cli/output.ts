/**
 * Where the CLI writes: results for people on stdout, or, with `--json`, exactly one JSON document
 * on stdout at the end; progress, notes and errors always on stderr, so `nos ... --json | jq`
 * works while a run reports progress.
 */
import { NosError, toErrorData, type ErrorCode } from '../contract/errors';

export interface CliStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

export const EXIT_OK = 0;
/** A run failed, was cancelled or interrupted, or the machine refused (storage, memory). */
export const EXIT_FAILED = 1;
/** The user asked for something malformed, missing or impossible right now. */
export const EXIT_BAD_INPUT = 2;
/** Stopped by Ctrl-C (the run was paused and can be resumed). */
export const EXIT_INTERRUPTED = 130;

const BAD_INPUT_CODES: readonly ErrorCode[] = ['BAD_INPUT', 'NOT_FOUND', 'CONFLICT'];

export function exitCodeFor(err: unknown): number {
  const code = toErrorData(err).code;
  return BAD_INPUT_CODES.includes(code) ? EXIT_BAD_INPUT : EXIT_FAILED;
}

export class Output {
  constructor(
    readonly json: boolean,
    private readonly streams: CliStreams = { stdout: process.stdout, stderr: process.stderr },
  ) {}

  /** True when stderr is a terminal (progress bar instead of plain lines). */
  get interactive(): boolean {
    return this.streams.stderr.isTTY === true;
  }

  /** A result line for people; nothing in --json mode (the document carries it). */
  line(text = ''): void {
    if (!this.json) this.streams.stdout.write(`${text}\n`);
  }

  /** Status and progress for people, on stderr in every mode. */
  note(text: string): void {
    this.streams.stderr.write(`${text}\n`);
  }

  /** The one JSON document of --json mode. */
  document(value: unknown): void {
    if (this.json) this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Reports a failure: message and hint on stderr; in --json mode also as the document. */
  error(err: unknown): void {
    const data = toErrorData(err);
    this.note(`error: ${data.message}`);
    if (data.hint) this.note(`hint: ${data.hint}`);
    if (
      data.code === 'INTERNAL' &&
      err instanceof Error &&
      !(err instanceof NosError) &&
      err.stack
    ) {
      this.note(err.stack);
    }
    this.document({ error: { code: data.code, message: data.message, hint: data.hint ?? null } });
  }

  stderrStream(): CliStreams['stderr'] {
    return this.streams.stderr;
  }
}
