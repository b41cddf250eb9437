/**
 * Registers the engine's own kernels and gradients with tfjs, once per backend.
 * Kernels that fill gaps in wasm and fix the cpu backend's depthwise dilation land here.
 */

const registered = new Set<string>();

/** Registers our kernels for the tfjs backend named `tfName` (idempotent). */
export function registerEngineKernels(tfName: string): void {
  if (registered.has(tfName)) return;
  registered.add(tfName);
}
