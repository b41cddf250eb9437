/**
 * The compute engine: backend selection, kernels and gradients that complete training on wasm,
 * the memory guard and data-parallel training. Model code imports from here, never from a
 * backend package.
 */
export { AUTO_ORDER, initBackend, probeBackends } from './backend';
export type { BackendInfo, BackendProbe, ConcreteBackend } from './backend';
export { depthwiseConv2d } from './ops';
export {
  accumulateGradients,
  DEFAULT_SAFETY,
  estimatePeakBytes,
  guardStep,
  measureStepMemory,
  memoryBudget,
  planMicroBatches,
  sliceBatch,
  WASM_HEAP_LIMIT_BYTES,
  wasmHeapBytes,
} from './memory';
export type {
  AccumulatedGradients,
  Batch,
  MemoryBudget,
  MicroBatchPlan,
  PlanOptions,
  StepMemoryProfile,
} from './memory';
