/**
 * Test set-up: the pure-JS cpu backend with every gradient registered (tfjs-core alone
 * registers none). Production code gets this from src-main/engine (initBackend).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
}
