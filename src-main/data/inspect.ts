/**
 * `inspectDataset`: what an import of a source would give (format, classes, counts, shape) and
 * what the user should know first, without writing anything to the data directory. Files are
 * checked as far as their headers and sizes allow; an archive is unpacked into a temporary
 * folder that is removed afterwards. Problems are the same NosErrors the import would throw.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ImportOptionsSchema, type ImportRequest, type StoredFormat } from '../contract/datasets';
import { NosError } from '../contract/errors';
import { fileSize } from './canonical';
import { withFile } from './fs-errors';
import { detectFormat, parseRequest } from './import';
import {
  cifarClassNames,
  findBatchFolder,
  isArchive,
  LAYOUTS,
  unpack,
  type CifarFormat,
} from './importers/cifar';
import {
  FASHION_MNIST_CLASSES,
  findIdxFiles,
  MNIST_CLASSES,
  parseIdx,
  readMaybeGzip,
} from './importers/idx';
import { planImageFolder } from './importers/image-folder';

const CIFAR_PIXELS = 3072;

/**
 * What `inspectDataset` found. The same shape as the contract's `DatasetInspection`
 * (contract/api.ts), restated here because the lint layering keeps training-side code from
 * importing any folder named `api`.
 */
export interface DatasetInspection {
  format: StoredFormat;
  classNames: string[];
  trainCount: number;
  testCount: number;
  /** Height, width, channels of the images as they will be stored. */
  imageShape: [number, number, number];
  warnings: string[];
}

function cifarSplitCount(dir: string, files: readonly string[], labelBytes: number): number {
  let count = 0;
  for (const name of files) {
    const file = join(dir, name);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      continue;
    }
    if (size === 0 || size % (labelBytes + CIFAR_PIXELS) !== 0) {
      throw new NosError(
        'BAD_INPUT',
        `${file}: ${size} bytes is not a whole number of ${labelBytes + CIFAR_PIXELS}-byte records.`,
        'The file is truncated or of another format; check the format you chose.',
        { file },
      );
    }
    count += size / (labelBytes + CIFAR_PIXELS);
  }
  return count;
}

async function inspectCifar(
  path: string,
  format: CifarFormat,
  labels: 'fine' | 'coarse',
): Promise<DatasetInspection> {
  let scratch: string | null = null;
  try {
    let root = path;
    if (statSync(path).isFile()) {
      if (!isArchive(path)) {
        throw new NosError(
          'BAD_INPUT',
          `${path} is neither a folder nor a .tar.gz archive.`,
          'Give the folder of CIFAR batch files or the .tar.gz archive as downloaded.',
          { file: path },
        );
      }
      scratch = mkdtempSync(join(tmpdir(), 'nos-inspect-'));
      await unpack(path, scratch);
      root = scratch;
    }
    const dir = findBatchFolder(root, format);
    if (!dir) {
      throw new NosError(
        'BAD_INPUT',
        `${path} holds no ${format} batch files.`,
        'Use the binary version of the dataset and check the format you chose.',
        { file: path },
      );
    }
    const layout = LAYOUTS[format];
    const trainCount = cifarSplitCount(dir, layout.train, layout.labelBytes);
    const testCount = cifarSplitCount(dir, layout.test, layout.labelBytes);
    const warnings: string[] = [];
    const missing = [...layout.train, ...layout.test].filter((f) => !safeExists(join(dir, f)));
    if (missing.length > 0) warnings.push(`Missing batch files: ${missing.join(', ')}.`);
    return {
      format,
      classNames: cifarClassNames(dir, format, labels),
      trainCount,
      testCount,
      imageShape: [32, 32, 3],
      warnings,
    };
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

function safeExists(file: string): boolean {
  try {
    return fileSize(file) >= 0;
  } catch {
    return false;
  }
}

function inspectIdx(dir: string, format: 'mnist' | 'fashion-mnist'): DatasetInspection {
  const files = findIdxFiles(dir);
  const dims = (key: string, n: number): number[] => {
    const file = files.get(key);
    if (!file) {
      throw new NosError(
        'BAD_INPUT',
        `${dir}: no ${key} IDX file.`,
        'Point at the folder holding the four IDX files of MNIST or Fashion-MNIST.',
        { file: dir },
      );
    }
    return parseIdx(readMaybeGzip(file), file, n).dims;
  };
  const train = dims('train-images', 3);
  const test = dims('test-images', 3);
  const warnings: string[] = [];
  if (dims('train-labels', 1)[0] !== train[0])
    warnings.push('Training images and labels disagree in number.');
  if (dims('test-labels', 1)[0] !== test[0])
    warnings.push('Test images and labels disagree in number.');
  return {
    format,
    classNames: [...(format === 'mnist' ? MNIST_CLASSES : FASHION_MNIST_CLASSES)],
    trainCount: train[0],
    testCount: test[0],
    imageShape: [train[1], train[2], 1],
    warnings,
  };
}

function inspectImageFolder(root: string, request: ImportRequest): DatasetInspection {
  const options = ImportOptionsSchema.parse(request.options ?? {});
  const plan = planImageFolder(root, options);
  const warnings = [
    'Images are decoded at import: unreadable ones are skipped and listed, and the import is ' +
      `refused if more than ${(options.maxCorruptFraction * 100).toFixed(1)}% are bad.`,
  ];
  if (plan.test.length === 0) warnings.push('No test images: every class has a single image.');
  const perClass = new Array<number>(plan.classNames.length).fill(0);
  for (const f of plan.train) perClass[f.label]++;
  const small = plan.classNames.filter((_, k) => perClass[k] < 10);
  if (small.length > 0)
    warnings.push(`Classes with fewer than 10 training images: ${small.join(', ')}.`);
  return {
    format: 'image-folder',
    classNames: plan.classNames,
    trainCount: plan.train.length,
    testCount: plan.test.length,
    imageShape: [options.size, options.size, options.channels],
    warnings,
  };
}

/** What importing `request` would produce, checked without writing anything. */
export async function inspectDataset(request: ImportRequest): Promise<DatasetInspection> {
  const parsed = parseRequest(request);
  const path = resolve(parsed.path);
  withFile(path, 'read', () => statSync(path));
  const format = parsed.format === 'auto' ? detectFormat(path) : parsed.format;
  const labels = parsed.options?.labels ?? 'fine';
  switch (format) {
    case 'cifar10':
    case 'cifar100':
      return inspectCifar(path, format, labels);
    case 'mnist':
    case 'fashion-mnist':
      return inspectIdx(path, format);
    case 'image-folder':
      return inspectImageFolder(path, parsed);
  }
}
