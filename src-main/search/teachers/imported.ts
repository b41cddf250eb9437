/**
 * Teachers imported from a saved TensorFlow.js layers model (issue 6: "or imported from a saved
 * TensorFlow.js model"): a folder with `model.json` (format 'layers-model') and its weight
 * shards, as `model.save('file://...')` or `tensorflowjs_converter` write it.
 *
 * What the search needs of a teacher is three stage outputs, an input normalisation and the
 * dataset it learned. A foreign model says none of that, so:
 * - Stages: the layers named in `teacher.stageLayers`, or else found from the graph: the last
 *   layer at each of the model's three largest spatial resolutions (for a CIFAR ResNet, the ends
 *   of residual stages 1-3 at H, H/2, H/4: the stages a built-in teacher exposes and the
 *   resolutions of the supernet's three segments). Channels-last (NHWC) models only, tfjs's default.
 * - Input: channels must equal the dataset's; images are resized to the model's input side.
 * - Dataset and normalisation: a `teacher.json` beside `model.json` (the TeacherMeta a NOS
 *   teacher folder carries) binds the teacher to the dataset it names, and a search on other
 *   data is refused as for any teacher. Without it, the import binds the model to the dataset
 *   of the search that imports it (the user's declaration, logged as a warning) and normalises
 *   with that dataset's statistics; the class count must still match.
 * The imported model is frozen: its variables are never trained, and only its stage outputs
 * are read (the model's own output head may be a softmax; the teacher's logits are not used by
 * the search).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs-core';
import type { TeacherConfig } from '../../contract/config';
import { NosError } from '../../contract/errors';
import { StageNetwork, type StageOutput } from './network';
import { TEACHER_META_FILE, Teacher, type TeacherDataset, type TeacherMeta } from './teacher';

export const IMPORTED_MODEL_FILE = 'model.json';

interface WeightGroup {
  paths: string[];
  weights: tfl.io.WeightsManifestEntry[];
}

function badModel(dir: string, problem: string, fix: string): NosError {
  return new NosError('BAD_INPUT', `Cannot import a teacher from ${dir}: ${problem}.`, fix);
}

/** Reads model.json and its shards from disk into in-memory model artifacts. */
function readArtifacts(dir: string): tfl.io.ModelArtifacts {
  const modelPath = join(dir, IMPORTED_MODEL_FILE);
  if (!existsSync(modelPath)) {
    throw badModel(
      dir,
      `${IMPORTED_MODEL_FILE} is missing`,
      'Point teacher.importPath at the folder of a saved TensorFlow.js layers model.',
    );
  }
  let json: { modelTopology?: unknown; format?: string; weightsManifest?: WeightGroup[] };
  try {
    json = JSON.parse(readFileSync(modelPath, 'utf8')) as typeof json;
  } catch {
    throw badModel(dir, `${IMPORTED_MODEL_FILE} is not valid JSON`, 'Save the model again.');
  }
  if (!json.modelTopology || (json.format !== undefined && json.format !== 'layers-model')) {
    throw badModel(
      dir,
      `${IMPORTED_MODEL_FILE} is not a layers model (format "${json.format ?? 'unknown'}")`,
      'Save a tf.LayersModel (model.save), or convert a Keras model with tensorflowjs_converter.',
    );
  }
  const specs: tfl.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) {
      const file = join(dir, p);
      if (!existsSync(file)) {
        throw badModel(dir, `weight file "${p}" named by ${IMPORTED_MODEL_FILE} is missing`, '');
      }
      buffers.push(readFileSync(file));
    }
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return {
    modelTopology: json.modelTopology as tfl.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: weightData as ArrayBuffer,
    format: 'layers-model',
  };
}

/** Spatial height of a layer's output when it is an NHWC feature map, else null. */
function mapHeight(layer: tfl.layers.Layer): number | null {
  const shape = layer.outputShape;
  if (!Array.isArray(shape) || Array.isArray(shape[0]) || shape.length !== 4) return null;
  return typeof shape[1] === 'number' ? shape[1] : null;
}

/**
 * The three stage layers: named ones, or the last layer at each of the three largest spatial
 * resolutions of the graph (layers in topological order).
 */
export function findStageLayers(
  model: tfl.LayersModel,
  named: readonly string[] | undefined,
  dir: string,
): tfl.layers.Layer[] {
  if (named && named.length > 0) {
    return named.map((name) => {
      const layer = model.layers.find((l) => l.name === name);
      if (!layer || mapHeight(layer) === null) {
        throw badModel(
          dir,
          `teacher.stageLayers names "${name}", which is ${layer ? 'not a 4-D feature map' : 'not a layer of the model'}`,
          `Use three names of NHWC feature-map layers; the model has: ${model.layers
            .filter((l) => mapHeight(l) !== null)
            .map((l) => l.name)
            .join(', ')}.`,
        );
      }
      return layer;
    });
  }
  const lastAt = new Map<number, tfl.layers.Layer>();
  for (const layer of model.layers) {
    const h = mapHeight(layer);
    if (h === null || layer.getClassName() === 'InputLayer') continue;
    lastAt.set(h, layer);
  }
  const sizes = [...lastAt.keys()].sort((a, b) => b - a);
  if (sizes.length < 3) {
    throw badModel(
      dir,
      `the model has feature maps at ${sizes.length} resolution(s) (${sizes.join(', ')}); attention transfer needs three stages`,
      'Name three layers in teacher.stageLayers, or import a network that downsamples twice.',
    );
  }
  return sizes.slice(0, 3).map((h) => lastAt.get(h) as tfl.layers.Layer);
}

/** A frozen layers model seen as a network with three stages. */
export class ImportedStageNetwork extends StageNetwork {
  constructor(
    private readonly model: tfl.LayersModel,
    private readonly probe: tfl.LayersModel,
  ) {
    super();
  }

  /** x: NHWC [N, H, W, C] at the model's input size, normalised. */
  forward(x: tf.Tensor4D): StageOutput {
    const outs = this.probe.predict(x as unknown as tfl.Tensor) as unknown as tf.Tensor[];
    return { logits: outs[3] as tf.Tensor2D, stages: outs.slice(0, 3) as tf.Tensor4D[] };
  }

  override dispose(): void {
    super.dispose();
    // The probe is a view on the model's layers: disposing the model frees their weights.
    this.model.dispose();
  }
}

/** Reads a TeacherMeta sidecar when the folder has one. */
function readSidecar(dir: string): TeacherMeta | null {
  const path = join(dir, TEACHER_META_FILE);
  if (!existsSync(path)) return null;
  try {
    const meta = JSON.parse(readFileSync(path, 'utf8')) as TeacherMeta;
    if (meta?.dataset?.checksum) return meta;
  } catch {
    // fall through to the error below
  }
  throw badModel(
    dir,
    `${TEACHER_META_FILE} does not name the dataset the model learned (dataset.checksum)`,
    `Remove ${TEACHER_META_FILE} to bind the model to the search's dataset, or fix it.`,
  );
}

export interface ImportResult {
  teacher: Teacher;
  /** True when the folder carried no dataset record and the search's dataset was assumed. */
  boundByDeclaration: boolean;
}

/**
 * Imports a saved layers model as a frozen teacher.
 * @param dataset the dataset of the search that imports it (used when no sidecar names one)
 */
export async function importTeacher(
  dir: string,
  config: Pick<TeacherConfig, 'stageLayers'>,
  dataset: TeacherDataset,
): Promise<ImportResult> {
  const artifacts = readArtifacts(dir);
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(tfl.io.fromMemory(artifacts));
  } catch (err) {
    throw badModel(
      dir,
      `TensorFlow.js could not build the model (${(err as Error).message})`,
      'Import a model saved by TensorFlow.js 4 as a layers model.',
    );
  }
  try {
    const sidecar = readSidecar(dir);
    const bound: TeacherDataset = sidecar?.dataset ?? {
      checksum: dataset.checksum,
      name: dataset.name,
      imageShape: dataset.imageShape,
      classCount: dataset.classCount,
      mean: dataset.mean,
      std: dataset.std,
    };
    const input = model.inputs[0].shape;
    if (model.inputs.length !== 1 || input.length !== 4 || input[3] !== bound.imageShape[2]) {
      throw badModel(
        dir,
        `its input is [${input.join(', ')}], but the images have ${bound.imageShape[2]} channel(s) (NHWC expected)`,
        'Import a channels-last image model trained on this dataset.',
      );
    }
    const classes = model.outputs[0].shape.at(-1);
    if (classes !== bound.classCount) {
      throw badModel(
        dir,
        `its output has ${classes} classes, the dataset "${bound.name}" ${bound.classCount}`,
        'Import a model trained on this dataset.',
      );
    }
    const stages = findStageLayers(model, config.stageLayers, dir);
    const probe = tfl.model({
      inputs: model.inputs,
      outputs: [...stages.map((l) => l.output as tfl.SymbolicTensor), model.outputs[0]],
    });
    probe.trainable = false;
    model.trainable = false;
    const side = typeof input[1] === 'number' ? input[1] : null;
    const meta: TeacherMeta = {
      version: 1,
      spec: { arch: 'imported', path: dir, stageLayers: stages.map((l) => l.name) },
      dataset: bound,
      training: { epochs: sidecar?.training.epochs ?? 0, testTop1: null, source: 'imported' },
      inputSize: side !== null && side !== bound.imageShape[0] ? side : null,
    };
    return {
      teacher: new Teacher(new ImportedStageNetwork(model, probe), meta),
      boundByDeclaration: sidecar === null,
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
