/**
 * Statistics of repeated runs (NOS-SPEC section 4: "10 independent runs, best and mean
 * reported"). Every number leaves here labelled as what it is: a mean with the sample standard
 * deviation, a best, or a single run, never an unlabelled figure.
 */
import type { RunStatistics } from '../contract/evaluation';
import { NosError } from '../contract/errors';

/** Metrics where a lower value is better: errors and losses. */
export function betterOf(metric: string): 'lower' | 'higher' {
  return /error|loss/.test(metric) ? 'lower' : 'higher';
}

/**
 * Mean, sample standard deviation (n - 1 denominator, as papers report "± sd" over runs; null
 * for a single run), best and worst of `values`.
 */
export function summarize(
  metric: string,
  values: readonly number[],
  better: 'lower' | 'higher' = betterOf(metric),
): RunStatistics {
  if (values.length === 0) {
    throw new NosError(
      'BAD_INPUT',
      `No values of ${metric} to summarise: expected at least one finished run.`,
      'Wait until a run has finished its last epoch.',
    );
  }
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) {
    throw new NosError(
      'BAD_INPUT',
      `A value of ${metric} is ${bad}: statistics need finite numbers.`,
      'Leave out runs that failed (NaN loss) and say so beside the summary.',
    );
  }
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  // Two-pass variance: exact for the few values of repeated runs, no cancellation issue.
  const sd = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : null;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return {
    metric,
    n,
    mean,
    sd,
    best: better === 'lower' ? lo : hi,
    worst: better === 'lower' ? hi : lo,
    better,
    values: [...values],
  };
}

/**
 * "mean 2.67 ± 0.06 (sample sd, n = 10); best 2.53": each figure named. A single run prints as
 * "2.53 (single run)".
 */
export function formatStatistics(s: RunStatistics, digits = 2): string {
  if (s.n === 1) return `${s.mean.toFixed(digits)} (single run)`;
  const sd = s.sd === null ? '' : ` ± ${s.sd.toFixed(digits)}`;
  return `mean ${s.mean.toFixed(digits)}${sd} (sample sd, n = ${s.n}); best ${s.best.toFixed(digits)}`;
}

/**
 * Headline figures of a summary for a JobResult: `<prefix>_mean`, `<prefix>_sd`,
 * `<prefix>_best`, `<prefix>_n`, so a run list shows what each number is.
 */
export function statisticsSummary(prefix: string, s: RunStatistics): Record<string, number | null> {
  return {
    [`${prefix}_mean`]: s.mean,
    [`${prefix}_sd`]: s.sd,
    [`${prefix}_best`]: s.best,
    [`${prefix}_worst`]: s.worst,
    [`${prefix}_n`]: s.n,
  };
}
