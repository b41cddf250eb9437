/**
 * The API the renderer talks to, as the renderer sees it.
 *
 * Interim: these types stand in for `NosApi` of `src-main/contract/api.ts` until it lands; when it
 * does, this file re-exports the contract's types and the adapters in `client.ts` map names if
 * they differ. Views import only from here, never from a transport.
 */
import type { BackendName, NosErrorData, Primitive, RunEvent, RunKind, RunStatus } from '@contract';
import type { SearchSpaceName } from '@contract';

export type DatasetFormat = 'cifar10' | 'cifar100' | 'idx' | 'image-folder';

export interface DatasetSummary {
  id: string;
  name: string;
  format: DatasetFormat;
  classes: string[];
  trainCount: number;
  testCount: number;
  /** NHWC shape of one image: [height, width, channels]. */
  imageShape: [number, number, number];
  /** Images per class in the training set, in `classes` order. */
  classCounts: number[];
  bundled?: boolean;
}

export interface DetectedDataset {
  name: string;
  format: DatasetFormat;
  path: string;
  note?: string;
}

export interface DatasetValidation {
  ok: boolean;
  errors: NosErrorData[];
  warnings: string[];
  preview?: Omit<DatasetSummary, 'id'>;
}

export interface DatasetSamples {
  classes: string[];
  /** Per class, PNG data URLs (data:image/png;base64,...). */
  images: string[][];
}

export interface SplitSettings {
  /** Fraction of the training images that train the weights; the rest train the alphas. */
  trainFraction: number;
  /** Cap on training images used (0 = all): for quick searches. */
  limit: number;
  seed: number;
}

export type TeacherChoice =
  | { mode: 'new'; architecture: 'resnet18' | 'pyramidnet110'; epochs: number }
  | { mode: 'existing'; runId: number }
  | { mode: 'import'; path: string }
  | { mode: 'none' };

export interface SearchConfig {
  name?: string;
  datasetId: string;
  split: SplitSettings;
  space: SearchSpaceName;
  ops: Primitive[];
  cells: number;
  channels: number;
  nodes: number;
  teacher: TeacherChoice;
  epochs: number;
  batchSize: number;
  weightLr: number;
  alphaLr: number;
  lambda: number;
  order: 'first' | 'second';
  seed: number;
  backend: BackendName;
}

export interface SearchEstimate {
  peakMemoryBytes: number;
  memoryLimitBytes: number;
  secondsPerEpoch: number;
  totalSeconds: number;
  warnings: string[];
  fits: boolean;
}

export interface RunSummary {
  id: number;
  kind: RunKind;
  name: string;
  dataset: string;
  status: RunStatus;
  bestError: number | null;
  params: number | null;
  durationSeconds: number | null;
  createdAt: string;
  tags: string[];
  notes: string;
}

export interface RunDetail extends RunSummary {
  config: Record<string, unknown>;
  summary: Record<string, number | string | null>;
  error?: NosErrorData;
  backend?: { name: string; version: string };
  epochs?: number;
}

export type RunSortKey = 'id' | 'kind' | 'dataset' | 'status' | 'bestError' | 'params' | 'duration' | 'createdAt';

export interface RunQuery {
  offset: number;
  limit: number;
  sort: RunSortKey;
  descending: boolean;
  kind?: RunKind;
  status?: RunStatus;
  text?: string;
}

export interface RunPage {
  total: number;
  runs: RunSummary[];
}

/** Metric series of one run: key (METRIC spelling) -> points by epoch. */
export type MetricSeries = Record<string, { epoch: number; value: number }[]>;

/** Alphas of one epoch: rows are edges, columns the ops of the space (softmax taken). */
export interface AlphaSnapshot {
  epoch: number;
  ops: Primitive[];
  normal: number[][];
  reduce: number[][];
}

export interface GenotypeBlockData {
  /** First tier: the kept (op, input node) pairs, 0 and 1 being the cell inputs. */
  first: { op: Primitive; input: number }[];
  /** Second tier: the op on the surrogate node. */
  second: Primitive;
}

export interface GenotypeData {
  version: 1;
  space: SearchSpaceName;
  normal: GenotypeBlockData[];
  reduce: GenotypeBlockData[];
}

export interface SystemInfo {
  appVersion: string;
  versions: Record<string, string>;
  backend: { name: string; version: string; note?: string };
  dataDir: string;
}

export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  hint?: string;
}

export interface ExportResult {
  /** Where the file was written, when the host wrote one. */
  path?: string;
  /** The exported text, when the host returns it for the page to save. */
  content?: string;
  fileName?: string;
}

export interface NosApi {
  systemInfo(): Promise<SystemInfo>;
  doctor(): Promise<DoctorCheck[]>;
  listDatasets(): Promise<DatasetSummary[]>;
  detectDatasets(): Promise<DetectedDataset[]>;
  validateDataset(p: { format: DatasetFormat; path: string }): Promise<DatasetValidation>;
  importDataset(p: { format: DatasetFormat; path: string; name: string }): Promise<DatasetSummary>;
  datasetSamples(p: { datasetId: string; perClass: number }): Promise<DatasetSamples>;
  estimateSearch(p: SearchConfig): Promise<SearchEstimate>;
  startSearch(p: SearchConfig): Promise<{ runId: number }>;
  listRuns(p: RunQuery): Promise<RunPage>;
  getRun(p: { runId: number }): Promise<RunDetail>;
  updateRun(p: { runId: number; tags?: string[]; notes?: string }): Promise<RunDetail>;
  deleteRun(p: { runId: number }): Promise<void>;
  pauseRun(p: { runId: number }): Promise<void>;
  resumeRun(p: { runId: number }): Promise<void>;
  cancelRun(p: { runId: number }): Promise<void>;
  runMetrics(p: { runId: number }): Promise<MetricSeries>;
  runAlphas(p: { runId: number }): Promise<AlphaSnapshot[]>;
  runGenotype(p: { runId: number }): Promise<GenotypeData | null>;
  exportGenotype(p: { runId: number; format: 'json' | 'darts' }): Promise<ExportResult>;
  exportWeights(p: { runId: number }): Promise<ExportResult>;
  pickPath(p: { kind: 'file' | 'folder'; title: string }): Promise<string | null>;
}

/** The live event channel beside the request/response methods. */
export interface NosEvents {
  onRunEvent(listener: (event: RunEvent) => void): () => void;
}

export type NosClient = NosApi & NosEvents;
export type NosMethod = keyof NosApi;
