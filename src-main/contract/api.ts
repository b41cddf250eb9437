/**
 * The NosApi: the one interface between the renderer and the processes that serve it (Electron
 * main over IPC, `nos serve` over HTTP + WebSocket). Everything about a method lives here once:
 * the zod schema that validates its payload at the boundary and its typed result; its name (which
 * is also the IPC channel `nos:<method>` and the HTTP route `POST /api/<method>`) is in the
 * zod-free `channels.ts`, re-exported from here, so the sandboxed preload can import names alone. Results are
 * plain JSON (no Dates, no class instances, no typed arrays) so both transports carry them as is.
 *
 * Desktop-only methods (native dialogs) live in a second table: a browser has no file dialogs, so
 * the HTTP transport does not offer them and the renderer falls back to typed paths and
 * downloads (`about().nativeDialogs` says which one it has).
 */
import { z } from 'zod';
import { SearchConfig, TeacherConfig, type PresetName, type SearchConfigInput } from './config';
import {
  ImportRequestSchema,
  type DatasetMeta,
  type DatasetPreview,
  type DetectedDataset,
  type StoredFormat,
} from './datasets';
import type { NosErrorData } from './errors';
import {
  EvaluationConfig,
  OpStudyConfig,
  RandomBaselineConfig,
  type PublishedResults,
} from './evaluation';
import { BACKEND_NAMES, type BackendName } from './primitives';
import { RUN_KINDS, RUN_STATUSES, type RunEvent, type RunKind, type RunStatus } from './runs';
import type { StepProgress } from './runs';
import type { ApiMethod, DesktopMethod } from './channels';

export * from './channels';

// ---------------------------------------------------------------------------------------------
// Building blocks of payloads
// ---------------------------------------------------------------------------------------------

/** Methods without a payload accept nothing, `null` or `{}` (whatever a transport sends). */
const NoPayload = z.union([z.undefined(), z.null(), z.strictObject({})]);

const RunId = z.number().int().positive();
/** A dataset's id: the slug of its folder in the data directory (DatasetMeta.id). */
const DatasetId = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash or underscore');
const AbsolutePathOrRelative = z.string().min(1).max(4096);
const Tag = z.string().min(1).max(40);

const RunIdPayload = z.strictObject({ runId: RunId });

/** Fields every `start*` payload shares. */
const RunLabels = {
  /** A human name for the run list; defaults to kind + dataset + date. */
  name: z.string().min(1).max(120).optional(),
  tags: z.array(Tag).max(20).optional(),
};

export const RUN_SORT_FIELDS = [
  'id',
  'createdAt',
  'kind',
  'dataset',
  'status',
  'bestError',
  'params',
  'duration',
] as const;
export type RunSortField = (typeof RUN_SORT_FIELDS)[number];

export const GENOTYPE_EXPORT_FORMATS = ['json', 'darts'] as const;
export type GenotypeExportFormat = (typeof GENOTYPE_EXPORT_FORMATS)[number];

const FileFilter = z.strictObject({
  name: z.string().min(1).max(80),
  extensions: z.array(z.string().min(1).max(16)).max(20),
});

// ---------------------------------------------------------------------------------------------
// The method table: one zod schema per method payload
// ---------------------------------------------------------------------------------------------

export const API_SCHEMAS = {
  /** Versions of the app, Electron, Node and TensorFlow.js, and the compute backend in use. */
  about: NoPayload,
  /** Probe every compute backend: which load here, how fast, what is recommended. */
  doctor: NoPayload,

  listDatasets: NoPayload,
  /** Datasets that can be imported without a path: the bundled sample, Debian's Fashion-MNIST. */
  detectDatasets: NoPayload,
  /**
   * Check a source before importing it: the format found, counts, classes, image shape and
   * warnings. Nothing is written. Invalid sources reject with BAD_INPUT naming the problem.
   */
  inspectDataset: ImportRequestSchema,
  /** Format, path, display name and importer options (`contract/datasets.ts`). */
  importDataset: ImportRequestSchema,
  getDataset: z.strictObject({
    id: DatasetId,
    /** Sample images returned per class (PNG data URLs); default 8. */
    samplesPerClass: z.number().int().min(0).max(32).optional(),
  }),
  deleteDataset: z.strictObject({ id: DatasetId }),

  listRuns: z.union([
    z.undefined(),
    z.strictObject({
      kind: z.enum(RUN_KINDS).optional(),
      status: z.enum(RUN_STATUSES).optional(),
      dataset: DatasetId.optional(),
      tag: Tag.optional(),
      /** Matched against name, note and tags. */
      text: z.string().max(200).optional(),
      sortBy: z.enum(RUN_SORT_FIELDS).optional(),
      sortDir: z.enum(['asc', 'desc']).optional(),
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(1000).optional(),
    }),
  ]),
  getRun: RunIdPayload,
  /** Search configuration presets (`smoke`, `quick`, `paper`) for the wizard. */
  searchPresets: NoPayload,
  /**
   * A search on a dataset. `teacherRunId` names the stored teacher run when
   * `config.teacher.mode` is 'run'.
   */
  startSearch: z.strictObject({
    dataset: DatasetId,
    config: SearchConfig,
    teacherRunId: RunId.optional(),
    ...RunLabels,
  }),
  startTeacher: z.strictObject({ dataset: DatasetId, config: TeacherConfig, ...RunLabels }),
  /**
   * Train a derived network from scratch. With `config.genotype.from` 'run' (the default),
   * `searchRunId` names the search whose final genotype is trained; `dataset` defaults to the
   * search's.
   */
  startEvaluation: z.strictObject({
    searchRunId: RunId.optional(),
    dataset: DatasetId.optional(),
    config: EvaluationConfig,
    ...RunLabels,
  }),
  /** Random genotypes from the same space, evaluated alike: the baseline of the paper. */
  startRandomBaseline: z.strictObject({
    dataset: DatasetId,
    config: RandomBaselineConfig,
    ...RunLabels,
  }),
  /** The self-calibration op study (paper section 5). */
  startOpStudy: z.strictObject({ dataset: DatasetId, config: OpStudyConfig, ...RunLabels }),
  /** Memory and time a search config would take here, with warnings; nothing is started. */
  estimateSearch: z.strictObject({ dataset: DatasetId.optional(), config: SearchConfig }),
  pauseRun: RunIdPayload,
  resumeRun: RunIdPayload,
  cancelRun: RunIdPayload,
  deleteRun: RunIdPayload,
  setRunTags: z.strictObject({ runId: RunId, tags: z.array(Tag).max(20) }),
  setRunNote: z.strictObject({ runId: RunId, note: z.string().max(10_000) }),
  compareRuns: z.strictObject({ runIds: z.array(RunId).min(1).max(20) }),

  /**
   * The published result tables (`resources/reference/published-results.json`); null when the
   * file is not installed.
   */
  referenceResults: NoPayload,

  /**
   * Without `path` the content comes back in the result (browser: offered as a download);
   * with `path` (desktop, after `saveDialog`) it is written there atomically.
   */
  exportGenotype: z.strictObject({
    runId: RunId,
    format: z.enum(GENOTYPE_EXPORT_FORMATS),
    path: AbsolutePathOrRelative.optional(),
  }),
  /** TensorFlow.js weights (model.json + weights.bin) of a run; `path` is a folder. */
  exportWeights: z.strictObject({ runId: RunId, path: AbsolutePathOrRelative.optional() }),
  // `satisfies` holds this table and the zod-free name list in `channels.ts` in step: a name
  // missing here or a schema without a name there fails to compile.
} as const satisfies Record<ApiMethod, z.ZodType>;

/** Desktop-only methods: native dialogs. Electron registers them; `nos serve` does not. */
export const DESKTOP_SCHEMAS = {
  /** A native open dialog for a folder or a file; `path` is null when the user cancelled. */
  openDialog: z.strictObject({
    kind: z.enum(['folder', 'file']),
    title: z.string().max(200).optional(),
    filters: z.array(FileFilter).max(10).optional(),
  }),
  /** A native save dialog; returns the chosen path (null when cancelled) without writing. */
  saveDialog: z.strictObject({
    defaultName: z.string().min(1).max(255),
    title: z.string().max(200).optional(),
    filters: z.array(FileFilter).max(10).optional(),
  }),
  /** A native save dialog, then the given content written atomically to the chosen path. */
  saveContent: z.strictObject({
    defaultName: z.string().min(1).max(255),
    filters: z.array(FileFilter).max(10).optional(),
    /** Text, or base64 for binary content (a PNG of a cell, for example). */
    content: z.string().max(64 * 1024 * 1024),
    encoding: z.enum(['utf8', 'base64']),
  }),
} as const satisfies Record<DesktopMethod, z.ZodType>;

/** Payload type of a method, as a caller writes it. */
export type ApiPayload<M extends ApiMethod> = z.input<(typeof API_SCHEMAS)[M]>;
export type DesktopPayload<M extends DesktopMethod> = z.input<(typeof DESKTOP_SCHEMAS)[M]>;

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

export interface AboutInfo {
  app: { name: string; version: string };
  versions: {
    node: string;
    /** null outside Electron (`nos serve`). */
    electron: string | null;
    chrome: string | null;
    tfjs: string;
  };
  /** The backend jobs will use by default here, and its version; null until probed. */
  backend: { name: BackendName; version: string } | null;
  platform: string;
  arch: string;
  dataDir: string;
  transport: 'ipc' | 'http';
  /** True when openDialog / saveDialog / saveContent exist (Electron). */
  nativeDialogs: boolean;
}

/** One compute backend as probed here (the engine's `probeBackends`). */
export interface BackendProbe {
  name: Exclude<BackendName, 'auto'>;
  usable: boolean;
  /** Why it cannot be used (null when usable). */
  reason: string | null;
  /** What to do to make it usable (null when usable). */
  fix: string | null;
  version: string | null;
  /** True for the one backend `auto` picks. */
  autoPick: boolean;
}

export interface DoctorReport {
  probes: BackendProbe[];
  /** The backend `auto` picks here; null when none loads. */
  recommended: Exclude<BackendName, 'auto'> | null;
  /** Memory the chosen backend may use (wasm: the 4 GiB heap), in bytes; null if unbounded. */
  memoryLimitBytes: number | null;
  cpus: number;
  totalMemoryBytes: number;
  warnings: string[];
}

/** A dataset in the list: its meta.json (`contract/datasets.ts`) and its size on disk. */
export type DatasetSummary = DatasetMeta & { bytes: number };

/** A dataset found on this machine: `request` goes to importDataset as it is. */
export type DetectedDatasetInfo = DetectedDataset & {
  /** Id of an imported dataset with the same source, or null. */
  importedAs: string | null;
};

/** What `inspectDataset` found at a source. */
export interface DatasetInspection {
  format: StoredFormat;
  classNames: string[];
  trainCount: number;
  testCount: number;
  /** Height, width, channels of the images as they will be stored. */
  imageShape: [number, number, number];
  warnings: string[];
}

/** A dataset with a few images per class and the class histogram (inside `preview.classes`). */
export type DatasetDetail = DatasetSummary & { preview: DatasetPreview };

export interface RunSummary {
  id: number;
  kind: RunKind;
  name: string;
  status: RunStatus;
  dataset: string | null;
  tags: string[];
  note: string;
  createdAt: string; // ISO 8601
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  /** Best top-1 error in percent on the run's held-out set (search: search split). */
  bestError: number | null;
  /** Parameters of the trained or derived network. */
  params: number | null;
  backend: string | null;
  /** Search space of a search run, teacher architecture of a teacher run, ... */
  summary: Record<string, number | string | null>;
  /** Why a run failed, and what to try. */
  error: { message: string; hint?: string } | null;
  /** The run this one came from (an evaluation's search, a search's teacher). */
  parentRunId: number | null;
}

export interface RunList {
  total: number;
  offset: number;
  runs: RunSummary[];
}

export interface MetricPoint {
  epoch: number;
  step: number | null;
  value: number;
}

export interface MetricSeries {
  key: string; // a contract METRIC key
  points: MetricPoint[];
}

/** Architecture parameters of one cell type at one epoch: rows are edges, columns are ops. */
export interface AlphaSnapshotData {
  cellType: 'normal' | 'reduce';
  primitives: string[];
  /** softmax(alphas) per edge, row-major, edges x ops. */
  alphaSoftmax: number[][];
}

export interface EpochAlphas {
  epoch: number;
  snapshots: AlphaSnapshotData[];
}

export interface EpochGenotype {
  epoch: number;
  /** A genotype as `contract/genotype` defines it (versioned JSON). */
  genotype: unknown;
  final: boolean;
}

export interface RunArtifact {
  kind: string; // 'genotype', 'weights', 'checkpoint', 'image', ...
  name: string;
  path: string;
  bytes: number | null;
  createdAt: string;
}

export interface RunLogLine {
  at: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface RunDetail extends RunSummary {
  /** The config as stored; its schema is that of the run kind in `contract/config.ts`. */
  config: unknown;
  metrics: MetricSeries[];
  alphas: EpochAlphas[];
  genotypes: EpochGenotype[];
  artifacts: RunArtifact[];
  /** The last progress report of a live run, null otherwise. */
  progress: StepProgress | null;
  /** The most recent log lines (at most a few hundred). */
  logs: RunLogLine[];
}

export interface SearchPreset {
  name: PresetName;
  title: string;
  description: string;
  config: SearchConfigInput;
}

export interface StartedRun {
  runId: number;
  status: RunStatus;
}

export interface EstimateWarning {
  /** Stable code: 'memory', 'time', 'teacher', 'dataset', ... */
  code: string;
  message: string;
  hint?: string;
}

export interface SearchEstimate {
  backend: BackendName;
  peakBytes: number;
  limitBytes: number | null;
  fits: boolean;
  /** Micro-batch the memory plan chose (gradient accumulation), null when the batch fits. */
  microBatch: number | null;
  secondsPerStep: number;
  totalSeconds: number;
  warnings: EstimateWarning[];
}

export interface CompareRow {
  run: RunSummary;
  top1Error: number | null;
  top5Error: number | null;
  params: number | null;
  /** Search cost in wall-clock seconds on this machine (search runs and their evaluations). */
  searchSeconds: number | null;
  genotype: unknown | null;
}

export interface Comparison {
  rows: CompareRow[];
  /** The published tables to place beside the rows; null when not installed. */
  reference: PublishedResults | null;
}

/**
 * An export. Without a requested path the content is inline (`encoding` says how to read it)
 * and the browser offers it as a download named `filename`; with a path it was written there.
 */
export interface ExportFile {
  filename: string;
  mimeType: string;
  path: string | null;
  content: string | null;
  encoding: 'utf8' | 'base64' | null;
}

export interface ExportResult {
  files: ExportFile[];
}

export interface DialogResult {
  path: string | null;
}

// ---------------------------------------------------------------------------------------------
// The interfaces
// ---------------------------------------------------------------------------------------------

/** The application API. Every method is async and resolves to plain JSON or rejects with a
 * NosError (transports carry it as NosErrorData and rebuild it on the other side). */
export interface NosApi {
  about(): Promise<AboutInfo>;
  doctor(): Promise<DoctorReport>;

  listDatasets(): Promise<DatasetSummary[]>;
  detectDatasets(): Promise<DetectedDatasetInfo[]>;
  inspectDataset(p: ApiPayload<'inspectDataset'>): Promise<DatasetInspection>;
  importDataset(p: ApiPayload<'importDataset'>): Promise<DatasetSummary>;
  getDataset(p: ApiPayload<'getDataset'>): Promise<DatasetDetail>;
  deleteDataset(p: ApiPayload<'deleteDataset'>): Promise<void>;

  listRuns(p?: ApiPayload<'listRuns'>): Promise<RunList>;
  getRun(p: ApiPayload<'getRun'>): Promise<RunDetail>;
  searchPresets(): Promise<SearchPreset[]>;
  startSearch(p: ApiPayload<'startSearch'>): Promise<StartedRun>;
  startTeacher(p: ApiPayload<'startTeacher'>): Promise<StartedRun>;
  startEvaluation(p: ApiPayload<'startEvaluation'>): Promise<StartedRun>;
  startRandomBaseline(p: ApiPayload<'startRandomBaseline'>): Promise<StartedRun>;
  startOpStudy(p: ApiPayload<'startOpStudy'>): Promise<StartedRun>;
  estimateSearch(p: ApiPayload<'estimateSearch'>): Promise<SearchEstimate>;
  pauseRun(p: ApiPayload<'pauseRun'>): Promise<RunSummary>;
  resumeRun(p: ApiPayload<'resumeRun'>): Promise<RunSummary>;
  cancelRun(p: ApiPayload<'cancelRun'>): Promise<RunSummary>;
  deleteRun(p: ApiPayload<'deleteRun'>): Promise<void>;
  setRunTags(p: ApiPayload<'setRunTags'>): Promise<RunSummary>;
  setRunNote(p: ApiPayload<'setRunNote'>): Promise<RunSummary>;
  compareRuns(p: ApiPayload<'compareRuns'>): Promise<Comparison>;

  referenceResults(): Promise<PublishedResults | null>;

  exportGenotype(p: ApiPayload<'exportGenotype'>): Promise<ExportResult>;
  exportWeights(p: ApiPayload<'exportWeights'>): Promise<ExportResult>;
}

/** Desktop-only methods (Electron). */
export interface NosDesktopApi {
  openDialog(p: DesktopPayload<'openDialog'>): Promise<DialogResult>;
  saveDialog(p: DesktopPayload<'saveDialog'>): Promise<DialogResult>;
  saveContent(p: DesktopPayload<'saveContent'>): Promise<DialogResult>;
}

export type RunEventListener = (event: RunEvent) => void;

/** Live run events; the returned function unsubscribes. */
export interface RunEventSource {
  onRunEvent(listener: RunEventListener): () => void;
}

/** What the preload script exposes as `window.nos` (exactly these members). */
export type NosBridge = NosApi & NosDesktopApi & RunEventSource;

/** What a view holds: either transport; desktop methods exist only under Electron. */
export type NosClient = NosApi & Partial<NosDesktopApi> & RunEventSource;

/**
 * The shape a rejected call carries across a transport: `{ ok: false, error }`; a resolved one
 * is `{ ok: true, value }`. Both transports use this envelope so errors keep their code and hint.
 */
export type ApiEnvelope<T> = { ok: true; value: T } | { ok: false; error: NosErrorData };

/** Backend names accepted where a payload names one. */
export const BackendNameSchema = z.enum(BACKEND_NAMES);

// Compile-time check: the interface and the schema table name the same methods.
type _SameMethods = [keyof NosApi] extends [ApiMethod]
  ? [ApiMethod] extends [keyof NosApi]
    ? true
    : never
  : never;
const _sameMethods: _SameMethods = true;
void _sameMethods;
type _SameDesktop = [keyof NosDesktopApi] extends [DesktopMethod]
  ? [DesktopMethod] extends [keyof NosDesktopApi]
    ? true
    : never
  : never;
const _sameDesktop: _SameDesktop = true;
void _sameDesktop;
