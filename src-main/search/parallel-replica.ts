/**
 * The supernet as a data-parallel replica (src-main/engine/parallel): each worker thread builds
 * one from the same supernet config and computes the weight-step gradient of its shard of the
 * train-split batch, CE + lambda * L_AT (NOS-SPEC section 3), as Architect.weightStep does in
 * one thread. Network weights are the differentiated variables; the alphas and the batch-norm
 * running statistics are state, loaded before every step and read back after it.
 *
 * Loaded by path in every thread (a .ts file under tsx, out/main/search-replica.js when built),
 * so it imports nothing that starts a process or touches the store.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SearchConfig } from '../contract/config';
import type { Replica, ReplicaLoss } from '../engine/parallel/protocol';
import { Supernet, type SupernetConfig } from '../nos/supernet';
import { attentionTransferLoss } from './attention-transfer';
import { correctCount, crossEntropy } from './steps';

export interface SearchReplicaConfig {
  supernet: SupernetConfig;
  lambda: number;
  atReduction: SearchConfig['atReduction'];
  /** Whether the attention-transfer term is part of the weight-step loss (guidance != none). */
  useAt: boolean;
  /** Teacher stages sent with each batch (keys t0, t1, ...); 0 without a teacher. */
  teacherStages: number;
}

/** Batch keys: x (normalised NHWC), labels ([N] int32), t0.. (teacher stage outputs). */
export const stageKey = (j: number): string => `t${j}`;

export function createReplica(config: SearchReplicaConfig): Replica {
  const net = new Supernet(config.supernet);
  return {
    variables: net.namedWeights().map(([, v]) => v),
    state: [...net.alphaList(), ...net.namedBuffers().map(([, v]) => v)],
    loss: (batch) =>
      tf.tidy((): ReplicaLoss => {
        const x = batch.x as tf.Tensor4D;
        const labels = batch.labels as tf.Tensor1D;
        const out = net.forward(x, true);
        const ce = crossEntropy(out.logits, labels);
        const top1 = tf.div(correctCount(out.logits, labels), labels.shape[0]) as tf.Scalar;
        if (config.teacherStages === 0) return { loss: ce, metrics: { ce, top1 } };
        const teacher = Array.from(
          { length: config.teacherStages },
          (_, j) => batch[stageKey(j)] as tf.Tensor4D,
        );
        const at = attentionTransferLoss(out.stages, teacher, config.atReduction);
        const loss =
          config.useAt && config.lambda > 0
            ? (tf.add(ce, tf.mul(at, config.lambda)) as tf.Scalar)
            : ce;
        return { loss, metrics: { ce, at, top1 } };
      }),
    dispose: () => net.dispose(),
  };
}
