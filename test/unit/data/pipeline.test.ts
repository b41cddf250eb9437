import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchPipeline,
  importDataset,
  NO_AUGMENTATION,
  openDataset,
  searchSplits,
  type Batch,
  type DatasetSplit,
  type LoadedDataset,
  type PipelineOptions,
} from '../../../src-main/data';
import { tempDir, writeCifar10 } from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let ds: LoadedDataset;
let streamed: LoadedDataset;
const R = 32 * 32 * 3;

beforeAll(async () => {
  tmp = tempDir();
  // 5 batches x 8 records = 40 training images of known pixels.
  const meta = await importDataset(
    { format: 'cifar10', path: writeCifar10(tmp.path, 8, 4) },
    join(tmp.path, 'ds'),
  );
  ds = openDataset(join(tmp.path, 'ds', meta.id));
  streamed = openDataset(join(tmp.path, 'ds', meta.id), { streamAboveBytes: 0 });
});
afterAll(() => {
  ds.close();
  streamed.close();
  tmp.remove();
});

async function take(pipeline: BatchPipeline, n: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let i = 0; i < n; i++) out.push(await pipeline.next());
  return out;
}

/** The unaugmented pixel value in [0, 1] of image `i` at (y, x, c), 0 outside the image. */
function original(i: number, y: number, x: number, c: number): number {
  if (y < 0 || y >= 32 || x < 0 || x >= 32) return 0;
  return ds.train.images![i * R + (y * 32 + x) * 3 + c] / 255;
}

describe('BatchPipeline order', () => {
  const options: PipelineOptions = { batchSize: 6, seed: 11, augment: { cutout: 8 } };

  it('is the same for the same seed and different for another seed', async () => {
    const a = await take(new BatchPipeline(ds.train, options), 3);
    const b = await take(new BatchPipeline(ds.train, options), 3);
    const c = await take(new BatchPipeline(ds.train, { ...options, seed: 12 }), 3);
    expect(b.map((x) => [...x.indices])).toEqual(a.map((x) => [...x.indices]));
    expect(b[2].images).toEqual(a[2].images);
    expect(c.map((x) => [...x.indices])).not.toEqual(a.map((x) => [...x.indices]));
  });

  it('visits every index of the split exactly once per epoch, with a short last batch', async () => {
    const indices = Int32Array.from([1, 4, 5, 9, 10, 20, 33, 39]);
    const pipeline = new BatchPipeline(ds.train, { batchSize: 3, seed: 2 }, indices);
    expect(pipeline.stepsPerEpoch).toBe(3);
    const seen: number[] = [];
    for await (const batch of pipeline.epoch()) {
      seen.push(...batch.indices);
      expect([...batch.labels]).toEqual([...batch.indices].map((i) => ds.train.labels[i]));
    }
    expect(seen.sort((p, q) => p - q)).toEqual([...indices]);
    expect(pipeline.state()).toEqual({ seed: 2, epoch: 1, step: 0 });
  });

  it('drops the short last batch with dropLast', async () => {
    const pipeline = new BatchPipeline(ds.train, { batchSize: 16, seed: 0, dropLast: true });
    expect(pipeline.stepsPerEpoch).toBe(2);
    const batches = await take(pipeline, 3);
    expect(batches.map((b) => [b.epoch, b.step, b.n])).toEqual([
      [0, 0, 16],
      [0, 1, 16],
      [1, 0, 16],
    ]);
  });

  it('resumes from a checkpointed state with exactly the batches that would have followed', async () => {
    const first = new BatchPipeline(ds.train, options);
    const full = await take(first, 12); // crosses an epoch boundary (7 steps per epoch)
    const resumeAt = new BatchPipeline(ds.train, options);
    await take(resumeAt, 5);
    const state = JSON.parse(JSON.stringify(resumeAt.state()));
    expect(state).toEqual({ seed: 11, epoch: 0, step: 5 });
    const resumed = new BatchPipeline(ds.train, { ...options, resume: state });
    const rest = await take(resumed, 7);
    rest.forEach((batch, k) => {
      expect([...batch.indices]).toEqual([...full[5 + k].indices]);
      expect(batch.images).toEqual(full[5 + k].images);
    });
  });

  it('refuses a state that does not fit the options', () => {
    expect(
      () => new BatchPipeline(ds.train, { ...options, resume: { seed: 1, epoch: 0, step: 0 } }),
    ).toThrow(/Cannot resume/);
    expect(() => new BatchPipeline(ds.train, { ...options, batchSize: 0 })).toThrow(/Batch size 0/);
  });
});

describe('BatchPipeline augmentation', () => {
  it('without augmentation normalises every value by the dataset mean and std', async () => {
    const [batch] = await take(
      new BatchPipeline(ds.train, {
        batchSize: 4,
        seed: 1,
        augment: NO_AUGMENTATION,
        normalise: ds.meta,
      }),
      1,
    );
    for (let k = 0; k < batch.n; k++) {
      for (const [y, x, c] of [
        [0, 0, 0],
        [13, 7, 1],
        [31, 31, 2],
      ]) {
        const expected = (original(batch.indices[k], y, x, c) - ds.meta.mean[c]) / ds.meta.std[c];
        expect(batch.images[k * R + (y * 32 + x) * 3 + c]).toBeCloseTo(expected, 5);
      }
    }
  });

  it('flip mirrors some images and leaves the others unchanged', async () => {
    const [batch] = await take(
      new BatchPipeline(ds.train, {
        batchSize: 40,
        seed: 5,
        augment: { cropPadding: 0, flip: true, cutout: 0 },
      }),
      1,
    );
    let flipped = 0;
    for (let k = 0; k < batch.n; k++) {
      const at = (y: number, x: number, c: number) => batch.images[k * R + (y * 32 + x) * 3 + c];
      const i = batch.indices[k];
      const isFlipped = at(3, 0, 1) === Math.fround(original(i, 3, 31, 1));
      for (const [y, x, c] of [
        [0, 0, 0],
        [3, 0, 1],
        [17, 9, 2],
        [31, 30, 0],
      ]) {
        expect(at(y, x, c)).toBeCloseTo(original(i, y, isFlipped ? 31 - x : x, c), 6);
      }
      if (isFlipped) flipped++;
    }
    expect(flipped).toBeGreaterThan(5);
    expect(flipped).toBeLessThan(35);
  });

  it('random crop with 4-pixel padding shifts each image by at most 4 pixels, padding black', async () => {
    const [batch] = await take(
      new BatchPipeline(ds.train, {
        batchSize: 20,
        seed: 8,
        augment: { cropPadding: 4, flip: false, cutout: 0 },
      }),
      1,
    );
    const shifts = new Set<string>();
    for (let k = 0; k < batch.n; k++) {
      const i = batch.indices[k];
      const matches = (dy: number, dx: number): boolean => {
        for (let y = 0; y < 32; y += 3) {
          for (let x = 0; x < 32; x += 3) {
            const v = batch.images[k * R + (y * 32 + x) * 3 + 2];
            if (Math.abs(v - original(i, y + dy, x + dx, 2)) > 1e-6) return false;
          }
        }
        return true;
      };
      const found: string[] = [];
      for (let dy = -4; dy <= 4; dy++)
        for (let dx = -4; dx <= 4; dx++) if (matches(dy, dx)) found.push(`${dy},${dx}`);
      expect(found.length).toBeGreaterThanOrEqual(1);
      shifts.add(found[0]);
    }
    expect(shifts.size).toBeGreaterThan(5);
  });

  it('cutout zeroes one square of at most length x length pixels', async () => {
    const length = 8;
    const [batch] = await take(
      new BatchPipeline(ds.train, {
        batchSize: 20,
        seed: 3,
        augment: { cropPadding: 0, flip: false, cutout: length },
        normalise: { mean: [-1, -1, -1], std: [1, 1, 1] },
      }),
      1,
    );
    // With mean -1 every kept value is >= 1, so zeros are exactly the cutout.
    let total = 0;
    for (let k = 0; k < batch.n; k++) {
      const zeros: [number, number][] = [];
      for (let p = 0; p < 32 * 32; p++)
        if (batch.images[k * R + p * 3] === 0) zeros.push([Math.floor(p / 32), p % 32]);
      expect(zeros.length).toBeLessThanOrEqual(length * length);
      if (zeros.length === 0) continue;
      const ys = zeros.map((z) => z[0]);
      const xs = zeros.map((z) => z[1]);
      const h = Math.max(...ys) - Math.min(...ys) + 1;
      const w = Math.max(...xs) - Math.min(...xs) + 1;
      expect(h * w).toBe(zeros.length); // a filled rectangle
      total += zeros.length;
    }
    expect(total).toBeGreaterThan(20 * 16);
  });
});

describe('BatchPipeline sources', () => {
  it('streams from disk (bounded memory) with the same batches as in memory', async () => {
    expect(streamed.train.images).toBeNull();
    const options: PipelineOptions = {
      batchSize: 7,
      seed: 4,
      augment: { cutout: 4 },
      normalise: ds.meta,
    };
    const fromMemory = await take(new BatchPipeline(ds.train, options), 8);
    const fromDisk = await take(new BatchPipeline(streamed.train, options), 8);
    fromDisk.forEach((b, k) => expect(b.images).toEqual(fromMemory[k].images));
  });

  it('prepares batches ahead of the consumer', async () => {
    let reads = 0;
    const counting: DatasetSplit = {
      split: 'train',
      count: ds.train.count,
      shape: ds.train.shape,
      labels: ds.train.labels,
      images: ds.train.images,
      read: (indices, out) => {
        reads++;
        return ds.train.read(indices, out);
      },
      close: () => undefined,
    };
    const pipeline = new BatchPipeline(counting, { batchSize: 4, seed: 0, prefetch: 3 });
    await pipeline.next();
    expect(reads).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(4); // the returned batch and three prepared ahead
    await pipeline.next();
    expect(reads).toBe(4);
    pipeline.close();
  });
});

describe('searchSplits', () => {
  it('gives disjoint halves covering the training images, fixed by the seed', () => {
    const a = searchSplits(101, 7);
    expect(a.train.length).toBe(50);
    expect(a.search.length).toBe(51);
    expect(new Set([...a.train, ...a.search]).size).toBe(101);
    expect(searchSplits(101, 7)).toEqual(a);
    expect(searchSplits(101, 8).train).not.toEqual(a.train);
    for (let i = 1; i < a.train.length; i++) expect(a.train[i]).toBeGreaterThan(a.train[i - 1]);
  });

  it('splits 50000 CIFAR images 25000/25000 and caps each half with limit', () => {
    const full = searchSplits(50000, 0);
    expect([full.train.length, full.search.length]).toEqual([25000, 25000]);
    const small = searchSplits(50000, 0, 0.5, 1000);
    expect([small.train.length, small.search.length]).toEqual([1000, 1000]);
    const inSearch = new Set(full.search);
    for (const i of small.train) expect(inSearch.has(i)).toBe(false);
  });

  it.each([{ fraction: 0 }, { fraction: 1 }, { fraction: 1.5 }])(
    'refuses fraction=$fraction',
    ({ fraction }) => {
      expect(() => searchSplits(10, 0, fraction)).toThrow(/fraction/i);
    },
  );
});
