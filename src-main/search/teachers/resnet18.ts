/**
 * ResNet-18 in its CIFAR form (He et al. 2016; the teacher of the paper's section 5 study):
 * a 3x3 stem without max-pooling, four stages of two basic blocks at widths w, 2w, 4w, 8w
 * (w = 64 in the standard network), strides 1, 2, 2, 2, global pooling and a linear classifier.
 *
 * Stage outputs for attention transfer are those of stages 1-3 (at H, H/2 and H/4), the
 * resolutions of the supernet's three segments; stage 4 only feeds the classifier.
 * The base width is configurable so presets can shrink the teacher for a CPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, globalAvgPool, Linear } from '../../nn/layers';
import { Module } from '../../nn/module';
import type { Random } from '../../nn/random';
import { StageNetwork, type StageOutput } from './network';

export interface ResNet18Options {
  inChannels: number;
  classes: number;
  /** Stage-1 width; 64 in the standard CIFAR ResNet-18. */
  width: number;
}

/** The basic residual block, also used by the op-study networks (evaluation/op-study-net.ts). */
export class BasicBlock extends Module {
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly projection: { conv: Conv2d; bn: BatchNorm2d } | null;

  constructor(rng: Random, cIn: number, cOut: number, stride: number) {
    super();
    this.conv1 = this.addModule('conv1', new Conv2d(rng, cIn, cOut, 3, { stride }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(cOut));
    this.conv2 = this.addModule('conv2', new Conv2d(rng, cOut, cOut, 3));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(cOut));
    // A 1x1 projection where the shape changes, identity otherwise (option B of the paper).
    this.projection =
      stride !== 1 || cIn !== cOut
        ? {
            conv: this.addModule('proj', new Conv2d(rng, cIn, cOut, 1, { stride })),
            bn: this.addModule('proj_bn', new BatchNorm2d(cOut)),
          }
        : null;
  }

  /** [N, H, W, cIn] → [N, H/stride, W/stride, cOut] */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const h = tf.relu(this.bn1.forward(this.conv1.forward(x), training));
    const y = this.bn2.forward(this.conv2.forward(h), training);
    const shortcut = this.projection
      ? this.projection.bn.forward(this.projection.conv.forward(x), training)
      : x;
    return tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
  }
}

export class ResNet18 extends StageNetwork {
  private readonly stem: Conv2d;
  private readonly stemBn: BatchNorm2d;
  private readonly layers: BasicBlock[][];
  private readonly classifier: Linear;

  constructor(rng: Random, opts: ResNet18Options) {
    super();
    const w = opts.width;
    this.stem = this.addModule('stem', new Conv2d(rng, opts.inChannels, w, 3));
    this.stemBn = this.addModule('stem_bn', new BatchNorm2d(w));
    let cIn = w;
    this.layers = [1, 2, 4, 8].map((mult, i) => {
      const cOut = w * mult;
      const blocks = [0, 1].map((b) => {
        const block = new BasicBlock(rng, b === 0 ? cIn : cOut, cOut, b === 0 && i > 0 ? 2 : 1);
        return this.addModule(`layer${i + 1}.${b}`, block);
      });
      cIn = cOut;
      return blocks;
    });
    this.classifier = this.addModule('fc', new Linear(rng, cIn, opts.classes));
  }

  forward(x: tf.Tensor4D, training: boolean): StageOutput {
    let h = tf.relu(this.stemBn.forward(this.stem.forward(x), training));
    const outputs: tf.Tensor4D[] = [];
    for (const layer of this.layers) {
      for (const block of layer) h = block.forward(h, training);
      outputs.push(h);
    }
    return { logits: this.classifier.forward(globalAvgPool(h)), stages: outputs.slice(0, 3) };
  }
}
