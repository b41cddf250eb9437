/**
 * A teacher as the search uses it (NOS-SPEC section 3): a frozen network with three stage
 * outputs, its own input normalisation, and the identity of the dataset it learned. Guiding a
 * search on any other dataset is refused: attention maps of a network that never saw the data
 * are not guidance.
 *
 * On disk a teacher is a folder: `teacher.json` (TeacherMeta) and `teacher-weights.nosckpt`
 * (every weight and batch-norm buffer, in the checkpoint format of training/checkpoint.ts).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TeacherArch } from '../../contract/config';
import { NosError } from '../../contract/errors';
import { Random } from '../../nn/random';
import { loadCheckpoint, saveCheckpoint } from '../../training/checkpoint';
import { writeJsonAtomic } from '../../util/atomic-file';
import { resizeTo } from '../data-source';
import type { StageNetwork, StageOutput } from './network';
import { PyramidNet } from './pyramidnet';
import { ResNet18 } from './resnet18';

export const TEACHER_META_FILE = 'teacher.json';
export const TEACHER_WEIGHTS_FILE = 'teacher-weights.nosckpt';

/** The dataset a teacher learned: what binds it, and the statistics it normalises with. */
export interface TeacherDataset {
  /** Content checksum of the canonical dataset (data/canonical.ts). */
  checksum: string;
  name: string;
  /** [H, W, C] of the images. */
  imageShape: [number, number, number];
  classCount: number;
  /** Per-channel mean and std of its training images, pixel values in [0, 1]. */
  mean: number[];
  std: number[];
}

export interface TeacherArchSpec {
  arch: TeacherArch;
  width: number;
  depth: number;
  widen: number;
}

/** An imported layers model (imported.ts): where it came from and the layers read as stages. */
export interface ImportedTeacherSpec {
  arch: 'imported';
  path: string;
  stageLayers: string[];
}

export interface TeacherMeta {
  version: 1;
  spec: TeacherArchSpec | ImportedTeacherSpec;
  dataset: TeacherDataset;
  /** How it was trained and how well it did (held-out test accuracy when measured). */
  training: { epochs: number; testTop1: number | null; source: 'trained' | 'imported' };
  /** Side the teacher resizes its input to (null: the dataset's size). */
  inputSize: number | null;
}

/** Builds an untrained teacher network of the given architecture. */
export function buildTeacherNetwork(
  spec: TeacherArchSpec,
  dataset: Pick<TeacherDataset, 'imageShape' | 'classCount'>,
  seed: number,
): StageNetwork {
  const rng = new Random(seed);
  const common = { inChannels: dataset.imageShape[2], classes: dataset.classCount };
  return spec.arch === 'resnet18'
    ? new ResNet18(rng, { ...common, width: spec.width })
    : new PyramidNet(rng, { ...common, depth: spec.depth, widen: spec.widen, width: spec.width });
}

export class Teacher {
  private readonly mean: tf.Tensor1D;
  private readonly std: tf.Tensor1D;

  constructor(
    readonly net: StageNetwork,
    readonly meta: TeacherMeta,
  ) {
    this.mean = tf.tensor1d(meta.dataset.mean);
    this.std = tf.tensor1d(meta.dataset.std);
  }

  /**
   * The teacher's own normalisation followed by its network.
   * @param pixels NHWC [N, H, W, C], pixel values in [0, 1]
   */
  forward(pixels: tf.Tensor4D, training: boolean): StageOutput {
    // Callers run this inside tidy or a gradient tape, which own the intermediate tensors.
    const sized = resizeTo(pixels, this.meta.inputSize ?? null);
    const x = tf.div(tf.sub(sized, this.mean), this.std) as tf.Tensor4D;
    return this.net.forward(x, training);
  }

  /**
   * Frozen stage outputs for attention transfer: eval mode, nothing here is a gradient source.
   * @param pixels NHWC [N, H, W, C] in [0, 1]
   * @returns NHWC stage outputs [N, Hj, Wj, Cj], j = 1..3 (the caller disposes them)
   */
  stages(pixels: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => this.forward(pixels, false).stages);
  }

  /** Refuses to guide a search on data other than the data this teacher learned. */
  assertGuides(dataset: Pick<TeacherDataset, 'checksum' | 'name'>): void {
    if (dataset.checksum !== this.meta.dataset.checksum) {
      throw new NosError(
        'BAD_INPUT',
        `The teacher was trained on dataset "${this.meta.dataset.name}" ` +
          `(checksum ${this.meta.dataset.checksum.slice(0, 12)}...), but the search runs on ` +
          `"${dataset.name}" (checksum ${dataset.checksum.slice(0, 12)}...). A teacher only ` +
          'guides a search on the data it learned.',
        'Train a teacher on this dataset (teacher.mode "train"), or search on the teacher\'s dataset.',
        { teacherDataset: this.meta.dataset.checksum, searchDataset: dataset.checksum },
      );
    }
  }

  /** Writes `teacher.json` and the weights into `dir` (both atomically). */
  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    saveCheckpoint(join(dir, TEACHER_WEIGHTS_FILE), {
      meta: { kind: 'teacher' },
      tensors: this.net.stateDict(),
    });
    writeJsonAtomic(join(dir, TEACHER_META_FILE), this.meta);
  }

  /** Loads a teacher saved by `save` (a teacher run folder). */
  static load(dir: string): Teacher {
    const metaPath = join(dir, TEACHER_META_FILE);
    if (!existsSync(metaPath)) {
      throw new NosError(
        'NOT_FOUND',
        `No teacher in ${dir}: ${TEACHER_META_FILE} is missing.`,
        'Pass the folder of a completed teacher run, or train a teacher first.',
      );
    }
    let meta: TeacherMeta;
    try {
      meta = JSON.parse(readFileSync(metaPath, 'utf8')) as TeacherMeta;
    } catch {
      throw new NosError('BAD_INPUT', `${metaPath} is not valid JSON.`, 'Train the teacher again.');
    }
    if (meta.version !== 1 || !meta.spec || !meta.dataset?.checksum) {
      throw new NosError(
        'BAD_INPUT',
        `${metaPath} does not describe a teacher (expected version 1 with spec and dataset).`,
        'Train the teacher again.',
      );
    }
    if (meta.spec.arch === 'imported') {
      throw new NosError(
        'BAD_INPUT',
        `${metaPath} describes a teacher imported from ${meta.spec.path}; it has no saved weights here.`,
        'Import it again: teacher.mode "import" with teacher.importPath.',
      );
    }
    const net = buildTeacherNetwork(meta.spec, meta.dataset, 0);
    try {
      net.loadStateDict(loadCheckpoint(join(dir, TEACHER_WEIGHTS_FILE)).tensors);
    } catch (err) {
      net.dispose();
      throw err;
    }
    return new Teacher(net, meta);
  }

  dispose(): void {
    this.net.dispose();
    this.mean.dispose();
    this.std.dispose();
  }
}
