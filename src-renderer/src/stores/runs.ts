/**
 * The run table: one page of runs at a time, sorted and filtered by the server (SQLite), so the
 * view stays fast past thousands of runs. Live status events patch the rows on the page.
 */
import { defineStore } from 'pinia';
import { reactive, ref, shallowRef } from 'vue';
import {
  toErrorData,
  type NosErrorData,
  type RunEvent,
  type RunKind,
  type RunStatus,
} from '@contract';
import { api } from '../api/client';
import type { RunSortField, RunSummary } from '../api/types';

export interface RunQuery {
  kind: RunKind | '';
  status: RunStatus | '';
  text: string;
  sortBy: RunSortField;
  sortDir: 'asc' | 'desc';
  page: number;
  pageSize: number;
}

export const useRunsStore = defineStore('runs', () => {
  const query = reactive<RunQuery>({
    kind: '',
    status: '',
    text: '',
    sortBy: 'createdAt',
    sortDir: 'desc',
    page: 0,
    pageSize: 50,
  });
  const runs = shallowRef<RunSummary[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const error = shallowRef<NosErrorData | null>(null);
  let seq = 0;

  async function refresh(): Promise<void> {
    const mine = ++seq; // a slower earlier answer must not overwrite a newer one
    loading.value = true;
    try {
      const page = await api().listRuns({
        kind: query.kind || undefined,
        status: query.status || undefined,
        text: query.text.trim() || undefined,
        sortBy: query.sortBy,
        sortDir: query.sortDir,
        offset: query.page * query.pageSize,
        limit: query.pageSize,
      });
      if (mine !== seq) return;
      runs.value = page.runs;
      total.value = page.total;
      error.value = null;
    } catch (err) {
      if (mine === seq) error.value = toErrorData(err);
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  function sortOn(field: RunSortField): void {
    if (query.sortBy === field) query.sortDir = query.sortDir === 'asc' ? 'desc' : 'asc';
    else Object.assign(query, { sortBy: field, sortDir: field === 'bestError' ? 'asc' : 'desc' });
    query.page = 0;
    void refresh();
  }

  /** Replaces one row (after a tag, note or status change). */
  function patch(run: RunSummary): void {
    runs.value = runs.value.map((r) => (r.id === run.id ? run : r));
  }

  function applyEvent(event: RunEvent): void {
    if (event.type !== 'status') return;
    if (!runs.value.some((r) => r.id === event.runId)) return;
    runs.value = runs.value.map((r) =>
      r.id === event.runId ? { ...r, status: event.status, error: event.error ?? r.error } : r,
    );
  }

  return { query, runs, total, loading, error, refresh, sortOn, patch, applyEvent };
});
