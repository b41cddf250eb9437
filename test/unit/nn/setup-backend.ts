/**
 * Backend for nn/nos unit tests: the engine's wasm backend (fast, with the engine's composed
 * gradient kernels and dilation-aware depthwise gradients registered).
 */
import { initBackend } from '../../../src-main/engine';

export async function setupTestBackend(): Promise<string> {
  const info = await initBackend('wasm', () => undefined);
  return info.tfName;
}
