/**
 * What the data-parallel pool and its worker threads say to each other. Everything crosses the
 * thread boundary as plain data: shapes, numbers and typed arrays (weights and gradients as
 * Float32Array, one per variable, in the replica's variable order).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ConcreteBackend } from '../backend';

/** A tensor as host data: values row-major, with its shape and dtype. */
export interface HostTensor {
  data: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** A batch as host data: tensors sharing their first (sample) axis. */
export type HostBatch = Readonly<Record<string, HostTensor>>;

/** What a replica's loss returns: the mean loss, and optionally per-sample-mean metrics. */
export type ReplicaLoss = tf.Scalar | { loss: tf.Scalar; metrics: Record<string, tf.Scalar> };

/**
 * A model trainable in parallel: each thread builds one from the same module and config.
 * Its variables must come out in the same order, with the same shapes, in every thread.
 */
export interface Replica {
  /** The variables a step differentiates: their gradients come back. */
  readonly variables: readonly tf.Variable[];
  /**
   * Other variables the loss reads (architecture parameters, batch-norm running statistics):
   * loaded before each step, and read back after it, so statistics a forward pass updates can
   * be averaged across threads. No gradient is taken with respect to them.
   */
  readonly state?: readonly tf.Variable[];
  /**
   * Mean loss over one (micro-)batch; the batch keys are whatever the caller sends. Metrics,
   * when returned, must be means over the micro-batch's samples (the pool averages them by
   * sample count, as it does the loss).
   */
  loss(batch: Readonly<Record<string, tf.Tensor>>): ReplicaLoss;
  dispose?(): void;
}

/** The module a pool loads in each thread: `export function createReplica(config)`. */
export interface ReplicaModule<C> {
  createReplica(config: C): Replica | Promise<Replica>;
}

export type ToThread =
  | { type: 'init'; backend: ConcreteBackend; modulePath: string; config: unknown }
  | {
      type: 'step';
      id: number;
      weights: Float32Array[];
      /** Values of the replica's `state` variables, in order (empty when it has none). */
      state: Float32Array[];
      batch: HostBatch;
      microBatch: number | null;
    }
  | { type: 'dispose' };

export type FromThread =
  | { type: 'ready'; shapes: number[][]; stateShapes: number[][]; backend: string }
  | {
      type: 'grads';
      id: number;
      grads: Float32Array[];
      /** The `state` variables after the step (running statistics updated by the forward). */
      state: Float32Array[];
      loss: number;
      metrics: Record<string, number>;
      samples: number;
      /** tf.memory().numTensors in the thread after the step: must not grow. */
      numTensors: number;
    }
  | { type: 'error'; id: number | null; code: string; message: string; hint?: string };
