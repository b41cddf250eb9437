/**
 * A tiny module system on tfjs-core, in the spirit of torch.nn: a `Module` owns named weights
 * (trainable tf.Variables), named buffers (non-trainable tf.Variables such as batch-norm running
 * statistics) and named child modules. Names are dotted paths (`cells.3.edges.0.ops.1.bn.mean`)
 * so a state dict reads like the network and survives a rebuild from the same configuration.
 *
 * Every module is built eagerly and owns its variables until `dispose()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NosError } from '../contract/errors';

/** One serialised tensor: its shape and its values in row-major order. */
export interface StateTensor {
  shape: number[];
  data: Float32Array;
}

/** Every weight and buffer of a module tree by dotted name (checkpoints and exports). */
export type StateDict = Record<string, StateTensor>;

export class Module {
  private readonly ownWeights = new Map<string, tf.Variable>();
  private readonly ownBuffers = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable weight built from `init` (which the module takes ownership of). */
  protected addWeight(name: string, init: tf.Tensor): tf.Variable {
    this.assertFreeName(name);
    const v = tf.variable(init, true);
    init.dispose();
    this.ownWeights.set(name, v);
    return v;
  }

  /** Registers a non-trainable buffer (running statistics) built from `init`. */
  protected addBuffer(name: string, init: tf.Tensor): tf.Variable {
    this.assertFreeName(name);
    const v = tf.variable(init, false);
    init.dispose();
    this.ownBuffers.set(name, v);
    return v;
  }

  /** Registers a child module; its weights appear under `name.`. */
  protected addModule<M extends Module>(name: string, child: M): M {
    this.assertFreeName(name);
    this.children.set(name, child);
    return child;
  }

  /** Registers a list of children under `name.0`, `name.1`, ... */
  protected addModules<M extends Module>(name: string, list: M[]): M[] {
    list.forEach((m, i) => this.addModule(`${name}.${i}`, m));
    return list;
  }

  /** Every trainable weight of the tree, with its dotted name, in registration order. */
  namedWeights(prefix = ''): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [n, v] of this.ownWeights) out.push([prefix + n, v]);
    for (const [n, c] of this.children) out.push(...c.namedWeights(`${prefix}${n}.`));
    return out;
  }

  /** Every buffer of the tree, with its dotted name. */
  namedBuffers(prefix = ''): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [n, v] of this.ownBuffers) out.push([prefix + n, v]);
    for (const [n, c] of this.children) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  /** The trainable weights of the tree (what a weight optimiser updates). */
  weights(): tf.Variable[] {
    return this.namedWeights().map(([, v]) => v);
  }

  /** Total number of trainable scalars. */
  paramCount(): number {
    return this.weights().reduce((s, v) => s + v.size, 0);
  }

  /** Copies every weight and buffer to the CPU: `{name: {shape, data}}`. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [n, v] of [...this.namedWeights(), ...this.namedBuffers()]) {
      out[n] = { shape: v.shape.slice(), data: Float32Array.from(v.dataSync() as Float32Array) };
    }
    return out;
  }

  /**
   * Loads values saved by `stateDict()`. Every weight and buffer of this module must be
   * present with the same shape; extra entries are an error unless `strict` is false.
   */
  loadStateDict(state: StateDict, strict = true): void {
    const mine = [...this.namedWeights(), ...this.namedBuffers()];
    for (const [n, v] of mine) {
      const s = state[n];
      if (!s) {
        throw new NosError(
          'BAD_INPUT',
          `State dict has no entry "${n}" (expected shape [${v.shape}]).`,
          'Load a checkpoint saved from a network of the same configuration.',
        );
      }
      assertShape(n, v.shape, s);
      assignFrom(v, s.data);
    }
    if (strict) {
      const known = new Set(mine.map(([n]) => n));
      const extra = Object.keys(state).filter((k) => !known.has(k));
      if (extra.length > 0) {
        throw new NosError(
          'BAD_INPUT',
          `State dict has ${extra.length} unexpected entries, e.g. "${extra[0]}".`,
          'Load a checkpoint saved from a network of the same configuration.',
        );
      }
    }
  }

  /** Frees every variable of the tree. The module is unusable afterwards. */
  dispose(): void {
    for (const v of this.ownWeights.values()) v.dispose();
    for (const v of this.ownBuffers.values()) v.dispose();
    for (const c of this.children.values()) c.dispose();
    this.ownWeights.clear();
    this.ownBuffers.clear();
    this.children.clear();
  }

  private assertFreeName(name: string): void {
    if (this.ownWeights.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new NosError('INTERNAL', `Module already has a member named "${name}".`);
    }
  }
}

function assertShape(name: string, expected: readonly number[], got: StateTensor): void {
  const size = expected.reduce((a, b) => a * b, 1);
  const same = got.shape.length === expected.length && got.shape.every((d, i) => d === expected[i]);
  if (!same || got.data.length !== size) {
    throw new NosError(
      'BAD_INPUT',
      `State dict entry "${name}" has shape [${got.shape}] (${got.data.length} values); ` +
        `expected [${expected}].`,
      'Load a checkpoint saved from a network of the same configuration.',
    );
  }
}

/** Overwrites a variable with CPU values (the temporary tensor is freed). */
export function assignFrom(v: tf.Variable, data: Float32Array): void {
  const t = tf.tensor(data, v.shape);
  v.assign(t);
  t.dispose();
}
