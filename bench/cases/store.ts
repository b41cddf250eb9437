/**
 * The run history as it grows: listing, filtering and sorting 10,000 runs by their best error
 * must answer in well under 100 ms (issue 8). The store keeps each run's best error on its row as
 * metrics arrive, and lists read only indexed columns of `runs` and `run_tags`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunKind, RunStatus } from '../../src-main/contract/runs';
import { openStore, type RunQuery, type Store } from '../../src-main/store';
import type { BenchCase } from '../harness';

const KINDS: RunKind[] = ['search', 'evaluation', 'teacher', 'random-baseline'];
const STATUSES: RunStatus[] = ['completed', 'completed', 'completed', 'failed', 'cancelled'];

/**
 * Fills `store` with `count` finished runs, each with 2 epochs of three metric series, a few
 * tagged and noted; in one transaction (the nested per-call transactions become savepoints).
 */
export function seedRuns(store: Store, count: number): void {
  store.db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const kind = KINDS[i % KINDS.length];
      const id = store.runs.create({
        kind,
        config: { seed: i, space: 'nos', epochs: 5 },
        name: `${kind} ${i} on ${i % 3 ? 'cifar10' : 'fashion-mnist'}`,
        seed: i,
        tags: i % 10 === 0 ? ['best', `batch-${i % 7}`] : [],
      });
      for (let epoch = 0; epoch < 2; epoch++) {
        const accuracy = (((i * 37) % 100) / 100) * ((epoch + 1) / 2);
        const key = kind === 'search' ? 'search/top1' : 'eval/top1';
        store.records.metrics(id, epoch, null, {
          [key]: accuracy,
          'train/loss': 2 - accuracy,
          lr: 0.025,
        });
      }
      if (i % 50 === 0) store.runs.setNote(id, 'a promising cell');
      store.runs.markFinished(id, STATUSES[i % STATUSES.length], { summary: { top1: 0.5 } });
    }
  })();
}

interface StoreState {
  dir: string;
  store: Store;
}

/** Seeding takes seconds: every case shares one store, removed when the process exits. */
let shared: StoreState | null = null;
function sharedStore(): StoreState {
  if (shared) return shared;
  const dir = mkdtempSync(join(tmpdir(), 'nos-bench-store-'));
  const store = openStore(dir);
  seedRuns(store, 10_000);
  shared = { dir, store };
  process.once('exit', () => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return shared;
}

function listCase(name: string, query: RunQuery): BenchCase<StoreState> {
  return {
    group: 'store',
    name,
    backends: ['cpu'],
    iterations: 20,
    warmup: 2,
    notes: { runs: 10_000, budgetMs: 100 },
    setup: sharedStore,
    run(s) {
      s.store.runs.list(query);
    },
  };
}

export const cases: BenchCase[] = [
  listCase('list-10k-newest', { limit: 100 }),
  listCase('list-10k-by-best-error', { sortBy: 'bestError', sortDir: 'asc', limit: 100 }),
  listCase('list-10k-search-completed-by-error', {
    kind: 'search',
    status: 'completed',
    sortBy: 'bestError',
    sortDir: 'asc',
    limit: 100,
  }),
  listCase('list-10k-text-and-tag', { text: 'cifar', tag: 'best', limit: 100 }),
  listCase('list-10k-last-page', { sortBy: 'duration', offset: 9_900, limit: 100 }),
] as BenchCase[];
