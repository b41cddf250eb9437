/**
 * Preview data for the dataset pages of the UI: the class histogram of both sets and the first
 * few training images of every class as PNG data URLs (small, so they cross IPC as plain JSON).
 */
import sharp from 'sharp';
import type { DatasetPreview } from '../contract/datasets';
import type { LoadedDataset } from './dataset';

/** How many images of each class `labels` holds. */
export function classHistogram(labels: Int32Array, classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/** The first `perClass` indices of each class, in file order. */
export function firstOfEachClass(
  labels: Int32Array,
  classCount: number,
  perClass: number,
): number[][] {
  const picks = Array.from({ length: classCount }, () => [] as number[]);
  let missing = classCount;
  for (let i = 0; i < labels.length && missing > 0; i++) {
    const list = picks[labels[i]];
    if (list.length < perClass) {
      list.push(i);
      if (list.length === perClass) missing--;
    }
  }
  return picks;
}

/** Encodes one uint8 HWC image as a PNG data URL. */
export async function pngDataUrl(
  pixels: Uint8Array,
  [h, w, c]: [number, number, number],
): Promise<string> {
  const image = sharp(pixels, { raw: { width: w, height: h, channels: c as 1 | 3 } });
  // Without an explicit colour space a one-channel image is written as RGB (three times larger).
  const png = await (c === 1 ? image.toColourspace('b-w') : image).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Histogram and `perClass` sample images per class of an opened dataset. */
export async function previewDataset(
  dataset: LoadedDataset,
  perClass = 8,
): Promise<DatasetPreview> {
  const { meta, train, test } = dataset;
  const shape = meta.imageShape as [number, number, number];
  const imageBytes = shape[0] * shape[1] * shape[2];
  const trainCounts = classHistogram(train.labels, meta.classCount);
  const testCounts = classHistogram(test.labels, meta.classCount);
  const picks = firstOfEachClass(train.labels, meta.classCount, perClass);
  const classes = await Promise.all(
    picks.map(async (indices, index) => {
      const pixels = new Uint8Array(indices.length * imageBytes);
      await train.read(indices, pixels);
      const samples = await Promise.all(
        indices.map((_, k) =>
          pngDataUrl(pixels.subarray(k * imageBytes, (k + 1) * imageBytes), shape),
        ),
      );
      return {
        index,
        name: meta.classNames[index],
        trainCount: trainCounts[index],
        testCount: testCounts[index],
        samples,
      };
    }),
  );
  return { datasetId: meta.id, imageShape: shape, classes };
}
