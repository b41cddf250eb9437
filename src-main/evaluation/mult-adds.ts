/**
 * Multiply-adds of one forward pass, measured rather than derived: the forward pass runs once
 * on a single image under `tf.profile`, and the multiply-adds of every convolution and matrix
 * product kernel are read from its input and output shapes. This counts what the network
 * actually computes, whatever its architecture (a ResNet with a self-calibration op, a derived
 * cell network), the way the papers' FLOPs columns count (multiply-adds of convolutions and
 * fully connected layers; element-wise ops, batch norm and pooling are not counted).
 */
import * as tf from '@tensorflow/tfjs-core';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Multiply-adds of one kernel call, from its shapes; 0 for kernels that are not products. */
export function kernelMultAdds(
  name: string,
  inputShapes: readonly (readonly number[])[],
  outputShapes: readonly (readonly number[])[],
): number {
  const out = outputShapes[0];
  if (!out) return 0;
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      // filter [kh, kw, cIn, cOut]: each output value is kh * kw * cIn products.
      const [kh, kw, cIn] = inputShapes[1];
      return size(out) * kh * kw * cIn;
    }
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2D': {
      // filter [kh, kw, C, multiplier]: each output value is kh * kw products.
      const [kh, kw] = inputShapes[1];
      return size(out) * kh * kw;
    }
    case 'BatchMatMul':
    case '_FusedMatMul':
    case 'MatMul': {
      // a holds batch * M * K values and out batch * M * N: K = |a| * N / |out|.
      const n = out[out.length - 1];
      const k = (size(inputShapes[0]) * n) / size(out);
      return size(out) * k;
    }
    default:
      return 0;
  }
}

/**
 * Multiply-adds of `forward` on one image of `inputShape` ([H, W, C]), in inference mode.
 * The forward pass's tensors are disposed.
 */
export async function measureMultAdds(
  forward: (x: tf.Tensor4D) => tf.TensorContainer,
  inputShape: readonly [number, number, number],
): Promise<number> {
  const x = tf.zeros([1, ...inputShape]) as tf.Tensor4D;
  try {
    const info = await tf.profile(() => tf.tidy(() => forward(x)));
    tf.dispose(info.result);
    return info.kernels.reduce(
      (sum, k) => sum + kernelMultAdds(k.name, k.inputShapes, k.outputShapes),
      0,
    );
  } finally {
    x.dispose();
  }
}
