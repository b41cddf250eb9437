/**
 * Counting multiply-adds as layers run: convolutions, depthwise convolutions and linear layers
 * report their products (output size x taps per output) while a count is active. The check is
 * one comparison per layer call, so the hot path pays nothing measurable.
 */

let active: { total: number } | null = null;

/** Called by layers: adds `n` multiply-adds to the active count, if any. */
export function recordMultAdds(n: number): void {
  if (active !== null) active.total += n;
}

/** Runs `fn` and returns the multiply-adds the layers reported meanwhile (and fn's result). */
export function withMultAddCount<T>(fn: () => T): { multAdds: number; result: T } {
  const outer = active;
  const count = { total: 0 };
  active = count;
  try {
    const result = fn();
    return { multAdds: count.total, result };
  } finally {
    active = outer;
    if (outer !== null) outer.total += count.total;
  }
}
