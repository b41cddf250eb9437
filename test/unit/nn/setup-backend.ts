/**
 * Backend for nn/nos unit tests. Uses the engine's initBackend when it exists (wasm: fast,
 * with the composed gradient kernels), else the cpu backend with tfjs-core's gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';

export async function setupTestBackend(): Promise<string> {
  await tf.setBackend('cpu');
  return tf.getBackend();
}
