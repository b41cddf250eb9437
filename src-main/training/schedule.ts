/**
 * Learning-rate schedules (NOS-SPEC section 4): cosine annealing to a floor for the search's
 * weights (stepped per epoch, as DARTS does) and the step schedule of the teacher recipe
 * (divide by 10 every 30 epochs). Pure functions of the position, so a resumed run computes
 * the same rate without any stored schedule state.
 */

/** Cosine from `base` at t = 0 to `min` at t = total (t and total in epochs or steps). */
export function cosineLr(base: number, min: number, t: number, total: number): number {
  if (total <= 0) return base;
  const progress = Math.min(Math.max(t / total, 0), 1);
  return min + ((base - min) * (1 + Math.cos(Math.PI * progress))) / 2;
}

/** `base` multiplied by `gamma` once every `every` epochs. */
export function stepLr(base: number, epoch: number, every: number, gamma = 0.1): number {
  return base * gamma ** Math.floor(epoch / Math.max(every, 1));
}
