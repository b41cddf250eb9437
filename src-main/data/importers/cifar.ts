/**
 * CIFAR-10 and CIFAR-100, binary version (Krizhevsky 2009), as distributed: the folder of batch
 * files (`cifar-10-batches-bin/`, `cifar-100-binary/`), its parent, or the `.tar.gz` archive.
 *
 * A record is 1 label byte (CIFAR-10) or 2 (CIFAR-100: coarse, then fine), then 3072 pixel bytes
 * as three 32x32 planes (R, G, B: planar CHW). The canonical store is NHWC, so every record is
 * interleaved on the way in.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tar from 'tar';
import { NosError } from '../../contract/errors';
import type { CanonicalBuilder, ImportedContent, SplitName } from '../canonical';
import { withFile } from '../fs-errors';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

const SIDE = 32;
const PLANE = SIDE * SIDE;
const PIXEL_BYTES = 3 * PLANE;

interface CifarLayout {
  train: string[];
  test: string[];
  labelBytes: 1 | 2;
  namesFile: string;
}

export const LAYOUTS = {
  cifar10: {
    train: [
      'data_batch_1.bin',
      'data_batch_2.bin',
      'data_batch_3.bin',
      'data_batch_4.bin',
      'data_batch_5.bin',
    ],
    test: ['test_batch.bin'],
    labelBytes: 1,
    namesFile: 'batches.meta.txt',
  },
  cifar100: {
    train: ['train.bin'],
    test: ['test.bin'],
    labelBytes: 2,
    namesFile: 'fine_label_names.txt',
  },
} satisfies Record<string, CifarLayout>;

export type CifarFormat = keyof typeof LAYOUTS;

export function isArchive(path: string): boolean {
  return /\.(tar\.gz|tgz)$/i.test(path);
}

function holdsBatches(dir: string, format: CifarFormat): boolean {
  const layout = LAYOUTS[format];
  return [...layout.train, ...layout.test].some((f) => existsSync(join(dir, f)));
}

/** The folder holding the batch files: `dir` itself or one of its subfolders (two levels). */
export function findBatchFolder(dir: string, format: CifarFormat, depth = 2): string | null {
  if (holdsBatches(dir, format)) return dir;
  if (depth === 0) return null;
  const entries = withFile(dir, 'read', () => readdirSync(dir, { withFileTypes: true }));
  for (const entry of entries
    .filter((e) => e.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const found = findBatchFolder(join(dir, entry.name), format, depth - 1);
    if (found) return found;
  }
  return null;
}

/** True when `path` looks like CIFAR of the given kind (folder or archive by name). */
export function looksLikeCifar(path: string, format: CifarFormat): boolean {
  try {
    if (statSync(path).isFile()) {
      return (
        isArchive(path) && basename(path).includes(format === 'cifar10' ? 'cifar-10' : 'cifar-100')
      );
    }
    return findBatchFolder(path, format) !== null;
  } catch {
    return false;
  }
}

export async function unpack(archive: string, into: string): Promise<void> {
  try {
    await tar.x({ file: archive, cwd: into, strict: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES') throw err;
    throw new NosError(
      'BAD_INPUT',
      `${archive} cannot be unpacked: ${e.message}. It is truncated or not a .tar.gz archive.`,
      'Download the archive again, or unpack it yourself and import the folder.',
      { file: archive },
    );
  }
}

function readClassNames(
  dir: string,
  file: string,
  count: number,
  fallbackPrefix: string,
): string[] {
  const path = join(dir, file);
  if (existsSync(path)) {
    const names = withFile(path, 'read', () => readFileSync(path, 'utf8'))
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (names.length === count) return names;
  }
  if (count === 10 && fallbackPrefix === 'class') return [...CIFAR10_CLASSES];
  return Array.from({ length: count }, (_, i) => `${fallbackPrefix}_${i}`);
}

export function cifarClassCount(format: CifarFormat, labels: 'fine' | 'coarse'): number {
  return format === 'cifar10' ? 10 : labels === 'coarse' ? 20 : 100;
}

/** Class names from the distributed names file; generic names when it is missing or short. */
export function cifarClassNames(
  dir: string,
  format: CifarFormat,
  labels: 'fine' | 'coarse',
): string[] {
  const coarse = format === 'cifar100' && labels === 'coarse';
  const namesFile = coarse ? 'coarse_label_names.txt' : LAYOUTS[format].namesFile;
  const prefix = coarse ? 'superclass' : 'class';
  return readClassNames(dir, namesFile, cifarClassCount(format, labels), prefix);
}

/**
 * Converts one batch file to NHWC images and labels. `labelOffset` picks the label byte of a
 * record (CIFAR-100: 0 = coarse, 1 = fine).
 */
export function decodeCifarBatch(
  bytes: Uint8Array,
  file: string,
  labelBytes: 1 | 2,
  labelOffset: number,
): { images: Uint8Array; labels: Uint8Array } {
  const recordBytes = labelBytes + PIXEL_BYTES;
  if (bytes.length === 0 || bytes.length % recordBytes !== 0) {
    throw new NosError(
      'BAD_INPUT',
      `${file}: ${bytes.length} bytes is not a whole number of ${recordBytes}-byte records ` +
        `(${labelBytes} label byte${labelBytes > 1 ? 's' : ''} + 3072 pixel bytes): ` +
        `the file is truncated or not CIFAR-${labelBytes === 1 ? '10' : '100'} binary.`,
      labelBytes === 1
        ? 'Use the binary version of CIFAR-10 (not the Python or MATLAB one); for CIFAR-100 choose format cifar100.'
        : 'Use the binary version of CIFAR-100; for CIFAR-10 choose format cifar10.',
      { file, size: bytes.length, recordBytes },
    );
  }
  const n = bytes.length / recordBytes;
  const images = new Uint8Array(n * PIXEL_BYTES);
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const base = r * recordBytes;
    labels[r] = bytes[base + labelOffset];
    const src = base + labelBytes;
    const dst = r * PIXEL_BYTES;
    // Planar CHW (R plane, G plane, B plane) -> interleaved HWC.
    for (let p = 0; p < PLANE; p++) {
      images[dst + 3 * p] = bytes[src + p];
      images[dst + 3 * p + 1] = bytes[src + PLANE + p];
      images[dst + 3 * p + 2] = bytes[src + 2 * PLANE + p];
    }
  }
  return { images, labels };
}

function importSplit(
  builder: CanonicalBuilder,
  dir: string,
  split: SplitName,
  files: string[],
  labelBytes: 1 | 2,
  labelOffset: number,
  classCount: number,
): void {
  const present = files.filter((f) => existsSync(join(dir, f)));
  if (present.length === 0) {
    throw new NosError(
      'BAD_INPUT',
      `${dir}: no ${split === 'train' ? 'training' : 'test'} batch file (expected ${files.join(', ')}).`,
      'Point at the unpacked CIFAR folder as distributed, or at its .tar.gz archive.',
      { file: dir },
    );
  }
  const writer = builder.openSplit(split, [SIDE, SIDE, 3], classCount);
  for (const name of present) {
    const file = join(dir, name);
    const bytes = withFile(file, 'read', () => readFileSync(file));
    const { images, labels } = decodeCifarBatch(bytes, file, labelBytes, labelOffset);
    writer.append(images, labels, file);
  }
}

/** Imports CIFAR-10 or CIFAR-100 (binary version) from a folder or `.tar.gz` into `builder`. */
export async function importCifar(
  builder: CanonicalBuilder,
  path: string,
  format: CifarFormat,
  labels: 'fine' | 'coarse',
): Promise<ImportedContent> {
  let root = path;
  if (withFile(path, 'read', () => statSync(path)).isFile()) {
    if (!isArchive(path)) {
      throw new NosError(
        'BAD_INPUT',
        `${path} is neither a folder nor a .tar.gz archive.`,
        'Give the folder of CIFAR batch files or the .tar.gz archive as downloaded.',
        { file: path },
      );
    }
    root = builder.scratchDir();
    await unpack(path, root);
  }
  const dir = findBatchFolder(root, format);
  if (!dir) {
    const layout = LAYOUTS[format];
    throw new NosError(
      'BAD_INPUT',
      `${path} holds no ${format === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} batch files ` +
        `(looked for ${[...layout.train, ...layout.test].join(', ')}).`,
      'Use the binary version of the dataset and check the format you chose.',
      { file: path },
    );
  }

  const coarse = format === 'cifar100' && labels === 'coarse';
  const classCount = cifarClassCount(format, labels);
  const layout: CifarLayout = LAYOUTS[format];
  const labelOffset = format === 'cifar100' && !coarse ? 1 : 0;
  importSplit(builder, dir, 'train', layout.train, layout.labelBytes, labelOffset, classCount);
  importSplit(builder, dir, 'test', layout.test, layout.labelBytes, labelOffset, classCount);

  return {
    format,
    classNames: cifarClassNames(dir, format, labels),
    options: format === 'cifar100' ? { labels } : {},
    skippedFiles: [],
  };
}
