import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchPipeline,
  bundledSampleSource,
  classHistogram,
  importDataset,
  inspectDataset,
  openDataset,
  previewDataset,
  type LoadedDataset,
} from '../../../src-main/data';
import { batchToTensors } from '../../../src-main/data/tensors';
import * as tar from 'tar';
import { tempDir, writeCifar10, writeCifar100, writeImageFolder } from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let ds: LoadedDataset;

beforeAll(async () => {
  tmp = tempDir();
  const meta = await importDataset(bundledSampleSource(), join(tmp.path, 'ds'));
  ds = openDataset(join(tmp.path, 'ds', meta.id));
});
afterAll(() => {
  ds.close();
  tmp.remove();
});

describe('previewDataset', () => {
  it('gives the class histogram of both sets and perClass PNG samples of the right class', async () => {
    const preview = await previewDataset(ds, 3);
    expect(preview.datasetId).toBe(ds.meta.id);
    expect(preview.classes).toHaveLength(10);
    expect(preview.classes.map((c) => c.trainCount)).toEqual(new Array(10).fill(300));
    expect(preview.classes.map((c) => c.testCount)).toEqual(new Array(10).fill(100));
    expect(preview.classes[9].name).toBe('Ankle boot');
    const firstBag = ds.train.labels.indexOf(8);
    const sample = preview.classes[8].samples[0];
    expect(preview.classes[8].samples).toHaveLength(3);
    expect(sample.startsWith('data:image/png;base64,')).toBe(true);
    const png = Buffer.from(sample.slice('data:image/png;base64,'.length), 'base64');
    const stored = await sharp(png).metadata();
    expect([stored.width, stored.height, stored.channels]).toEqual([28, 28, 1]);
    const { data } = await sharp(png)
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(new Uint8Array(data)).toEqual(
      ds.train.images!.subarray(firstBag * 784, (firstBag + 1) * 784),
    );
  });

  it('classHistogram counts labels', () => {
    expect(classHistogram(Int32Array.from([0, 2, 2, 1, 2]), 4)).toEqual([1, 1, 3, 0]);
  });
});

describe('batchToTensors', () => {
  it('makes an NHWC float32 tensor and int32 labels that the caller disposes', async () => {
    await tf.setBackend('cpu');
    const pipeline = new BatchPipeline(ds.train, { batchSize: 16, seed: 0, normalise: ds.meta });
    const batch = await pipeline.next();
    const before = tf.memory().numTensors;
    const { images, labels } = batchToTensors(batch);
    expect(images.shape).toEqual([16, 28, 28, 1]);
    expect(images.dtype).toBe('float32');
    expect(labels.dtype).toBe('int32');
    expect(Array.from(labels.dataSync())).toEqual(Array.from(batch.labels));
    const mean = tf.tidy(() => tf.mean(images).dataSync()[0]);
    expect(Math.abs(mean)).toBeLessThan(1); // normalised: around 0, not around 73 or 0.3
    tf.dispose([images, labels]);
    expect(tf.memory().numTensors).toBe(before);
    pipeline.close();
  });
});

describe('inspectDataset', () => {
  it('reports CIFAR-10 in a .tar.gz without writing anything', async () => {
    const src = join(tmp.path, 'src');
    writeCifar10(src, 3, 2);
    const archive = join(tmp.path, 'cifar-10-binary.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: src }, ['cifar-10-batches-bin']);
    const before = readdirSync(tmp.path).sort();
    const found = await inspectDataset({ format: 'auto', path: archive });
    expect(found).toMatchObject({
      format: 'cifar10',
      trainCount: 15,
      testCount: 2,
      imageShape: [32, 32, 3],
      warnings: [],
    });
    expect(found.classNames[9]).toBe('truck');
    expect(readdirSync(tmp.path).sort()).toEqual(before);
  });

  it('reports CIFAR-100 coarse classes and IDX counts', async () => {
    const dir = writeCifar100(join(tmp.path, 'c100'), 4, 2);
    const coarse = await inspectDataset({
      format: 'cifar100',
      path: dir,
      options: { labels: 'coarse' },
    });
    expect(coarse.classNames).toHaveLength(20);
    const sample = await inspectDataset(bundledSampleSource());
    expect(sample).toMatchObject({
      format: 'fashion-mnist',
      trainCount: 3000,
      testCount: 1000,
      imageShape: [28, 28, 1],
    });
  });

  it('reports an image folder with its held-out split and warnings', async () => {
    const root = join(tmp.path, 'imgs');
    await writeImageFolder(root, ['cat', 'dog'], 5);
    const found = await inspectDataset({
      format: 'image-folder',
      path: root,
      options: { size: 16 },
    });
    expect(found).toMatchObject({
      classNames: ['cat', 'dog'],
      trainCount: 8,
      testCount: 2,
      imageShape: [16, 16, 3],
    });
    expect(found.warnings.join(' ')).toContain('fewer than 10 training images: cat, dog');
  });

  it('refuses a truncated CIFAR batch as the import would', async () => {
    const dir = writeCifar10(join(tmp.path, 'bad'), 1, 1);
    const { truncateSync } = await import('node:fs');
    truncateSync(join(dir, 'data_batch_2.bin'), 100);
    await expect(inspectDataset({ format: 'cifar10', path: dir })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('data_batch_2.bin'),
    });
  });
});
