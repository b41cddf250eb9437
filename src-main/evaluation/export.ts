/**
 * Exports of an evaluation run: the genotype (NOS genotype JSON, plus the DARTS text form for
 * darts-space genotypes) and the trained network in TensorFlow.js's standard weight format
 * (`model.json` with a `weightsManifest`, and binary shards written with `tf.io.encodeWeights`),
 * with everything needed to rebuild the network and predict: the network kind and its build
 * options (genotype included), the input shape, the normalisation and the class names, under
 * `modelTopology.nosStudio`. `loadExportedNetwork` reads such a folder back.
 *
 * The topology is NOS Studio's own (a genotype and build options), not a Keras layer graph: the
 * heterogeneous cells have no Keras equivalent. Any TensorFlow.js program can still read the
 * weights by name with `tf.io.loadWeights(modelJson.weightsManifest, folderUrl)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { NosError } from '../contract/errors';
import {
  formatDartsGenotype,
  formatGenotype,
  validateGenotype,
  type Genotype,
} from '../contract/genotype';
import type { Module, StateDict } from '../nn/module';
import { Random } from '../nn/random';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-file';
import { OpStudyNet } from './op-study-net';
import { OP_STUDY_VARIANTS } from '../contract/evaluation';

export const EXPORT_FORMAT = 'nos-studio-network';
export const EXPORT_VERSION = 1;
/** Shard size of the weight files: tfjs's converter default, friendly to browser caches. */
const SHARD_BYTES = 4 * 1024 * 1024;

/** A network an export can hold: a module with an inference forward pass. */
export interface ExportableNetwork extends Module {
  /** x: NHWC [N, H, W, C] normalised → logits [N, classes]. */
  forward(x: tf.Tensor4D, training: boolean): { logits: tf.Tensor2D };
}

const OpStudyBuildSchema = z.strictObject({
  kind: z.literal('op-study-resnet18'),
  options: z.strictObject({
    inChannels: z.number().int().positive(),
    classes: z.number().int().positive(),
    width: z.number().int().positive(),
    variant: z.enum(OP_STUDY_VARIANTS),
    stages: z.array(z.number().int().min(1).max(4)),
  }),
});

const DerivedBuildSchema = z.strictObject({
  kind: z.literal('derived'),
  genotype: z.unknown(),
  options: z.record(z.string(), z.unknown()),
});

/** How to rebuild the network: its kind and build options (JSON). */
export const NetworkBuildSchema = z.discriminatedUnion('kind', [
  OpStudyBuildSchema,
  DerivedBuildSchema,
]);
export type NetworkBuild = z.infer<typeof NetworkBuildSchema>;

const NosSectionSchema = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  build: NetworkBuildSchema,
  /** [H, W, C] of one input image. */
  inputShape: z.tuple([
    z.number().int().positive(),
    z.number().int().positive(),
    z.number().int().positive(),
  ]),
  /** Inputs are (pixel / 255 - mean[c]) / std[c]. */
  normalisation: z.strictObject({ mean: z.array(z.number()), std: z.array(z.number()) }),
  classNames: z.array(z.string()),
  /** Free-form facts about the training (dataset, test error, run id). */
  trainedOn: z.record(z.string(), z.unknown()).default({}),
});
export type ExportDescription = z.infer<typeof NosSectionSchema>;

const ModelJsonSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  generatedBy: z.string(),
  modelTopology: z.object({ nosStudio: NosSectionSchema }),
  weightsManifest: z
    .array(
      z.object({
        paths: z.array(z.string().min(1)),
        weights: z.array(
          z.object({
            name: z.string(),
            shape: z.array(z.number().int()),
            dtype: z.literal('float32'),
          }),
        ),
      }),
    )
    .length(1),
});

/**
 * Builders of the network kinds an export can hold. Derived networks register theirs from
 * `train-derived.ts` (`registerNetworkBuilder`) so this file does not depend on the cell code.
 */
type Builder = (build: NetworkBuild) => ExportableNetwork;
const builders = new Map<NetworkBuild['kind'], Builder>([
  [
    'op-study-resnet18',
    (build) => new OpStudyNet(new Random(0), (build as z.infer<typeof OpStudyBuildSchema>).options),
  ],
]);

export function registerNetworkBuilder(kind: NetworkBuild['kind'], builder: Builder): void {
  builders.set(kind, builder);
}

export interface ExportRequest {
  net: ExportableNetwork;
  description: z.input<typeof NosSectionSchema>;
  /** The genotype, written beside the network as JSON (and DARTS text where the space allows). */
  genotype?: Genotype;
  /**
   * Sub-modules used only in training, left out of the export (a derived network's auxiliary
   * tower, `aux`); `description.build` must then build the network without them.
   */
  omit?: readonly string[];
}

/** Writes `genotype.json` (and `genotype.darts.txt` for the darts space) into `dir`. */
export function exportGenotype(dir: string, genotype: Genotype): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, 'genotype.json')];
  writeFileAtomic(files[0], formatGenotype(genotype));
  if (genotype.space === 'darts') {
    files.push(join(dir, 'genotype.darts.txt'));
    writeFileAtomic(files[1], formatDartsGenotype(genotype) + '\n');
  }
  return files;
}

/**
 * Writes the network (model.json and weight shards), the genotype files and a README into
 * `dir`, each file atomically. Returns the files written.
 */
export async function exportNetwork(dir: string, req: ExportRequest): Promise<string[]> {
  const description = NosSectionSchema.parse(req.description);
  mkdirSync(dir, { recursive: true });

  // Weights: every weight and buffer (batch-norm statistics too), by dotted name.
  const state = req.net.stateDict();
  const omitted = (name: string) => (req.omit ?? []).some((p) => name.startsWith(`${p}.`));
  const named: tf.NamedTensorMap = {};
  for (const [name, t] of Object.entries(state)) {
    if (!omitted(name)) named[name] = tf.tensor(t.data, t.shape);
  }
  const { data, specs } = await tf.io.encodeWeights(named);
  tf.dispose(Object.values(named));

  const bytes = new Uint8Array(data);
  const shards = Math.max(1, Math.ceil(bytes.byteLength / SHARD_BYTES));
  const paths = Array.from({ length: shards }, (_, i) => `group1-shard${i + 1}of${shards}.bin`);
  const files: string[] = [];
  paths.forEach((p, i) => {
    const file = join(dir, p);
    writeFileAtomic(file, bytes.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES));
    files.push(file);
  });

  const modelJson = {
    format: EXPORT_FORMAT,
    generatedBy: 'NOS Studio',
    convertedBy: null,
    modelTopology: { nosStudio: description },
    weightsManifest: [{ paths, weights: specs }],
  };
  writeJsonAtomic(join(dir, 'model.json'), modelJson);
  files.push(join(dir, 'model.json'));
  if (req.genotype) files.push(...exportGenotype(dir, req.genotype));
  writeFileAtomic(join(dir, 'README.md'), exportReadme(description, paths, req.genotype));
  files.push(join(dir, 'README.md'));
  return files;
}

/** A network read back from an export folder. */
export interface LoadedNetwork {
  net: ExportableNetwork;
  description: ExportDescription;
  genotype: Genotype | null;
  /** Normalised NHWC [N, H, W, C] → logits [N, classes], inference mode. */
  predict(x: tf.Tensor4D): tf.Tensor2D;
  /** Raw pixels NHWC [N, H, W, C] in 0..255 → the normalised input `predict` takes. */
  normalise(pixels: tf.Tensor4D): tf.Tensor4D;
  dispose(): void;
}

function badExport(dir: string, problem: string): NosError {
  return new NosError(
    'BAD_INPUT',
    `${dir} is not a NOS Studio network export: ${problem}.`,
    'Point at a folder written by `nos export weights` (it holds model.json and .bin shards).',
    { dir },
  );
}

/** Reads an export folder and rebuilds its network with the exported weights. */
export async function loadExportedNetwork(dir: string): Promise<LoadedNetwork> {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) {
    throw new NosError('NOT_FOUND', `${jsonPath} does not exist.`, 'Point at an export folder.', {
      dir,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (err) {
    throw badExport(dir, `model.json is not JSON (${(err as Error).message})`);
  }
  const parsed = ModelJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badExport(dir, `model.json ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { weightsManifest, modelTopology } = parsed.data;
  const description = modelTopology.nosStudio;

  // Weights: the shards in order, decoded by tfjs into named tensors.
  const group = weightsManifest[0];
  const buffers = group.paths.map((p) => {
    const file = join(dir, p);
    if (!existsSync(file)) throw badExport(dir, `the weight shard ${p} is missing`);
    return readFileSync(file);
  });
  const all = Buffer.concat(buffers);
  const expected = group.weights.reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  if (all.byteLength !== expected) {
    throw badExport(
      dir,
      `the weight shards hold ${all.byteLength} bytes, the manifest ${expected}`,
    );
  }
  const arrayBuffer = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const tensors = tf.io.decodeWeights(arrayBuffer, group.weights);
  const state: StateDict = {};
  for (const [name, t] of Object.entries(tensors)) {
    state[name] = { shape: t.shape.slice(), data: t.dataSync() as Float32Array };
  }
  tf.dispose(Object.values(tensors));

  const builder = builders.get(description.build.kind);
  if (!builder) {
    throw badExport(
      dir,
      `no builder for network kind "${description.build.kind}" is loaded (import ` +
        'src-main/evaluation/train-derived for derived networks)',
    );
  }
  const net = builder(description.build);
  net.loadStateDict(state);
  const genotype =
    description.build.kind === 'derived' ? validateGenotype(description.build.genotype) : null;
  const { mean, std } = description.normalisation;
  return {
    net,
    description,
    genotype,
    predict: (x) => tf.tidy(() => net.forward(x, false).logits),
    normalise: (pixels) =>
      tf.tidy(() => tf.div(tf.sub(tf.div(pixels, 255), tf.tensor1d(mean)), tf.tensor1d(std))),
    dispose: () => net.dispose(),
  };
}

function exportReadme(d: ExportDescription, shards: string[], genotype?: Genotype): string {
  const [h, w, c] = d.inputShape;
  const genotypeLines = genotype
    ? [
        '- `genotype.json`: the architecture as NOS genotype JSON (version, space, per block the',
        '  first-tier (op, input) pairs and the second-tier op).',
        ...(genotype.space === 'darts'
          ? ["- `genotype.darts.txt`: the same genotype in the DARTS code base's text form."]
          : []),
      ]
    : [];
  return [
    '# Trained network exported by NOS Studio',
    '',
    '## Files',
    '',
    '- `model.json`: TensorFlow.js model JSON. `weightsManifest` lists every weight (name, shape,',
    '  float32) stored in the binary shards; `modelTopology.nosStudio` says how to rebuild the',
    `  network (kind \`${d.build.kind}\` and its build options), its input, normalisation and classes.`,
    `- ${shards.map((s) => `\`${s}\``).join(', ')}: the weights, written with \`tf.io.encodeWeights\`.`,
    ...genotypeLines,
    '',
    '## Input',
    '',
    `Images of ${h} x ${w} pixels with ${c} channel(s), NHWC, float32. Normalise each pixel as`,
    '`(value / 255 - mean[c]) / std[c]` with',
    `mean = [${d.normalisation.mean.map((v) => v.toFixed(6)).join(', ')}] and`,
    `std = [${d.normalisation.std.map((v) => v.toFixed(6)).join(', ')}].`,
    `Outputs are logits over ${d.classNames.length} classes: ${d.classNames.join(', ')}.`,
    '',
    '## Loading it',
    '',
    'With NOS Studio (rebuilds the network and loads the weights):',
    '',
    '```ts',
    "import '<nos-studio>/src-main/evaluation/train-derived'; // registers derived networks",
    "import { loadExportedNetwork } from '<nos-studio>/src-main/evaluation/export';",
    '',
    'const loaded = await loadExportedNetwork(folder);',
    'const logits = loaded.predict(loaded.normalise(pixels)); // pixels: [N, H, W, C] in 0..255',
    'loaded.dispose();',
    '```',
    '',
    'With plain TensorFlow.js, the weights by name (for your own implementation of the network):',
    '',
    '```js',
    "const modelJson = await (await fetch(url + '/model.json')).json();",
    'const weights = await tf.io.loadWeights(modelJson.weightsManifest, url);',
    '```',
    '',
  ].join('\n');
}
