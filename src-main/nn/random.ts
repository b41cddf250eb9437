/**
 * A small seeded pseudo-random generator for weight initialisation and alpha initialisation.
 * It is our own (SplitMix32-style mixing of a 32-bit counter) so that a run is reproducible on
 * every backend and its state fits in a checkpoint as one number.
 */

/** Serialisable state of a `Random`: the 32-bit counter. */
export interface RandomState {
  counter: number;
}

export class Random {
  private counter: number;
  /** Second normal value of the last Box-Muller pair, or null. */
  private spare: number | null = null;

  constructor(seed: number) {
    // Mix the seed once so that nearby seeds (0, 1, 2...) start far apart.
    this.counter = Random.mix(Math.floor(seed) >>> 0) >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.counter = (this.counter + 0x9e3779b9) >>> 0;
    return Random.mix(this.counter);
  }

  /** A uniform number in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A standard normal number (Box-Muller; the second value of each pair is kept). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = 1 - this.uniform(); // (0, 1]: log(u) is finite
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** `n` normal values scaled by `std`. */
  normalArray(n: number, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * std;
    return out;
  }

  /** `n` uniform values in [lo, hi). */
  uniformArray(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  /** A child generator whose stream does not overlap this one's in practice. */
  fork(): Random {
    return new Random(this.nextUint32());
  }

  getState(): RandomState {
    // The spare normal is dropped: a restored generator continues from the counter.
    return { counter: this.counter };
  }

  setState(state: RandomState): void {
    this.counter = state.counter >>> 0;
    this.spare = null;
  }

  /** Murmur3-style 32-bit finaliser: a bijection with good avalanche. */
  private static mix(x: number): number {
    let z = x >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }
}
