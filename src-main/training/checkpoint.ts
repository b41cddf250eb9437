/**
 * Checkpoint files: everything a run needs to continue exactly where it stopped (weights,
 * alphas, batch-norm buffers, optimiser slots as named tensors; epoch, step, random state, data
 * order and settings as JSON).
 *
 * Layout of a `.nosckpt` file (little-endian):
 *   8 bytes  magic "NOSCKPT1"
 *   4 bytes  header length H
 *   H bytes  header JSON: { version, meta, tensors: [{ name, shape, offset, length }], sha256 }
 *   rest     float32 payload, tensors back to back (offset and length in values)
 * The SHA-256 of the payload is checked on load, so a truncated or damaged file is refused
 * instead of resuming from garbage. Files are written atomically (temp file, fsync, rename).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { NosError } from '../contract/errors';
import type { StateDict } from '../nn/module';
import { writeFileAtomic } from '../util/atomic-file';

const MAGIC = 'NOSCKPT1';
const VERSION = 1;

export interface CheckpointData<M = Record<string, unknown>> {
  /** Plain JSON: epoch, step, random state, data order, optimiser scalars, settings. */
  meta: M;
  /** Named tensors, grouped by a prefix such as `model/`, `alphas/`, `opt.weights/`. */
  tensors: StateDict;
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

interface Header {
  version: number;
  meta: unknown;
  tensors: TensorEntry[];
  sha256: string;
}

/** Writes a checkpoint atomically: a reader or a crash never sees a half-written file. */
export function saveCheckpoint(path: string, data: CheckpointData<object>): void {
  const entries: TensorEntry[] = [];
  let total = 0;
  for (const [name, t] of Object.entries(data.tensors)) {
    entries.push({ name, shape: t.shape, offset: total, length: t.data.length });
    total += t.data.length;
  }
  const payload = new Float32Array(total);
  for (const e of entries) payload.set(data.tensors[e.name].data, e.offset);
  const payloadBytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const header: Header = {
    version: VERSION,
    meta: data.meta,
    tensors: entries,
    sha256: createHash('sha256').update(payloadBytes).digest('hex'),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length, 0);
  writeFileAtomic(
    path,
    Buffer.concat([Buffer.from(MAGIC, 'ascii'), length, headerBytes, payloadBytes]),
  );
}

/** Reads a checkpoint written by `saveCheckpoint`, refusing missing, foreign or damaged files. */
export function loadCheckpoint<M = Record<string, unknown>>(path: string): CheckpointData<M> {
  if (!existsSync(path)) {
    throw new NosError(
      'NOT_FOUND',
      `Checkpoint ${path} does not exist.`,
      'Resume from a run that wrote a checkpoint (see the run folder).',
    );
  }
  const bytes = readFileSync(path);
  const bad = (what: string) =>
    new NosError(
      'BAD_INPUT',
      `Checkpoint ${path} is not readable: ${what}.`,
      'The file is damaged or not a NOS Studio checkpoint; resume from an earlier checkpoint.',
    );
  if (bytes.length < 12 || bytes.toString('ascii', 0, 8) !== MAGIC) {
    throw bad(`expected the magic "${MAGIC}" at the start`);
  }
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) throw bad('the header is cut short');
  let header: Header;
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength)) as Header;
  } catch {
    throw bad('the header is not valid JSON');
  }
  if (header.version !== VERSION) {
    throw bad(`format version ${header.version}, expected ${VERSION}`);
  }
  const payloadBytes = bytes.subarray(12 + headerLength);
  const sha = createHash('sha256').update(payloadBytes).digest('hex');
  if (sha !== header.sha256) throw bad('the payload checksum does not match (truncated file?)');
  // Copy into an aligned buffer: Float32Array views need a 4-byte aligned offset.
  const payload = new Float32Array(new Uint8Array(payloadBytes).buffer);
  const tensors: StateDict = {};
  for (const e of header.tensors) {
    tensors[e.name] = { shape: e.shape, data: payload.slice(e.offset, e.offset + e.length) };
  }
  return { meta: header.meta as M, tensors };
}

/** Entries of `dict` under `prefix/`, with the prefix removed. */
export function takePrefix(dict: StateDict, prefix: string): StateDict {
  const out: StateDict = {};
  const p = `${prefix}/`;
  for (const [k, v] of Object.entries(dict)) if (k.startsWith(p)) out[k.slice(p.length)] = v;
  return out;
}

/** `dict` with every key put under `prefix/`. */
export function withPrefix(dict: StateDict, prefix: string): StateDict {
  const out: StateDict = {};
  for (const [k, v] of Object.entries(dict)) out[`${prefix}/${k}`] = v;
  return out;
}
