/**
 * Small datasets written by the tests in the exact on-disk formats: CIFAR binary batches, IDX
 * files and image folders. Pixel values are a known function of (record, channel, y, x) so a
 * test can check that every byte landed where it should.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';

export function tempDir(prefix = 'nos-data-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The pixel value the fixtures put at (record r, channel c, row y, column x). */
export function pixel(r: number, c: number, y: number, x: number): number {
  return (r * 7 + c * 50 + y * 3 + x * 5) % 256;
}

/**
 * A CIFAR binary batch: per record `labelBytes` label bytes then 3 planes of 32x32 (R, G, B).
 * CIFAR-100 records carry (coarse, fine).
 */
export function cifarBatch(labels: number[][], firstRecord = 0): Buffer {
  const labelBytes = labels[0].length;
  const record = labelBytes + 3072;
  const out = Buffer.alloc(labels.length * record);
  labels.forEach((ls, r) => {
    ls.forEach((l, k) => (out[r * record + k] = l));
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          out[r * record + labelBytes + c * 1024 + y * 32 + x] = pixel(firstRecord + r, c, y, x);
        }
      }
    }
  });
  return out;
}

/** A CIFAR-10 folder as distributed (`cifar-10-batches-bin/`), `perBatch` records per file. */
export function writeCifar10(root: string, perBatch = 4, testCount = 3): string {
  const dir = join(root, 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  for (let b = 1; b <= 5; b++) {
    const labels = Array.from({ length: perBatch }, (_, i) => [((b - 1) * perBatch + i) % 10]);
    writeFileSync(join(dir, `data_batch_${b}.bin`), cifarBatch(labels, (b - 1) * perBatch));
  }
  writeFileSync(
    join(dir, 'test_batch.bin'),
    cifarBatch(Array.from({ length: testCount }, (_, i) => [i % 10])),
  );
  const names = [
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
  writeFileSync(join(dir, 'batches.meta.txt'), names.join('\n') + '\n\n');
  return dir;
}

/** A CIFAR-100 folder (`cifar-100-binary/`): record i has coarse i % 20, fine (3i) % 100. */
export function writeCifar100(root: string, trainCount = 6, testCount = 2): string {
  const dir = join(root, 'cifar-100-binary');
  mkdirSync(dir, { recursive: true });
  const labels = (n: number): number[][] =>
    Array.from({ length: n }, (_, i) => [i % 20, (3 * i) % 100]);
  writeFileSync(join(dir, 'train.bin'), cifarBatch(labels(trainCount)));
  writeFileSync(join(dir, 'test.bin'), cifarBatch(labels(testCount)));
  const fine = Array.from({ length: 100 }, (_, i) => `fine${i}`);
  const coarse = Array.from({ length: 20 }, (_, i) => `coarse${i}`);
  writeFileSync(join(dir, 'fine_label_names.txt'), fine.join('\n'));
  writeFileSync(join(dir, 'coarse_label_names.txt'), coarse.join('\n'));
  return dir;
}

/** IDX bytes: header (0, 0, 0x08, ndims, big-endian dims) then data. */
export function idx(dims: number[], data: Uint8Array, magicOverride?: number): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magicOverride ?? 0x0800 | dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** An MNIST-style folder of four IDX files (gzipped or not), 8x8 images. */
export function writeIdxFolder(dir: string, trainCount = 20, testCount = 10, gzip = false): string {
  mkdirSync(dir, { recursive: true });
  const side = 8;
  const write = (name: string, bytes: Buffer): void =>
    writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  for (const [prefix, n] of [
    ['train', trainCount],
    ['t10k', testCount],
  ] as const) {
    const images = new Uint8Array(n * side * side).map((_, i) =>
      pixel(Math.floor(i / 64), 0, Math.floor(i / 8) % 8, i % 8),
    );
    const labels = new Uint8Array(n).map((_, i) => i % 10);
    write(`${prefix}-images-idx3-ubyte`, idx([n, side, side], images));
    write(`${prefix}-labels-idx1-ubyte`, idx([n], labels));
  }
  return dir;
}

/** A solid-colour image of class `k` (so decoded pixels reveal the class). */
export function classColour(k: number): { r: number; g: number; b: number } {
  return { r: (40 * k + 20) % 256, g: (90 * k + 60) % 256, b: (150 * k + 10) % 256 };
}

/**
 * An image folder: `<root>/<layout>/<class>/<i>.png|jpg`, solid colours of varying sizes.
 * `layout` '' puts class folders at the root.
 */
export async function writeImageFolder(
  root: string,
  classes: string[],
  perClass: number,
  layout: '' | 'train' | 'val' = '',
): Promise<void> {
  for (const [k, name] of classes.entries()) {
    const dir = join(root, layout, name);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const image = sharp({
        create: { width: 20 + i, height: 24, channels: 3, background: classColour(k) },
      });
      const jpeg = i % 2 === 1;
      await (jpeg ? image.jpeg({ quality: 95 }) : image.png()).toFile(
        join(dir, `${i}.${jpeg ? 'jpg' : 'png'}`),
      );
    }
  }
}
