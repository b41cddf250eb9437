/**
 * The data layer: importers to canonical dataset folders, opening them, search splits, the
 * augmented batch pipeline and UI previews. Tensors are made in `./tensors` (tfjs), kept out of
 * this barrel so importing data code does not load TensorFlow.js.
 */
export {
  datasetChecksum,
  readMeta,
  type ExistingChecksums,
  type ImageShape,
  type SplitName,
} from './canonical';
export { openDataset, type DatasetSplit, type LoadedDataset, type OpenOptions } from './dataset';
export {
  bundledSampleDir,
  bundledSampleSource,
  detectDatasets,
  DEBIAN_FASHION_MNIST_DIR,
} from './detect';
export { inspectDataset, type DatasetInspection } from './inspect';
export {
  detectFormat,
  importDataset,
  parseRequest,
  slugify,
  type ImportRunOptions,
  type ImportSource,
} from './import';
export { CIFAR_AUGMENTATION, NO_AUGMENTATION, type AugmentOptions } from './augment';
export { BatchPipeline, type Batch, type PipelineOptions, type PipelineState } from './pipeline';
export { classHistogram, previewDataset } from './preview';
export { searchSplits, type SearchSplits } from './splits';
