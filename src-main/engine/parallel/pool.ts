/**
 * Data-parallel training across worker threads. wasm runs one thread per instance under Node,
 * so a workstation's other cores idle unless each runs its own instance: the pool starts N
 * threads, each builds a replica of the model (same module, same config), and every step
 *
 *   1. sends each thread the current weights (Float32Array per variable) and its shard of the
 *      batch (contiguous samples, sizes differing by at most one),
 *   2. each thread returns the gradient of its shard's mean loss (and the replica's state
 *      after the step: batch-norm running statistics its forward passes updated),
 *   3. the pool averages them weighted by shard size: exactly the gradient of the whole batch's
 *      mean loss, up to float rounding (batch-norm statistics are per shard, as in any
 *      data-parallel training; the running statistics come back as the shard-weighted mean),
 *
 * and the caller applies one update with its optimiser in the main thread. A thread that dies
 * (a wasm heap abort kills only its thread) rejects the step with a NosError; the pool is then
 * closed and the run fails with its last checkpoint kept.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { NosError } from '../../contract/errors';
import type { ConcreteBackend } from '../backend';
import type { FromThread, HostBatch, HostTensor, ToThread } from './protocol';

/**
 * The script each thread runs: `thread.js` beside the bundled main process (out/main, where
 * every chunk lives), else bin/thread-entry.js, which registers tsx and loads ./thread.ts.
 */
export function threadEntry(): string {
  const bundled = join(__dirname, 'thread.js');
  if (existsSync(bundled)) return bundled;
  return resolve(__dirname, '../../../bin/thread-entry.js');
}

export interface PoolOptions<C> {
  /** Absolute path of a module exporting `createReplica(config)`. */
  modulePath: string;
  /** Structured-cloneable config handed to createReplica in every thread. */
  config: C;
  /** Thread count; defaults to the number of cores. */
  threads?: number;
  backend?: ConcreteBackend;
}

export interface ParallelGradients {
  /** Gradient of the batch's mean loss, one array per variable in replica order. */
  grads: Float32Array[];
  /** Mean loss over the batch. */
  loss: number;
  /** The replica's metrics, averaged over the batch's samples. */
  metrics: Record<string, number>;
  /** The replica's state after the step, averaged over the shards by size. */
  state: Float32Array[];
  /** tf.memory().numTensors in each thread after the step (flat across steps when no leak). */
  threadTensors: number[];
}

interface Pending {
  resolve(msg: FromThread): void;
  reject(err: Error): void;
}

/** Default thread count: every core. */
export function defaultThreadCount(): number {
  return availableParallelism();
}

/**
 * Below this many samples per thread a shard's step is too short to pay for copying the
 * weights to the thread and the gradients back, so the default uses fewer threads.
 */
export const MIN_SHARD = 8;

/**
 * How many data-parallel threads a training step uses. `requested` is the user's setting (null:
 * the default). The default is every core on wasm and cpu, but no more threads than batch /
 * MIN_SHARD; native backends (tfjs-node, tfjs-node-gpu) always get 1, because they already use
 * every core (or the GPU) from one thread and cannot be loaded in worker threads.
 */
export function resolveThreadCount(
  requested: number | null,
  backend: ConcreteBackend,
  batch: number,
): { threads: number; why: string } {
  if (backend !== 'wasm' && backend !== 'cpu') {
    return {
      threads: 1,
      why: `${backend} already uses every core from one thread${requested && requested > 1 ? ` (workers = ${requested} ignored)` : ''}`,
    };
  }
  if (requested !== null) return { threads: requested, why: 'the workers setting' };
  const cores = defaultThreadCount();
  const threads = Math.max(1, Math.min(cores, Math.floor(batch / MIN_SHARD)));
  return {
    threads,
    why:
      threads === cores
        ? `one per core (${cores})`
        : `${cores} cores, but at least ${MIN_SHARD} images per thread in a batch of ${batch}`,
  };
}

export class DataParallelPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<Worker, Pending>();
  private nextId = 0;
  private closed = false;
  /** Variable shapes, in replica order, as the threads built them. */
  shapes: number[][] = [];
  /** Shapes of the replica's state variables. */
  stateShapes: number[][] = [];

  private constructor(private readonly threads: number) {}

  /** Starts the threads and builds a replica in each; resolves when all are ready. */
  static async create<C>(opts: PoolOptions<C>): Promise<DataParallelPool> {
    const threads = opts.threads ?? defaultThreadCount();
    if (!(Number.isInteger(threads) && threads >= 1)) {
      throw new NosError(
        'BAD_INPUT',
        `threads must be a positive integer, received ${threads}.`,
        `Use 1 to ${defaultThreadCount()} (the number of cores here).`,
      );
    }
    const pool = new DataParallelPool(threads);
    for (let i = 0; i < threads; i++) pool.workers.push(pool.spawn());
    const init: ToThread = {
      type: 'init',
      backend: opts.backend ?? 'wasm',
      modulePath: opts.modulePath,
      config: opts.config,
    };
    try {
      const ready = await Promise.all(pool.workers.map((w) => pool.request(w, init)));
      const first = ready[0];
      if (first.type === 'ready') {
        pool.shapes = first.shapes;
        pool.stateShapes = first.stateShapes;
      }
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.threads;
  }

  private spawn(): Worker {
    const worker = new Worker(threadEntry());
    worker.on('message', (msg: FromThread) => {
      const p = this.pending.get(worker);
      if (!p) return;
      this.pending.delete(worker);
      if (msg.type === 'error') {
        p.reject(new NosError(msg.code as NosError['code'], msg.message, msg.hint));
      } else {
        p.resolve(msg);
      }
    });
    const fail = (why: string) => {
      const p = this.pending.get(worker);
      if (!p) return;
      this.pending.delete(worker);
      p.reject(
        new NosError(
          'RUN_FAILED',
          `A data-parallel training thread stopped: ${why}.`,
          'If it ran out of memory (wasm aborts past 4 GiB), lower microBatch or the ' +
            'threads setting; the run can resume from its last checkpoint.',
        ),
      );
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`exit code ${code}`));
    return worker;
  }

  private request(
    worker: Worker,
    msg: ToThread,
    transfer: ArrayBuffer[] = [],
  ): Promise<FromThread> {
    if (this.closed) return Promise.reject(new NosError('INTERNAL', 'The pool is closed.'));
    return new Promise((resolvePromise, reject) => {
      this.pending.set(worker, { resolve: resolvePromise, reject });
      worker.postMessage(msg, transfer);
    });
  }

  /**
   * The gradient of the batch's mean loss at `weights` (and `state`, the values of the
   * replica's state variables), computed in parallel. `microBatch` (optional) further splits
   * each thread's shard to bound its heap.
   */
  async gradients(
    weights: readonly Float32Array[],
    batch: HostBatch,
    microBatch: number | null = null,
    state: readonly Float32Array[] = [],
  ): Promise<ParallelGradients> {
    this.checkArrays(weights, this.shapes, 'Weights');
    this.checkArrays(state, this.stateShapes, 'State');
    const total = batchLength(batch);
    const shards = shardBounds(total, Math.min(this.threads, total));
    const replies = await Promise.all(
      shards.map(([start, end], i) =>
        this.request(this.workers[i], {
          type: 'step',
          id: this.nextId++,
          weights: weights as Float32Array[],
          state: state as Float32Array[],
          batch: sliceHostBatch(batch, start, end),
          microBatch,
        }),
      ),
    );
    // Weighted mean: sum_i (n_i / N) * g_i, accumulated in float64 to keep rounding low.
    const sums = weights.map((w) => new Float64Array(w.length));
    const stateSums = state.map((w) => new Float64Array(w.length));
    let loss = 0;
    const metrics: Record<string, number> = {};
    const threadTensors: number[] = [];
    for (const reply of replies) {
      if (reply.type !== 'grads') continue;
      const share = reply.samples / total;
      addScaled(sums, reply.grads, share);
      addScaled(stateSums, reply.state, share);
      loss += share * reply.loss;
      for (const [k, m] of Object.entries(reply.metrics))
        metrics[k] = (metrics[k] ?? 0) + share * m;
      threadTensors.push(reply.numTensors);
    }
    return {
      grads: sums.map((s) => Float32Array.from(s)),
      state: stateSums.map((s) => Float32Array.from(s)),
      loss,
      metrics,
      threadTensors,
    };
  }

  private checkArrays(arrays: readonly Float32Array[], shapes: number[][], what: string): void {
    const bad = shapes.findIndex(
      (shape, i) => arrays[i]?.length !== shape.reduce((a, b) => a * b, 1),
    );
    if (arrays.length !== shapes.length || bad >= 0) {
      throw new NosError(
        'INTERNAL',
        `${what} do not match the replica: expected ${shapes.length} arrays of shapes ` +
          `${JSON.stringify(shapes)}, received ${arrays.length} (first mismatch at ${bad}).`,
        'Send the variables of a replica built from the same module and config, in order.',
      );
    }
  }

  /** Stops every thread. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// Host-side helpers

/** sums[v] += share * parts[v], element-wise, in float64 to keep rounding low. */
function addScaled(sums: Float64Array[], parts: readonly Float32Array[], share: number): void {
  parts.forEach((p, v) => {
    const sum = sums[v];
    for (let k = 0; k < p.length; k++) sum[k] += share * p[k];
  });
}

/** [start, end) of `parts` contiguous shards of `total` samples, sizes differing by at most 1. */
export function shardBounds(total: number, parts: number): [number, number][] {
  const bounds: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const size = Math.floor(total / parts) + (i < total % parts ? 1 : 0);
    bounds.push([start, start + size]);
    start += size;
  }
  return bounds;
}

function batchLength(batch: HostBatch): number {
  const lengths = Object.values(batch).map((t) => t.shape[0]);
  if (lengths.length === 0 || lengths.some((n) => n !== lengths[0] || !(n >= 1))) {
    throw new NosError(
      'BAD_INPUT',
      `Batch tensors must share a non-empty first (sample) axis; got lengths ${lengths.join(', ')}.`,
    );
  }
  return lengths[0];
}

function sliceHostBatch(batch: HostBatch, start: number, end: number): HostBatch {
  const out: Record<string, HostTensor> = {};
  for (const [k, t] of Object.entries(batch)) {
    const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
    out[k] = {
      ...t,
      data: t.data.slice(start * per, end * per),
      shape: [end - start, ...t.shape.slice(1)],
    };
  }
  return out;
}

/** A tensor's values as host data (reads the backend; call outside tf.tidy). */
export function toHostTensor(t: tf.Tensor): HostTensor {
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  const values = t.dataSync();
  const data = dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
  return { data, shape: [...t.shape], dtype };
}

/** Current values of `variables` as Float32Arrays, in order: the weights a step sends. */
export function readWeights(variables: readonly tf.Variable[]): Float32Array[] {
  return variables.map((v) => Float32Array.from(v.dataSync()));
}

/** Host gradients as tensors shaped like `variables` (the caller disposes them). */
export function gradientTensors(
  grads: readonly Float32Array[],
  variables: readonly tf.Variable[],
): tf.Tensor[] {
  return grads.map((g, i) => tf.tensor(g, variables[i].shape));
}
