/**
 * MNIST and Fashion-MNIST in the IDX format (LeCun et al.): a folder holding
 * `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
 * `t10k-labels-idx1-ubyte`, each optionally gzipped (`.gz`; recognised by its magic bytes).
 *
 * IDX header: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then
 * each dimension as a big-endian uint32; the data follows row-major. Images are N x H x W grey,
 * which is already NHWC with C = 1.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NosError } from '../../contract/errors';
import type { CanonicalBuilder, ImportedContent, SplitName } from '../canonical';
import { withFile } from '../fs-errors';

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const IDX_UBYTE = 0x08;

/** A parsed IDX array of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Reads a file, gunzipping it when it starts with the gzip magic bytes. */
export function readMaybeGzip(file: string): Uint8Array {
  const raw = withFile(file, 'read', () => readFileSync(file));
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw);
  } catch (err) {
    throw new NosError(
      'BAD_INPUT',
      `${file} is a truncated or corrupt gzip file (${(err as Error).message}).`,
      'Copy or download the file again.',
      { file },
    );
  }
}

/** Parses an IDX file of unsigned bytes with `expectedDims` dimensions. */
export function parseIdx(bytes: Uint8Array, file: string, expectedDims: number): IdxArray {
  const bad = (problem: string): NosError =>
    new NosError(
      'BAD_INPUT',
      `${file}: ${problem}`,
      'Check that this is an IDX file of the MNIST family.',
      {
        file,
      },
    );
  if (bytes.length < 4) throw bad(`only ${bytes.length} bytes, too short for an IDX header.`);
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const expectedMagic = (IDX_UBYTE << 8) | expectedDims;
  if (magic !== expectedMagic) {
    throw bad(
      `wrong magic number 0x${magic.toString(16).padStart(8, '0')} ` +
        `(expected 0x${expectedMagic.toString(16).padStart(8, '0')}: unsigned bytes, ${expectedDims} dimension(s)).`,
    );
  }
  const headerBytes = 4 + 4 * expectedDims;
  if (bytes.length < headerBytes) throw bad(`truncated header (${bytes.length} bytes).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < expectedDims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expectedLength = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expectedLength) {
    throw bad(
      `${bytes.length < expectedLength ? 'truncated' : 'has trailing bytes'}: ` +
        `header says ${dims.join(' x ')} values (${expectedLength} bytes with header), file has ${bytes.length}.`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

const FILE_PATTERN = /^(train|t10k|test)-(images|labels)[-.]idx([13])-ubyte(\.gz)?$/;

/** Finds the four IDX files in `dir`, keyed `train-images`, `test-labels`, ... */
export function findIdxFiles(dir: string): Map<string, string> {
  const names = withFile(dir, 'read', () => readdirSync(dir));
  const found = new Map<string, string>();
  for (const name of names.sort()) {
    const m = FILE_PATTERN.exec(name);
    if (!m) continue;
    const split = m[1] === 'train' ? 'train' : 'test';
    found.set(`${split}-${m[2]}`, join(dir, name));
  }
  return found;
}

/**
 * True when `dir` holds IDX files of the MNIST family. One is enough: the importer then names
 * the files that are missing, which says more than "unrecognised format".
 */
export function looksLikeIdx(dir: string): boolean {
  try {
    return findIdxFiles(dir).size > 0;
  } catch {
    return false;
  }
}

function requireFile(files: Map<string, string>, key: string, dir: string): string {
  const file = files.get(key);
  if (!file) {
    throw new NosError(
      'BAD_INPUT',
      `${dir}: no ${key} file (expected ${key.replace('test', 't10k')}-idx${key.endsWith('images') ? 3 : 1}-ubyte or .gz).`,
      'Point at the folder holding the four IDX files of MNIST or Fashion-MNIST.',
      { file: dir },
    );
  }
  return file;
}

function importSplit(
  builder: CanonicalBuilder,
  files: Map<string, string>,
  dir: string,
  split: SplitName,
  classCount: number,
): void {
  const imageFile = requireFile(files, `${split}-images`, dir);
  const labelFile = requireFile(files, `${split}-labels`, dir);
  const images = parseIdx(readMaybeGzip(imageFile), imageFile, 3);
  const labels = parseIdx(readMaybeGzip(labelFile), labelFile, 1);
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) {
    throw new NosError(
      'BAD_INPUT',
      `${imageFile} holds ${n} images but ${labelFile} holds ${labels.dims[0]} labels.`,
      'The two files must come from the same set; copy them again.',
      { file: labelFile },
    );
  }
  if (h === 0 || w === 0) {
    throw new NosError(
      'BAD_INPUT',
      `${imageFile}: images of size ${h} x ${w}.`,
      'The file is corrupt.',
      { file: imageFile },
    );
  }
  const writer = builder.openSplit(split, [h, w, 1], classCount);
  writer.append(images.data, labels.data, labelFile);
}

/** Imports an MNIST-family IDX folder (gzipped or not) into `builder`. */
export function importIdx(
  builder: CanonicalBuilder,
  dir: string,
  format: 'mnist' | 'fashion-mnist',
): ImportedContent {
  const classNames = format === 'mnist' ? MNIST_CLASSES : FASHION_MNIST_CLASSES;
  const files = findIdxFiles(dir);
  importSplit(builder, files, dir, 'train', classNames.length);
  importSplit(builder, files, dir, 'test', classNames.length);
  return { format, classNames: [...classNames], options: {}, skippedFiles: [] };
}
