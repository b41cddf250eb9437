/**
 * Kill-the-worker trials: start a run, SIGKILL its worker at a random moment, and check what the
 * issue asks for: the database passes `PRAGMA integrity_check`, the run is `interrupted`, every
 * metric up to its last checkpoint is stored, and resuming finishes the run.
 *
 * The subject (which job, which config, how to compare) is a parameter, so the same harness runs
 * the tiny test job now and the real smoke search once it exists (see kill-trials.test.ts).
 */
import { expect } from 'vitest';
import type { JobQueue } from '../../../src-main/jobs';
import type { Store } from '../../../src-main/store';
import { pointsOf } from './helpers';

export interface KillSubject {
  name: string;
  /** Creates the run to be killed and returns its id. */
  submit(queue: JobQueue, store: Store): number;
  /** Kill after this many progress events at most (the run has more steps than that). */
  maxProgressBeforeKill: number;
  /** Metric points of an uninterrupted run (`epoch:step:key`). */
  reference: Map<string, number>;
  /** Compare values too (deterministic jobs), not only that the points exist. */
  exactValues: boolean;
}

export interface TrialOutcome {
  killedAtProgress: number;
  extraDelayMs: number;
  checkpoint: { epoch: number; step: number } | null;
  /** The job finished before the kill landed (counted, not failed). */
  finishedFirst: boolean;
}

/** A small seeded generator, so a failing trial can be replayed from the seed in its title. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function parsePoint(key: string): { epoch: number; step: number } {
  const [epoch, step] = key.split(':').map(Number);
  return { epoch, step };
}

/** True when a metric point was reported before the checkpoint at (epoch, step) was written. */
function coveredBy(point: { epoch: number; step: number }, ckpt: { epoch: number; step: number }) {
  if (point.step < 0) return point.epoch < ckpt.epoch;
  return point.epoch < ckpt.epoch || (point.epoch === ckpt.epoch && point.step <= ckpt.step);
}

function expectPoints(store: Store, runId: number, subject: KillSubject, keys: string[]): void {
  const stored = pointsOf(store, runId);
  for (const key of keys) {
    expect(stored.has(key), `metric ${key} of run ${runId}`).toBe(true);
    if (subject.exactValues) expect(stored.get(key)).toBeCloseTo(subject.reference.get(key)!, 6);
  }
}

export async function killTrial(
  store: Store,
  queue: JobQueue,
  subject: KillSubject,
  random: () => number,
): Promise<TrialOutcome> {
  const killedAtProgress = 1 + Math.floor(random() * subject.maxProgressBeforeKill);
  const extraDelayMs = Math.floor(random() * 30);
  const runId = subject.submit(queue, store);

  // Kill on the k-th progress event plus a random delay: anywhere in a step or a checkpoint.
  let seen = 0;
  await new Promise<void>((resolve) => {
    const off = queue.onEvent((event) => {
      const mine =
        (event.type === 'progress' && event.progress.runId === runId) ||
        (event.type === 'status' &&
          event.runId === runId &&
          event.status !== 'running' &&
          event.status !== 'queued');
      if (!mine) return;
      if (event.type === 'progress' && ++seen < killedAtProgress) return;
      off();
      setTimeout(
        () => {
          const pid = store.runs.get(runId).workerPid;
          if (pid) process.kill(pid, 'SIGKILL');
          resolve();
        },
        event.type === 'progress' ? extraDelayMs : 0,
      );
    });
  });
  const killed = await queue.wait(runId);
  expect(store.integrityCheck()).toBe('ok');
  if (killed.status === 'completed') {
    return { killedAtProgress, extraDelayMs, checkpoint: null, finishedFirst: true };
  }

  expect(killed.status).toBe('interrupted');
  expect(killed.error?.hint).toMatch(/nos runs resume/);
  const checkpoint = store.records.lastCheckpoint(runId);
  if (checkpoint) {
    const upTo = [...subject.reference.keys()].filter((k) => coveredBy(parsePoint(k), checkpoint));
    expectPoints(store, runId, subject, upTo);
  }

  queue.resume(runId);
  const resumed = await queue.wait(runId);
  expect(resumed.status).toBe('completed');
  expect(store.integrityCheck()).toBe('ok');
  expectPoints(store, runId, subject, [...subject.reference.keys()]);
  return {
    killedAtProgress,
    extraDelayMs,
    checkpoint: checkpoint && { epoch: checkpoint.epoch, step: checkpoint.step },
    finishedFirst: false,
  };
}
