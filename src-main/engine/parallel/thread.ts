/**
 * The body of one data-parallel worker thread: its own tfjs engine and wasm instance (own heap,
 * own 4 GiB limit). It builds a replica from a module path and config, then answers each step:
 * load the weights and state it is sent, compute the gradient of its shard's mean loss
 * (accumulated over micro-batches when asked), send back the gradient, the loss, the metrics
 * and the state the forward passes left (batch-norm running statistics).
 *
 * Started as bin/thread-entry.js (which registers tsx) when running from source, or as the
 * bundled out/main/thread.js in the built app.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { NosError } from '../../contract/errors';
import { initBackend } from '../backend';
import { sliceBatch, type Batch } from '../memory';
import type {
  FromThread,
  HostBatch,
  Replica,
  ReplicaLoss,
  ReplicaModule,
  ToThread,
} from './protocol';

let replica: Replica | null = null;

function post(msg: FromThread, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(msg, transfer);
}

async function init(msg: Extract<ToThread, { type: 'init' }>): Promise<void> {
  const info = await initBackend(msg.backend, () => undefined);
  // A runtime path (a .ts file under tsx, a bundled .js in the app): require, not import().
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(msg.modulePath) as Partial<ReplicaModule<unknown>>;
  if (typeof mod.createReplica !== 'function') {
    throw new NosError(
      'INTERNAL',
      `Replica module ${msg.modulePath} does not export createReplica(config).`,
      'Export `createReplica(config): Replica` from the module passed to the pool.',
    );
  }
  replica = await mod.createReplica(msg.config);
  post({
    type: 'ready',
    shapes: replica.variables.map((v) => v.shape),
    stateShapes: (replica.state ?? []).map((v) => v.shape),
    backend: info.name,
  });
}

/** Host batch -> tensors (the caller disposes them). */
function toTensors(batch: HostBatch): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(batch)) out[k] = tf.tensor(t.data, t.shape, t.dtype);
  return out;
}

function load(variables: readonly tf.Variable[], values: readonly Float32Array[]): void {
  variables.forEach((v, i) => {
    const value = tf.tensor(values[i], v.shape);
    v.assign(value); // the variable takes its own reference to the data
    value.dispose();
  });
}

function split(out: ReplicaLoss): { loss: tf.Scalar; metrics: Record<string, tf.Scalar> } {
  return out instanceof tf.Tensor ? { loss: out, metrics: {} } : out;
}

/**
 * Gradient of the shard's mean loss: micro-batch gradients weighted by their share of the
 * shard (the same sum as engine/memory.ts accumulateGradients), plus the weighted metrics.
 */
function shardGradients(r: Replica, batch: Batch, samples: number, microBatch: number) {
  let grads: tf.Tensor[] = r.variables.map((v) => tf.zerosLike(v));
  let loss = 0;
  const metrics: Record<string, number> = {};
  for (let start = 0; start < samples; start += microBatch) {
    const n = Math.min(microBatch, samples - start);
    const share = n / samples;
    const kept: Record<string, tf.Scalar> = {};
    const next = tf.tidy(() => {
      const micro = start === 0 && n === samples ? batch : sliceBatch(batch, start, n);
      const { value, grads: g } = tf.variableGrads(() => {
        const out = split(r.loss(micro));
        for (const [k, m] of Object.entries(out.metrics)) kept[k] = tf.keep(m);
        return out.loss;
      }, r.variables as tf.Variable[]);
      return {
        value,
        grads: grads.map((acc, i) => {
          const gi = g[r.variables[i].name];
          return gi ? tf.add(acc, tf.mul(gi, share)) : tf.clone(acc);
        }),
      };
    });
    tf.dispose(grads);
    grads = next.grads;
    // Read everything before disposing: a metric may be the loss tensor itself.
    loss += share * next.value.dataSync()[0];
    for (const [k, m] of Object.entries(kept)) {
      metrics[k] = (metrics[k] ?? 0) + share * m.dataSync()[0];
    }
    tf.dispose([next.value, ...Object.values(kept)]);
  }
  return { grads, loss, metrics };
}

function step(msg: Extract<ToThread, { type: 'step' }>): void {
  const r = replica!;
  load(r.variables, msg.weights);
  load(r.state ?? [], msg.state);
  const batch: Batch = toTensors(msg.batch);
  const samples = Object.values(batch)[0].shape[0];
  const { grads, loss, metrics } = shardGradients(r, batch, samples, msg.microBatch ?? samples);
  // Copied, because the cpu backend hands out its own storage and the buffers are transferred.
  const hostGrads = grads.map((g) => new Float32Array(g.dataSync()));
  const hostState = (r.state ?? []).map((v) => new Float32Array(v.dataSync()));
  tf.dispose([...grads, ...Object.values(batch)]);
  post(
    {
      type: 'grads',
      id: msg.id,
      grads: hostGrads,
      state: hostState,
      loss,
      metrics,
      samples,
      numTensors: tf.memory().numTensors,
    },
    [...hostGrads, ...hostState].map((g) => g.buffer as ArrayBuffer),
  );
}

parentPort!.on('message', (msg: ToThread) => {
  const id = msg.type === 'step' ? msg.id : null;
  const run = async () => {
    if (msg.type === 'init') await init(msg);
    else if (msg.type === 'step') step(msg);
    else {
      replica?.dispose?.();
      parentPort!.close();
    }
  };
  run().catch((err: unknown) => {
    const e = err instanceof NosError ? err : null;
    post({
      type: 'error',
      id,
      code: e?.code ?? 'RUN_FAILED',
      message: err instanceof Error ? err.message : String(err),
      hint: e?.hint,
    });
  });
});
