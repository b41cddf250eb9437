/**
 * The types the renderer's views use: the shared contract's (`@contract`, src-main/contract)
 * re-exported in one place.
 */
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

/** A genotype (contract/genotype.ts, version 1): blocks of first-tier pairs + a second-tier op. */
export type { Genotype as GenotypeData, GenotypeBlock as GenotypeBlockData } from '@contract';
