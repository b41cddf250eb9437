/**
 * Augmentation and normalisation on typed arrays, the CIFAR recipe of DARTS and NOS (paper
 * section 4.1): random crop of the image padded by 4 pixels, random horizontal flip, cutout
 * (length 16 in the paper), then per-channel normalisation by the dataset mean and std.
 *
 * Pixels are mapped through a 256-entry table per channel, so the inner loop is one table read
 * per value; padding is black (byte 0) as in the usual zero-padded crop, and cutout writes 0
 * after normalisation (the dataset mean), as the DARTS code does.
 */
import type { ImageShape } from './canonical';
import type { Rng } from './rng';

export interface AugmentOptions {
  /** Pixels of padding for the random crop; 0 turns cropping off. */
  cropPadding: number;
  /** Random horizontal flip (wrong for data whose meaning changes when mirrored, e.g. text). */
  flip: boolean;
  /** Side of the cutout square; 0 turns cutout off. */
  cutout: number;
}

export const NO_AUGMENTATION: AugmentOptions = { cropPadding: 0, flip: false, cutout: 0 };
export const CIFAR_AUGMENTATION: AugmentOptions = { cropPadding: 4, flip: true, cutout: 0 };

/**
 * Table of normalised values: entry c*256 + v is (v/255 - mean[c]) / std[c]. Without stats
 * (normalise off) it is v/255. A zero std (a constant channel) divides by 1.
 */
export function normalisationTable(
  channels: number,
  mean?: number[],
  std?: number[],
): Float32Array {
  const table = new Float32Array(256 * channels);
  for (let c = 0; c < channels; c++) {
    const m = mean ? mean[c] : 0;
    const s = std && std[c] > 0 ? std[c] : 1;
    for (let v = 0; v < 256; v++) table[c * 256 + v] = (v / 255 - m) / s;
  }
  return table;
}

/**
 * Augments and normalises `n` images.
 * @param src uint8 NHWC, n*H*W*C
 * @param out float32 NHWC, n*H*W*C (written)
 * @param table from `normalisationTable`
 */
export function augmentBatch(
  src: Uint8Array,
  n: number,
  shape: ImageShape,
  out: Float32Array,
  table: Float32Array,
  options: AugmentOptions,
  rng: Rng,
): void {
  const [h, w, c] = shape;
  const size = h * w * c;
  const pad = options.cropPadding;
  for (let i = 0; i < n; i++) {
    // Fixed draw order per image, so a (seed, epoch, step) always gives the same batch.
    const dy = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
    const dx = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
    const flip = options.flip && rng.next() < 0.5;
    transformImage(src, i * size, out, i * size, shape, table, dy, dx, flip);
    if (options.cutout > 0) {
      cutout(out, i * size, shape, rng.int(h), rng.int(w), options.cutout);
    }
  }
}

/**
 * One image: out(y, x) = padded(y + dy, x' + dx) with x' = W-1-x when flipped; positions that
 * fall in the padding get byte 0.
 */
function transformImage(
  src: Uint8Array,
  srcBase: number,
  out: Float32Array,
  outBase: number,
  [h, w, c]: ImageShape,
  table: Float32Array,
  dy: number,
  dx: number,
  flip: boolean,
): void {
  const rowBytes = w * c;
  for (let y = 0; y < h; y++) {
    const sy = y + dy;
    const outRow = outBase + y * rowBytes;
    if (sy < 0 || sy >= h) {
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[outRow + x * c + k] = table[k * 256];
      continue;
    }
    const srcRow = srcBase + sy * rowBytes;
    for (let x = 0; x < w; x++) {
      const sx = (flip ? w - 1 - x : x) + dx;
      const o = outRow + x * c;
      if (sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) out[o + k] = table[k * 256];
      } else {
        const s = srcRow + sx * c;
        for (let k = 0; k < c; k++) out[o + k] = table[k * 256 + src[s + k]];
      }
    }
  }
}

/** Zeroes a length x length square centred at (cy, cx), clipped to the image. */
function cutout(
  out: Float32Array,
  base: number,
  [h, w, c]: ImageShape,
  cy: number,
  cx: number,
  length: number,
): void {
  const half = Math.floor(length / 2);
  const y0 = Math.max(0, cy - half);
  const y1 = Math.min(h, cy + half);
  const x0 = Math.max(0, cx - half);
  const x1 = Math.min(w, cx + half);
  for (let y = y0; y < y1; y++) {
    out.fill(0, base + (y * w + x0) * c, base + (y * w + x1) * c);
  }
}
