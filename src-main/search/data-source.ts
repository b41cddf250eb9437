/**
 * The images a search (or a teacher) trains on, as flat typed arrays, and the batches it
 * draws from them: seeded subsets, the two search halves (train split for weights, search split
 * for alphas; NOS-SPEC section 4), a seeded order per epoch and flip + crop augmentation.
 *
 * Every random choice is a pure function of (seed, epoch, step), so a resumed run draws exactly
 * the batches the uninterrupted run would have drawn, and a checkpoint needs only the position.
 *
 * Known shortcoming: this reads a canonical dataset folder directly and batches on the main
 * thread. The data layer's prefetching pipeline (src-main/data) is the intended source once it
 * exposes batches; the split and order rules here must then move with it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { DatasetMeta } from '../contract/datasets';
import { NosError } from '../contract/errors';
import { imagesFile, labelsFile, readMeta, type SplitName } from '../data/canonical';
import { mixSeed, permutation, Rng } from '../data/rng';

/** Images as stored: uint8 NHWC, row-major, with one label each. */
export interface ImageSet {
  images: Uint8Array;
  labels: Int32Array;
  /** [H, W, C] */
  shape: [number, number, number];
}

export interface SearchDataset {
  meta: DatasetMeta;
  train: ImageSet;
  test: ImageSet;
}

export interface Augmentation {
  flip: boolean;
  cropPadding: number;
}

export function imageCount(set: ImageSet): number {
  return set.labels.length;
}

function readSet(dir: string, meta: DatasetMeta, split: SplitName): ImageSet {
  const imagePath = join(dir, imagesFile(split));
  const labelPath = join(dir, labelsFile(split, meta.labelBytes));
  for (const p of [imagePath, labelPath]) {
    if (!existsSync(p)) {
      throw new NosError('NOT_FOUND', `Dataset file ${p} is missing.`, 'Re-import the dataset.');
    }
  }
  const images = new Uint8Array(readFileSync(imagePath));
  const raw = readFileSync(labelPath);
  const labels =
    meta.labelBytes === 1
      ? Int32Array.from(raw)
      : Int32Array.from({ length: raw.length / 2 }, (_, i) => raw.readUInt16LE(2 * i));
  const [h, w, c] = meta.imageShape;
  if (images.length !== labels.length * h * w * c) {
    throw new NosError(
      'BAD_INPUT',
      `${imagePath} holds ${images.length} bytes, expected ${labels.length} images of ${h}x${w}x${c}.`,
      'Re-import the dataset.',
    );
  }
  return { images, labels, shape: [h, w, c] };
}

/** Opens a canonical dataset folder (meta.json + uint8 files) for training. */
export function openSearchDataset(dir: string): SearchDataset {
  const meta = readMeta(dir);
  return { meta, train: readSet(dir, meta, 'train'), test: readSet(dir, meta, 'test') };
}

/** The images of `set` at `indices`, copied. */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const size = set.shape[0] * set.shape[1] * set.shape[2];
  const images = new Uint8Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    images.set(set.images.subarray(k * size, (k + 1) * size), i * size);
    labels[i] = set.labels[k];
  }
  return { images, labels, shape: set.shape };
}

/**
 * The two halves of a search: a seeded shuffle of the training images, the first
 * `trainFraction` for weights (train split) and the rest for alphas (search split), each cut to
 * its requested size. The held-out test set is never part of either.
 */
export function searchSplits(
  train: ImageSet,
  opts: {
    trainFraction: number;
    trainImages: number | null;
    searchImages: number | null;
    seed: number;
  },
): { trainSplit: ImageSet; searchSplit: ImageSet } {
  const n = imageCount(train);
  const order = permutation(n, mixSeed(opts.seed, 0x5e7));
  const cut = Math.round(n * opts.trainFraction);
  const trainIdx = order.subarray(0, Math.min(cut, opts.trainImages ?? cut));
  const rest = order.subarray(cut);
  const searchIdx = rest.subarray(0, Math.min(rest.length, opts.searchImages ?? rest.length));
  if (trainIdx.length === 0 || searchIdx.length === 0) {
    throw new NosError(
      'BAD_INPUT',
      `The dataset's ${n} training images leave an empty half (train ${trainIdx.length}, ` +
        `search ${searchIdx.length}).`,
      'Use a larger dataset or a trainFraction nearer 0.5.',
    );
  }
  return { trainSplit: subset(train, trainIdx), searchSplit: subset(train, searchIdx) };
}

/** The order of `set` in `epoch` (a seeded permutation; same seed, same order). */
export function epochOrder(count: number, seed: number, epoch: number, stream: number): Int32Array {
  return permutation(count, mixSeed(seed, epoch, stream));
}

/**
 * One batch as tensors.
 * @returns pixels NHWC [B, H, W, C] float32 in [0, 1] (flipped and cropped when asked, with
 *   zero padding), labels [B] int32
 */
export function makeBatch(
  set: ImageSet,
  indices: ArrayLike<number>,
  aug: Augmentation | null,
  seed: number,
): { pixels: tf.Tensor4D; labels: tf.Tensor1D } {
  const [h, w, c] = set.shape;
  const size = h * w * c;
  const out = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  const rng = new Rng(seed);
  const pad = aug?.cropPadding ?? 0;
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] * size;
    const flip = aug?.flip === true && rng.next() < 0.5;
    const dy = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
    const dx = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
    labels[i] = set.labels[indices[i]];
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      if (sy < 0 || sy >= h) continue; // padding rows stay 0
      for (let x = 0; x < w; x++) {
        const sx0 = x + dx;
        if (sx0 < 0 || sx0 >= w) continue;
        const sx = flip ? w - 1 - sx0 : sx0;
        const from = src + (sy * w + sx) * c;
        const to = i * size + (y * w + x) * c;
        for (let ch = 0; ch < c; ch++) out[to + ch] = set.images[from + ch] / 255;
      }
    }
  }
  return {
    pixels: tf.tensor4d(out, [indices.length, h, w, c]),
    labels: tf.tensor1d(labels, 'int32'),
  };
}

/**
 * Square resize for a smaller CPU proxy (bilinear); the same tensor when no resize is asked.
 * @param pixels NHWC [N, H, W, C] → [N, size, size, C] (a new tensor, or `pixels` itself)
 */
export function resizeTo(pixels: tf.Tensor4D, size: number | null): tf.Tensor4D {
  if (size === null || (pixels.shape[1] === size && pixels.shape[2] === size)) return pixels;
  return tf.image.resizeBilinear(pixels, [size, size]);
}

/**
 * Dataset normalisation: (pixels - mean) / std per channel.
 * @param pixels NHWC [N, H, W, C] in [0, 1] → same shape, normalised
 */
export function normalise(pixels: tf.Tensor4D, mean: number[], std: number[]): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(pixels, tf.tensor1d(mean)), tf.tensor1d(std)) as tf.Tensor4D);
}
