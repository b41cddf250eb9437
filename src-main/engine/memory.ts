/**
 * The memory guard: plan a run's micro-batch before it starts so it never crosses the backend's
 * memory limit, and accumulate gradients over micro-batches so the effective batch does not
 * depend on the heap.
 *
 * Why before, not during: wasm's heap has a hard 4 GiB limit and crossing it aborts the whole
 * process (emscripten `Aborted()`), which no try/catch survives. So the guard measures what one
 * small micro-batch really allocates (peak tensor bytes, two sizes, a straight line through
 * them), extrapolates to the requested size and refuses, or picks a micro-batch that
 * fits, with a safety margin for allocator fragmentation and XNNPACK scratch buffers.
 */
import { totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { NosError } from '../contract/errors';
import type { ConcreteBackend } from './backend';

/** wasm32's addressable heap: tfjs-backend-wasm is built to grow up to 4 GiB. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;

/** Peak bytes of one training step as a function of the micro-batch size: fixed + b * perSample. */
export interface StepMemoryProfile {
  /** Bytes that do not grow with the batch: weights, gradients, optimiser slots, kernels. */
  fixedBytes: number;
  /** Bytes added per sample in the micro-batch (activations kept for the backward pass). */
  perSampleBytes: number;
}

export interface MemoryBudget {
  backend: ConcreteBackend;
  /** Bytes a step may use at its peak, or null when the backend has no cap we can know. */
  limitBytes: number | null;
  /** Why the limit is what it is, for messages. */
  source: string;
}

export interface MicroBatchPlan {
  batchSize: number;
  /** Samples per forward/backward pass. Equal to batchSize when the whole batch fits. */
  microBatch: number;
  /** Passes per step: ceil(batchSize / microBatch). */
  passes: number;
  estimatedPeakBytes: number;
  limitBytes: number | null;
}

const GIB = 1024 ** 3;
const gib = (bytes: number) => `${(bytes / GIB).toFixed(2)} GiB`;

/**
 * Extra room on top of the measured peak: the wasm allocator fragments, XNNPACK allocates
 * packed weights and scratch outside tensors, and the data pipeline holds a batch or two.
 */
export const DEFAULT_SAFETY = 1.3;

/**
 * What a step may use on `backend`. wasm: the 4 GiB heap minus what is already allocated
 * outside this step (the live tensors now). cpu and tfjs-node: 80% of physical memory (a soft
 * limit: past it the machine swaps rather than aborts). tfjs-node-gpu: GPU memory is not
 * visible from here, so no limit.
 */
export function memoryBudget(backend: ConcreteBackend): MemoryBudget {
  if (backend === 'wasm') {
    return { backend, limitBytes: WASM_HEAP_LIMIT_BYTES, source: "wasm's 4 GiB heap" };
  }
  if (backend === 'tfjs-node-gpu') {
    return { backend, limitBytes: null, source: 'GPU memory (not measurable from tfjs)' };
  }
  return { backend, limitBytes: Math.floor(totalmem() * 0.8), source: '80% of physical memory' };
}

/** Peak bytes of one pass at `microBatch` under `profile`. */
export function estimatePeakBytes(profile: StepMemoryProfile, microBatch: number): number {
  return Math.ceil(profile.fixedBytes + microBatch * profile.perSampleBytes);
}

/**
 * Measures one step's memory: runs `step(b)` at two small micro-batch sizes (peakBytesOf)
 * and fits peak = fixed + b * perSample through them. `step` must leave no tensors behind (it
 * is a training step; the check throws INTERNAL if it does not). The sizes must be small
 * enough to run safely: they are the probe, not the plan.
 */
export async function measureStepMemory(
  step: (microBatch: number) => void | Promise<void>,
  sizes: [number, number] = [1, 2],
): Promise<StepMemoryProfile> {
  const [small, large] = sizes;
  if (!(Number.isInteger(small) && small >= 1 && large > small)) {
    throw new NosError(
      'BAD_INPUT',
      `measureStepMemory needs two increasing positive sizes, received [${sizes.join(', ')}].`,
      'Pass sizes such as [1, 2].',
    );
  }
  const peakAt = async (b: number): Promise<number> => {
    const before = tf.memory().numTensors;
    const peak = await peakBytesOf(() => step(b));
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) {
      throw new NosError(
        'INTERNAL',
        `A training step left ${leaked} tensors alive while its memory was measured.`,
        'Wrap the step in tf.tidy or dispose what it creates; a leaking step grows until it aborts.',
      );
    }
    return peak;
  };
  await peakAt(small); // warm-up: first calls allocate kernel caches and packed weights
  const pSmall = await peakAt(small);
  const pLarge = await peakAt(large);
  const perSampleBytes = Math.max(0, (pLarge - pSmall) / (large - small));
  const fixedBytes = Math.max(0, pSmall - small * perSampleBytes);
  return { fixedBytes, perSampleBytes };
}

/** The engine's tensor bookkeeping, as far as peakBytesOf uses it. */
interface TrackingEngine {
  state: { numBytes: number };
  trackTensor(tensor: unknown, backend: unknown): void;
}

/**
 * The most bytes of tensors alive at once while `fn` runs (tensors alive before included).
 * Not tf.profile: it times every kernel and ends in Math.max(...kernels), which overflows the
 * call stack past about 100k kernels (a paper-sized supernet step launches more). Instead the
 * engine's tensor registration is wrapped for the call, the one place its byte count grows.
 */
export async function peakBytesOf(fn: () => unknown): Promise<number> {
  const engine = tf.engine() as unknown as TrackingEngine;
  const own = Object.prototype.hasOwnProperty.call(engine, 'trackTensor');
  const original = engine.trackTensor;
  let peak = engine.state.numBytes;
  engine.trackTensor = function (this: TrackingEngine, tensor, backend) {
    original.call(this, tensor, backend);
    if (this.state.numBytes > peak) peak = this.state.numBytes;
  };
  try {
    await fn();
  } finally {
    if (own) engine.trackTensor = original;
    else delete (engine as Partial<TrackingEngine>).trackTensor;
  }
  return peak;
}

export interface PlanOptions {
  batchSize: number;
  profile: StepMemoryProfile;
  budget: MemoryBudget;
  /** A micro-batch the user asked for; refused if it does not fit. */
  requestedMicroBatch?: number | null;
  safety?: number;
  /**
   * Bytes the measured step did not see: tensors allocated after measuring (a dataset moved
   * to the backend, a teacher built later). Tensors alive while measuring are in the profile.
   */
  residentBytes?: number;
  /** What to call the run in messages, e.g. 'search (C=16, 8 cells, 32x32x3)'. */
  what?: string;
}

/**
 * Chooses the micro-batch for a run, or refuses it. With a requested micro-batch: checks it
 * fits. Without: the whole batch if it fits, else the largest micro-batch that does.
 *
 * @throws NosError OUT_OF_MEMORY naming the estimate, the limit and a micro-batch, batch or
 *   channel count that would fit.
 */
export function planMicroBatches(opts: PlanOptions): MicroBatchPlan {
  const { batchSize, profile, budget } = opts;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new NosError(
      'BAD_INPUT',
      `batch size must be a positive integer, received ${batchSize}.`,
    );
  }
  const safety = opts.safety ?? DEFAULT_SAFETY;
  const resident = opts.residentBytes ?? 0;
  const need = (b: number) => estimatePeakBytes(profile, b) * safety + resident;
  const plan = (micro: number): MicroBatchPlan => ({
    batchSize,
    microBatch: micro,
    passes: Math.ceil(batchSize / micro),
    estimatedPeakBytes: Math.ceil(need(micro)),
    limitBytes: budget.limitBytes,
  });
  const limit = budget.limitBytes;
  if (limit === null) return plan(Math.min(opts.requestedMicroBatch ?? batchSize, batchSize));

  const perSample = profile.perSampleBytes * safety;
  const room = limit - resident - profile.fixedBytes * safety;
  const largestFit = perSample > 0 ? Math.floor(room / perSample) : batchSize;
  const what = opts.what ?? 'this run';

  if (largestFit < 1) {
    throw new NosError(
      'OUT_OF_MEMORY',
      `${what} does not fit on ${budget.backend} even one sample at a time: about ` +
        `${gib(need(1))} needed, ${budget.source} allows ${gib(limit)}.`,
      `Reduce the channels or cells (memory grows with channels x image area x cells), use ` +
        `smaller images, or use a native backend (--backend tfjs-node or tfjs-node-gpu).`,
      { estimatedBytes: need(1), limitBytes: limit },
    );
  }
  const requested = opts.requestedMicroBatch ?? null;
  if (requested !== null) {
    if (requested > largestFit) {
      throw new NosError(
        'OUT_OF_MEMORY',
        `${what} at micro-batch ${requested} needs about ${gib(need(requested))} on ` +
          `${budget.backend}; ${budget.source} allows ${gib(limit)}.`,
        `Set microBatch to ${largestFit} or less (gradients are accumulated, so the batch of ` +
          `${batchSize} is unchanged), or reduce the channels.`,
        { estimatedBytes: need(requested), limitBytes: limit, suggestedMicroBatch: largestFit },
      );
    }
    return plan(Math.min(requested, batchSize));
  }
  return plan(Math.min(batchSize, largestFit));
}

// ---------------------------------------------------------------------------------------------
// Gradient accumulation

/** A batch: tensors whose first axis is the sample axis, all with the same length. */
export type Batch = Readonly<Record<string, tf.Tensor>>;

export interface AccumulatedGradients {
  /** Mean loss over the batch (each micro-batch weighted by its size). */
  loss: tf.Scalar;
  /** Gradient of the mean loss, aligned with `variables`. */
  grads: tf.Tensor[];
}

/**
 * The gradient of the batch's mean loss computed in micro-batches: each micro-batch's mean
 * loss gradient is weighted by its share of the batch and summed, which equals one pass over
 * the whole batch (except for batch-norm statistics, which are per micro-batch, as in any
 * gradient accumulation). Only the running sums stay alive between micro-batches, so the peak
 * is one micro-batch's. The caller owns and disposes `loss` and `grads`; nothing else survives.
 *
 * @param lossFn mean loss of one micro-batch (a scalar), built from the sliced batch.
 * @param variables the variables to differentiate; a variable the loss does not reach gets zeros.
 */
export function accumulateGradients(
  lossFn: (micro: Batch) => tf.Scalar,
  variables: readonly tf.Variable[],
  batch: Batch,
  microBatch: number,
): AccumulatedGradients {
  const size = batchLength(batch);
  if (!(Number.isInteger(microBatch) && microBatch >= 1)) {
    throw new NosError(
      'BAD_INPUT',
      `microBatch must be a positive integer, received ${microBatch}.`,
    );
  }
  let loss: tf.Scalar = tf.scalar(0);
  let grads: tf.Tensor[] = variables.map((v) => tf.zerosLike(v));
  for (let start = 0; start < size; start += microBatch) {
    const n = Math.min(microBatch, size - start);
    const share = n / size;
    const next = tf.tidy(() => {
      const micro = sliceBatch(batch, start, n);
      const { value, grads: g } = tf.variableGrads(() => lossFn(micro), variables as tf.Variable[]);
      return {
        loss: tf.add(loss, tf.mul(value, share)) as tf.Scalar,
        grads: grads.map((acc, i) => {
          const gi = g[variables[i].name];
          return gi ? tf.add(acc, tf.mul(gi, share)) : tf.clone(acc);
        }),
      };
    });
    tf.dispose([loss, ...grads]);
    loss = next.loss;
    grads = next.grads;
  }
  return { loss, grads };
}

function batchLength(batch: Batch): number {
  const lengths = Object.entries(batch).map(([k, t]) => [k, t.shape[0]] as const);
  if (lengths.length === 0) throw new NosError('BAD_INPUT', 'The batch has no tensors.');
  const n = lengths[0][1];
  const odd = lengths.find(([, len]) => len !== n);
  if (odd || n === undefined || n < 1) {
    throw new NosError(
      'BAD_INPUT',
      `Batch tensors must share a non-empty first (sample) axis; got ${lengths
        .map(([k, len]) => `${k}: ${len}`)
        .join(', ')}.`,
    );
  }
  return n;
}

/** Samples [start, start + n) of every tensor in the batch. */
export function sliceBatch(batch: Batch, start: number, n: number): Batch {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(batch)) {
    out[k] = tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [n, ...t.shape.slice(1)]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// During a step

/** Bytes the wasm heap has reserved so far (it grows, never shrinks); null off wasm. */
export function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.buffer.byteLength ?? null;
}

/**
 * Runs one step and turns an out-of-memory failure into a catchable NosError OUT_OF_MEMORY,
 * so the run ends as failed with its last checkpoint kept. Allocation failures that throw
 * (cpu and native backends: RangeError "Array buffer allocation failed", tfjs-node's OOM)
 * are caught; a wasm heap overflow aborts the process instead, which is why planMicroBatches
 * must run first.
 */
export async function guardStep<T>(step: () => T | Promise<T>, what = 'training step'): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof NosError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (
      /out of memory|allocation failed|Cannot enlarge memory|OOM|Invalid (typed )?array( buffer)? length/i.test(
        message,
      )
    ) {
      throw new NosError(
        'OUT_OF_MEMORY',
        `The ${what} ran out of memory: ${message.split('\n')[0]}`,
        'Resume from the last checkpoint with a smaller microBatch (or batch, or channels).',
      );
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Before a run

/** Forward/backward passes measureStepMemory runs with its default sizes (warm-up, 1, 2). */
export const MEASURE_PASSES = 3;

/** The backend tfjs-core is running, in the engine's vocabulary ('tensorflow' is tfjs-node). */
export function activeBackend(): ConcreteBackend {
  const name = tf.getBackend();
  return name === 'wasm' || name === 'cpu' ? name : 'tfjs-node';
}

export interface RunMemoryOptions {
  /** What to call the run in messages, e.g. 'search (C=16, 8 cells, 32x32x1)'. */
  what: string;
  batchSize: number;
  /** The config's microBatch, or null to choose one. */
  requestedMicroBatch: number | null;
  /**
   * One training pass over `microBatch` samples that changes no training state and leaves no
   * tensor behind (measured at 1 and 2 samples; see measureStepMemory).
   */
  probe: (microBatch: number) => void | Promise<void>;
  /** The limit; memoryBudget(activeBackend()) unless given (tests pass a small one). */
  budget?: MemoryBudget;
  /** Bytes the probe does not hold but a real step does (see PlanOptions.residentBytes). */
  residentBytes?: number;
  log: (line: string) => void;
}

/**
 * The micro-batch a run trains with, decided before its first step: measures the step at two
 * small micro-batch sizes and plans against the backend's budget (planMicroBatches), logging
 * the decision. Without a known limit (tfjs-node-gpu) nothing is measured.
 *
 * @throws NosError OUT_OF_MEMORY when the run cannot fit (see planMicroBatches).
 */
export async function planRunMemory(opts: RunMemoryOptions): Promise<MicroBatchPlan> {
  const budget = opts.budget ?? memoryBudget(activeBackend());
  const { batchSize, requestedMicroBatch: requested } = opts;
  if (budget.limitBytes === null) {
    const micro = Math.min(requested ?? batchSize, batchSize);
    opts.log(`memory: ${opts.what}: micro-batch ${micro} of ${batchSize} (${budget.source})`);
    return {
      batchSize,
      microBatch: micro,
      passes: Math.ceil(batchSize / micro),
      estimatedPeakBytes: 0,
      limitBytes: null,
    };
  }
  const profile = await measureStepMemory(opts.probe);
  const plan = planMicroBatches({
    batchSize,
    profile,
    budget,
    requestedMicroBatch: requested,
    residentBytes: opts.residentBytes,
    what: opts.what,
  });
  const how =
    plan.microBatch === batchSize
      ? 'the whole batch in one pass'
      : `${plan.passes} micro-batches of ${plan.microBatch} (gradients accumulated)` +
        (requested === null ? ', because the whole batch would not fit' : '');
  opts.log(
    `memory: ${opts.what}: batch ${batchSize} as ${how}; about ${gib(plan.estimatedPeakBytes)} ` +
      `at peak of ${gib(budget.limitBytes)} (${budget.source})`,
  );
  return plan;
}
