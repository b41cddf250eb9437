/**
 * The networks of the self-calibration op study (paper section 5.1, Table 1): ResNet-18 in its
 * CIFAR form, and variants with one self-calibration op (dynamic convolution k3/k5, their
 * dilated forms, spatial or channel attention) added after stages 1, 2 and 3.
 *
 * The paper does not say how the op joins the stage output. We use the rule of the NOS block
 * (NOS-SPEC section 2) with the stage output F as the feature: attention gives
 * F + F * A(F), dynamic convolution gives F + dynconv(F, D(F)). So each variant measures the op
 * exactly as the search space uses it, and at initialisation it starts close to the baseline.
 *
 * The ResNet-18 here mirrors the teacher of src-main/search/teachers/resnet18.ts (3x3 stem, no
 * max-pool, stages of two basic blocks at w, 2w, 4w, 8w, projection shortcuts) and reuses its
 * BasicBlock, but is assembled here because the study needs an insertion point after each
 * stage, which the teacher does not expose. Ops come from the search space's registry (src-main/nos/primitives.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OpStudyVariant } from '../contract/evaluation';
import { BatchNorm2d, Conv2d, globalAvgPool, Linear } from '../nn/layers';
import { Module } from '../nn/module';
import type { Random } from '../nn/random';
import { dynamicDepthwise, type Op } from '../nos/ops';
import { createOp } from '../nos/primitives';
import { BasicBlock } from '../search/teachers/resnet18';

export interface OpStudyNetOptions {
  inChannels: number;
  classes: number;
  /** Stage-1 width (64 in the standard network). */
  width: number;
  variant: OpStudyVariant;
  /** Stages (1-based, of 4) after which the op is added. */
  stages: readonly number[];
}

/** One self-calibration op applied residually to a stage output: [N, H, W, C] → same. */
export class Calibration extends Module {
  private readonly op: Op;

  constructor(rng: Random, op: Exclude<OpStudyVariant, 'baseline'>, channels: number) {
    super();
    // The registry's factory, as the search space builds it (affine, stride 1).
    this.op = this.addModule('op', createOp(op, channels, 1, true, rng));
  }

  forward(f: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const out = this.op.forward(f, training);
    if (this.op.family === 'attention') return tf.add(f, tf.mul(f, out)) as tf.Tensor4D;
    return tf.add(f, dynamicDepthwise(f, out)) as tf.Tensor4D;
  }
}

/** ResNet-18 (CIFAR form) with an optional self-calibration op after chosen stages. */
export class OpStudyNet extends Module {
  private readonly stem: Conv2d;
  private readonly stemBn: BatchNorm2d;
  private readonly layers: BasicBlock[][];
  private readonly calibrations: (Calibration | null)[];
  private readonly classifier: Linear;

  constructor(rng: Random, opts: OpStudyNetOptions) {
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
    const variant = opts.variant;
    this.calibrations = [1, 2, 3, 4].map((stage) =>
      variant !== 'baseline' && opts.stages.includes(stage)
        ? this.addModule(`calib${stage}`, new Calibration(rng, variant, w * 2 ** (stage - 1)))
        : null,
    );
    this.classifier = this.addModule('fc', new Linear(rng, cIn, opts.classes));
  }

  /** x: NHWC [N, H, W, C] normalised → logits [N, classes]. */
  forward(x: tf.Tensor4D, training: boolean): { logits: tf.Tensor2D } {
    let h = tf.relu(this.stemBn.forward(this.stem.forward(x), training));
    this.layers.forEach((layer, i) => {
      for (const block of layer) h = block.forward(h, training);
      const calibration = this.calibrations[i];
      if (calibration) h = calibration.forward(h, training);
    });
    return { logits: this.classifier.forward(globalAvgPool(h)) };
  }
}
