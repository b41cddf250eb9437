/**
 * Registers the engine's kernels and gradients with tfjs.
 *
 * - wasm lacks Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter and
 *   DepthwiseConv2dNativeBackpropInput, and its own Conv2DBackpropInput is about 9x slower than
 *   its forward conv: all four are replaced by compositions of forward convolutions.
 * - cpu's depthwise backprop kernels ignore dilation (wrong numbers, no error): replaced.
 * - tfjs-core's gradients for Conv2D and DepthwiseConv2dNative refuse dilation above 1 on every
 *   backend: replaced by gradients that call the backprop kernels when dilation is 1 (native
 *   and fast on tfjs-node) and the composed functions otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  conv2dFilterGradient,
  conv2dInputGradient,
  convGeometry,
  depthwiseFilterGradient,
  depthwiseInputGradient,
} from './conv-gradients';
import type { ConvGeometry, Pair, PadSpec } from './conv-gradients';

/** Attributes shared by the conv and depthwise kernels and their backprops. */
interface ConvAttrs {
  strides: number | Pair;
  pad: PadSpec;
  dilations?: number | Pair;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
  inputShape?: number[];
  filterShape?: number[];
}

type Composed = (inputs: Record<string, tf.Tensor4D>, attrs: ConvAttrs) => tf.Tensor4D;

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

/** The original kernels we replaced, kept so benchmarks can compare against them. */
export const replacedKernels = new Map<string, tf.KernelConfig>();

const geometryOf = (xShape: number[], filterShape: number[], a: ConvAttrs, depthwise: boolean) =>
  convGeometry(
    xShape,
    filterShape,
    a.strides,
    a.pad,
    a.dilations ?? 1,
    a.dimRoundingMode,
    depthwise,
  );

/** The four composed kernels by tfjs kernel name. Inputs follow tfjs's kernel signatures. */
const COMPOSED: Record<string, Composed> = {
  // inputs: dy [N,Ho,Wo,Co], filter [K1,K2,Ci,Co]; attrs.inputShape = x's shape.
  Conv2DBackpropInput: ({ dy, filter }, a) =>
    conv2dInputGradient(dy, filter, geometryOf(a.inputShape!, filter.shape, a, false)),
  // inputs: x [N,H,W,Ci], dy [N,Ho,Wo,Co]; attrs.filterShape = [K1,K2,Ci,Co].
  Conv2DBackpropFilter: ({ x, dy }, a) =>
    conv2dFilterGradient(x, dy, geometryOf(x.shape, a.filterShape!, a, false)),
  // inputs: dy [N,Ho,Wo,Ci*M], filter [K1,K2,Ci,M].
  DepthwiseConv2dNativeBackpropInput: ({ dy, filter }, a) =>
    depthwiseInputGradient(dy, filter, geometryOf(a.inputShape!, filter.shape, a, true)),
  // inputs: x [N,H,W,Ci], dy [N,Ho,Wo,Ci*M]; attrs.filterShape = [K1,K2,Ci,M].
  DepthwiseConv2dNativeBackpropFilter: ({ x, dy }, a) =>
    depthwiseFilterGradient(x, dy, geometryOf(x.shape, a.filterShape!, a, true), a.filterShape![3]),
};

/** Which composed kernels each backend gets. */
const KERNELS_FOR: Record<string, readonly string[]> = {
  wasm: Object.keys(COMPOSED),
  cpu: ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'],
};

/** Wraps a composed function as a kernel: its result's data is handed over to the engine. */
function asKernel(kernelName: string, backendName: string, fn: Composed): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const result = tf.tidy(() => fn(toTensors(inputs), attrs as unknown as ConvAttrs));
      // The engine wraps the returned TensorInfo in a new tensor: keep the data alive past
      // the disposal of `result` (the same hand-over tfjs's own Identity kernels do).
      (backend as unknown as RefCountingBackend).incRef(result.dataId);
      const info = { dataId: result.dataId, shape: result.shape, dtype: result.dtype };
      result.dispose();
      return info;
    },
  };
}

/** Kernel inputs arrive as tensors from runKernel; wrap any bare TensorInfo the same way. */
function toTensors(inputs: tf.NamedTensorInfoMap): Record<string, tf.Tensor4D> {
  const out: Record<string, tf.Tensor4D> = {};
  for (const [name, info] of Object.entries(inputs)) {
    if (info === undefined) continue;
    if (info instanceof tf.Tensor) {
      out[name] = info as tf.Tensor4D;
    } else {
      // A bare TensorInfo: wrapping it must not steal a reference the caller owns.
      tf.engine().backend.incRef(info.dataId);
      out[name] = tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Gradients that accept dilation

const isUnit = (v: number | Pair | undefined) =>
  v === undefined || (typeof v === 'number' ? v === 1 : v[0] === 1 && v[1] === 1);

/** Gradient of tf.depthwiseConv2d (kernel DepthwiseConv2dNative) for any stride and dilation. */
const depthwiseGradient: tf.GradConfig = {
  kernelName: 'DepthwiseConv2dNative',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as tf.Tensor4D[];
    const a = attrs as unknown as ConvAttrs;
    const dy4 = dy as tf.Tensor4D;
    const kernelAttrs = { ...a, dilations: a.dilations ?? 1 } as unknown as tf.NamedAttrMap;
    if (isUnit(a.dilations)) {
      return {
        x: () =>
          tf.engine().runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: dy4, filter },
            {
              ...kernelAttrs,
              inputShape: x.shape,
            },
          ) as tf.Tensor4D,
        filter: () =>
          tf.engine().runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x, dy: dy4 },
            {
              ...kernelAttrs,
              filterShape: filter.shape,
            },
          ) as tf.Tensor4D,
      };
    }
    // Native backprop kernels ignore or refuse dilation: compose from forward convolutions.
    const g: ConvGeometry = geometryOf(x.shape, filter.shape, a, true);
    return {
      x: () => depthwiseInputGradient(dy4, filter, g),
      filter: () => depthwiseFilterGradient(x, dy4, g, filter.shape[3]),
    };
  },
};

/** Gradient of tf.conv2d (kernel Conv2D), NHWC, for any stride and dilation. */
const conv2dGradient: tf.GradConfig = {
  kernelName: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as tf.Tensor4D[];
    const a = attrs as unknown as ConvAttrs;
    const dy4 = dy as tf.Tensor4D;
    if (isUnit(a.dilations)) {
      const kernelAttrs = a as unknown as tf.NamedAttrMap;
      return {
        x: () =>
          tf.engine().runKernel(
            'Conv2DBackpropInput',
            { dy: dy4, filter },
            {
              ...kernelAttrs,
              inputShape: x.shape,
            },
          ) as tf.Tensor4D,
        filter: () =>
          tf.engine().runKernel(
            'Conv2DBackpropFilter',
            { x, dy: dy4 },
            {
              ...kernelAttrs,
              filterShape: filter.shape,
            },
          ) as tf.Tensor4D,
      };
    }
    if (a.dataFormat === 'NCHW') {
      throw new Error('conv2d gradient: dilation above 1 is supported for NHWC only; got NCHW');
    }
    const g = geometryOf(x.shape, filter.shape, a, false);
    return {
      x: () => conv2dInputGradient(dy4, filter, g),
      filter: () => conv2dFilterGradient(x, dy4, g),
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Registration

const registeredBackends = new Set<string>();
let gradientsRegistered = false;

/** Registers our kernels for the tfjs backend named `tfName`, and our gradients (idempotent). */
export function registerEngineKernels(tfName: string): void {
  if (!gradientsRegistered) {
    gradientsRegistered = true;
    withoutOverrideWarning(() => {
      tf.registerGradient(depthwiseGradient);
      tf.registerGradient(conv2dGradient);
    });
  }
  if (registeredBackends.has(tfName)) return;
  registeredBackends.add(tfName);
  for (const kernelName of KERNELS_FOR[tfName] ?? []) {
    const existing = tf.getKernel(kernelName, tfName);
    if (existing) {
      replacedKernels.set(`${kernelName}/${tfName}`, existing);
      tf.unregisterKernel(kernelName, tfName);
    }
    tf.registerKernel(asKernel(kernelName, tfName, COMPOSED[kernelName]));
  }
}

/** tfjs warns on every gradient override; ours are deliberate. */
function withoutOverrideWarning(fn: () => void): void {
  const env = tf.env();
  const wasProd = env.getBool('PROD');
  env.set('PROD', true);
  try {
    fn();
  } finally {
    env.set('PROD', wasProd);
  }
}

/** Runs a composed kernel directly (benchmarks and tests compare it with the original). */
export function runComposed(
  kernelName: keyof typeof COMPOSED,
  inputs: Record<string, tf.Tensor4D>,
  attrs: ConvAttrs,
): tf.Tensor4D {
  return tf.tidy(() => COMPOSED[kernelName](inputs, attrs));
}
