/**
 * A first-order estimate of what a search config costs here: peak memory of the supernet's
 * activations and the time of the whole search, with warnings the review step of the wizard
 * shows before launch.
 *
 * Known shortcoming: this is an analytic model calibrated on two measured runs (see
 * ../shared ENVIRONMENT notes: a 5-cell, C=8 NOS supernet at 28x28, batch 16, peaked at 3.3 GB
 * and took about 13 s per weight step on wasm), not a measurement of the actual network. It
 * scales activation volume (images x positions x channels x cells x edges x ops) linearly. The
 * search engine's own memory planner should replace it once it exists: it knows the tensors.
 */
import {
  SEARCH_SPACES,
  type BackendName,
  type DatasetSummary,
  type EstimateWarning,
  type SearchConfig,
  type SearchEstimate,
} from '../contract';

/** Bytes of peak memory per activation unit (one value of one op output, forward + backward). */
const BYTES_PER_UNIT = 33;
/** Seconds per million activation units for one search step (alpha + weight step), per backend. */
const SECONDS_PER_MEGA_UNIT: Readonly<Record<Exclude<BackendName, 'auto'>, number>> = {
  'tfjs-node-gpu': 0.01,
  'tfjs-node': 0.08,
  wasm: 0.26,
  cpu: 16,
};
const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** Keep this share of the heap free for weights, optimiser state and the data pipeline. */
const HEAP_HEADROOM = 0.8;

/** First-tier edges (node k reads the 2 cell inputs and k earlier nodes) plus one second-tier edge per node. */
export function edgesPerCell(nodes: number): number {
  let edges = 0;
  for (let k = 0; k < nodes; k++) edges += k + 2 + 1;
  return edges;
}

/** Activation units of one image through the supernet (reduction cells halve H, W and double C). */
export function unitsPerImage(config: SearchConfig, shape: [number, number, number]): number {
  const ops = SEARCH_SPACES[config.space].length;
  const edges = edgesPerCell(config.nodes);
  const reductions = new Set([Math.floor(config.cells / 3), Math.floor((2 * config.cells) / 3)]);
  let [h, w] = shape;
  let c = config.channels;
  let units = 0;
  for (let i = 0; i < config.cells; i++) {
    if (reductions.has(i)) {
      h = Math.ceil(h / 2);
      w = Math.ceil(w / 2);
      c *= 2;
    }
    units += h * w * c * edges * ops;
  }
  return units;
}

export function estimateSearch(
  config: SearchConfig,
  backend: Exclude<BackendName, 'auto'>,
  dataset: DatasetSummary | null,
): SearchEstimate {
  const warnings: EstimateWarning[] = [];
  const shape = (dataset?.imageShape as [number, number, number] | undefined) ?? [32, 32, 3];
  if (!dataset) {
    warnings.push({
      code: 'dataset',
      message: 'No dataset chosen: estimated for 32x32 RGB images.',
    });
  }

  // Memory: activations of one forward+backward pass at the (micro-)batch.
  const perImage = unitsPerImage(config, shape) * BYTES_PER_UNIT;
  const limitBytes = backend === 'wasm' ? WASM_HEAP_BYTES : null;
  const budget = limitBytes === null ? Infinity : limitBytes * HEAP_HEADROOM;
  let microBatch: number | null = config.microBatch;
  const batchFits = (b: number) => b * perImage <= budget;
  if (microBatch === null && !batchFits(config.batch)) {
    microBatch = Math.max(1, Math.floor(budget / perImage));
    if (!batchFits(microBatch)) microBatch = null;
  }
  const perPass = microBatch ?? config.batch;
  const peakBytes = Math.round(perPass * perImage);
  const fits = batchFits(perPass);
  if (!fits) {
    warnings.push({
      code: 'memory',
      message: `Even one image needs about ${(perImage / 1024 ** 3).toFixed(1)} GiB here, over the ${backend} limit.`,
      hint: 'Use fewer cells or channels, or a native backend (tfjs-node-gpu).',
    });
  } else if (microBatch !== null && microBatch < config.batch) {
    warnings.push({
      code: 'memory',
      message: `Batch ${config.batch} does not fit in memory at once: it will run as micro-batches of ${microBatch} with gradient accumulation (slower).`,
    });
  }

  // Time: steps per epoch over the train split, alpha and weight step each.
  const available = dataset ? Math.floor(dataset.trainCount * config.trainFraction) : 25_000;
  const trainImages = Math.min(config.trainImages ?? available, available || Infinity);
  const stepsPerEpoch = Math.max(1, Math.ceil(trainImages / config.batch));
  const unitsPerStep = unitsPerImage(config, shape) * config.batch;
  const orderFactor = config.order === 'second' ? 2 : 1;
  const secondsPerStep = (unitsPerStep / 1e6) * SECONDS_PER_MEGA_UNIT[backend] * orderFactor;
  const searchSeconds = secondsPerStep * stepsPerEpoch * config.epochs;
  const teacher = config.teacher;
  const teacherSeconds =
    teacher.mode === 'train'
      ? searchSeconds * 0.3 * (teacher.epochs / Math.max(1, config.epochs))
      : 0;
  const totalSeconds = searchSeconds + teacherSeconds;

  if (totalSeconds > 24 * 3600) {
    warnings.push({
      code: 'time',
      message: `About ${(totalSeconds / 3600).toFixed(0)} hours on ${backend}.`,
      hint: 'Start with the quick preset, or run on a machine with tfjs-node-gpu.',
    });
  }
  if (backend === 'cpu') {
    warnings.push({
      code: 'backend',
      message: 'The pure-JavaScript cpu backend is 60-90x slower than wasm for convolutions.',
      hint: 'Choose auto or wasm.',
    });
  }
  if (teacher.mode === 'train' && teacher.arch === 'pyramidnet' && backend !== 'tfjs-node-gpu') {
    warnings.push({
      code: 'teacher',
      message: 'Training PyramidNet-110 as the teacher takes days without a GPU.',
      hint: 'Use a ResNet-18 teacher, a stored teacher run, or an imported model.',
    });
  }
  return {
    backend,
    peakBytes,
    limitBytes,
    fits,
    microBatch: microBatch !== null && microBatch < config.batch ? microBatch : null,
    secondsPerStep,
    totalSeconds,
    warnings,
  };
}
