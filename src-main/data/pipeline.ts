/**
 * The batch pipeline: seeded shuffling, augmentation and normalisation on typed arrays, with
 * batches prepared ahead of the consumer.
 *
 * Determinism and resumption: epoch e's order is a permutation seeded by (seed, e) and batch s of
 * that epoch draws its augmentation from a generator seeded by (seed, e, s). The whole data
 * state is therefore `{ seed, epoch, step }` (PipelineState), which a checkpoint stores; a
 * pipeline built from it yields exactly the batches the interrupted one would have.
 *
 * Prefetch: up to `prefetch` batches are prepared in macrotasks scheduled after each `next()`,
 * so they are built while the consumer awaits (progress reports, metric writes) and streamed
 * reads from disk overlap with compute. Known shortcoming: augmentation runs on the training
 * thread, so it overlaps with a synchronous training step only through those awaits; moving
 * `augmentBatch` into a worker thread would make it truly parallel. At the measured rates
 * (bench/cases/data.ts) it costs well under a tenth of a step, so this was left for later.
 */
import { NosError } from '../contract/errors';
import {
  augmentBatch,
  CIFAR_AUGMENTATION,
  normalisationTable,
  type AugmentOptions,
} from './augment';
import type { ImageShape } from './canonical';
import type { DatasetSplit } from './dataset';
import { mixSeed, permutation, Rng } from './rng';

/** Where a pipeline is: the next batch it will return. Serialisable (JSON) for checkpoints. */
export interface PipelineState {
  seed: number;
  epoch: number;
  step: number;
}

export interface PipelineOptions {
  batchSize: number;
  seed: number;
  /** Shuffle each epoch (default true); false keeps index order (evaluation). */
  shuffle?: boolean;
  /** Default: crop with 4-pixel padding and flip, no cutout. Use NO_AUGMENTATION to evaluate. */
  augment?: Partial<AugmentOptions>;
  /** Per-channel mean/std in [0, 1] (DatasetMeta). Omitted: pixels are only scaled to [0, 1]. */
  normalise?: { mean: number[]; std: number[] };
  /** Drop the last incomplete batch of an epoch (default false). */
  dropLast?: boolean;
  /** Batches prepared ahead (default 2). */
  prefetch?: number;
  /** Resume from a checkpointed state instead of epoch 0, step 0. */
  resume?: PipelineState;
}

/** One batch, ready to become tensors. */
export interface Batch {
  /** float32 NHWC, n*H*W*C, normalised. */
  images: Float32Array;
  /** Class index per image. */
  labels: Int32Array;
  n: number;
  /** [n, H, W, C] */
  shape: [number, number, number, number];
  epoch: number;
  step: number;
  /** Indices into the split (the dataset's train or test set) of the images in this batch. */
  indices: Int32Array;
}

const ORDER_SALT = 0x0d0e;
const AUGMENT_SALT = 0xa06e;

export class BatchPipeline {
  readonly stepsPerEpoch: number;
  private readonly indices: Int32Array;
  private readonly shape: ImageShape;
  private readonly table: Float32Array;
  private readonly augment: AugmentOptions;
  private readonly prefetch: number;
  private position: PipelineState;
  /** The next position not yet queued. */
  private ahead: PipelineState;
  private readonly queue: Promise<Batch>[] = [];
  private order: { epoch: number; indices: Int32Array } | null = null;
  private waitedMs = 0;
  private batches = 0;
  private closed = false;

  /**
   * @param split the set to read (a search passes the dataset's train set with `indices` from
   *   `searchSplits`; evaluation passes the test set)
   * @param indices images of `split` to iterate; omitted = all of them
   */
  constructor(
    private readonly split: DatasetSplit,
    private readonly options: PipelineOptions,
    indices?: Int32Array,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new NosError(
        'BAD_INPUT',
        `Batch size ${options.batchSize} is not a positive integer.`,
        'Use e.g. 32 or 64.',
      );
    }
    this.indices = indices ?? Int32Array.from({ length: split.count }, (_, i) => i);
    if (this.indices.length === 0) {
      throw new NosError(
        'BAD_INPUT',
        `The ${split.split} set to iterate is empty.`,
        'Check the split and the dataset.',
      );
    }
    const n = this.indices.length;
    this.stepsPerEpoch = options.dropLast
      ? Math.floor(n / options.batchSize)
      : Math.ceil(n / options.batchSize);
    if (this.stepsPerEpoch === 0) {
      throw new NosError(
        'BAD_INPUT',
        `Batch size ${options.batchSize} is larger than the ${n} images with dropLast on.`,
        'Use a smaller batch or turn dropLast off.',
      );
    }
    this.shape = split.shape;
    this.table = normalisationTable(this.shape[2], options.normalise?.mean, options.normalise?.std);
    this.augment = { ...CIFAR_AUGMENTATION, ...options.augment };
    this.prefetch = Math.max(1, options.prefetch ?? 2);
    const start = options.resume ?? { seed: options.seed, epoch: 0, step: 0 };
    if (start.seed !== options.seed || start.step < 0 || start.step >= this.stepsPerEpoch) {
      throw new NosError(
        'BAD_INPUT',
        `Cannot resume the data pipeline at ${JSON.stringify(start)}: ` +
          `seed ${options.seed}, ${this.stepsPerEpoch} steps per epoch.`,
        'Resume with the seed and batch size the run was started with.',
      );
    }
    this.position = { ...start };
    this.ahead = { ...start };
  }

  /** The position of the next batch `next()` returns: store it in a checkpoint. */
  state(): PipelineState {
    return { ...this.position };
  }

  /** Batches returned, and milliseconds `next()` spent waiting for one not yet ready. */
  stats(): { batches: number; waitedMs: number } {
    return { batches: this.batches, waitedMs: this.waitedMs };
  }

  /** The next batch; epochs follow one another without end. */
  async next(): Promise<Batch> {
    if (this.closed) throw new NosError('INTERNAL', 'BatchPipeline.next() after close().');
    if (this.queue.length === 0) this.enqueue();
    const started = performance.now();
    const batch = await this.queue.shift()!;
    this.waitedMs += performance.now() - started;
    this.batches++;
    this.position = advance(this.position, this.stepsPerEpoch);
    this.scheduleAhead();
    return batch;
  }

  /** The batches of the current epoch, from the current step to its end. */
  async *epoch(): AsyncGenerator<Batch> {
    const epoch = this.position.epoch;
    while (this.position.epoch === epoch) yield await this.next();
  }

  /** Resolves once the batches scheduled ahead are built (measurements, tests). */
  async ready(): Promise<void> {
    await new Promise((resolveSoon) => setImmediate(resolveSoon));
    await Promise.allSettled(this.queue);
  }

  /** Stops prefetching; batches already queued are dropped. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private scheduleAhead(): void {
    setImmediate(() => {
      while (!this.closed && this.queue.length < this.prefetch) this.enqueue();
    });
  }

  private enqueue(): void {
    const at = this.ahead;
    this.ahead = advance(at, this.stepsPerEpoch);
    const promise = this.build(at.epoch, at.step);
    // A failed prefetch is reported by the next() that awaits it, not as an unhandled rejection.
    promise.catch(() => undefined);
    this.queue.push(promise);
  }

  private epochOrder(epoch: number): Int32Array {
    if (this.order?.epoch !== epoch) {
      const n = this.indices.length;
      const perm =
        this.options.shuffle === false
          ? null
          : permutation(n, mixSeed(this.options.seed, ORDER_SALT, epoch));
      const ordered = new Int32Array(n);
      for (let i = 0; i < n; i++) ordered[i] = this.indices[perm ? perm[i] : i];
      this.order = { epoch, indices: ordered };
    }
    return this.order.indices;
  }

  private async build(epoch: number, step: number): Promise<Batch> {
    const order = this.epochOrder(epoch);
    const start = step * this.options.batchSize;
    const indices = order.slice(start, Math.min(start + this.options.batchSize, order.length));
    const n = indices.length;
    const [h, w, c] = this.shape;
    const raw = new Uint8Array(n * h * w * c);
    await this.split.read(indices, raw);
    const images = new Float32Array(n * h * w * c);
    const rng = new Rng(mixSeed(this.options.seed, AUGMENT_SALT, epoch, step));
    augmentBatch(raw, n, this.shape, images, this.table, this.augment, rng);
    const labels = new Int32Array(n);
    for (let k = 0; k < n; k++) labels[k] = this.split.labels[indices[k]];
    return { images, labels, n, shape: [n, h, w, c], epoch, step, indices };
  }
}

function advance(at: PipelineState, stepsPerEpoch: number): PipelineState {
  return at.step + 1 < stepsPerEpoch
    ? { seed: at.seed, epoch: at.epoch, step: at.step + 1 }
    : { seed: at.seed, epoch: at.epoch + 1, step: 0 };
}
