/**
 * Derived networks: the discrete network a genotype describes, trained from scratch in
 * evaluation (paper section 5.3; NOS-SPEC sections 2 and 4). Built like DARTS's NetworkCIFAR:
 * stem (3x3 conv to 3C, BN), `cells` cells with reduction cells at 1/3 and 2/3 of the depth,
 * optional auxiliary head on the output of the cell at 2/3 depth, global pooling, classifier.
 * Ops are affine (BN with scale and shift), as DARTS evaluates.
 *
 * A block of a NOS genotype (equations 2-9 with one op per chosen edge):
 * - first tier: F = sum of the chosen feature ops, A = sum of attention maps, D = sum of dynamic
 *   kernels; surrogate S = F + F*A + dynconv(F, D) (the derivation rule keeps a feature op);
 * - second tier: a feature op gives the node o_f(S); an attention or dynamic op is read
 *   residually (NOS-SPEC section 2, our reading): the surrogate passes through as the feature
 *   and the op calibrates it, node = S + S*o_a(S) or S + dynconv(S, o_d(S)).
 * A darts-space block has no second tier: node = the sum of its two ops (the DARTS cell).
 *
 * Drop-path (training only, per sample, rescaled by 1/keep): on every first-tier feature op
 * that is not an identity (as DARTS), and on every calibration term (F*A, dynconv) of both
 * tiers. The second-tier feature op is the node's only path and is never dropped.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Genotype, GenotypeBlock, GenotypeEdge } from '../contract/genotype';
import { validateGenotype } from '../contract/genotype';
import { NosError } from '../contract/errors';
import { BatchNorm2d, Conv2d, Linear, Module, Random, globalAvgPool } from '../nn';
import { CellInputs } from './cell';
import { type Op, Identity, addKernels, dynamicDepthwise } from './ops';
import { createOp } from './primitives';
import { reductionIndices } from './supernet';

export interface DerivedConfig {
  /** Initial channels C (the stem has 3C). */
  channels: number;
  cells: number;
  numClasses: number;
  /** [H, W, C] of one input image. */
  inputShape: [number, number, number];
  /** Build the auxiliary head at 2/3 depth (its weights are named `aux.*`). */
  auxiliary: boolean;
  /** Drop-path probability; settable between steps (`net.dropPathProb`). */
  dropPathProb: number;
  seed: number;
}

export interface DerivedOutput {
  /** [N, numClasses] */
  logits: tf.Tensor2D;
  /** [N, numClasses]; only when training with an auxiliary head. */
  auxLogits?: tf.Tensor2D;
  /** Outputs of the three segments between reductions (attention transfer). */
  stages: tf.Tensor4D[];
}

/** Per-sample drop-path masks from the network's own generator. */
class DropPath {
  constructor(
    private readonly rng: Random,
    public prob: number,
  ) {}

  /** x: [N, ...] → x with whole samples zeroed with probability `prob`, kept ones / keep. */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    if (!training || this.prob <= 0) return x;
    const keep = 1 - this.prob;
    const n = x.shape[0];
    const mask = new Float32Array(n);
    for (let i = 0; i < n; i++) mask[i] = this.rng.uniform() < keep ? 1 / keep : 0;
    return tf.mul(x, tf.tensor4d(mask, [n, 1, 1, 1]));
  }
}

/** One block of a derived cell. */
class DerivedBlock extends Module {
  private readonly first: Op[];
  private readonly second: Op | null;

  constructor(
    rng: Random,
    private readonly edges: GenotypeEdge[],
    block: GenotypeBlock,
    C: number,
    reduction: boolean,
    private readonly drop: DropPath,
  ) {
    super();
    this.first = this.addModules(
      'first',
      edges.map((e) => createOp(e.op, C, reduction && e.input < 2 ? 2 : 1, true, rng)),
    );
    this.second = block.second
      ? this.addModule('second', createOp(block.second, C, 1, true, rng))
      : null;
  }

  /** states: the cell's nodes so far, each [N, H, W, C] → the node [N, H', W', C]. */
  forward(states: tf.Tensor4D[], training: boolean): tf.Tensor4D {
    const features: tf.Tensor4D[] = [];
    const attention: tf.Tensor4D[] = [];
    let kernel: tf.Tensor4D | null = null;
    this.first.forEach((op, j) => {
      const y = op.forward(states[this.edges[j].input], training);
      if (op.family === 'feature') {
        features.push(op instanceof Identity ? y : this.drop.apply(y, training));
      } else if (op.family === 'attention') attention.push(y);
      else kernel = kernel === null ? y : addKernels(kernel, y);
    });
    const f = features.length === 1 ? features[0] : tf.addN(features);
    const a = attention.reduce<tf.Tensor4D | null>(
      (s, t) => (s ? (tf.add(s, t) as tf.Tensor4D) : t),
      null,
    );
    const surrogate = this.calibrate(f, a, kernel, training);
    if (this.second === null) return surrogate;
    const out = this.second.forward(surrogate, training);
    if (this.second.family === 'feature') return out;
    return this.second.family === 'attention'
      ? this.calibrate(surrogate, out, null, training)
      : this.calibrate(surrogate, null, out, training);
  }

  /** f + f*a + dynconv(f, d), calibration terms drop-pathed. [N, H, W, C]. */
  private calibrate(
    f: tf.Tensor4D,
    a: tf.Tensor4D | null,
    d: tf.Tensor4D | null,
    training: boolean,
  ): tf.Tensor4D {
    let out = f;
    if (a !== null) out = tf.add(out, this.drop.apply(tf.mul(f, a), training));
    if (d !== null) out = tf.add(out, this.drop.apply(dynamicDepthwise(f, d), training));
    return out;
  }
}

/** A discrete cell: preprocessing, one block per inner node, concatenation. */
class DerivedCell extends Module {
  readonly reduction: boolean;
  private readonly inputs: CellInputs;
  private readonly blocks: DerivedBlock[];

  constructor(
    rng: Random,
    blocks: GenotypeBlock[],
    private readonly concat: number[],
    shape: {
      cPrevPrev: number;
      cPrev: number;
      C: number;
      reduction: boolean;
      reductionPrev: boolean;
    },
    drop: DropPath,
  ) {
    super();
    this.reduction = shape.reduction;
    this.inputs = this.addModule(
      'inputs',
      new CellInputs(rng, { ...shape, nodes: blocks.length }, true),
    );
    this.blocks = this.addModules(
      'blocks',
      blocks.map((b) => new DerivedBlock(rng, b.first, b, shape.C, shape.reduction, drop)),
    );
  }

  /** → [N, H', W', concat.length * C]. */
  forward(s0: tf.Tensor4D, s1: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const states = this.inputs.forward(s0, s1, training);
    for (const block of this.blocks) states.push(block.forward(states, training));
    return tf.concat(
      this.concat.map((i) => states[i]),
      3,
    );
  }
}

/**
 * DARTS's auxiliary head: ReLU, 5x5 average pool stride 3 (valid), 1x1 conv to 128, BN, ReLU,
 * conv to 768 over the remaining grid (2x2 for CIFAR's 8x8; 1x1 on smaller maps), BN, ReLU,
 * linear. [N, H, W, C] → [N, classes].
 */
class AuxiliaryHead extends Module {
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly fc: Linear;
  private readonly pool: boolean;

  constructor(rng: Random, C: number, size: number, classes: number) {
    super();
    this.pool = size >= 5;
    const pooled = this.pool ? Math.floor((size - 5) / 3) + 1 : size;
    this.conv1 = this.addModule('conv1', new Conv2d(rng, C, 128, 1));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(128));
    const k = Math.min(2, pooled);
    this.conv2 = this.addModule('conv2', new Conv2d(rng, 128, 768, k, { padding: 'valid' }));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(768));
    this.fc = this.addModule('fc', new Linear(rng, 768, classes));
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    let h = tf.relu(x);
    if (this.pool) h = tf.avgPool(h, 5, 3, 'valid');
    h = tf.relu(this.bn1.forward(this.conv1.forward(h), training));
    h = tf.relu(this.bn2.forward(this.conv2.forward(h), training));
    return this.fc.forward(globalAvgPool(h));
  }
}

function checkConfig(c: DerivedConfig): void {
  const bad = (field: string, problem: string): never => {
    throw new NosError(
      'BAD_INPUT',
      `Derived network config ${field}: ${problem}.`,
      'Use at least 3 cells, an even number of channels and a drop-path probability in [0, 1).',
    );
  };
  if (!Number.isInteger(c.cells) || c.cells < 3) bad('cells', `expected >= 3, received ${c.cells}`);
  if (!Number.isInteger(c.channels) || c.channels < 2 || c.channels % 2) {
    bad('channels', `expected an even integer >= 2, received ${c.channels}`);
  }
  if (!(c.dropPathProb >= 0 && c.dropPathProb < 1)) {
    bad('dropPathProb', `expected a value in [0, 1), received ${c.dropPathProb}`);
  }
}

export class DerivedNetwork extends Module {
  readonly genotype: Genotype;
  readonly config: DerivedConfig;
  private readonly drop: DropPath;
  private readonly stem: Conv2d;
  private readonly stemBn: BatchNorm2d;
  private readonly cellList: DerivedCell[];
  private readonly auxIndex: number;
  private readonly aux: AuxiliaryHead | null;
  private readonly classifier: Linear;

  constructor(genotype: Genotype, config: DerivedConfig) {
    super();
    checkConfig(config);
    this.genotype = validateGenotype(genotype);
    this.config = config;
    const rng = new Random(config.seed);
    this.drop = new DropPath(rng.fork(), config.dropPathProb);

    // Stem
    const cStem = 3 * config.channels;
    this.stem = this.addModule('stem', new Conv2d(rng, config.inputShape[2], cStem, 3));
    this.stemBn = this.addModule('stemBn', new BatchNorm2d(cStem));

    // Cells
    const reductions = reductionIndices(config.cells);
    this.auxIndex = reductions[1];
    const cells: DerivedCell[] = [];
    let [cPrevPrev, cPrev, C, size] = [cStem, cStem, config.channels, config.inputShape[0]];
    let reductionPrev = false;
    let aux: AuxiliaryHead | null = null;
    for (let i = 0; i < config.cells; i++) {
      const reduction = reductions.includes(i);
      if (reduction) [C, size] = [C * 2, Math.ceil(size / 2)];
      const blocks = reduction ? genotype.reduce : genotype.normal;
      const shape = { cPrevPrev, cPrev, C, reduction, reductionPrev };
      cells.push(new DerivedCell(rng, blocks, genotype.concat, shape, this.drop));
      [cPrevPrev, cPrev, reductionPrev] = [cPrev, genotype.concat.length * C, reduction];
      if (i === this.auxIndex && config.auxiliary) {
        aux = new AuxiliaryHead(rng, cPrev, size, config.numClasses);
      }
    }
    this.cellList = this.addModules('cells', cells);
    this.aux = aux ? this.addModule('aux', aux) : null;

    // Classifier
    this.classifier = this.addModule('classifier', new Linear(rng, cPrev, config.numClasses));
  }

  get dropPathProb(): number {
    return this.drop.prob;
  }

  set dropPathProb(p: number) {
    this.drop.prob = p;
  }

  /** x: [N, H, W, inC] → logits [N, classes], auxLogits (training), three stage outputs. */
  forward(x: tf.Tensor4D, training: boolean): DerivedOutput {
    const stem = this.stemBn.forward(this.stem.forward(x), training);
    let [s0, s1] = [stem, stem];
    const stages: tf.Tensor4D[] = [];
    let auxLogits: tf.Tensor2D | undefined;
    this.cellList.forEach((cell, i) => {
      if (cell.reduction) stages.push(s1);
      [s0, s1] = [s1, cell.forward(s0, s1, training)];
      if (i === this.auxIndex && this.aux && training) auxLogits = this.aux.forward(s1, training);
    });
    stages.push(s1);
    const logits = this.classifier.forward(globalAvgPool(s1));
    return auxLogits ? { logits, auxLogits, stages } : { logits, stages };
  }
}
