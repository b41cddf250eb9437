/**
 * The canonical dataset folder every importer writes and every reader opens:
 *
 *   <id>/train-images.u8   uint8, N*H*W*C, NHWC (row-major, channels last)
 *   <id>/train-labels.u8   uint8 per image (or .u16: uint16 little-endian, more than 256 classes)
 *   <id>/test-images.u8, <id>/test-labels.u8|.u16
 *   <id>/meta.json         DatasetMeta (src-main/contract/datasets.ts)
 *
 * `CanonicalBuilder` writes all of it into a hidden temporary folder beside the target and
 * renames it into place only when everything is written and checked, so a failed import leaves
 * nothing behind and never overwrites an existing dataset.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  DATASET_META_VERSION,
  DatasetMetaSchema,
  type DatasetMeta,
  type SkippedFile,
  type StoredFormat,
} from '../contract/datasets';
import { NosError } from '../contract/errors';
import { writeJsonAtomic } from '../util/atomic-file';
import { asNosError, makeDirs, withFile } from './fs-errors';

export type SplitName = 'train' | 'test';
export type ImageShape = [height: number, width: number, channels: number];

export const META_FILE = 'meta.json';

export function imagesFile(split: SplitName): string {
  return `${split}-images.u8`;
}

export function labelsFile(split: SplitName, labelBytes: 1 | 2): string {
  return `${split}-labels.${labelBytes === 1 ? 'u8' : 'u16'}`;
}

/** Reads and validates `<dir>/meta.json`. */
export function readMeta(dir: string): DatasetMeta {
  const file = join(dir, META_FILE);
  const text = withFile(file, 'read', () => readFileSync(file, 'utf8'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new NosError('BAD_INPUT', `${file} is not valid JSON.`, 'Re-import the dataset.');
  }
  const result = DatasetMetaSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new NosError(
      'BAD_INPUT',
      `${file} does not describe a dataset: ${issue.path.join('.')}: ${issue.message}.`,
      'Re-import the dataset.',
      { file },
    );
  }
  return result.data;
}

/**
 * sha256 of a canonical folder's content: the shape header, then images and labels of the
 * training and test sets. Two imports of the same data give the same checksum whatever their
 * names, which is how a second import of the same data is recognised.
 */
export function contentChecksum(
  dir: string,
  shape: ImageShape,
  labelBytes: 1 | 2,
  classCount: number,
): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ v: 1, shape, labelBytes, classCount }));
  const chunk = Buffer.allocUnsafe(4 << 20);
  for (const split of ['train', 'test'] as const) {
    for (const name of [imagesFile(split), labelsFile(split, labelBytes)]) {
      const file = join(dir, name);
      hash.update(`\n${name}\n`);
      withFile(file, 'read', () => {
        const fd = openSync(file, 'r');
        try {
          for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
            hash.update(chunk.subarray(0, n));
          }
        } finally {
          closeSync(fd);
        }
      });
    }
  }
  return hash.digest('hex');
}

/** Recomputes the checksum of an imported dataset folder from its files (verification). */
export function datasetChecksum(dir: string): string {
  const meta = readMeta(dir);
  return contentChecksum(dir, meta.imageShape, meta.labelBytes, meta.classCount);
}

/** Answers "is this checksum already imported, and as what?" (the store knows). */
export type ExistingChecksums =
  ReadonlyMap<string, string> | ((checksum: string) => string | undefined | null);

function lookupExisting(existing: ExistingChecksums | undefined, checksum: string): string | null {
  if (!existing) return null;
  const found = typeof existing === 'function' ? existing(checksum) : existing.get(checksum);
  return found ?? null;
}

/** Streams one set (train or test) into its two files, checking labels on the way. */
export class SplitWriter {
  readonly split: SplitName;
  count = 0;
  private readonly imageFd: number;
  private readonly labelFd: number;
  private readonly recordBytes: number;
  /** Per channel, per byte value: how many pixels. Mean and std are exact from it. */
  readonly histogram: Float64Array;

  constructor(
    dir: string,
    split: SplitName,
    readonly shape: ImageShape,
    readonly labelBytes: 1 | 2,
    readonly classCount: number,
  ) {
    this.split = split;
    this.recordBytes = shape[0] * shape[1] * shape[2];
    this.histogram = new Float64Array(256 * shape[2]);
    this.imageFd = withFile(dir, 'write', () => openSync(join(dir, imagesFile(split)), 'w'));
    this.labelFd = withFile(dir, 'write', () =>
      openSync(join(dir, labelsFile(split, labelBytes)), 'w'),
    );
  }

  /**
   * Appends images (uint8 NHWC, n*H*W*C) and their labels. `sourceFile` names where they came
   * from, for the error when a label is out of range.
   */
  append(images: Uint8Array, labels: ArrayLike<number>, sourceFile: string): void {
    const n = labels.length;
    if (images.length !== n * this.recordBytes) {
      throw new NosError(
        'INTERNAL',
        `${sourceFile}: ${images.length} image bytes for ${n} labels (expected ${n * this.recordBytes}).`,
      );
    }
    const labelBuf = Buffer.alloc(n * this.labelBytes);
    for (let i = 0; i < n; i++) {
      const label = labels[i];
      if (!Number.isInteger(label) || label < 0 || label >= this.classCount) {
        throw new NosError(
          'BAD_INPUT',
          `${sourceFile}: label ${label} of record ${i} is out of range (expected 0..${this.classCount - 1}).`,
          'The file is corrupt or of another format; check the format you chose.',
          { file: sourceFile, record: i, label },
        );
      }
      if (this.labelBytes === 1) labelBuf[i] = label;
      else labelBuf.writeUInt16LE(label, 2 * i);
    }
    if (this.split === 'train') this.accumulate(images);
    writeAll(this.imageFd, images);
    writeAll(this.labelFd, labelBuf);
    this.count += n;
  }

  private accumulate(images: Uint8Array): void {
    const c = this.shape[2];
    const h = this.histogram;
    if (c === 1) {
      for (let i = 0; i < images.length; i++) h[images[i]]++;
      return;
    }
    for (let i = 0; i < images.length; i += c) {
      for (let k = 0; k < c; k++) h[k * 256 + images[i + k]]++;
    }
  }

  /** Per-channel mean and std of the appended pixels, scaled to [0, 1]. */
  stats(): { mean: number[]; std: number[] } {
    const mean: number[] = [];
    const std: number[] = [];
    for (let k = 0; k < this.shape[2]; k++) {
      let n = 0;
      let sum = 0;
      let sumSq = 0;
      for (let v = 0; v < 256; v++) {
        const count = this.histogram[k * 256 + v];
        n += count;
        sum += count * v;
        sumSq += count * v * v;
      }
      const m = n > 0 ? sum / n : 0;
      const variance = n > 0 ? Math.max(0, sumSq / n - m * m) : 0;
      mean.push(m / 255);
      std.push(Math.sqrt(variance) / 255);
    }
    return { mean, std };
  }

  close(): void {
    for (const fd of [this.imageFd, this.labelFd]) {
      fsyncSync(fd);
      closeSync(fd);
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.byteLength) {
    offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
  }
}

/** What an importer reports besides the images it wrote. */
export interface ImportedContent {
  format: StoredFormat;
  classNames: string[];
  options: Record<string, unknown>;
  skippedFiles: SkippedFile[];
}

let tempCounter = 0;

/**
 * Builds one canonical dataset folder in `<destRoot>/.importing-<id>-...` and renames it to
 * `<destRoot>/<id>` on commit. Call `abort()` on any failure (it is safe to call twice).
 */
export class CanonicalBuilder {
  readonly tempDir: string;
  readonly targetDir: string;
  private readonly writers = new Map<SplitName, SplitWriter>();

  constructor(
    readonly destRoot: string,
    readonly id: string,
  ) {
    this.targetDir = join(destRoot, id);
    if (existsSync(this.targetDir)) {
      throw new NosError(
        'CONFLICT',
        `A dataset folder named "${id}" already exists in ${destRoot}.`,
        'Choose another name, or delete the existing dataset first.',
        { id },
      );
    }
    this.tempDir = join(destRoot, `.importing-${id}-${process.pid}-${tempCounter++}`);
    withFile(destRoot, 'write', () => makeDirs(this.tempDir));
  }

  /** A folder inside the temporary dataset folder for scratch files (removed on commit). */
  scratchDir(): string {
    const dir = join(this.tempDir, 'scratch');
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  openSplit(split: SplitName, shape: ImageShape, classCount: number): SplitWriter {
    const other = this.writers.get(split === 'train' ? 'test' : 'train');
    if (other && other.shape.join('x') !== shape.join('x')) {
      throw new NosError(
        'BAD_INPUT',
        `The ${split} images are ${shape.join('x')} (HxWxC) but the ${other.split} images are ${other.shape.join('x')}.`,
        'Both sets of a dataset must have the same image shape.',
      );
    }
    const labelBytes = classCount <= 256 ? 1 : 2;
    const writer = new SplitWriter(this.tempDir, split, shape, labelBytes, classCount);
    this.writers.set(split, writer);
    return writer;
  }

  /**
   * Checks the two sets, computes stats and checksum, refuses a duplicate, writes meta.json and
   * moves the folder into place. Returns the meta that was written.
   */
  commit(
    content: ImportedContent,
    name: string,
    source: string,
    existing?: ExistingChecksums,
  ): DatasetMeta {
    const train = this.writers.get('train');
    const test = this.writers.get('test');
    if (!train || !test) throw new NosError('INTERNAL', 'An importer did not write both sets.');
    train.close();
    test.close();
    if (train.count === 0) {
      throw new NosError(
        'BAD_INPUT',
        `${source}: no training images were found.`,
        'Check that the path holds the training files of the chosen format.',
        { file: source },
      );
    }
    if (content.classNames.length !== train.classCount) {
      throw new NosError(
        'INTERNAL',
        `Importer gave ${content.classNames.length} class names for ${train.classCount} classes.`,
      );
    }
    rmSync(join(this.tempDir, 'scratch'), { recursive: true, force: true });

    const checksum = contentChecksum(this.tempDir, train.shape, train.labelBytes, train.classCount);
    const already = lookupExisting(existing, checksum);
    if (already !== null) {
      throw new NosError(
        'CONFLICT',
        `This data is already imported as "${already}" (same content checksum ${checksum.slice(0, 12)}).`,
        `Use the dataset "${already}" instead of importing it again.`,
        { checksum, existing: already },
      );
    }

    const { mean, std } = train.stats();
    const meta: DatasetMeta = {
      version: DATASET_META_VERSION,
      id: this.id,
      name,
      format: content.format,
      source,
      trainCount: train.count,
      testCount: test.count,
      classCount: train.classCount,
      classNames: content.classNames,
      imageShape: train.shape,
      labelBytes: train.labelBytes,
      mean,
      std,
      checksum,
      createdAt: new Date().toISOString(),
      options: content.options,
      skippedFiles: content.skippedFiles,
    };
    DatasetMetaSchema.parse(meta);
    writeJsonAtomic(join(this.tempDir, META_FILE), meta);

    // The final step: one rename. The target is checked again because another import could
    // have taken the name while this one ran; rename would replace an empty folder silently.
    if (existsSync(this.targetDir)) {
      throw new NosError(
        'CONFLICT',
        `A dataset folder named "${this.id}" appeared in ${this.destRoot} during the import.`,
        'Choose another name.',
        { id: this.id },
      );
    }
    try {
      renameSync(this.tempDir, this.targetDir);
    } catch (err) {
      throw asNosError(err, this.targetDir, 'write');
    }
    return meta;
  }

  abort(): void {
    for (const writer of this.writers.values()) {
      try {
        writer.close();
      } catch {
        // Already closed (commit failed after closing): nothing to release.
      }
    }
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/** Size of a file in bytes, as a NosError naming the file when it cannot be read. */
export function fileSize(file: string): number {
  return withFile(file, 'read', () => statSync(file).size);
}
