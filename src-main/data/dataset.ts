/**
 * Opening a canonical dataset folder (canonical.ts) for training. Labels are always held in
 * memory (4 bytes per image); images are loaded whole when the set is small enough, otherwise
 * read from disk by index a batch at a time, so an image-folder dataset larger than memory trains
 * with bounded memory.
 */
import { closeSync, openSync, read, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetMeta } from '../contract/datasets';
import { NosError } from '../contract/errors';
import {
  fileSize,
  imagesFile,
  labelsFile,
  readMeta,
  type ImageShape,
  type SplitName,
} from './canonical';
import { withFile } from './fs-errors';

/** One set (train or test) of an opened dataset. */
export interface DatasetSplit {
  readonly split: SplitName;
  readonly count: number;
  /** Height, width, channels of one image. */
  readonly shape: ImageShape;
  /** Class index of every image. */
  readonly labels: Int32Array;
  /** The whole set as uint8 NHWC, or null when it is streamed from disk. */
  readonly images: Uint8Array | null;
  /**
   * Copies the images at `indices` (uint8 NHWC, H*W*C bytes each) into `out` in that order.
   * `out` must hold at least indices.length * H * W * C bytes.
   */
  read(indices: ArrayLike<number>, out: Uint8Array): Promise<void>;
  close(): void;
}

export interface LoadedDataset {
  readonly dir: string;
  readonly meta: DatasetMeta;
  readonly train: DatasetSplit;
  readonly test: DatasetSplit;
  close(): void;
}

export interface OpenOptions {
  /** Sets whose image file is larger than this are streamed from disk. Default 1 GiB. */
  streamAboveBytes?: number;
}

function checkIndex(index: number, count: number, split: SplitName): void {
  if (!(index >= 0 && index < count)) {
    throw new NosError(
      'INTERNAL',
      `Image index ${index} is outside the ${split} set (0..${count - 1}).`,
    );
  }
}

class MemorySplit implements DatasetSplit {
  constructor(
    readonly split: SplitName,
    readonly shape: ImageShape,
    readonly labels: Int32Array,
    readonly images: Uint8Array,
  ) {}

  get count(): number {
    return this.labels.length;
  }

  async read(indices: ArrayLike<number>, out: Uint8Array): Promise<void> {
    this.readSync(indices, out);
  }

  readSync(indices: ArrayLike<number>, out: Uint8Array): void {
    const r = this.shape[0] * this.shape[1] * this.shape[2];
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      checkIndex(i, this.count, this.split);
      out.set(this.images.subarray(i * r, (i + 1) * r), k * r);
    }
  }

  close(): void {}
}

function readAt(
  fd: number,
  out: Uint8Array,
  offset: number,
  length: number,
  position: number,
): Promise<void> {
  return new Promise((resolveRead, reject) => {
    read(fd, out, offset, length, position, (err, bytesRead) => {
      if (err) reject(err);
      else if (bytesRead !== length) reject(new Error(`short read at byte ${position}`));
      else resolveRead();
    });
  });
}

/** Reads images by index from the canonical file; memory use is one batch. */
class DiskSplit implements DatasetSplit {
  readonly images = null;
  private fd: number | null;

  constructor(
    readonly split: SplitName,
    readonly shape: ImageShape,
    readonly labels: Int32Array,
    private readonly file: string,
  ) {
    this.fd = withFile(file, 'read', () => openSync(file, 'r'));
  }

  get count(): number {
    return this.labels.length;
  }

  async read(indices: ArrayLike<number>, out: Uint8Array): Promise<void> {
    if (this.fd === null) throw new NosError('INTERNAL', `${this.file} was read after close().`);
    const fd = this.fd;
    const r = this.shape[0] * this.shape[1] * this.shape[2];
    const reads: Promise<void>[] = [];
    for (let k = 0; k < indices.length; k++) {
      checkIndex(indices[k], this.count, this.split);
      reads.push(readAt(fd, out, k * r, r, indices[k] * r));
    }
    try {
      await Promise.all(reads);
    } catch (err) {
      throw new NosError(
        'STORAGE',
        `${this.file}: ${(err as Error).message}.`,
        'The dataset file changed or the disk failed; re-import the dataset.',
        { file: this.file },
      );
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function readLabels(
  file: string,
  count: number,
  labelBytes: 1 | 2,
  classCount: number,
): Int32Array {
  const bytes = withFile(file, 'read', () => readFileSync(file));
  if (bytes.length !== count * labelBytes) {
    throw corrupt(file, `${bytes.length} bytes, expected ${count * labelBytes}`);
  }
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = labelBytes === 1 ? bytes[i] : bytes.readUInt16LE(2 * i);
    if (label >= classCount) throw corrupt(file, `label ${label} at ${i} >= ${classCount} classes`);
    labels[i] = label;
  }
  return labels;
}

function corrupt(file: string, problem: string): NosError {
  return new NosError(
    'BAD_INPUT',
    `Dataset file ${file} is damaged: ${problem}.`,
    'Delete the dataset and import it again.',
    { file },
  );
}

function openSplit(
  dir: string,
  meta: DatasetMeta,
  split: SplitName,
  streamAbove: number,
): DatasetSplit {
  const count = split === 'train' ? meta.trainCount : meta.testCount;
  const shape = meta.imageShape as ImageShape;
  const labels = readLabels(
    join(dir, labelsFile(split, meta.labelBytes)),
    count,
    meta.labelBytes,
    meta.classCount,
  );
  const file = join(dir, imagesFile(split));
  const expected = count * shape[0] * shape[1] * shape[2];
  const size = fileSize(file);
  if (size !== expected) throw corrupt(file, `${size} bytes, expected ${expected}`);
  if (size > streamAbove) return new DiskSplit(split, shape, labels, file);
  const images = withFile(file, 'read', () => readFileSync(file));
  return new MemorySplit(
    split,
    shape,
    labels,
    new Uint8Array(images.buffer, images.byteOffset, images.length),
  );
}

/** Opens an imported dataset folder: its meta, labels, and images (in memory or streamed). */
export function openDataset(dir: string, options: OpenOptions = {}): LoadedDataset {
  const meta = readMeta(dir);
  const streamAbove = options.streamAboveBytes ?? 1 << 30;
  const train = openSplit(dir, meta, 'train', streamAbove);
  const test = openSplit(dir, meta, 'test', streamAbove);
  return {
    dir,
    meta,
    train,
    test,
    close: () => {
      train.close();
      test.close();
    },
  };
}
