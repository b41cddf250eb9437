/**
 * The store stays fast as history grows: lists of 10,000 runs with their best errors, filtered
 * and sorted, answer in well under 100 ms. (bench/cases/store.ts measures the same queries in
 * `npm run bench`; this test holds the line with a generous margin for a busy machine.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRuns } from '../../../bench/cases/store';
import type { RunQuery } from '../../../src-main/store';
import { openStore, type Store } from '../../../src-main/store';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let store: Store;

beforeAll(() => {
  tmp = tempDir('nos-scale-');
  store = openStore(tmp.dir);
  seedRuns(store, 10_000);
});
afterAll(() => {
  store.close();
  tmp.cleanup();
});

/** Median of a few timed calls (ms), after one warm-up call. */
function medianMs(fn: () => void): number {
  fn();
  const times = Array.from({ length: 7 }, () => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  }).sort((a, b) => a - b);
  return times[3];
}

describe('RunTable.list at 10,000 runs', () => {
  it.each<[string, RunQuery]>([
    ['newest', { limit: 100 }],
    ['by best error', { sortBy: 'bestError', sortDir: 'asc', limit: 100 }],
    [
      'search completed by best error',
      { kind: 'search', status: 'completed', sortBy: 'bestError', sortDir: 'asc' },
    ],
    ['text and tag', { text: 'cifar', tag: 'best' }],
    ['last page by duration', { sortBy: 'duration', offset: 9_900, limit: 100 }],
  ])('query=%s answers in under 100 ms with correct results', (_, query) => {
    const page = store.runs.list(query);
    expect(page.runs.length).toBeGreaterThan(0);
    if (query.sortBy === 'bestError') {
      const errors = page.runs.map((r) => r.bestError!);
      expect(errors).toEqual([...errors].sort((a, b) => a - b));
    }
    if (query.kind)
      expect(page.runs.every((r) => r.kind === query.kind && r.status === query.status)).toBe(true);
    expect(medianMs(() => store.runs.list(query))).toBeLessThan(100);
  });
});
