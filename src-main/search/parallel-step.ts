/**
 * The weight step of the search (Architect.weightStep) computed data-parallel across worker
 * threads (src-main/engine/parallel): the train-split batch is split into one shard per thread,
 * each thread's supernet replica (parallel-replica.ts) returns its shard's gradient of
 * CE + lambda * L_AT, and the shard-weighted mean is clipped and applied here with the one SGD
 * optimiser, so the update equals the single-thread step up to float rounding and per-shard
 * batch-norm statistics. The batch-norm running statistics come back as the shard-weighted mean.
 *
 * The alpha step stays in this thread (it is the smaller half, and its second-order variant
 * needs the weights perturbed in place).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { SearchConfig } from '../contract/config';
import type { ConcreteBackend } from '../engine/backend';
import {
  DataParallelPool,
  readWeights,
  resolveThreadCount,
  toHostTensor,
} from '../engine/parallel/pool';
import type { HostTensor } from '../engine/parallel/protocol';
import type { SupernetConfig } from '../nos/supernet';
import { clipByGlobalNorm, type Sgd } from '../training/optim';
import type { HalfStepStats, SearchNetwork, StepBatch } from './architect';
import { stageKey, type SearchReplicaConfig } from './parallel-replica';

/** out/main/search-replica.js in the built app, else this folder's TypeScript (tsx). */
export function replicaModulePath(): string {
  const bundled = join(__dirname, 'search-replica.js');
  return existsSync(bundled) ? bundled : join(__dirname, 'parallel-replica.ts');
}

/** A supernet whose buffers (batch-norm running statistics) the parallel step writes back. */
export interface ParallelSupernet extends SearchNetwork {
  readonly config: SupernetConfig;
  namedBuffers(): Array<[string, tf.Variable]>;
}

export class ParallelWeightStep {
  private constructor(
    private readonly pool: DataParallelPool,
    private readonly net: ParallelSupernet,
    private readonly optimizer: Sgd,
    private readonly settings: Pick<SearchConfig, 'gradClip' | 'microBatch'>,
  ) {}

  /** Starts `threads` threads, each building a replica of `net` for this search's loss. */
  static async start(opts: {
    net: ParallelSupernet;
    optimizer: Sgd;
    config: SearchConfig;
    hasTeacher: boolean;
    backend: ConcreteBackend;
    threads: number;
  }): Promise<ParallelWeightStep> {
    const { config } = opts;
    const replica: SearchReplicaConfig = {
      supernet: opts.net.config,
      lambda: config.lambda,
      atReduction: config.atReduction,
      useAt: config.guidance !== 'none',
      teacherStages: opts.hasTeacher ? 3 : 0,
    };
    const pool = await DataParallelPool.create({
      modulePath: replicaModulePath(),
      config: replica,
      threads: opts.threads,
      backend: opts.backend,
    });
    return new ParallelWeightStep(pool, opts.net, opts.optimizer, config);
  }

  get threads(): number {
    return this.pool.size;
  }

  /** One weight update on a train-split batch; the same stats as Architect.weightStep. */
  async weightStep(batch: StepBatch): Promise<HalfStepStats> {
    const weights = this.net.namedWeights().map(([, v]) => v);
    const buffers = this.net.namedBuffers().map(([, v]) => v);
    const alphas = this.net.alphaList();
    const host: Record<string, HostTensor> = {
      x: toHostTensor(batch.x),
      labels: toHostTensor(batch.labels),
    };
    batch.teacherStages?.forEach((t, j) => (host[stageKey(j)] = toHostTensor(t)));
    const result = await this.pool.gradients(
      readWeights(weights),
      host,
      this.settings.microBatch,
      readWeights([...alphas, ...buffers]),
    );
    const grads = result.grads.map((g, i) => tf.tensor(g, weights[i].shape));
    const { clipped, norm } = clipByGlobalNorm(grads, this.settings.gradClip);
    this.optimizer.apply(clipped);
    tf.dispose([...grads, ...clipped, norm]);
    // The alphas came back unchanged (no gradient is taken in the threads); only the running
    // statistics are written back.
    buffers.forEach((v, i) => {
      const value = tf.tensor(result.state[alphas.length + i], v.shape);
      v.assign(value);
      value.dispose();
    });
    const count = batch.x.shape[0];
    return {
      loss: result.loss,
      ce: result.metrics.ce,
      at: batch.teacherStages ? result.metrics.at : null,
      correct: Math.round(result.metrics.top1 * count),
      count,
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The backend tfjs-core is running, in the engine's vocabulary. */
function activeBackend(): ConcreteBackend {
  const name = tf.getBackend();
  return name === 'wasm' || name === 'cpu' ? name : 'tfjs-node';
}

function isParallelSupernet(net: SearchNetwork): net is ParallelSupernet {
  const n = net as Partial<ParallelSupernet>;
  return typeof n.namedBuffers === 'function' && typeof n.config === 'object';
}

/**
 * The parallel weight step a search uses, or null when it runs in one thread: the `workers`
 * setting (null: one thread per core on wasm and cpu, at most batch / MIN_SHARD), resolved
 * against the active backend. Logs one line saying what it chose and why.
 */
export async function startParallelWeightStep(opts: {
  net: SearchNetwork;
  optimizer: Sgd;
  config: SearchConfig;
  hasTeacher: boolean;
  log: (line: string) => void;
}): Promise<ParallelWeightStep | null> {
  const backend = activeBackend();
  const { threads, why } = resolveThreadCount(opts.config.workers, backend, opts.config.batch);
  if (threads <= 1 || !isParallelSupernet(opts.net)) {
    opts.log(`search: weight step in one thread (${why})`);
    return null;
  }
  const step = await ParallelWeightStep.start({ ...opts, net: opts.net, backend, threads });
  opts.log(`search: weight step data-parallel on ${threads} ${backend} threads (${why})`);
  return step;
}
