/**
 * Writes resources/data/fashion-mnist-sample/ from Debian's Fashion-MNIST: the first 300
 * training images of each class (3,000) and the first 100 test images of each class (1,000), in
 * file order, as gzipped IDX files. Deterministic: running it again gives identical files.
 *
 *   npx tsx src-main/data/tools/make-bundled-sample.ts [sourceDir] [outDir]
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../../util/atomic-file';
import { DEBIAN_FASHION_MNIST_DIR } from '../detect';
import { findIdxFiles, parseIdx, readMaybeGzip } from '../importers/idx';

const TRAIN_PER_CLASS = 300;
const TEST_PER_CLASS = 100;
const CLASSES = 10;

function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

function subset(source: string, split: 'train' | 'test', perClass: number, out: string): void {
  const files = findIdxFiles(source);
  const imageFile = files.get(`${split}-images`)!;
  const labelFile = files.get(`${split}-labels`)!;
  const images = parseIdx(readMaybeGzip(imageFile), imageFile, 3);
  const labels = parseIdx(readMaybeGzip(labelFile), labelFile, 1);
  const [, h, w] = images.dims;
  const taken = new Array<number>(CLASSES).fill(0);
  const picks: number[] = [];
  for (let i = 0; i < labels.data.length && picks.length < perClass * CLASSES; i++) {
    if (taken[labels.data[i]] < perClass) {
      taken[labels.data[i]]++;
      picks.push(i);
    }
  }
  const pickedImages = new Uint8Array(picks.length * h * w);
  const pickedLabels = new Uint8Array(picks.length);
  picks.forEach((i, k) => {
    pickedImages.set(images.data.subarray(i * h * w, (i + 1) * h * w), k * h * w);
    pickedLabels[k] = labels.data[i];
  });
  const prefix = split === 'train' ? 'train' : 't10k';
  const gz = (bytes: Uint8Array): Uint8Array => gzipSync(bytes, { level: 9 });
  writeFileAtomic(
    join(out, `${prefix}-images-idx3-ubyte.gz`),
    gz(idxBytes([picks.length, h, w], pickedImages)),
  );
  writeFileAtomic(
    join(out, `${prefix}-labels-idx1-ubyte.gz`),
    gz(idxBytes([picks.length], pickedLabels)),
  );
  console.log(
    `${split}: ${picks.length} images (${perClass} per class), last source index ${picks[picks.length - 1]}`,
  );
}

const source = resolve(process.argv[2] ?? DEBIAN_FASHION_MNIST_DIR);
const out = resolve(process.argv[3] ?? 'resources/data/fashion-mnist-sample');
mkdirSync(out, { recursive: true });
subset(source, 'train', TRAIN_PER_CLASS, out);
subset(source, 'test', TEST_PER_CLASS, out);
