/**
 * Pieces shared by every training loop of the search layer: the classification loss, gradients
 * of a scalar loss with respect to a chosen list of variables (so the alpha step asks only for
 * alpha gradients and the weight step only for weight gradients), accumulated over
 * micro-batches, and the run control check.
 */
import * as tf from '@tensorflow/tfjs-core';
// Side effect: tfjs-core's own gradients (the engine's initBackend later overrides the conv ones).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { NosError } from '../contract/errors';
import type { RunContext } from '../training/run-context';

/**
 * Mean softmax cross-entropy.
 * @param logits [N, classes]; labels [N] int32
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const target = tf.oneHot(labels, logits.shape[1]);
    return tf.losses.softmaxCrossEntropy(target, logits) as tf.Scalar;
  });
}

/** Correct predictions in a batch. logits [N, classes]; labels [N] int32 → scalar count. */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')));
}

/**
 * Gradients of `lossFn` with respect to `vars` only (other variables get none), in the order
 * of `vars`. Returns the loss and the gradients; the caller disposes all of them.
 * A variable the loss does not reach gets a zero gradient.
 */
export function gradientsOf(
  vars: readonly tf.Variable[],
  lossFn: () => tf.Scalar,
): { loss: tf.Scalar; grads: tf.Tensor[] } {
  const { value, grads } = tf.variableGrads(lossFn, vars as tf.Variable[]);
  return {
    loss: value,
    grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)),
  };
}

/**
 * Gradients summed over micro-batches, each weighted by its share of the batch, so the
 * result equals one pass over the whole batch (up to batch-norm statistics, which are
 * per micro-batch). `lossFn(i)` builds the loss of micro-batch i.
 */
export function accumulatedGradients(
  vars: readonly tf.Variable[],
  shares: readonly number[],
  lossFn: (i: number) => tf.Scalar,
): { loss: number; grads: tf.Tensor[] } {
  let total: tf.Tensor[] | null = null;
  let loss = 0;
  shares.forEach((share, i) => {
    const { loss: l, grads } = gradientsOf(vars, () => tf.mul(lossFn(i), share) as tf.Scalar);
    loss += l.dataSync()[0];
    l.dispose();
    if (total === null) {
      total = grads;
    } else {
      const prev: tf.Tensor[] = total;
      total = prev.map((t, k) => tf.add(t, grads[k]));
      tf.dispose([...prev, ...grads]);
    }
  });
  return { loss, grads: total ?? [] };
}

/** How a run stopped early: the job runner maps these to the run's status. */
export class RunStopped extends NosError {
  constructor(readonly reason: 'pause' | 'cancel') {
    super(
      'CANCELLED',
      reason === 'pause' ? 'The run was paused.' : 'The run was cancelled.',
      reason === 'pause' ? 'Resume it from its last checkpoint.' : undefined,
      { stopReason: reason },
    );
    this.name = 'RunStopped';
  }
}

/**
 * Gives the event loop a turn (so a pause or cancel message can arrive) and then asks the
 * RunContext whether to go on. Returns 'pause' or 'cancel' when the run must stop.
 */
export async function checkControl(ctx: RunContext): Promise<'run' | 'pause' | 'cancel'> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  return ctx.control();
}

/** Fails the run when a loss is not finite. */
export function assertFinite(value: number, what: string, epoch: number, step: number): void {
  if (!Number.isFinite(value)) {
    throw new NosError(
      'RUN_FAILED',
      `The ${what} became ${value} at epoch ${epoch + 1}, step ${step + 1}: training diverged.`,
      'Resume from the last checkpoint with a lower learning rate (weightLr or alphaLr), a ' +
        'smaller lambda, or gradient clipping (gradClip).',
      { epoch, step, value: String(value) },
    );
  }
}
