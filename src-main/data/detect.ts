/**
 * Real data that needs no download: the Fashion-MNIST of Debian's `dataset-fashion-mnist`
 * package, and the small Fashion-MNIST sample bundled in `resources/data/` (see its README) so
 * the quick start and the tests run offline.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DetectedDataset, ImportRequest } from '../contract/datasets';
import { NosError } from '../contract/errors';
import { findIdxFiles, parseIdx, readMaybeGzip } from './importers/idx';

export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const SAMPLE_SUBDIR = join('data', 'fashion-mnist-sample');

/** Folders that may hold the app's `resources/`, most specific first. */
function resourceRoots(): string[] {
  const roots: string[] = [];
  if (process.env.NOS_RESOURCES_DIR) roots.push(resolve(process.env.NOS_RESOURCES_DIR));
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  if (packaged) roots.push(join(packaged, 'resources'), packaged);
  const starts = [process.cwd()];
  if (typeof __dirname === 'string') starts.unshift(__dirname);
  for (const start of starts) {
    // Source (src-main/data), bundled (out/main) and test layouts all sit a few levels below
    // the project root.
    for (let dir = start, i = 0; i < 6; i++, dir = dirname(dir)) roots.push(join(dir, 'resources'));
  }
  return roots;
}

/** The bundled sample folder, or null when this installation does not have it. */
export function bundledSampleDir(): string | null {
  for (const root of resourceRoots()) {
    const dir = join(root, SAMPLE_SUBDIR);
    if (existsSync(join(dir, 'train-labels-idx1-ubyte.gz'))) return dir;
  }
  return null;
}

/** An import request for the bundled Fashion-MNIST sample. */
export function bundledSampleSource(): ImportRequest {
  const dir = bundledSampleDir();
  if (!dir) {
    throw new NosError(
      'NOT_FOUND',
      `The bundled Fashion-MNIST sample (resources/${SAMPLE_SUBDIR}) is missing.`,
      'Reinstall NOS Studio, or set NOS_RESOURCES_DIR to the folder holding data/fashion-mnist-sample.',
    );
  }
  return { format: 'fashion-mnist', path: dir, name: 'Fashion-MNIST sample' };
}

/** Image counts of an IDX folder, from its (small) label files. */
function idxCounts(dir: string): { train: number; test: number } | null {
  try {
    const files = findIdxFiles(dir);
    const count = (key: string): number => {
      const file = files.get(key);
      if (!file) throw new Error(`no ${key}`);
      return parseIdx(readMaybeGzip(file), file, 1).dims[0];
    };
    return { train: count('train-labels'), test: count('test-labels') };
  } catch {
    return null;
  }
}

/** Datasets on this machine that can be imported without download. */
export function detectDatasets(options: { debianDir?: string } = {}): DetectedDataset[] {
  const found: DetectedDataset[] = [];
  const debianDir = options.debianDir ?? DEBIAN_FASHION_MNIST_DIR;
  const debian = idxCounts(debianDir);
  if (debian) {
    found.push({
      label: 'Fashion-MNIST (Debian package)',
      description: `The full Fashion-MNIST from dataset-fashion-mnist in ${debianDir} (MIT licence).`,
      request: { format: 'fashion-mnist', path: debianDir, name: 'Fashion-MNIST' },
      trainCount: debian.train,
      testCount: debian.test,
    });
  }
  const sampleDir = bundledSampleDir();
  const sample = sampleDir ? idxCounts(sampleDir) : null;
  if (sampleDir && sample) {
    found.push({
      label: 'Fashion-MNIST sample (bundled)',
      description:
        'A class-balanced subset of the real Fashion-MNIST shipped with NOS Studio (MIT licence).',
      request: bundledSampleSource(),
      trainCount: sample.train,
      testCount: sample.test,
    });
  }
  return found;
}
