/**
 * Batches to TensorFlow.js tensors. Kept apart from the pipeline so the pipeline itself stays
 * free of tfjs (and testable without a backend).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from './pipeline';

/**
 * Makes tensors of a batch; the caller owns (and disposes) both.
 * @returns images float32 [n, H, W, C] (NHWC), labels int32 [n]
 */
export function batchToTensors(batch: Batch): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  return {
    images: tf.tensor4d(batch.images, batch.shape, 'float32'),
    labels: tf.tensor1d(batch.labels, 'int32'),
  };
}
