import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetMetaSchema, type DatasetMeta } from '../../../src-main/contract/datasets';
import { NosError } from '../../../src-main/contract/errors';
import {
  BatchPipeline,
  bundledSampleSource,
  datasetChecksum,
  DEBIAN_FASHION_MNIST_DIR,
  detectDatasets,
  importDataset,
  openDataset,
  searchSplits,
  type LoadedDataset,
} from '../../../src-main/data';
import {
  classColour,
  pixel,
  tempDir,
  writeCifar10,
  writeCifar100,
  writeIdxFolder,
  writeImageFolder,
} from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let dest: string;
beforeEach(() => {
  tmp = tempDir();
  dest = join(tmp.path, 'datasets');
});
afterEach(() => tmp.remove());

/** Pulls two augmented, normalised batches and checks their shapes and values. */
async function expectBatchesFeed(ds: LoadedDataset, batchSize: number): Promise<void> {
  const [h, w, c] = ds.meta.imageShape;
  const splits = searchSplits(ds.meta.trainCount, 3);
  const pipeline = new BatchPipeline(
    ds.train,
    { batchSize, seed: 3, normalise: ds.meta, augment: { cropPadding: 4, flip: true, cutout: 4 } },
    splits.train,
  );
  for (let i = 0; i < 2; i++) {
    const batch = await pipeline.next();
    expect(batch.shape).toEqual([batch.n, h, w, c]);
    expect(batch.images.length).toBe(batch.n * h * w * c);
    expect(batch.labels.length).toBe(batch.n);
    for (const l of batch.labels) expect(l >= 0 && l < ds.meta.classCount).toBe(true);
    let min = Infinity;
    let max = -Infinity;
    for (const v of batch.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    // Normalised pixels: finite, within (0 - mean)/std .. (1 - mean)/std of some channel.
    const lo = Math.min(...ds.meta.mean.map((m, k) => -m / (ds.meta.std[k] || 1)));
    const hi = Math.max(...ds.meta.mean.map((m, k) => (1 - m) / (ds.meta.std[k] || 1)));
    expect(min).toBeGreaterThanOrEqual(lo - 1e-5);
    expect(max).toBeLessThanOrEqual(hi + 1e-5);
    expect(max).toBeGreaterThan(min);
  }
  pipeline.close();
}

function expectValidMeta(meta: DatasetMeta): void {
  expect(DatasetMetaSchema.parse(meta)).toEqual(meta);
  const onDisk = JSON.parse(readFileSync(join(dest, meta.id, 'meta.json'), 'utf8'));
  expect(onDisk).toEqual(meta);
  expect(datasetChecksum(join(dest, meta.id))).toBe(meta.checksum);
  // Only the committed folder remains: no temporary folders.
  expect(readdirSync(dest)).toEqual([meta.id]);
}

describe('importDataset: CIFAR-10 binary', () => {
  it('converts planar CHW records to NHWC and keeps labels, class names and counts', async () => {
    const dir = writeCifar10(tmp.path, 4, 3);
    const meta = await importDataset({ format: 'cifar10', path: dir, name: 'CIFAR-10 tiny' }, dest);
    expectValidMeta(meta);
    expect(meta).toMatchObject({
      id: 'cifar-10-tiny',
      trainCount: 20,
      testCount: 3,
      classCount: 10,
    });
    expect(meta.imageShape).toEqual([32, 32, 3]);
    expect(meta.classNames[0]).toBe('airplane');

    const ds = openDataset(join(dest, meta.id));
    for (const [r, y, x] of [
      [0, 0, 0],
      [7, 5, 31],
      [19, 31, 2],
    ]) {
      for (let c = 0; c < 3; c++) {
        expect(ds.train.images![r * 3072 + (y * 32 + x) * 3 + c]).toBe(pixel(r, c, y, x));
      }
    }
    expect([...ds.train.labels.slice(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    await expectBatchesFeed(ds, 8);
    ds.close();
  });

  it('computes the per-channel mean and std of the training images', async () => {
    const meta = await importDataset(
      { format: 'cifar10', path: writeCifar10(tmp.path, 2, 1) },
      dest,
    );
    for (let c = 0; c < 3; c++) {
      const values: number[] = [];
      for (let r = 0; r < 10; r++)
        for (let y = 0; y < 32; y++)
          for (let x = 0; x < 32; x++) values.push(pixel(r, c, y, x) / 255);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
      expect(meta.mean[c]).toBeCloseTo(mean, 10);
      expect(meta.std[c]).toBeCloseTo(std, 10);
    }
  });

  it('imports the .tar.gz archive itself, giving the same content as the folder', async () => {
    writeCifar10(tmp.path, 3, 2);
    const archive = join(tmp.path, 'cifar-10-binary.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: tmp.path }, ['cifar-10-batches-bin']);
    const fromArchive = await importDataset({ format: 'cifar10', path: archive }, dest);
    const fromFolder = await importDataset(
      { format: 'cifar10', path: tmp.path, name: 'folder' },
      join(tmp.path, 'other'),
    );
    expect(fromArchive.id).toBe('cifar-10-binary');
    expect(fromArchive.trainCount).toBe(15);
    expect(fromArchive.checksum).toBe(fromFolder.checksum);
    expectValidMeta(fromArchive);
  });

  it('detects the format with format=auto', async () => {
    const meta = await importDataset({ format: 'auto', path: writeCifar10(tmp.path, 1, 1) }, dest);
    expect(meta.format).toBe('cifar10');
  });
});

describe('importDataset: CIFAR-100 binary', () => {
  it.each([
    { labels: 'fine' as const, classCount: 100, pick: (i: number) => (3 * i) % 100, name: 'fine3' },
    { labels: 'coarse' as const, classCount: 20, pick: (i: number) => i % 20, name: 'coarse1' },
  ])(
    'labels=$labels keeps the $classCount classes of that label byte',
    async ({ labels, classCount, pick, name }) => {
      const dir = writeCifar100(tmp.path, 6, 2);
      const meta = await importDataset(
        { format: 'cifar100', path: dir, options: { labels } },
        dest,
      );
      expectValidMeta(meta);
      expect(meta).toMatchObject({ classCount, trainCount: 6, testCount: 2, options: { labels } });
      expect(meta.classNames[pick(1)]).toBe(name);
      const ds = openDataset(join(dest, meta.id));
      expect([...ds.train.labels]).toEqual([0, 1, 2, 3, 4, 5].map(pick));
      expect(ds.train.images![3072 + 3 * 33 + 2]).toBe(pixel(1, 2, 1, 1));
      await expectBatchesFeed(ds, 4);
      ds.close();
    },
  );
});

describe('importDataset: MNIST-family IDX', () => {
  it.each([{ gzip: false }, { gzip: true }])(
    'imports IDX files with gzip=$gzip',
    async ({ gzip }) => {
      const dir = writeIdxFolder(join(tmp.path, 'mnist'), 20, 10, gzip);
      const meta = await importDataset({ format: 'mnist', path: dir }, dest);
      expectValidMeta(meta);
      expect(meta).toMatchObject({
        trainCount: 20,
        testCount: 10,
        imageShape: [8, 8, 1],
        classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      });
      const ds = openDataset(join(dest, meta.id));
      expect(ds.train.images![64 * 3 + 8 * 2 + 5]).toBe(pixel(3, 0, 2, 5));
      await expectBatchesFeed(ds, 6);
      ds.close();
    },
  );

  it('imports the bundled Fashion-MNIST sample: 3000 train, 1000 test, balanced classes', async () => {
    const meta = await importDataset(bundledSampleSource(), dest);
    expectValidMeta(meta);
    expect(meta).toMatchObject({
      format: 'fashion-mnist',
      trainCount: 3000,
      testCount: 1000,
      imageShape: [28, 28, 1],
    });
    expect(meta.classNames[9]).toBe('Ankle boot');
    // The real Fashion-MNIST's statistics are about 0.286 / 0.353; a balanced subset is close.
    expect(meta.mean[0]).toBeGreaterThan(0.26);
    expect(meta.mean[0]).toBeLessThan(0.31);
    expect(meta.std[0]).toBeGreaterThan(0.33);
    expect(meta.std[0]).toBeLessThan(0.38);
    const ds = openDataset(join(dest, meta.id));
    const counts = new Array(10).fill(0);
    for (const l of ds.train.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(300));
    await expectBatchesFeed(ds, 32);
    ds.close();
  });

  it.skipIf(!existsSync(DEBIAN_FASHION_MNIST_DIR))(
    "imports Debian's full Fashion-MNIST",
    async () => {
      const detected = detectDatasets().find((d) => d.label.includes('Debian'));
      expect(detected).toMatchObject({ trainCount: 60000, testCount: 10000 });
      const meta = await importDataset(detected!.request, dest);
      expectValidMeta(meta);
      expect(meta).toMatchObject({ trainCount: 60000, testCount: 10000, classCount: 10 });
      expect(meta.mean[0]).toBeCloseTo(0.286, 3);
      expect(meta.std[0]).toBeCloseTo(0.353, 3);
      const ds = openDataset(join(dest, meta.id));
      await expectBatchesFeed(ds, 64);
      ds.close();
    },
  );

  it('detectDatasets offers the bundled sample', () => {
    const sample = detectDatasets().find((d) => d.label.includes('bundled'));
    expect(sample).toMatchObject({
      trainCount: 3000,
      testCount: 1000,
      request: { format: 'fashion-mnist' },
    });
  });
});

describe('importDataset: image folders', () => {
  it('decodes PNG and JPEG, resizes, and holds out a seeded test fraction per class', async () => {
    const root = join(tmp.path, 'flowers');
    await writeImageFolder(root, ['daisy', 'rose', 'tulip'], 5);
    const meta = await importDataset(
      { format: 'image-folder', path: root, options: { size: 12, testFraction: 0.2 } },
      dest,
    );
    expectValidMeta(meta);
    expect(meta).toMatchObject({
      classNames: ['daisy', 'rose', 'tulip'],
      imageShape: [12, 12, 3],
      trainCount: 12,
      testCount: 3,
    });
    const ds = openDataset(join(dest, meta.id));
    for (let i = 0; i < ds.train.count; i++) {
      const colour = classColour(ds.train.labels[i]);
      const at = i * 12 * 12 * 3 + (6 * 12 + 6) * 3;
      // Solid colours survive resizing and JPEG up to rounding.
      expect(Math.abs(ds.train.images![at] - colour.r)).toBeLessThanOrEqual(3);
      expect(Math.abs(ds.train.images![at + 2] - colour.b)).toBeLessThanOrEqual(3);
    }
    await expectBatchesFeed(ds, 5);
    ds.close();
  });

  it('uses train/ and val/ subfolders when present, in grey when channels=1', async () => {
    const root = join(tmp.path, 'imagenet-like');
    await writeImageFolder(root, ['a', 'b'], 4, 'train');
    await writeImageFolder(root, ['a', 'b'], 2, 'val');
    const meta = await importDataset(
      { format: 'auto', path: root, options: { size: 8, channels: 1 } },
      dest,
    );
    expect(meta).toMatchObject({
      format: 'image-folder',
      trainCount: 8,
      testCount: 4,
      imageShape: [8, 8, 1],
    });
    const ds = openDataset(join(dest, meta.id));
    expect([...ds.test.labels]).toEqual([0, 0, 1, 1]);
    await expectBatchesFeed(ds, 4);
    ds.close();
  });
});

describe('importDataset: duplicates and names', () => {
  it('refuses data already imported (existingChecksums) with CONFLICT naming the dataset', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'), 10, 5);
    const first = await importDataset({ format: 'mnist', path: dir, name: 'first' }, dest);
    const known = new Map([[first.checksum, first.id]]);
    const again = importDataset({ format: 'mnist', path: dir, name: 'second' }, dest, {
      existingChecksums: known,
    });
    await expect(again).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('"first"'),
    });
    expect(readdirSync(dest)).toEqual(['first']);
  });

  it('says that the same folder is already imported when the same import runs again', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'), 10, 5);
    await importDataset({ format: 'mnist', path: dir, name: 'once' }, dest);
    const before = readFileSync(join(dest, 'once', 'meta.json'), 'utf8');
    const again = importDataset({ format: 'auto', path: dir, name: 'once' }, dest);
    await expect(again).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `${dir} is already imported as dataset "once".`,
      hint: expect.stringContaining('nos datasets delete once'),
    });
    expect(readdirSync(dest)).toEqual(['once']);
    expect(readFileSync(join(dest, 'once', 'meta.json'), 'utf8')).toBe(before);
  });

  it('never overwrites an existing dataset folder of the same id', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'), 10, 5);
    const first = await importDataset({ format: 'mnist', path: dir, name: 'same' }, dest);
    const before = readFileSync(join(dest, 'same', 'meta.json'), 'utf8');
    const other = writeIdxFolder(join(tmp.path, 'm2'), 12, 5);
    const err = await importDataset({ format: 'mnist', path: other, name: 'same' }, dest).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NosError);
    expect((err as NosError).code).toBe('CONFLICT');
    expect(readFileSync(join(dest, 'same', 'meta.json'), 'utf8')).toBe(before);
    expect(first.trainCount).toBe(10);
  });
});
