/**
 * The proxy supernet of the search (paper section 2.2 and 3; NOS-SPEC sections 2 and 4): a stem
 * (3x3 conv to 3C channels, BN), `cells` search cells with reduction cells at 1/3 and 2/3 of the
 * depth (channels double there), global average pooling and a linear classifier.
 *
 * Alphas: one matrix per cell type, rows = edges (18 for a NOS cell of 4 nodes, 14 for the
 * DARTS cell), columns = the space's ops in contract order; initialised 1e-3 * N(0, 1) as DARTS.
 * Network weights and alphas are kept apart: `weights()` never returns an alpha.
 *
 * `stages` (for attention transfer) are the outputs of the three segments between reductions:
 * the cell before each reduction cell, and the last cell (as the PyTorch peer).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Genotype } from '../contract/genotype';
import { SEARCH_SPACES, type SearchSpaceName } from '../contract/primitives';
import { NosError } from '../contract/errors';
import {
  BatchNorm2d,
  Conv2d,
  Linear,
  Module,
  Random,
  type StateDict,
  assignFrom,
  globalAvgPool,
} from '../nn';
import { DartsCell, NosCell, type SearchCell, alphaRows } from './cell';
import { type DeriveOptions, deriveGenotype } from './derive';

export interface SupernetConfig {
  space: SearchSpaceName;
  /** Initial channels C (the stem has 3C). */
  channels: number;
  cells: number;
  /** Inner nodes per cell (the paper's 7-node cell has 4). */
  nodes: number;
  numClasses: number;
  /** [H, W, C] of one input image. */
  inputShape: [number, number, number];
  seed: number;
}

export interface SupernetOutput {
  /** [N, numClasses] */
  logits: tf.Tensor2D;
  /** Three stage outputs [N, H_j, W_j, C_j] (H_j = H, H/2, H/4). */
  stages: tf.Tensor4D[];
}

/** Cell indices of the reduction cells: 1/3 and 2/3 of the depth. */
export const reductionIndices = (cells: number): [number, number] => [
  Math.floor(cells / 3),
  Math.floor((2 * cells) / 3),
];

const STEM_MULTIPLIER = 3;

function checkConfig(cfg: SupernetConfig): void {
  const bad = (field: string, problem: string, fix: string): never => {
    throw new NosError('BAD_INPUT', `Supernet config ${field}: ${problem}.`, fix);
  };
  if (!(cfg.space in SEARCH_SPACES)) {
    bad('space', `unknown space "${cfg.space}"`, `use one of ${Object.keys(SEARCH_SPACES)}`);
  }
  if (!Number.isInteger(cfg.cells) || cfg.cells < 3) {
    bad('cells', `expected an integer >= 3, received ${cfg.cells}`, 'use at least 3 cells');
  }
  if (!Number.isInteger(cfg.channels) || cfg.channels < 2 || cfg.channels % 2 !== 0) {
    bad('channels', `expected an even integer >= 2, received ${cfg.channels}`, 'use e.g. 8 or 16');
  }
  if (!Number.isInteger(cfg.nodes) || cfg.nodes < 1) {
    bad('nodes', `expected an integer >= 1, received ${cfg.nodes}`, 'use 4 (the paper)');
  }
}

export class Supernet extends Module {
  readonly config: SupernetConfig;
  private readonly stem: Conv2d;
  private readonly stemBn: BatchNorm2d;
  private readonly cellList: SearchCell[];
  private readonly classifier: Linear;
  private readonly alphaNormal: tf.Variable;
  private readonly alphaReduce: tf.Variable;

  constructor(cfg: SupernetConfig) {
    super();
    checkConfig(cfg);
    this.config = cfg;
    const rng = new Random(cfg.seed);
    const ops = SEARCH_SPACES[cfg.space];
    const twoTier = cfg.space !== 'darts';

    // Stem
    const cStem = STEM_MULTIPLIER * cfg.channels;
    this.stem = this.addModule('stem', new Conv2d(rng, cfg.inputShape[2], cStem, 3));
    this.stemBn = this.addModule('stemBn', new BatchNorm2d(cStem));

    // Cells: channels double at each reduction cell.
    const reductions = reductionIndices(cfg.cells);
    const cells: SearchCell[] = [];
    let [cPrevPrev, cPrev, C] = [cStem, cStem, cfg.channels];
    let reductionPrev = false;
    for (let i = 0; i < cfg.cells; i++) {
      const reduction = reductions.includes(i);
      if (reduction) C *= 2;
      const shape = { cPrevPrev, cPrev, C, reduction, reductionPrev, nodes: cfg.nodes };
      cells.push(twoTier ? new NosCell(rng, ops, shape) : new DartsCell(rng, ops, shape));
      [cPrevPrev, cPrev, reductionPrev] = [cPrev, cfg.nodes * C, reduction];
    }
    this.cellList = this.addModules('cells', cells);

    // Classifier
    this.classifier = this.addModule('classifier', new Linear(rng, cPrev, cfg.numClasses));

    // Alphas: kept out of the module's weights, registered under their own names.
    const shape = [alphaRows(cfg.nodes, twoTier), ops.length];
    const init = (): tf.Variable => {
      const t = tf.tensor(rng.normalArray(shape[0] * shape[1], 1e-3), shape);
      const v = tf.variable(t, true);
      t.dispose();
      return v;
    };
    this.alphaNormal = init();
    this.alphaReduce = init();
  }

  /**
   * x: [N, H, W, inC] → logits [N, numClasses] and the three stage outputs.
   * `training` selects batch statistics in every BN (and updates their running statistics).
   */
  forward(x: tf.Tensor4D, training: boolean): SupernetOutput {
    const rowsOf = (alpha: tf.Variable): tf.Scalar[][] =>
      tf.unstack(tf.softmax(alpha)).map((row) => tf.unstack(row) as tf.Scalar[]);
    const weightsNormal = rowsOf(this.alphaNormal);
    const weightsReduce = rowsOf(this.alphaReduce);
    const stem = this.stemBn.forward(this.stem.forward(x), training);
    let [s0, s1] = [stem, stem];
    const stages: tf.Tensor4D[] = [];
    for (const cell of this.cellList) {
      if (cell.reduction) stages.push(s1); // end of the segment before the reduction
      const w = cell.reduction ? weightsReduce : weightsNormal;
      [s0, s1] = [s1, cell.forward(s0, s1, w, training)];
    }
    stages.push(s1);
    const logits = this.classifier.forward(globalAvgPool(s1));
    return { logits, stages };
  }

  alphas(): { normal: tf.Variable; reduce: tf.Variable } {
    return { normal: this.alphaNormal, reduce: this.alphaReduce };
  }

  alphaList(): tf.Variable[] {
    return [this.alphaNormal, this.alphaReduce];
  }

  /** softmax(alpha) per cell type as plain numbers: [edge][op]. */
  alphaSoftmax(): { normal: number[][]; reduce: number[][] } {
    const read = (a: tf.Variable): number[][] => {
      const s = tf.tidy(() => tf.softmax(a));
      const rows = s.arraySync() as number[][];
      s.dispose();
      return rows;
    };
    return { normal: read(this.alphaNormal), reduce: read(this.alphaReduce) };
  }

  /** The genotype the current alphas imply (NOS rule, or DARTS rule in the darts space). */
  deriveGenotype(opts: DeriveOptions = {}): Genotype {
    return deriveGenotype(this.alphaSoftmax(), this.config.space, this.config.nodes, opts);
  }

  /** Weights, BN buffers and the two alphas (`alpha.normal`, `alpha.reduce`). */
  override stateDict(): StateDict {
    const out = super.stateDict();
    for (const [name, v] of [
      ['alpha.normal', this.alphaNormal],
      ['alpha.reduce', this.alphaReduce],
    ] as const) {
      out[name] = { shape: v.shape.slice(), data: Float32Array.from(v.dataSync()) };
    }
    return out;
  }

  override loadStateDict(state: StateDict, strict = true): void {
    const { 'alpha.normal': normal, 'alpha.reduce': reduce, ...rest } = state;
    for (const [name, entry, v] of [
      ['alpha.normal', normal, this.alphaNormal],
      ['alpha.reduce', reduce, this.alphaReduce],
    ] as const) {
      if (!entry || entry.data.length !== v.size || entry.shape.join() !== v.shape.join()) {
        throw new NosError(
          'BAD_INPUT',
          `State dict entry "${name}" is missing or has the wrong shape (expected [${v.shape}]).`,
          'Load a checkpoint of a supernet with the same space and number of nodes.',
        );
      }
    }
    super.loadStateDict(rest, strict);
    assignFrom(this.alphaNormal, normal.data);
    assignFrom(this.alphaReduce, reduce.data);
  }

  override dispose(): void {
    super.dispose();
    this.alphaNormal.dispose();
    this.alphaReduce.dispose();
  }
}
