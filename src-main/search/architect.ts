/**
 * The two halves of one bilevel search step (NOS-SPEC section 3, following DARTS):
 *
 *   alpha step  (search split):  min_A  L_val(w, A)   + lambda * L_AT(w, A)
 *   weight step (train split):   min_w  L_train(w, A) + lambda * L_AT(w, A)
 *
 * First order (the paper's default) evaluates the alpha gradient at the current weights.
 * Second order is DARTS's unrolled step: the alpha gradient at w' = w - xi * dL_train/dw, with
 * the implicit term approximated by a finite difference of dL_train/dA at w +- eps * dL_val/dw'.
 *
 * Guidance modes (the ablation of the paper's Fig. 6): 'ags' puts the attention-transfer term in
 * both steps, 'distill' only in the weight step, 'none' in neither (it is still measured when a
 * teacher is present, so the runs compare).
 *
 * Each step asks for gradients of its own variables only: the alpha step never changes a
 * network weight and the weight step never changes an alpha.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SearchConfig } from '../contract/config';
import type { Adam, NamedVariable, Sgd } from '../training/optim';
import { clipByGlobalNorm } from '../training/optim';
import { attentionTransferLoss } from './attention-transfer';
import { accumulatedGradients, correctCount, crossEntropy, gradientsOf } from './steps';
import type { StageOutput } from './teachers/network';

/** What the search needs of a supernet (src-main/nos/supernet.ts implements it). */
export interface SearchNetwork {
  forward(x: tf.Tensor4D, training: boolean): StageOutput;
  /** Network weights only, never alphas. */
  namedWeights(): NamedVariable[];
  /** The architecture parameters: [normal, reduce]. */
  alphaList(): tf.Variable[];
}

/** One batch as a step consumes it. */
export interface StepBatch {
  /** NHWC [B, H, W, C], normalised for the supernet */
  x: tf.Tensor4D;
  /** [B] int32 */
  labels: tf.Tensor1D;
  /** Frozen teacher stage outputs for this batch, or null without a teacher. */
  teacherStages: tf.Tensor4D[] | null;
}

/** Per-step numbers, read back once per half step. */
export interface HalfStepStats {
  loss: number;
  ce: number;
  /** Attention-transfer loss (unweighted), or null without a teacher. */
  at: number | null;
  correct: number;
  count: number;
}

type Settings = Pick<
  SearchConfig,
  | 'lambda'
  | 'atReduction'
  | 'guidance'
  | 'order'
  | 'gradClip'
  | 'microBatch'
  | 'momentum'
  | 'weightDecay'
>;

export class Architect {
  private readonly weights: tf.Variable[];
  private readonly alphas: tf.Variable[];

  constructor(
    private readonly net: SearchNetwork,
    private readonly weightOptimizer: Sgd,
    private readonly alphaOptimizer: Adam,
    private readonly settings: Settings,
  ) {
    this.weights = net.namedWeights().map(([, v]) => v);
    this.alphas = net.alphaList();
  }

  /** Alpha update on a search-split batch. `trainBatch` is used by the second-order step. */
  alphaStep(searchBatch: StepBatch, trainBatch: StepBatch): HalfStepStats {
    const useAt = this.settings.guidance === 'ags';
    if (this.settings.order === 'second')
      return this.unrolledAlphaStep(searchBatch, trainBatch, useAt);
    const { stats, grads } = this.gradients(this.alphas, searchBatch, useAt);
    this.alphaOptimizer.apply(grads);
    tf.dispose(grads);
    return stats;
  }

  /** Weight update on a train-split batch, with global-norm clipping. */
  weightStep(trainBatch: StepBatch): HalfStepStats {
    const useAt = this.settings.guidance !== 'none';
    const { stats, grads } = this.gradients(this.weights, trainBatch, useAt);
    const { clipped, norm } = clipByGlobalNorm(grads, this.settings.gradClip);
    this.weightOptimizer.apply(clipped);
    tf.dispose([...grads, ...clipped, norm]);
    return stats;
  }

  /**
   * Allocates what a step does at its peak without applying anything: the gradients of the
   * whole objective for alphas and weights on `batch`, clipped, and for the second-order step
   * the saved copy of the weights. For measuring a step's memory (engine/memory.ts); batch-norm
   * running statistics do move, so the caller restores them.
   */
  probe(batch: StepBatch): void {
    const saved = this.settings.order === 'second' ? this.weights.map((w) => tf.clone(w)) : [];
    const { grads } = this.gradients([...this.alphas, ...this.weights], batch, true);
    const weightGrads = grads.slice(this.alphas.length);
    const { clipped, norm } = clipByGlobalNorm(weightGrads, this.settings.gradClip);
    tf.dispose([...saved, ...grads, ...clipped, norm]);
  }

  /**
   * Gradients of CE (+ lambda * AT when `useAt`) with respect to `vars`, accumulated over
   * micro-batches, with the batch statistics for reporting.
   */
  private gradients(
    vars: tf.Variable[],
    batch: StepBatch,
    useAt: boolean,
  ): { stats: HalfStepStats; grads: tf.Tensor[] } {
    const b = batch.x.shape[0];
    const micro = Math.min(this.settings.microBatch ?? b, b);
    const starts = Array.from({ length: Math.ceil(b / micro) }, (_, i) => i * micro);
    const shares = starts.map((s) => (Math.min(s + micro, b) - s) / b);
    const parts: tf.Scalar[] = [];
    const { loss, grads } = accumulatedGradients(vars, shares, (i) => {
      const size = Math.min(starts[i] + micro, b) - starts[i];
      const piece = sliceBatch(batch, starts[i], size);
      const terms = this.objective(piece, useAt);
      parts.push(tf.keep(terms.ce), tf.keep(terms.at), tf.keep(terms.correct));
      return terms.total;
    });
    const values = parts.map((t) => t.dataSync()[0]);
    tf.dispose(parts);
    const stats: HalfStepStats = {
      loss,
      ce: 0,
      at: batch.teacherStages ? 0 : null,
      correct: 0,
      count: b,
    };
    starts.forEach((_, i) => {
      stats.ce += values[3 * i] * shares[i];
      if (stats.at !== null) stats.at += values[3 * i + 1] * shares[i];
      stats.correct += values[3 * i + 2];
    });
    return { stats, grads };
  }

  /** CE + lambda * AT for one (micro-)batch, with its parts. All tensors are scalars. */
  private objective(batch: StepBatch, useAt: boolean) {
    const out = this.net.forward(batch.x, true);
    const ce = crossEntropy(out.logits, batch.labels);
    const correct = correctCount(out.logits, batch.labels);
    let at: tf.Scalar = tf.scalar(0);
    let total = ce;
    if (batch.teacherStages) {
      at = attentionTransferLoss(out.stages, batch.teacherStages, this.settings.atReduction);
      if (useAt && this.settings.lambda > 0) {
        total = tf.add(ce, tf.mul(at, this.settings.lambda)) as tf.Scalar;
      }
    }
    return { total, ce, at, correct };
  }

  /**
   * DARTS's second-order alpha step. Micro-batches are not used here: the unrolled step needs
   * four passes over the same batch, and splitting them would change the approximation.
   */
  private unrolledAlphaStep(
    searchBatch: StepBatch,
    trainBatch: StepBatch,
    useAt: boolean,
  ): HalfStepStats {
    const trainAt = this.settings.guidance !== 'none';
    const xi = this.weightOptimizer.lr;
    const saved = this.weights.map((w) => tf.clone(w));
    const restore = () => this.weights.forEach((w, i) => w.assign(saved[i]));
    try {
      // w' = w - xi * (momentum * buffer + dL_train/dw + weightDecay * w), as DARTS unrolls.
      const train = gradientsOf(this.weights, () => this.objective(trainBatch, trainAt).total);
      const momentum = this.weightOptimizer.getMomentum();
      tf.tidy(() =>
        this.weights.forEach((w, i) => {
          let d = tf.add(train.grads[i], tf.mul(w, this.settings.weightDecay));
          if (momentum) d = tf.add(d, tf.mul(momentum[i], this.settings.momentum));
          w.assign(tf.sub(w, tf.mul(d, xi)));
        }),
      );
      tf.dispose([train.loss, ...train.grads]);

      // dL_val(w', A)/dA and dL_val(w', A)/dw'
      const { stats, grads } = this.gradients(
        [...this.alphas, ...this.weights],
        searchBatch,
        useAt,
      );
      const alphaGrads = grads.slice(0, this.alphas.length);
      const vGrads = grads.slice(this.alphas.length);

      // Finite-difference Hessian-vector product around the original w.
      const norm = tf.tidy(() => tf.sqrt(tf.addN(vGrads.map((g) => tf.sum(tf.square(g))))));
      const eps = 0.01 / Math.max(norm.dataSync()[0], 1e-12);
      norm.dispose();
      const shifted = (sign: number): tf.Tensor[] => {
        tf.tidy(() =>
          this.weights.forEach((w, i) => w.assign(tf.add(saved[i], tf.mul(vGrads[i], sign * eps)))),
        );
        const r = gradientsOf(this.alphas, () => this.objective(trainBatch, trainAt).total);
        r.loss.dispose();
        return r.grads;
      };
      const plus = shifted(1);
      const minus = shifted(-1);
      const final = tf.tidy(() =>
        alphaGrads.map((g, i) => tf.sub(g, tf.mul(tf.sub(plus[i], minus[i]), xi / (2 * eps)))),
      );
      restore();
      this.alphaOptimizer.apply(final);
      tf.dispose([...grads, ...plus, ...minus, ...final]);
      return stats;
    } finally {
      restore();
      tf.dispose(saved);
    }
  }
}

/** Images [start, start + size) of a batch (teacher stages sliced alike). */
function sliceBatch(batch: StepBatch, start: number, size: number): StepBatch {
  if (start === 0 && size === batch.x.shape[0]) return batch;
  const cut = <T extends tf.Tensor>(t: T): T =>
    tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1)]) as T;
  return {
    x: cut(batch.x),
    labels: cut(batch.labels),
    teacherStages: batch.teacherStages ? batch.teacherStages.map(cut) : null,
  };
}
