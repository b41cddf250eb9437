/**
 * Batches for training from scratch (NOS-SPEC section 4, evaluation), on the data layer's
 * pipeline: the training images (a seeded subset, or all) shuffled per epoch, augmented (random
 * crop, flip, cutout) and normalised by the dataset's mean and std; the held-out test set
 * (a seeded subset, or all) normalised only, in a fixed order. The training position is
 * (epoch, step), which a checkpoint stores; a pipeline resumed there yields exactly the batches
 * an uninterrupted run would have drawn.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NosError } from '../contract/errors';
import { NO_AUGMENTATION, type AugmentOptions } from '../data/augment';
import type { ImageShape } from '../data/canonical';
import type { LoadedDataset } from '../data/dataset';
import { BatchPipeline } from '../data/pipeline';
import { mixSeed, permutation } from '../data/rng';
import { batchToTensors } from '../data/tensors';

/** One batch as tensors: images NHWC float32 [N, H, W, C] (normalised), labels int32 [N]. */
export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
}

export interface BatchSourceOptions {
  batch: number;
  evalBatch: number;
  augment: AugmentOptions;
  /** Seeded subsets of the sets (null: all images). */
  trainImages: number | null;
  testImages: number | null;
  seed: number;
}

/** Salt so the subsets differ from the pipeline's shuffles under the same seed. */
const SUBSET_SALT = 0x5e1ec7;

/** A training stream; the caller closes it. */
export interface TrainStream {
  next(): Promise<Batch>;
  close(): void;
}

/** Training and test batches of one opened dataset. The caller disposes every batch. */
export class BatchSource {
  readonly shape: ImageShape;
  readonly classes: number;
  readonly stepsPerEpoch: number;
  private readonly trainIndices: Int32Array;
  private readonly testIndices: Int32Array;

  constructor(
    private readonly data: LoadedDataset,
    private readonly opts: BatchSourceOptions,
  ) {
    this.shape = data.meta.imageShape as ImageShape;
    this.classes = data.meta.classCount;
    this.trainIndices = subset(data.train.count, opts.trainImages, mixSeed(opts.seed, SUBSET_SALT));
    this.testIndices = subset(data.test.count, opts.testImages, mixSeed(opts.seed, SUBSET_SALT, 1));
    if (this.trainIndices.length < opts.batch) {
      throw new NosError(
        'BAD_INPUT',
        `Batch size ${opts.batch} is larger than the ${this.trainIndices.length} training images used.`,
        'Lower batch, or raise trainImages (null uses every training image).',
      );
    }
    // Incomplete last batches are dropped (DARTS's loaders keep them; dropping keeps batch-norm
    // statistics of every step comparable and makes the step count exact).
    this.stepsPerEpoch = Math.floor(this.trainIndices.length / opts.batch);
  }

  get trainCount(): number {
    return this.trainIndices.length;
  }

  get testCount(): number {
    return this.testIndices.length;
  }

  /** The training batches from (epoch, step) on, one epoch after another. */
  openTrain(epoch: number, step: number): TrainStream {
    const pipeline = new BatchPipeline(
      this.data.train,
      {
        batchSize: this.opts.batch,
        seed: this.opts.seed,
        augment: this.opts.augment,
        normalise: { mean: this.data.meta.mean, std: this.data.meta.std },
        dropLast: true,
        resume: { seed: this.opts.seed, epoch, step },
      },
      this.trainIndices,
    );
    return {
      next: async () => toTensors(await pipeline.next()),
      close: () => pipeline.close(),
    };
  }

  /** The test subset in fixed order, `evalBatch` images at a time (the last may be short). */
  async *testBatches(): AsyncGenerator<Batch> {
    const pipeline = new BatchPipeline(
      this.data.test,
      {
        batchSize: this.opts.evalBatch,
        seed: 0,
        shuffle: false,
        augment: NO_AUGMENTATION,
        normalise: { mean: this.data.meta.mean, std: this.data.meta.std },
      },
      this.testIndices,
    );
    try {
      for await (const batch of pipeline.epoch()) yield toTensors(batch);
    } finally {
      pipeline.close();
    }
  }
}

function toTensors(batch: Parameters<typeof batchToTensors>[0]): Batch {
  const { images, labels } = batchToTensors(batch);
  return { x: images, y: labels };
}

/** The first `limit` of 0..count-1 in a seeded order, sorted (all of them when limit is null). */
function subset(count: number, limit: number | null, seed: number): Int32Array {
  if (limit === null || limit >= count) return Int32Array.from({ length: count }, (_, i) => i);
  return permutation(count, seed).slice(0, limit).sort();
}
