/** Metric series as the API gives them, reshaped for charts. Pure. */
import type { MetricSeries, SeriesByKey } from '../api/types';

/**
 * One point per epoch per key. Epoch-level points (step null) are preferred; a key reported only
 * per step keeps the last point of each epoch.
 */
export function seriesByKey(metrics: readonly MetricSeries[]): SeriesByKey {
  const out: SeriesByKey = {};
  for (const m of metrics) {
    const epochLevel = m.points.filter((p) => p.step === null);
    const source = epochLevel.length > 0 ? epochLevel : m.points;
    const byEpoch = new Map<number, number>();
    for (const p of source) byEpoch.set(p.epoch, p.value);
    out[m.key] = [...byEpoch]
      .sort((a, b) => a[0] - b[0])
      .map(([epoch, value]) => ({ epoch, value }));
  }
  return out;
}

/** Adds the metrics of one finished epoch (a live `epoch` event) to the series, in place. */
export function appendEpoch(
  series: SeriesByKey,
  epoch: number,
  metrics: Record<string, number>,
): SeriesByKey {
  const next: SeriesByKey = { ...series };
  for (const [key, value] of Object.entries(metrics)) {
    const points = (next[key] ?? []).filter((p) => p.epoch !== epoch);
    points.push({ epoch, value });
    points.sort((a, b) => a.epoch - b.epoch);
    next[key] = points;
  }
  return next;
}

/** The latest value of a metric, or null. */
export function lastValue(series: SeriesByKey, key: string): number | null {
  const points = series[key];
  return points && points.length > 0 ? points[points.length - 1].value : null;
}
