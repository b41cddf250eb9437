/**
 * Evaluation as every process sees it (NOS-SPEC sections 4 and 5): the configs of the three
 * evaluation jobs (train a derived network from scratch, the random-architecture baseline, the
 * self-calibration op study) with their smoke/quick/paper presets, the labelled statistics of
 * repeated runs, and the schema of the published reference results in
 * `resources/reference/published-results.json`, so the renderer can show them beside this
 * machine's runs.
 *
 * The paper prints an initial learning rate of 0.25 for CIFAR evaluation at batch 128. DARTS,
 * whose protocol the paper says it follows, uses 0.025 (batch 96), as does P-DARTS at batch 128;
 * we read the printed value as a misprint, take 0.025 as the paper preset's default and keep
 * `lr` a visible setting.
 */
import { z } from 'zod';
import { parseConfigWith, PRESET_NAMES, type PresetName } from './config';
import { NosError } from './errors';
import { BACKEND_NAMES, SEARCH_SPACE_NAMES } from './primitives';

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();

// ---------------------------------------------------------------------------------------------
// Where the genotype to evaluate comes from

/**
 * `run`: the genotype handed to the job (a search run's final genotype); `file`: a NOS genotype
 * JSON file (or DARTS text form); `published`: a built-in genotype by name (`darts-v1`,
 * `darts-v2`, ...; see resources/genotypes).
 */
export const GenotypeToEvaluateSchema = z.discriminatedUnion('from', [
  z.object({ from: z.literal('run') }),
  z.object({ from: z.literal('file'), path: z.string().min(1, 'path must name a genotype file') }),
  z.object({ from: z.literal('published'), name: z.string().min(1) }),
]);
export type GenotypeToEvaluate = z.infer<typeof GenotypeToEvaluateSchema>;

// ---------------------------------------------------------------------------------------------
// Training a derived network from scratch

/** Data, checkpoints, seed and backend: the same fields in all three evaluation jobs. */
const dataFields = {
  flip: z.boolean().default(true),
  /** Random-crop padding in pixels (0 turns cropping off). */
  cropPadding: z.number().int().nonnegative().default(4),
  /** Training / test images used (seeded subsets); null uses all of them. */
  trainImages: positiveInt.nullable().default(null),
  testImages: positiveInt.nullable().default(null),
  /** Images per forward pass when evaluating on the test set. */
  evalBatch: positiveInt.default(256),
  /** Write a checkpoint every this many steps (and always at the end of an epoch). */
  checkpointEverySteps: positiveInt.default(200),
  seed: z.number().int().nonnegative().default(0),
  backend: z.enum(BACKEND_NAMES).default('auto'),
};

/** The training schedule shared by evaluation and the random baseline (NOS-SPEC section 4). */
const trainingFields = {
  /** Cells of the evaluation network; reduction cells sit at 1/3 and 2/3 of the depth. */
  cells: positiveInt.default(20),
  /** Initial channels C. */
  channels: positiveInt.default(36),
  epochs: positiveInt.default(600),
  batch: positiveInt.default(128),
  /**
   * Images per forward pass, gradients accumulated up to `batch`; null: the whole batch when
   * it fits the backend's memory, else the largest micro-batch that does.
   */
  microBatch: positiveInt.nullable().default(null),
  /** Initial learning rate (see the header on the paper's printed 0.25). */
  lr: z.number().positive().default(0.025),
  /** Floor of the cosine schedule (stepped per epoch). */
  lrMin: nonNegative.default(0),
  momentum: z.number().min(0).lt(1).default(0.9),
  /** L2 weight decay; 'per-dataset' is 5e-4 for CIFAR-100 and 3e-4 otherwise (the paper's). */
  weightDecay: z.union([nonNegative, z.literal('per-dataset')]).default('per-dataset'),
  /** Global-norm clipping of weight gradients (DARTS: 5); 0 turns clipping off. */
  gradClip: nonNegative.default(5),
  /** Loss weight of the auxiliary tower at 2/3 depth; 0 builds no tower. */
  auxiliaryWeight: nonNegative.default(0.4),
  /** Cutout square side in pixels; 0 turns cutout off. */
  cutout: z.number().int().nonnegative().default(16),
  /** Final drop-path probability, reached linearly from 0 over the epochs (as DARTS). */
  dropPath: z.number().min(0).lt(1).default(0.3),
  ...dataFields,
};

export const EvaluationConfig = z.object({
  genotype: GenotypeToEvaluateSchema.default({ from: 'run' }),
  ...trainingFields,
  /** Independent runs of the same genotype, seeds `seed`, `seed + 1`, ... (paper: 10). */
  repeats: positiveInt.default(10),
  /** Write the trained network and genotype as a TensorFlow.js export at the end. */
  export: z.boolean().default(true),
});
export type EvaluationConfig = z.infer<typeof EvaluationConfig>;
export type EvaluationConfigInput = z.input<typeof EvaluationConfig>;

/** Tests: a tiny network on a few hundred images, well under a minute on wasm. */
const EVAL_SMOKE: EvaluationConfigInput = {
  cells: 3,
  channels: 4,
  epochs: 1,
  batch: 16,
  lr: 0.05,
  auxiliaryWeight: 0.4,
  cutout: 8,
  cropPadding: 2,
  trainImages: 64,
  testImages: 32,
  evalBatch: 64,
  checkpointEverySteps: 2,
  repeats: 1,
};

/** This machine (2 cores, wasm): minutes, on the bundled Fashion-MNIST sample. */
const EVAL_QUICK: EvaluationConfigInput = {
  cells: 5,
  channels: 8,
  epochs: 4,
  batch: 32,
  lr: 0.05,
  cutout: 8,
  cropPadding: 2,
  trainImages: 2000,
  testImages: 1000,
  evalBatch: 200,
  checkpointEverySteps: 20,
  repeats: 1,
};

/** NOS-SPEC section 4: 20 cells, 36 channels, 600 epochs, batch 128, 10 runs (a GPU). */
const EVAL_PAPER: EvaluationConfigInput = {
  cells: 20,
  channels: 36,
  epochs: 600,
  batch: 128,
  repeats: 10,
};

export const EVALUATION_PRESETS: Readonly<Record<PresetName, EvaluationConfigInput>> = {
  smoke: EVAL_SMOKE,
  quick: EVAL_QUICK,
  paper: EVAL_PAPER,
};

// ---------------------------------------------------------------------------------------------
// The random-architecture baseline

export const RandomBaselineConfig = z.object({
  /** The search space genotypes are sampled from (uniformly; see evaluation/random-genotype). */
  space: z.enum(SEARCH_SPACE_NAMES).default('nos'),
  /** Genotypes sampled and trained (paper: 30). */
  samples: positiveInt.default(30),
  /** Seed of the sampling; training seeds follow `seed`. */
  sampleSeed: z.number().int().nonnegative().default(0),
  ...trainingFields,
});
export type RandomBaselineConfig = z.infer<typeof RandomBaselineConfig>;
export type RandomBaselineConfigInput = z.input<typeof RandomBaselineConfig>;

/**
 * The paper does not give the schedule of its 30 random samples; its Table 2 row is a network of
 * evaluation size (2.4M parameters), so the paper preset trains each with the evaluation
 * schedule. The smaller presets use one short schedule for every sample.
 */
export const RANDOM_BASELINE_PRESETS: Readonly<Record<PresetName, RandomBaselineConfigInput>> = {
  smoke: { ...withoutEvalOnly(EVAL_SMOKE), samples: 2 },
  quick: { ...withoutEvalOnly(EVAL_QUICK), samples: 5, epochs: 2 },
  paper: { ...withoutEvalOnly(EVAL_PAPER), samples: 30 },
};

function withoutEvalOnly(input: EvaluationConfigInput): RandomBaselineConfigInput {
  const { genotype: _g, repeats: _r, export: _e, ...rest } = input;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// The self-calibration op study (paper Table 1)

/** The self-calibration ops the study adds to ResNet-18 (Table 1 rows, in order). */
export const OP_STUDY_OPS = [
  'dynamic_conv_3x3',
  'dynamic_conv_5x5',
  'dil_dynamic_conv_3x3',
  'dil_dynamic_conv_5x5',
  'spatial_attention',
  'channel_attention',
] as const;
export type OpStudyOp = (typeof OP_STUDY_OPS)[number];

/** Table 1 variants: the plain ResNet-18 baseline and one variant per op. */
export const OP_STUDY_VARIANTS = ['baseline', ...OP_STUDY_OPS] as const;
export type OpStudyVariant = (typeof OP_STUDY_VARIANTS)[number];

export const OpStudyConfig = z.object({
  variants: z
    .array(z.enum(OP_STUDY_VARIANTS))
    .min(1, 'name at least one variant')
    .default([...OP_STUDY_VARIANTS]),
  /** ResNet stages (1-based, of 4) after which the op is added (paper: 1, 2, 3). */
  stages: z.array(z.number().int().min(1).max(4)).min(1).default([1, 2, 3]),
  /** ResNet-18 stage-1 channels (64 in the CIFAR form). */
  width: positiveInt.default(64),
  epochs: positiveInt.default(300),
  batch: positiveInt.default(32),
  lr: z.number().positive().default(0.025),
  momentum: z.number().min(0).lt(1).default(0.9),
  weightDecay: nonNegative.default(1e-4),
  /** 'step': divide lr by 10 every `lrStepEpochs` (the paper's recipe); 'cosine': to 0. */
  schedule: z.enum(['step', 'cosine']).default('step'),
  lrStepEpochs: positiveInt.default(30),
  ...dataFields,
});
export type OpStudyConfig = z.infer<typeof OpStudyConfig>;
export type OpStudyConfigInput = z.input<typeof OpStudyConfig>;

export const OP_STUDY_PRESETS: Readonly<Record<PresetName, OpStudyConfigInput>> = {
  smoke: {
    variants: ['baseline', 'channel_attention'],
    width: 4,
    epochs: 1,
    batch: 16,
    lr: 0.05,
    schedule: 'cosine',
    trainImages: 64,
    testImages: 32,
    evalBatch: 64,
    checkpointEverySteps: 2,
  },
  quick: {
    width: 8,
    epochs: 2,
    batch: 32,
    lr: 0.05,
    schedule: 'cosine',
    cropPadding: 2,
    trainImages: 1000,
    testImages: 500,
    evalBatch: 250,
    checkpointEverySteps: 20,
  },
  paper: {},
};

// ---------------------------------------------------------------------------------------------
// Parsing and presets

const parseWith = <S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> =>
  parseConfigWith(schema, input, what, 'src-main/contract/evaluation.ts');

function presetOf<T>(presets: Readonly<Record<PresetName, T>>, name: string): T {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new NosError(
      'BAD_INPUT',
      `Unknown preset ${JSON.stringify(name)}: expected one of ${PRESET_NAMES.join(', ')}`,
      'Pass --preset smoke, quick or paper.',
    );
  }
  return presets[name as PresetName];
}

export function parseEvaluationConfig(input: unknown): EvaluationConfig {
  return parseWith(EvaluationConfig, input, 'evaluation config');
}

export function parseRandomBaselineConfig(input: unknown): RandomBaselineConfig {
  return parseWith(RandomBaselineConfig, input, 'random-baseline config');
}

export function parseOpStudyConfig(input: unknown): OpStudyConfig {
  return parseWith(OpStudyConfig, input, 'op-study config');
}

/** A preset with user overrides laid over it. */
export function evaluationConfigFromPreset(
  preset: PresetName,
  overrides: EvaluationConfigInput = {},
): EvaluationConfig {
  return parseEvaluationConfig({ ...presetOf(EVALUATION_PRESETS, preset), ...overrides });
}

export function randomBaselineConfigFromPreset(
  preset: PresetName,
  overrides: RandomBaselineConfigInput = {},
): RandomBaselineConfig {
  return parseRandomBaselineConfig({ ...presetOf(RANDOM_BASELINE_PRESETS, preset), ...overrides });
}

export function opStudyConfigFromPreset(
  preset: PresetName,
  overrides: OpStudyConfigInput = {},
): OpStudyConfig {
  return parseOpStudyConfig({ ...presetOf(OP_STUDY_PRESETS, preset), ...overrides });
}

/** The weight decay a config asks for on a dataset of `format` (the paper's per-dataset rule). */
export function resolveWeightDecay(
  weightDecay: number | 'per-dataset',
  format: string | undefined,
): number {
  if (weightDecay !== 'per-dataset') return weightDecay;
  return format === 'cifar100' ? 5e-4 : 3e-4;
}

// ---------------------------------------------------------------------------------------------
// Statistics of repeated runs, each figure labelled as what it is

/**
 * Summary of n values of one metric over repeated runs. `sd` is the sample standard deviation
 * (n - 1 in the denominator; null for n = 1). `best` is the minimum for errors and losses, the
 * maximum for accuracies (`better` says which).
 */
export interface RunStatistics {
  metric: string;
  n: number;
  mean: number;
  sd: number | null;
  best: number;
  worst: number;
  better: 'lower' | 'higher';
  values: number[];
}

// ---------------------------------------------------------------------------------------------
// Published reference results (resources/reference/published-results.json)

export const FIGURE_STATISTICS = ['reported', 'best', 'mean'] as const;
export type FigureStatistic = (typeof FIGURE_STATISTICS)[number];

/** One published number: what it is (a single report, a best, a mean with sd) and how many runs. */
export const PublishedFigureSchema = z
  .object({
    value: z.number(),
    statistic: z.enum(FIGURE_STATISTICS),
    sd: z.number().nonnegative().optional(),
    n: positiveInt.optional(),
    /** A cost added on top of the table's baseline row, not an absolute figure. */
    added: z.boolean().optional(),
  })
  .strict()
  .refine((f) => f.sd === undefined || f.statistic === 'mean', {
    message: 'only a mean carries an sd',
  });
export type PublishedFigure = z.infer<typeof PublishedFigureSchema>;

export const PublishedPaperSchema = z
  .object({
    citation: z.string().min(1),
    year: z.number().int(),
    /** Reference number of this paper in the NOS paper's bibliography, e.g. "[10]". */
    nosRef: z
      .string()
      .regex(/^\[\d+\]$/)
      .optional(),
  })
  .strict();

export const PublishedColumnSchema = z
  .object({
    key: z.string().min(1),
    label: z.string().min(1),
    /** '%', 'M' (millions), 'GPU-days', 'count'. */
    unit: z.enum(['%', 'M', 'GPU-days', 'count']),
    dataset: z.enum(['cifar10', 'cifar100', 'imagenet']).optional(),
    metric: z.enum([
      'top1-error',
      'top5-error',
      'params',
      'flops',
      'mult-adds',
      'gpus',
      'search-cost',
    ]),
  })
  .strict();

export const PublishedRowSchema = z
  .object({
    id: z.string().min(1),
    label: z.string().min(1),
    role: z.enum([
      'baseline',
      'variant',
      'teacher',
      'method',
      'random-baseline',
      'nos',
      'ablation',
    ]),
    /** Key into `papers`: the method's own paper, where the NOS paper quotes it. */
    methodPaper: z.string().optional(),
    /** Op-study rows: the self-calibration op added. */
    op: z.string().optional(),
    /** Figures by column key; null where the paper prints '-'. */
    values: z.record(z.string(), PublishedFigureSchema.nullable()),
  })
  .strict();

export const PublishedTableSchema = z
  .object({
    id: z.string().min(1),
    /** Where in the NOS paper: "Table 2", or the section for numbers quoted in the text. */
    nosTable: z.string().min(1),
    title: z.string().min(1),
    note: z.string().optional(),
    columns: z.array(PublishedColumnSchema).min(1),
    rows: z.array(PublishedRowSchema).min(1),
  })
  .strict();

export const PublishedResultsSchema = z
  .object({
    version: z.literal(1),
    description: z.string(),
    papers: z.record(z.string(), PublishedPaperSchema),
    tables: z.array(PublishedTableSchema).min(1),
    notes: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((doc, ctx) => {
    doc.tables.forEach((table, t) => {
      const keys = new Set(table.columns.map((c) => c.key));
      table.rows.forEach((row, r) => {
        const path = ['tables', t, 'rows', r];
        if (row.methodPaper !== undefined && !(row.methodPaper in doc.papers)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'methodPaper'],
            message: `names paper "${row.methodPaper}", which is not in papers`,
          });
        }
        const given = Object.keys(row.values);
        for (const k of keys) {
          if (!given.includes(k)) {
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'values'],
              message: `has no value for column "${k}" (write null for '-')`,
            });
          }
        }
        for (const k of given) {
          if (!keys.has(k)) {
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'values', k],
              message: `is not a column of ${table.id}`,
            });
          }
        }
      });
    });
  });
export type PublishedResults = z.infer<typeof PublishedResultsSchema>;
export type PublishedTable = z.infer<typeof PublishedTableSchema>;
export type PublishedRow = z.infer<typeof PublishedRowSchema>;
export type PublishedColumn = z.infer<typeof PublishedColumnSchema>;

export function parsePublishedResults(input: unknown): PublishedResults {
  return parseWith(PublishedResultsSchema, input, 'published results file');
}

/** "2.67 ± 0.06 (mean of 10)", "3.85 (best of 30)", "2.89": a figure as the paper states it. */
export function formatPublishedFigure(f: PublishedFigure | null, digits = 2): string {
  if (f === null) return '-';
  const sign = f.added ? '+' : '';
  const core = `${sign}${f.value.toFixed(digits)}${f.sd !== undefined ? ` ± ${f.sd.toFixed(digits)}` : ''}`;
  if (f.statistic === 'reported') return core;
  return `${core} (${f.statistic}${f.n !== undefined ? ` of ${f.n}` : ''})`;
}
