/**
 * Parameter and multiply-add counts of any network built on the module system.
 * Parameters: trainable scalars, optionally without a named head (DARTS counts its networks
 * without the auxiliary tower). Multiply-adds: products of convolutions, depthwise
 * convolutions (including per-sample dynamic ones) and linear layers in one inference pass on
 * a single image, as the papers' mult-adds columns count; element-wise ops, batch norm and
 * pooling are not counted.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Module, withMultAddCount } from '../nn';

/** Trainable scalars of `net`; weights whose dotted name starts with `exclude` are skipped. */
export function countParams(net: Module, exclude: readonly string[] = []): number {
  return net
    .namedWeights()
    .filter(([name]) => !exclude.some((p) => name === p || name.startsWith(`${p}.`)))
    .reduce((s, [, v]) => s + v.size, 0);
}

/** Multiply-adds of `forward` on one zero image of `inputShape` [H, W, C]. */
export function countMultAdds(
  forward: (x: tf.Tensor4D) => unknown,
  inputShape: readonly [number, number, number],
): number {
  return tf.tidy(() => {
    const x = tf.zeros([1, ...inputShape]) as tf.Tensor4D;
    return withMultAddCount(() => void forward(x)).multAdds;
  });
}
