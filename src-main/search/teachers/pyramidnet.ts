/**
 * PyramidNet with bottleneck blocks (Han, Kim & Kim, CVPR 2017), the paper's teacher
 * (NOS-SPEC section 3: PyramidNet-110, alpha = 84). Depth 9n + 2 gives n bottleneck blocks in
 * each of three stages; the bottleneck width grows by alpha / 3n per block (rounded), from the
 * stem width to stem width + alpha, and every block outputs 4x its bottleneck width.
 *
 * Block: BN - conv1x1 - BN - ReLU - conv3x3(stride) - BN - ReLU - conv1x1 - BN, no ReLU at the
 * end; shortcut: 2x2 average pooling on stride 2, then zero-padded channels (no projection).
 * The three stage outputs (at H, H/2, H/4) are the ones attention transfer reads.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, globalAvgPool, Linear } from '../../nn/layers';
import { Module } from '../../nn/module';
import type { Random } from '../../nn/random';
import { NosError } from '../../contract/errors';
import { StageNetwork, type StageOutput } from './network';

export interface PyramidNetOptions {
  inChannels: number;
  classes: number;
  /** 9n + 2 (bottleneck): 110 gives 12 blocks per stage. */
  depth: number;
  /** alpha: the total widening of the bottleneck over all blocks. */
  widen: number;
  /** Stem width (16 in the paper's network). */
  width: number;
}

const EXPANSION = 4;

class PyramidBottleneck extends Module {
  private readonly bn1: BatchNorm2d;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly conv3: Conv2d;
  private readonly bn4: BatchNorm2d;
  readonly outChannels: number;

  constructor(
    rng: Random,
    private readonly inChannels: number,
    planes: number,
    private readonly stride: number,
  ) {
    super();
    this.outChannels = planes * EXPANSION;
    this.bn1 = this.addModule('bn1', new BatchNorm2d(inChannels));
    this.conv1 = this.addModule('conv1', new Conv2d(rng, inChannels, planes, 1));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(planes));
    this.conv2 = this.addModule('conv2', new Conv2d(rng, planes, planes, 3, { stride }));
    this.bn3 = this.addModule('bn3', new BatchNorm2d(planes));
    this.conv3 = this.addModule('conv3', new Conv2d(rng, planes, this.outChannels, 1));
    this.bn4 = this.addModule('bn4', new BatchNorm2d(this.outChannels));
  }

  /** [N, H, W, inChannels] → [N, H/stride, W/stride, outChannels] */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let h = this.conv1.forward(this.bn1.forward(x, training));
    h = this.conv2.forward(tf.relu(this.bn2.forward(h, training)));
    h = this.conv3.forward(tf.relu(this.bn3.forward(h, training)));
    h = this.bn4.forward(h, training);
    let shortcut = this.stride === 1 ? x : tf.avgPool(x, 2, 2, 'same');
    const extra = this.outChannels - this.inChannels;
    // Zero-padded extra channels: the pyramid shortcut adds no parameters.
    if (extra > 0)
      shortcut = tf.pad(shortcut, [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, extra],
      ]);
    return tf.add(h, shortcut);
  }
}

export class PyramidNet extends StageNetwork {
  private readonly stem: Conv2d;
  private readonly stemBn: BatchNorm2d;
  private readonly stageBlocks: PyramidBottleneck[][];
  private readonly finalBn: BatchNorm2d;
  private readonly classifier: Linear;

  constructor(rng: Random, opts: PyramidNetOptions) {
    super();
    if ((opts.depth - 2) % 9 !== 0 || opts.depth < 11) {
      throw new NosError(
        'BAD_INPUT',
        `PyramidNet depth must be 9n + 2 with n >= 1 (11, 20, ..., 110); received ${opts.depth}.`,
        'Set teacher.depth to 110 (the paper) or a smaller 9n + 2 such as 20.',
      );
    }
    const n = (opts.depth - 2) / 9;
    const addRate = opts.widen / (3 * n);
    this.stem = this.addModule('stem', new Conv2d(rng, opts.inChannels, opts.width, 3));
    this.stemBn = this.addModule('stem_bn', new BatchNorm2d(opts.width));
    let featureDim = opts.width;
    let cIn = opts.width;
    this.stageBlocks = [0, 1, 2].map((s) =>
      Array.from({ length: n }, (_, b) => {
        featureDim += addRate;
        const stride = s > 0 && b === 0 ? 2 : 1;
        const block = new PyramidBottleneck(rng, cIn, Math.round(featureDim), stride);
        cIn = block.outChannels;
        return this.addModule(`stage${s + 1}.${b}`, block);
      }),
    );
    this.finalBn = this.addModule('final_bn', new BatchNorm2d(cIn));
    this.classifier = this.addModule('fc', new Linear(rng, cIn, opts.classes));
  }

  forward(x: tf.Tensor4D, training: boolean): StageOutput {
    let h = this.stemBn.forward(this.stem.forward(x), training);
    const stages: tf.Tensor4D[] = [];
    for (const blocks of this.stageBlocks) {
      for (const block of blocks) h = block.forward(h, training);
      stages.push(h);
    }
    const top = tf.relu(this.finalBn.forward(h, training));
    return { logits: this.classifier.forward(globalAvgPool(top)), stages };
  }
}
