/** Tiny in-memory datasets for search tests: 8x8 grey images whose class is learnable. */
import type { DatasetMeta } from '../../../src-main/contract/datasets';
import type { ImageSet, SearchDataset } from '../../../src-main/search/data-source';

/** Class k lights up a 3x3 patch at a class-specific place, plus seeded noise. */
function images(count: number, classes: number, seed: number): ImageSet {
  const h = 8;
  const data = new Uint8Array(count * h * h);
  const labels = new Int32Array(count);
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  for (let i = 0; i < count; i++) {
    const k = i % classes;
    labels[i] = k;
    const oy = (k * 3) % 6;
    const ox = Math.floor((k * 5) / 2) % 6;
    for (let p = 0; p < h * h; p++) data[i * h * h + p] = Math.floor(rand() * 60);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 3; x++) data[i * h * h + (oy + y) * h + ox + x] = 220;
    }
  }
  return { images: data, labels, shape: [h, h, 1] };
}

export function tinyDataset(
  opts: { name?: string; checksum?: string; count?: number } = {},
): SearchDataset {
  const classes = 4;
  const meta: DatasetMeta = {
    version: 1,
    id: opts.name ?? 'tiny',
    name: opts.name ?? 'tiny',
    format: 'fashion-mnist',
    source: '/dev/null',
    trainCount: opts.count ?? 64,
    testCount: 32,
    classCount: classes,
    classNames: ['a', 'b', 'c', 'd'],
    imageShape: [8, 8, 1],
    labelBytes: 1,
    mean: [0.2],
    std: [0.3],
    checksum: opts.checksum ?? 'a'.repeat(64),
    createdAt: '2026-01-01T00:00:00Z',
    options: {},
    skippedFiles: [],
  };
  return { meta, train: images(opts.count ?? 64, classes, 1), test: images(32, classes, 2) };
}
