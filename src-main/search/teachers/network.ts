/**
 * What the search asks of any network that has stages: logits plus the NHWC outputs of its
 * three stages (the supernet's segments between reduction cells, a teacher's residual stages),
 * which attention transfer compares (NOS-SPEC section 3).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { Module } from '../../nn/module';

export interface StageOutput {
  /** [N, classes] */
  logits: tf.Tensor2D;
  /** NHWC [N, Hj, Wj, Cj], j = 1..3, each stage at half the size of the one before. */
  stages: tf.Tensor4D[];
}

export abstract class StageNetwork extends Module {
  /** x: NHWC [N, H, W, C], already normalised. */
  abstract forward(x: tf.Tensor4D, training: boolean): StageOutput;
}
