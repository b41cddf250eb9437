/**
 * Evaluation training steps: one SGD step of the trainer (forward, backward with auxiliary
 * loss, clipping, update) on the networks evaluation trains from scratch, at the sizes of the
 * quick presets on this machine (28x28x1 Fashion-MNIST shapes, batch 32), and one inference
 * pass over a test batch. Images per second are in the notes (batch / median step time).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BenchCase } from '../harness';
import type { Batch } from '../../src-main/evaluation/batches';
import { OpStudyNet } from '../../src-main/evaluation/op-study-net';
import { trainStep, type Classifier } from '../../src-main/evaluation/trainer';
import { Random } from '../../src-main/nn/random';
import { Sgd } from '../../src-main/training/optim';
import type { OpStudyVariant } from '../../src-main/contract/evaluation';

const BATCH = 32;
const SHAPE: [number, number, number] = [28, 28, 1];

interface StepState {
  net: Classifier & { dispose(): void };
  variables: tf.Variable[];
  optimizer: Sgd;
  batch: Batch;
}

function stepCase(
  name: string,
  build: () => StepState['net'],
  auxiliaryWeight: number,
): BenchCase<StepState> {
  return {
    group: 'evaluation',
    name,
    backends: ['wasm'],
    iterations: 5,
    warmup: 1,
    notes: { batch: BATCH, input: SHAPE.join('x') },
    setup() {
      const net = build();
      const params = net.namedWeights();
      return {
        net,
        variables: params.map(([, v]) => v),
        optimizer: new Sgd(params, { lr: 0.025, momentum: 0.9, weightDecay: 3e-4 }),
        batch: {
          x: tf.randomNormal([BATCH, ...SHAPE]) as tf.Tensor4D,
          y: tf.tensor1d(
            Array.from({ length: BATCH }, (_, i) => i % 10),
            'int32',
          ),
        },
      };
    },
    run(s) {
      trainStep(s.net, s.variables, s.optimizer, s.batch, { gradClip: 5, auxiliaryWeight });
    },
    teardown(s) {
      s.optimizer.dispose();
      s.net.dispose();
      tf.dispose([s.batch.x, s.batch.y]);
    },
  };
}

const opStudyNet = (variant: OpStudyVariant) => () =>
  new OpStudyNet(new Random(0), {
    inChannels: 1,
    classes: 10,
    width: 8,
    variant,
    stages: [1, 2, 3],
  });

export const cases: BenchCase[] = [
  stepCase('op-study step resnet18 w=8 baseline b32 28x28x1', opStudyNet('baseline'), 0),
  stepCase(
    'op-study step resnet18 w=8 +dynamic_conv_3x3 b32 28x28x1',
    opStudyNet('dynamic_conv_3x3'),
    0,
  ),
  stepCase(
    'op-study step resnet18 w=8 +spatial_attention b32 28x28x1',
    opStudyNet('spatial_attention'),
    0,
  ),
];
