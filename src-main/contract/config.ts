/**
 * Run configurations for teacher training and attention-guided search (NOS-SPEC sections 3-4),
 * validated at the boundary (config file, CLI flags, IPC payload) with one schema each, and the
 * three presets: `smoke` (tests, under a minute), `quick` (a real search on the bundled
 * Fashion-MNIST sample in about ten minutes on a 2-core CPU) and `paper` (the paper's settings,
 * meant for a GPU).
 *
 * Field names are the ones a user writes in a config file; every number carries its unit in the
 * doc comment. Errors name the field, what it allows and what it received.
 */
import { z } from 'zod';
import { NosError } from './errors';
import { BACKEND_NAMES, SEARCH_SPACE_NAMES } from './primitives';

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();
const fraction = z.number().gt(0).lt(1);

export const TEACHER_ARCHS = ['resnet18', 'pyramidnet'] as const;
export type TeacherArch = (typeof TEACHER_ARCHS)[number];

/**
 * How a search gets its teacher: `train` trains one inline (a `teacher` phase of the search
 * run), `run` loads a stored teacher run (the job's teacherDir), `import` reads a saved
 * TensorFlow.js model (`importPath`), `none` searches without one (guidance must be 'none').
 */
export const TEACHER_MODES = ['train', 'run', 'import', 'none'] as const;

export const TeacherConfig = z.object({
  mode: z.enum(TEACHER_MODES).default('train'),
  arch: z.enum(TEACHER_ARCHS).default('resnet18'),
  /** PyramidNet depth (9n + 2 with bottleneck blocks: 110 gives n = 12 blocks per stage). */
  depth: positiveInt.default(110),
  /** PyramidNet widening factor alpha: total channel growth over all blocks (paper: 84). */
  widen: positiveInt.default(84),
  /** Base width: ResNet-18 stage-1 channels (64 in the CIFAR form), PyramidNet stem width. */
  width: positiveInt.default(64),
  epochs: positiveInt.default(300),
  batch: positiveInt.default(32),
  /**
   * Images per forward pass, gradients accumulated up to `batch`; null: the whole batch when
   * it fits the backend's memory, else the largest micro-batch that does.
   */
  microBatch: positiveInt.nullable().default(null),
  lr: z.number().positive().default(0.025),
  momentum: z.number().min(0).lt(1).default(0.9),
  weightDecay: nonNegative.default(1e-4),
  /** 'step': divide lr by 10 every `lrStepEpochs` (the paper's recipe); 'cosine': to 0. */
  schedule: z.enum(['step', 'cosine']).default('step'),
  lrStepEpochs: positiveInt.default(30),
  /** Training images used (a seeded subset); null uses every training image. */
  trainImages: positiveInt.nullable().default(null),
  /**
   * Side the images are resized to before the network (a CPU proxy); null keeps the dataset's
   * size. The teacher resizes whatever it is given to this size.
   */
  inputSize: positiveInt.nullable().default(null),
  flip: z.boolean().default(true),
  /** Random-crop padding in pixels (0 turns cropping off). */
  cropPadding: z.number().int().nonnegative().default(4),
  /** `import` mode: folder of a saved TensorFlow.js layers model (model.json + weights). */
  importPath: z.string().min(1).optional(),
  /**
   * `import` mode: the three layers whose outputs are the teacher's stages; omitted, the last
   * layer at each of the model's three largest spatial resolutions.
   */
  stageLayers: z.array(z.string().min(1)).length(3).optional(),
  seed: z.number().int().nonnegative().default(0),
});
export type TeacherConfig = z.infer<typeof TeacherConfig>;

export const SearchConfig = z
  .object({
    space: z.enum(SEARCH_SPACE_NAMES).default('nos'),
    /** Cells of the proxy supernet; reduction cells sit at 1/3 and 2/3 of the depth. */
    cells: positiveInt.default(8),
    /** Initial channels C. */
    channels: positiveInt.default(16),
    /** Inner nodes per cell (the paper's F3..F6). */
    nodes: positiveInt.default(4),
    epochs: positiveInt.default(25),
    batch: positiveInt.default(64),
    /** Images per forward pass; gradients are accumulated up to `batch`. null: no split. */
    microBatch: positiveInt.nullable().default(null),
    weightLr: z.number().positive().default(0.025),
    /** Floor of the cosine schedule of the weight learning rate. */
    weightLrMin: nonNegative.default(0),
    momentum: z.number().min(0).lt(1).default(0.9),
    weightDecay: nonNegative.default(3e-4),
    /** Global-norm clipping of weight gradients; 0 turns clipping off. */
    gradClip: nonNegative.default(5),
    alphaLr: z.number().positive().default(6e-4),
    alphaWeightDecay: nonNegative.default(1e-3),
    /** Weight of the attention-transfer term (NOS-SPEC section 3). */
    lambda: nonNegative.default(1000),
    /** 'mean' averages the squared map difference over positions (the AT convention). */
    atReduction: z.enum(['mean', 'sum']).default('mean'),
    /** 'first': alphas see the current weights; 'second': DARTS's unrolled step. */
    order: z.enum(['first', 'second']).default('first'),
    /** Epochs at the start in which only weights are trained (alphas frozen). */
    alphaWarmupEpochs: z.number().int().nonnegative().default(0),
    /**
     * 'ags': attention transfer in both steps (the paper's method); 'none': vanilla search;
     * 'distill': attention transfer on the weight step only (the ablation of Fig. 6).
     */
    guidance: z.enum(['ags', 'none', 'distill']).default('ags'),
    teacher: TeacherConfig.default(() => TeacherConfig.parse({})),
    /** Share of the searched training images that goes to the train split (weights). */
    trainFraction: fraction.default(0.5),
    /** Train-split and search-split images used (seeded subsets); null uses all. */
    trainImages: positiveInt.nullable().default(null),
    searchImages: positiveInt.nullable().default(null),
    /** Held-out test images scored with the final supernet (0 skips it). */
    evalImages: z.number().int().nonnegative().default(1000),
    /** Side images are resized to before the supernet (a CPU proxy); null keeps their size. */
    inputSize: positiveInt.nullable().default(null),
    flip: z.boolean().default(true),
    cropPadding: z.number().int().nonnegative().default(4),
    /** Write a checkpoint every this many steps (and always at the end of an epoch). */
    checkpointEverySteps: positiveInt.default(200),
    seed: z.number().int().nonnegative().default(0),
    backend: z.enum(BACKEND_NAMES).default('auto'),
    /**
     * Worker threads for the data-parallel weight step, each with its own wasm instance. null:
     * one per core on wasm and cpu, but no more than leave 8 images per thread; always 1 on the
     * tfjs-node backends, which already use every core from one thread.
     */
    workers: positiveInt.nullable().default(null),
  })
  .superRefine((c, ctx) => {
    if (c.microBatch !== null && c.microBatch > c.batch) {
      ctx.addIssue({
        code: 'custom',
        path: ['microBatch'],
        message: `must be at most batch (${c.batch}); received ${c.microBatch}`,
      });
    }
    if (c.guidance !== 'none' && c.teacher.mode === 'none') {
      ctx.addIssue({
        code: 'custom',
        path: ['teacher', 'mode'],
        message: `guidance '${c.guidance}' needs a teacher: set teacher.mode to train, run or import, or guidance to 'none'`,
      });
    }
    if (c.teacher.mode === 'import' && !c.teacher.importPath) {
      ctx.addIssue({
        code: 'custom',
        path: ['teacher', 'importPath'],
        message: "teacher.mode 'import' needs teacher.importPath (a TensorFlow.js model folder)",
      });
    }
    if (c.teacher.arch === 'pyramidnet' && (c.teacher.depth - 2) % 9 !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['teacher', 'depth'],
        message: `PyramidNet with bottleneck blocks needs depth = 9n + 2 (e.g. 11, 20, 110); received ${c.teacher.depth}`,
      });
    }
  });
export type SearchConfig = z.infer<typeof SearchConfig>;
/** What a user may write: every field optional, nested teacher fields too. */
export type SearchConfigInput = z.input<typeof SearchConfig>;
export type TeacherConfigInput = z.input<typeof TeacherConfig>;

export const PRESET_NAMES = ['smoke', 'quick', 'paper'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** The paper's search (section 4) with the DARTS defaults for what it leaves open. */
const PAPER: SearchConfigInput = {
  space: 'nos',
  cells: 8,
  channels: 16,
  epochs: 25,
  batch: 64,
  teacher: {
    mode: 'train',
    arch: 'pyramidnet',
    depth: 110,
    widen: 84,
    width: 16,
    epochs: 300,
    batch: 32,
    lr: 0.025,
    schedule: 'step',
    lrStepEpochs: 30,
    weightDecay: 1e-4,
  },
};

/** Tests: the whole search, teacher included, in well under a minute on wasm. */
const SMOKE: SearchConfigInput = {
  space: 'nos',
  cells: 3,
  channels: 4,
  epochs: 1,
  batch: 8,
  trainImages: 16,
  searchImages: 16,
  evalImages: 32,
  checkpointEverySteps: 1,
  teacher: {
    mode: 'train',
    arch: 'resnet18',
    width: 4,
    epochs: 1,
    batch: 8,
    lr: 0.05,
    schedule: 'cosine',
    trainImages: 32,
  },
};

/**
 * A real search on the bundled Fashion-MNIST sample in about ten minutes on a 2-core CPU with
 * the wasm backend, teacher included (sizes measured on the shared 2-core machine).
 */
const QUICK: SearchConfigInput = {
  space: 'nos',
  // A CPU proxy: images resized to 14x14 and 3 cells (the fewest with both reductions).
  inputSize: 14,
  cells: 3,
  channels: 8,
  // 3 epochs at twice the paper's weight learning rate: measured on the quiet 2-core machine,
  // 7.5 minutes end to end and 57.6 % held-out supernet top-1, against 48 % for 2 epochs at
  // 0.025. Ninety steps are too few for the paper's rate; the alphas keep the paper's.
  epochs: 3,
  weightLr: 0.05,
  batch: 16,
  trainImages: 480,
  searchImages: 480,
  evalImages: 500,
  flip: true,
  cropPadding: 2,
  checkpointEverySteps: 10,
  teacher: {
    mode: 'train',
    arch: 'resnet18',
    width: 16,
    epochs: 3,
    batch: 64,
    lr: 0.05,
    schedule: 'cosine',
    weightDecay: 5e-4,
    trainImages: 2000,
    cropPadding: 2,
  },
};

export const SEARCH_PRESETS: Readonly<Record<PresetName, SearchConfigInput>> = {
  smoke: SMOKE,
  quick: QUICK,
  paper: PAPER,
};

/** Readable lines for zod issues: `teacher.arch: Invalid option: expected one of ...`. */
export function formatConfigIssues(error: z.ZodError, input: unknown): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(config)';
    const received = valueAt(input, issue.path as PropertyKey[]);
    const got = received === undefined ? '' : ` (received ${JSON.stringify(received)})`;
    return `${path}: ${issue.message}${issue.message.includes('received') ? '' : got}`;
  });
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * Parses `input` with `schema`, or throws BAD_INPUT listing every invalid field. `what` names
 * the config in the message ('search config'); `source` is the file that documents its fields.
 */
export function parseConfigWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  source = 'src-main/contract/config.ts',
): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = formatConfigIssues(result.error, input);
  throw new NosError(
    'BAD_INPUT',
    `Invalid ${what}:\n  ${lines.join('\n  ')}`,
    `Fix the named fields (every field and its allowed values: ${source}).`,
    { issues: lines },
  );
}

export function parseSearchConfig(input: unknown): SearchConfig {
  return parseConfigWith(SearchConfig, input, 'search config');
}

export function parseTeacherConfig(input: unknown): TeacherConfig {
  return parseConfigWith(TeacherConfig, input, 'teacher config');
}

/** A preset with user overrides laid over it (nested `teacher` fields merge too). */
export function searchConfigFromPreset(
  preset: PresetName,
  overrides: SearchConfigInput = {},
): SearchConfig {
  const base = SEARCH_PRESETS[preset];
  if (!base) {
    throw new NosError(
      'BAD_INPUT',
      `Unknown preset ${JSON.stringify(preset)}: expected one of ${PRESET_NAMES.join(', ')}`,
      'Pass --preset smoke, quick or paper.',
    );
  }
  // The teacher settings are merged field by field, so they must be an object: spreading a
  // number or a string would silently keep the preset's teacher.
  const teacher: unknown = (overrides as { teacher?: unknown }).teacher;
  if (
    teacher !== undefined &&
    (typeof teacher !== 'object' || teacher === null || Array.isArray(teacher))
  ) {
    throw new NosError(
      'BAD_INPUT',
      `Invalid search config:\nteacher: expected an object of teacher settings (received ${JSON.stringify(teacher)})`,
      'Write teacher as an object, e.g. "teacher": {"arch": "resnet18", "epochs": 3}, or leave it out.',
    );
  }
  const merged = {
    ...base,
    ...overrides,
    teacher: { ...base.teacher, ...overrides.teacher },
  };
  return parseSearchConfig(merged);
}
