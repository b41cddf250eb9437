/**
 * Kernel-level timings: each gradient kernel the engine registers against the kernel it
 * replaces (wasm's own Conv2DBackpropInput) or against the cpu backend, plus one DARTS
 * sep_conv_3x3 forward and backward pass, the unit of work a search step repeats.
 */
import * as tf from '@tensorflow/tfjs-core';
import { replacedKernels } from '../../src-main/engine/kernels/register';
import { depthwiseConv2d } from '../../src-main/engine/ops';
import type { BenchCase } from '../harness';

/** A DARTS-sized layer: 32x32 images, 16 channels, 3x3 filters. */
const BATCH = 32;
const HW = 32;
const C = 16;

interface ConvState {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  dy: tf.Tensor4D;
}

const denseState = (): ConvState => ({
  x: tf.randomNormal([BATCH, HW, HW, C]),
  filter: tf.randomNormal([3, 3, C, C]),
  dy: tf.randomNormal([BATCH, HW, HW, C]),
});

const depthwiseState = (): ConvState => ({
  x: tf.randomNormal([BATCH, HW, HW, C]),
  filter: tf.randomNormal([3, 3, C, 1]),
  dy: tf.randomNormal([BATCH, HW, HW, C]),
});

const disposeState = (s: ConvState): void => tf.dispose([s.x, s.filter, s.dy]);

/** Runs a kernel through the registry and reads its result back (forcing it to finish). */
function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): void {
  const out = tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
  out.dataSync();
  out.dispose();
}

/** Runs the kernel that was registered before ours (wasm's own), for comparison. */
function runReplaced(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): void {
  const original = replacedKernels.get(`${name}/${tf.getBackend()}`);
  if (!original) throw new Error(`no replaced ${name} kernel on ${tf.getBackend()}`);
  // tfjs binds a wasm kernel's function in setupFunc when the backend is set; ours replaced it
  // before that happened, so bind it here.
  original.setupFunc?.(tf.backend());
  const info = original.kernelFunc({ inputs, attrs, backend: tf.backend() });
  const out = tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
  out.dataSync();
  out.dispose();
}

const same = (dilations = 1) => ({ strides: 1, pad: 'same', dilations, dataFormat: 'NHWC' });
const shapeTag = `b${BATCH} ${HW}x${HW}x${C} 3x3`;

function kernelCase(
  name: string,
  state: () => ConvState,
  call: (s: ConvState) => void,
  backends: BenchCase['backends'] = ['wasm', 'cpu'],
): BenchCase<ConvState> {
  return { group: 'kernels', name, backends, setup: state, run: call, teardown: disposeState };
}

interface SepConvState {
  x: tf.Tensor4D;
  weights: tf.Tensor4D[];
}

/** DARTS sep_conv_3x3 (ReLU, depthwise 3x3, pointwise 1x1, twice) forward and backward. */
function sepConvStep(s: SepConvState): void {
  const [dw1, pw1, dw2, pw2] = s.weights;
  const loss = (...ws: tf.Tensor[]) => {
    const h = tf.conv2d(
      depthwiseConv2d(tf.relu(s.x), ws[0] as tf.Tensor4D, 1, 'same'),
      ws[1] as tf.Tensor4D,
      1,
      'same',
    );
    const y = tf.conv2d(
      depthwiseConv2d(tf.relu(h), ws[2] as tf.Tensor4D, 1, 'same'),
      ws[3] as tf.Tensor4D,
      1,
      'same',
    );
    return tf.mean(tf.square(y));
  };
  const grads = tf.grads(loss)([dw1, pw1, dw2, pw2]);
  for (const g of grads) g.dataSync();
  tf.dispose(grads);
}

export const cases: BenchCase[] = [
  kernelCase(`conv2d forward ${shapeTag}`, denseState, (s) =>
    tf.tidy(() => void tf.conv2d(s.x, s.filter, 1, 'same').dataSync()),
  ),
  kernelCase(
    `Conv2DBackpropInput wasm's own ${shapeTag}`,
    denseState,
    (s) =>
      runReplaced(
        'Conv2DBackpropInput',
        { dy: s.dy, filter: s.filter },
        { ...same(), inputShape: s.x.shape },
      ),
    ['wasm'],
  ),
  kernelCase(`Conv2DBackpropInput ${shapeTag}`, denseState, (s) =>
    runKernel(
      'Conv2DBackpropInput',
      { dy: s.dy, filter: s.filter },
      { ...same(), inputShape: s.x.shape },
    ),
  ),
  kernelCase(`Conv2DBackpropFilter ${shapeTag}`, denseState, (s) =>
    runKernel(
      'Conv2DBackpropFilter',
      { x: s.x, dy: s.dy },
      { ...same(), filterShape: s.filter.shape },
    ),
  ),
  kernelCase(`depthwise forward ${shapeTag}`, depthwiseState, (s) =>
    tf.tidy(() => void tf.depthwiseConv2d(s.x, s.filter, 1, 'same').dataSync()),
  ),
  kernelCase(`DepthwiseBackpropInput ${shapeTag}`, depthwiseState, (s) =>
    runKernel(
      'DepthwiseConv2dNativeBackpropInput',
      { dy: s.dy, filter: s.filter },
      {
        ...same(),
        inputShape: s.x.shape,
      },
    ),
  ),
  kernelCase(`DepthwiseBackpropFilter ${shapeTag}`, depthwiseState, (s) =>
    runKernel(
      'DepthwiseConv2dNativeBackpropFilter',
      { x: s.x, dy: s.dy },
      {
        ...same(),
        filterShape: s.filter.shape,
      },
    ),
  ),
  kernelCase(`DepthwiseBackpropFilter dilation 2 ${shapeTag}`, depthwiseState, (s) =>
    runKernel(
      'DepthwiseConv2dNativeBackpropFilter',
      { x: s.x, dy: s.dy },
      {
        ...same(2),
        filterShape: s.filter.shape,
      },
    ),
  ),
  {
    group: 'kernels',
    name: `sep_conv_3x3 forward+backward b64 ${HW}x${HW}x${C}`,
    backends: ['wasm'],
    iterations: 3,
    setup: (): SepConvState => ({
      x: tf.randomNormal([64, HW, HW, C]),
      weights: [
        [3, 3, C, 1],
        [1, 1, C, C],
        [3, 3, C, 1],
        [1, 1, C, C],
      ].map((shape) => tf.randomNormal(shape as [number, number, number, number])),
    }),
    run: sepConvStep,
    teardown: (s: SepConvState) => tf.dispose([s.x, ...s.weights]),
  } satisfies BenchCase<SepConvState>,
];
