/**
 * State of one run for the run view: its stored detail, then live updates from the event
 * channel (progress every step, metrics every epoch, status changes, log lines). After an epoch
 * or a status change the detail is fetched again (throttled) for the new alphas and genotype.
 */
import { computed, onMounted, onUnmounted, ref, shallowRef, watch, type Ref } from 'vue';
import { toErrorData, type NosErrorData, type RunEvent, type StepProgress } from '@contract';
import { api } from '../../api/client';
import type { RunDetail, RunSummary, SeriesByKey } from '../../api/types';
import { appendEpoch, seriesByKey } from '../../lib/metrics';

export function useRunLive(runId: Ref<number>) {
  const detail = shallowRef<RunDetail | null>(null);
  const series = shallowRef<SeriesByKey>({});
  const progress = shallowRef<StepProgress | null>(null);
  const logs = shallowRef<{ level: string; message: string; at?: string }[]>([]);
  const error = shallowRef<NosErrorData | null>(null);
  const actionError = shallowRef<NosErrorData | null>(null);
  /**
   * A pause or cancel that was accepted but has not taken effect: the worker stops at the end of
   * its current step, which can take a while on a slow backend. Cleared by the status change.
   */
  const pending = ref<'pauseRun' | 'resumeRun' | 'cancelRun' | null>(null);
  let refetchTimer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe: (() => void) | null = null;

  async function load(): Promise<void> {
    try {
      const d = await api().getRun({ runId: runId.value });
      detail.value = d;
      series.value = seriesByKey(d.metrics);
      progress.value = d.progress ?? progress.value;
      logs.value = d.logs.map((l) => ({ level: l.level, message: l.message, at: l.at }));
      error.value = null;
    } catch (err) {
      error.value = toErrorData(err);
    }
  }

  function scheduleRefetch(): void {
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(() => void load(), 400);
  }

  function onEvent(e: RunEvent): void {
    const id = e.type === 'progress' ? e.progress.runId : e.runId;
    if (id !== runId.value) return;
    if (e.type === 'progress') progress.value = e.progress;
    else if (e.type === 'epoch') {
      series.value = appendEpoch(series.value, e.epoch, e.metrics);
      scheduleRefetch();
    } else if (e.type === 'status') {
      if (detail.value)
        detail.value = { ...detail.value, status: e.status, error: e.error ?? detail.value.error };
      scheduleRefetch();
    } else logs.value = [...logs.value.slice(-299), { level: e.level, message: e.message }];
  }

  async function control(action: 'pauseRun' | 'resumeRun' | 'cancelRun'): Promise<void> {
    actionError.value = null;
    const before = detail.value?.status;
    pending.value = action;
    try {
      const summary: RunSummary = await api()[action]({ runId: runId.value });
      if (detail.value) detail.value = { ...detail.value, ...summary };
      if (summary.status !== before) pending.value = null;
    } catch (err) {
      actionError.value = toErrorData(err);
      pending.value = null;
    }
  }
  watch(
    () => detail.value?.status,
    (now, was) => {
      if (now !== was) pending.value = null;
    },
  );

  const live = computed(() => ['queued', 'running'].includes(detail.value?.status ?? ''));

  onMounted(() => {
    unsubscribe = api().onRunEvent(onEvent);
    void load();
  });
  watch(runId, () => {
    detail.value = null;
    progress.value = null;
    void load();
  });
  onUnmounted(() => {
    unsubscribe?.();
    clearTimeout(refetchTimer);
  });

  return { detail, series, progress, logs, error, actionError, pending, live, load, control };
}
