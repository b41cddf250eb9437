/**
 * Kernel-level timings: each gradient kernel the engine registers against the kernel it
 * replaces (wasm's own, where one exists) or against the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BenchCase } from '../harness';

interface ConvState {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  dy: tf.Tensor4D;
}

/** A DARTS-sized layer: batch 32, 32x32, 16 channels in and out, 3x3 filter. */
function convSetup(): ConvState {
  return {
    x: tf.randomNormal([32, 32, 32, 16]),
    filter: tf.randomNormal([3, 3, 16, 16]),
    dy: tf.randomNormal([32, 32, 32, 16]),
  };
}

function disposeState(s: ConvState): void {
  tf.dispose([s.x, s.filter, s.dy]);
}

export const cases: BenchCase[] = [
  {
    group: 'kernels',
    name: 'conv2d forward 3x3 b32 32x32x16',
    backends: ['wasm', 'cpu'],
    setup: convSetup,
    run: (s: ConvState) => tf.tidy(() => void tf.conv2d(s.x, s.filter, 1, 'same').dataSync()),
    teardown: disposeState,
  } satisfies BenchCase<ConvState>,
  {
    group: 'kernels',
    name: 'conv2dBackpropInput 3x3 b32 32x32x16',
    backends: ['wasm', 'cpu'],
    setup: convSetup,
    run: (s: ConvState) =>
      tf.tidy(() => void tf.conv2dTranspose(s.dy, s.filter, s.x.shape, 1, 'same').dataSync()),
    teardown: disposeState,
  } satisfies BenchCase<ConvState>,
];
