/**
 * Optimisers for the bilevel search (NOS-SPEC section 4, following DARTS): SGD with momentum
 * and L2 weight decay for network weights, Adam with L2 weight decay (betas 0.5 / 0.999) for
 * alphas, and global-norm gradient clipping. The update rules are PyTorch's (decay added to the
 * gradient, momentum buffer `b = m b + g`, Adam with bias correction) so runs compare with the
 * DARTS code base and the PyTorch peer.
 *
 * Optimisers own their slot variables (momentum, first and second moments) and serialise them
 * by the parameter's name, so a checkpoint restores them onto a rebuilt network.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NosError } from '../contract/errors';
import type { StateDict } from '../nn/module';

/** A trainable variable with the stable dotted name a checkpoint knows it by. */
export type NamedVariable = [name: string, variable: tf.Variable];

/** Serialisable optimiser state: the step count, the learning rate and every slot by name. */
export interface OptimizerState {
  kind: 'sgd' | 'adam';
  step: number;
  lr: number;
  slots: StateDict;
}

export interface Optimizer {
  /** Current learning rate; schedules assign it before a step. */
  lr: number;
  readonly params: readonly NamedVariable[];
  /**
   * Applies one update. `grads[i]` is the gradient of `params[i]` (same shape); the caller
   * keeps ownership of `grads`.
   */
  apply(grads: readonly tf.Tensor[]): void;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
  dispose(): void;
}

export interface SgdOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay: number;
}

abstract class SlotOptimizer implements Optimizer {
  lr: number;
  protected step = 0;
  /** Slot variables per slot kind, aligned with `params`. */
  protected readonly slots: Map<string, tf.Variable[]> = new Map();

  constructor(
    readonly params: readonly NamedVariable[],
    lr: number,
    slotKinds: readonly string[],
  ) {
    this.lr = lr;
    for (const kind of slotKinds) {
      this.slots.set(
        kind,
        params.map(([, v]) => {
          // tf.variable shares the initial tensor's data: dispose the initial tensor itself.
          const zeros = tf.zerosLike(v);
          const slot = tf.variable(zeros, false);
          zeros.dispose();
          return slot;
        }),
      );
    }
  }

  abstract readonly kind: 'sgd' | 'adam';
  protected abstract update(i: number, grad: tf.Tensor): void;

  apply(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.params.length) {
      throw new NosError(
        'INTERNAL',
        `Optimizer got ${grads.length} gradients for ${this.params.length} parameters.`,
      );
    }
    this.step += 1;
    tf.tidy(() => grads.forEach((g, i) => this.update(i, g)));
  }

  getState(): OptimizerState {
    const slots: StateDict = {};
    for (const [kind, vars] of this.slots) {
      vars.forEach((v, i) => {
        slots[`${kind}:${this.params[i][0]}`] = {
          shape: v.shape.slice(),
          data: Float32Array.from(v.dataSync() as Float32Array),
        };
      });
    }
    return { kind: this.kind, step: this.step, lr: this.lr, slots };
  }

  setState(state: OptimizerState): void {
    if (state.kind !== this.kind) {
      throw new NosError(
        'BAD_INPUT',
        `Optimizer state is for ${state.kind}, but this optimizer is ${this.kind}.`,
        'Resume with the configuration the checkpoint was written with.',
      );
    }
    for (const [kind, vars] of this.slots) {
      vars.forEach((v, i) => {
        const key = `${kind}:${this.params[i][0]}`;
        const s = state.slots[key];
        if (!s || s.data.length !== v.size) {
          throw new NosError(
            'BAD_INPUT',
            `Optimizer state has no slot "${key}" of ${v.size} values.`,
            'Resume with the configuration the checkpoint was written with.',
          );
        }
        const value = tf.tensor(s.data, v.shape);
        v.assign(value);
        value.dispose();
      });
    }
    this.step = state.step;
    this.lr = state.lr;
  }

  dispose(): void {
    for (const vars of this.slots.values()) vars.forEach((v) => v.dispose());
    this.slots.clear();
  }

  protected slot(kind: string, i: number): tf.Variable {
    return (this.slots.get(kind) as tf.Variable[])[i];
  }
}

/** SGD with momentum and L2 weight decay (PyTorch's rule, as DARTS uses it). */
export class Sgd extends SlotOptimizer {
  readonly kind = 'sgd' as const;

  constructor(
    params: readonly NamedVariable[],
    private readonly opts: SgdOptions,
  ) {
    super(params, opts.lr, opts.momentum > 0 ? ['momentum'] : []);
  }

  /** The momentum buffers aligned with `params` (DARTS's unrolled step reads them), or null. */
  getMomentum(): readonly tf.Variable[] | null {
    return this.slots.get('momentum') ?? null;
  }

  protected update(i: number, grad: tf.Tensor): void {
    const w = this.params[i][1];
    const g = this.opts.weightDecay > 0 ? tf.add(grad, tf.mul(w, this.opts.weightDecay)) : grad;
    let direction = g;
    if (this.opts.momentum > 0) {
      const buf = this.slot('momentum', i);
      direction = tf.add(tf.mul(buf, this.opts.momentum), g);
      buf.assign(direction);
    }
    w.assign(tf.sub(w, tf.mul(direction, this.lr)));
  }
}

/** Adam with L2 weight decay added to the gradient (DARTS's architecture optimiser). */
export class Adam extends SlotOptimizer {
  readonly kind = 'adam' as const;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(
    params: readonly NamedVariable[],
    private readonly opts: AdamOptions,
  ) {
    super(params, opts.lr, ['m', 'v']);
    this.beta1 = opts.beta1 ?? 0.5;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
  }

  protected update(i: number, grad: tf.Tensor): void {
    const w = this.params[i][1];
    const g = this.opts.weightDecay > 0 ? tf.add(grad, tf.mul(w, this.opts.weightDecay)) : grad;
    const m = this.slot('m', i);
    const v = this.slot('v', i);
    m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
    v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
    const mHat = tf.div(m, 1 - this.beta1 ** this.step);
    const vHat = tf.div(v, 1 - this.beta2 ** this.step);
    w.assign(tf.sub(w, tf.div(tf.mul(mHat, this.lr), tf.add(tf.sqrt(vHat), this.epsilon))));
  }
}

/**
 * Scales `grads` so their global L2 norm is at most `maxNorm` (PyTorch's clip_grad_norm_).
 * Returns new tensors (the caller disposes them) and the norm before clipping as a scalar
 * tensor, so no value has to leave the backend. `maxNorm` 0 or less returns copies.
 */
export function clipByGlobalNorm(
  grads: readonly tf.Tensor[],
  maxNorm: number,
): { clipped: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    if (maxNorm <= 0) return { clipped: grads.map((g) => tf.clone(g)), norm };
    // Scale is min(1, maxNorm / (norm + 1e-6)), PyTorch's small epsilon included.
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    return { clipped: grads.map((g) => tf.mul(g, scale)), norm };
  });
}
