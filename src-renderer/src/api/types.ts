/**
 * The types the renderer's views use: the shared contract's (`@contract`, src-main/contract)
 * re-exported in one place, plus the genotype's shape until `contract/genotype.ts` lands.
 */
import type { Primitive, SearchSpaceName } from '@contract';

export type {
  AboutInfo,
  AlphaSnapshotData,
  Comparison,
  CompareRow,
  DatasetDetail,
  DatasetInspection,
  DatasetSummary,
  DetectedDatasetInfo,
  DoctorReport,
  EpochAlphas,
  EpochGenotype,
  EstimateWarning,
  ExportFile,
  ExportResult,
  MetricSeries,
  NosApi,
  NosClient,
  PublishedResults,
  RunDetail,
  RunList,
  RunSortField,
  RunSummary,
  SearchEstimate,
  SearchPreset,
  SearchConfigInput,
  ApiPayload,
} from '@contract';

/** Metric series of one run as the charts read them: METRIC key -> points by epoch. */
export type SeriesByKey = Record<string, { epoch: number; value: number }[]>;

export interface GenotypeBlockData {
  /** First tier: the kept (op, input node) pairs, 0 and 1 being the cell inputs. */
  first: { op: Primitive; input: number }[];
  /** Second tier: the op on the surrogate node. */
  second: Primitive;
}

/**
 * A genotype as the renderer draws it. Interim copy of the shape the search-space engineer is
 * defining in `src-main/contract/genotype.ts` (version 1); replaced by an import once it lands.
 */
export interface GenotypeData {
  version: 1;
  space: SearchSpaceName;
  normal: GenotypeBlockData[];
  reduce: GenotypeBlockData[];
}
