/**
 * Attention transfer (NOS-SPEC section 3; Zagoruyko & Komodakis, ICLR 2017): the teacher guides
 * the supernet by matching spatial attention maps at three stages.
 *
 *   x_j  = vec( sum_c |F_j(:,:,c)|^2 ) / || . ||_2          one unit vector per image
 *   L_AT = 1/2 * sum_j || x_j(student) - x_j(teacher) ||^2
 *
 * Reduction: 'mean' (default) averages the squared difference over positions and batch, the
 * convention the paper's lambda = 1e3 comes from; 'sum' sums over positions and averages over
 * the batch (the formula as printed, which makes the term hundreds of times the cross-entropy).
 *
 * Where we differ: the paper requires equal spatial sizes; when they differ (a teacher of
 * another depth or input size) the student's map is resized bilinearly to the teacher's size
 * before normalisation, so the loss stays defined and bounded.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NosError } from '../contract/errors';

export type AtReduction = 'mean' | 'sum';

/**
 * Unit-normalised spatial attention of one stage.
 * @param feature NHWC [N, H, W, C] activations
 * @param size optional [H', W'] to resize the map to before normalising
 * @returns [N, H*W] (or [N, H'*W']) rows of unit L2 norm (all-zero rows stay zero)
 */
export function attentionMap(feature: tf.Tensor4D, size?: [number, number]): tf.Tensor2D {
  return tf.tidy(() => {
    // [N, H, W, C] -> [N, H, W, 1]: energy per position, summed over channels.
    let map = tf.sum(tf.square(feature), 3, true) as tf.Tensor4D;
    if (size && (size[0] !== map.shape[1] || size[1] !== map.shape[2])) {
      map = tf.image.resizeBilinear(map, size);
    }
    const [n, h, w] = map.shape;
    const flat = tf.reshape(map, [n, h * w]) as tf.Tensor2D;
    // Same guard as F.normalize: the norm is floored at 1e-12, so a zero map stays zero.
    const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(flat), 1, true)), 1e-12);
    return tf.div(flat, norm) as tf.Tensor2D;
  });
}

/**
 * Blocks gradients: the value of `x`, with a zero gradient. The teacher is frozen, so nothing
 * computed from its activations may feed a gradient back into it.
 */
const stopGradient = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * L_AT between student and teacher stages (3 in NOS; any equal count works).
 * @param student NHWC stage outputs of the supernet, [N, Hj, Wj, Cj] each
 * @param teacher NHWC stage outputs of the teacher, [N, H'j, W'j, C'j] each
 * @returns a scalar; the gradient reaches `student` only
 */
export function attentionTransferLoss(
  student: readonly tf.Tensor4D[],
  teacher: readonly tf.Tensor4D[],
  reduction: AtReduction = 'mean',
): tf.Scalar {
  if (student.length !== teacher.length || student.length === 0) {
    throw new NosError(
      'INTERNAL',
      `Attention transfer needs as many student stages as teacher stages; received ` +
        `${student.length} and ${teacher.length}.`,
    );
  }
  return tf.tidy(() => {
    const terms = student.map((fs, j) => {
      const ft = teacher[j];
      if (fs.shape[0] !== ft.shape[0]) {
        throw new NosError(
          'INTERNAL',
          `Stage ${j}: student batch ${fs.shape[0]} differs from teacher batch ${ft.shape[0]}.`,
        );
      }
      const xt = stopGradient(attentionMap(ft)) as tf.Tensor2D;
      const xs = attentionMap(fs, [ft.shape[1], ft.shape[2]]);
      const sq = tf.square(tf.sub(xs, xt));
      // 'mean' over batch and positions; 'sum' over positions, then mean over the batch.
      return reduction === 'mean' ? tf.mean(sq) : tf.mean(tf.sum(sq, 1));
    });
    return tf.mul(0.5, tf.addN(terms)) as tf.Scalar;
  });
}
