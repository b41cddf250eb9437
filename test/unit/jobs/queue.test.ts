import { existsSync, readdirSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src-main/contract/runs';
import type { JobQueue } from '../../../src-main/jobs';
import { openStore, type Store } from '../../../src-main/store';
import { loadCheckpoint } from '../../../src-main/training/checkpoint';
import { pointsOf, tempDir, tinyConfig, tinyQueue } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let queue: JobQueue;
let events: RunEvent[];

/** Metrics of an uninterrupted run of `tinyConfig()`, to compare resumed runs against. */
let reference: Map<string, number>;

beforeAll(async () => {
  const ref = tempDir();
  const refStore = openStore(ref.dir);
  const q = tinyQueue(refStore);
  const id = q.submit({ kind: 'search', config: tinyConfig() });
  expect((await q.wait(id)).status).toBe('completed');
  reference = pointsOf(refStore, id);
  refStore.close();
  ref.cleanup();
});

beforeEach(() => {
  tmp = tempDir('nos-queue-');
  store = openStore(tmp.dir);
  queue = tinyQueue(store);
  events = [];
  queue.onEvent((e) => events.push(e));
});
afterEach(async () => {
  await queue.close();
  store.close();
  tmp.cleanup();
});

const statuses = (runId: number) =>
  events
    .filter((e) => e.type === 'status' && e.runId === runId)
    .map((e) => (e as { status: string }).status);

describe('JobQueue', () => {
  it('runs a job in a worker process and stores everything it reports', async () => {
    const runId = queue.submit({ kind: 'search', config: tinyConfig(), tags: ['t'] });
    const summary = await queue.wait(runId);

    expect(summary.status).toBe('completed');
    expect(summary.backend).toBe('cpu');
    expect(summary.summary).toEqual({ steps: 8 });
    expect(statuses(runId)).toEqual(['queued', 'running', 'completed']);
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(8);
    expect(
      events.filter((e) => e.type === 'epoch').map((e) => (e as { epoch: number }).epoch),
    ).toEqual([0, 1]);
    expect(pointsOf(store, runId)).toEqual(reference);
    expect(store.records.finalGenotype(runId)).toMatchObject({ w: expect.any(Array) });
    expect(store.records.lastCheckpoint(runId)).toMatchObject({ epoch: 1, step: 3 });
    expect(store.runs.get(runId).workerPid).toBeNull();
    expect(summary.bestError).not.toBeNull();
  });

  it('runs one job at a time by default and two with concurrency 2', async () => {
    const a = queue.submit({ kind: 'search', config: tinyConfig({ epochs: 1 }) });
    const b = queue.submit({ kind: 'search', config: tinyConfig({ epochs: 1 }) });
    expect(store.runs.get(b).status).toBe('queued');
    await Promise.all([queue.wait(a), queue.wait(b)]);
    expect(Date.parse(store.runs.get(b).startedAt!)).toBeGreaterThanOrEqual(
      Date.parse(store.runs.get(a).finishedAt!),
    );

    const wide = tinyQueue(store, { concurrency: 2 });
    const c = wide.submit({ kind: 'search', config: tinyConfig({ epochs: 1, stepDelayMs: 100 }) });
    const d = wide.submit({ kind: 'search', config: tinyConfig({ epochs: 1, stepDelayMs: 100 }) });
    expect(store.runs.get(d).status).toBe('running');
    await Promise.all([wide.wait(c), wide.wait(d)]);
    expect(store.runs.get(c).status).toBe('completed');
    await wide.close();
  });

  it('pauses at a checkpoint and resumes to the same result as an uninterrupted run', async () => {
    const runId = queue.submit({ kind: 'search', config: tinyConfig({ stepDelayMs: 40 }) });
    await new Promise<void>((resolve) => {
      const off = queue.onEvent((e) => {
        if (e.type !== 'progress' || e.progress.step !== 1) return;
        off();
        queue.pause(runId);
        resolve();
      });
    });
    const paused = await queue.wait(runId);
    expect(paused.status).toBe('paused');
    const checkpoint = store.records.lastCheckpoint(runId)!;
    expect(checkpoint.epoch * 4 + checkpoint.step).toBeLessThan(7);

    queue.resume(runId);
    expect((await queue.wait(runId)).status).toBe('completed');
    expect(statuses(runId)).toEqual([
      'queued',
      'running',
      'paused',
      'queued',
      'running',
      'completed',
    ]);
    const resumed = pointsOf(store, runId);
    expect([...resumed.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [key, value] of reference) expect(resumed.get(key)).toBeCloseTo(value, 6);
    expect(store.records.logs(runId).some((l) => /resumed from/.test(l.message))).toBe(true);
  });

  it('cancels a running job and a queued one', async () => {
    const running = queue.submit({
      kind: 'search',
      config: tinyConfig({ stepDelayMs: 50, epochs: 5 }),
    });
    const waiting = queue.submit({ kind: 'search', config: tinyConfig() });
    queue.cancel(waiting);
    expect(store.runs.get(waiting).status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 600));
    queue.cancel(running);
    expect((await queue.wait(running)).status).toBe('cancelled');
    expect(store.runs.get(waiting).startedAt).toBeNull();
    expect(() => queue.resume(running)).toThrow(
      /only paused, interrupted, failed runs can be resumed/,
    );
  });

  it('marks a job that throws as failed with its message, keeping what it stored', async () => {
    const runId = queue.submit({ kind: 'search', config: tinyConfig({ failAtStep: 5 }) });
    const summary = await queue.wait(runId);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/tiny job fails at step 5/);
    expect(pointsOf(store, runId).size).toBeGreaterThanOrEqual(5);
    expect(store.records.lastCheckpoint(runId)).toMatchObject({ epoch: 1, step: 0 });
  });

  it('fails a kind whose job module does not exist with a message naming it', async () => {
    const missing = `${tmp.dir}/no-such-op-study-job.ts`;
    const q = tinyQueue(store, { jobModules: { 'op-study': missing } });
    const runId = q.submit({ kind: 'op-study', config: {} });
    const summary = await q.wait(runId);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/No trainer for op-study runs: .*op-study-job/);
    expect(summary.error?.hint).toMatch(/cannot run op-study jobs yet/);
  });

  it('refuses to submit a run for a missing dataset or parent run, storing nothing', () => {
    expect(() => queue.submit({ kind: 'search', config: {}, datasetId: 'nope' })).toThrow(
      /No dataset named "nope"/,
    );
    expect(() => queue.submit({ kind: 'evaluation', config: {}, parentRunId: 42 })).toThrow(
      /No run with id 42/,
    );
    expect(store.runs.list().total).toBe(0);
  });

  it('hands a search its teacher folder and an evaluation its search genotype', async () => {
    const teacher = queue.submit({ kind: 'teacher', config: tinyConfig({ epochs: 1 }) });
    await queue.wait(teacher);
    const search = queue.submit({
      kind: 'search',
      config: tinyConfig({ epochs: 1 }),
      parentRunId: teacher,
    });
    await queue.wait(search);
    const evaluation = queue.submit({
      kind: 'evaluation',
      config: tinyConfig({ epochs: 1 }),
      parentRunId: search,
    });
    expect((await queue.wait(evaluation)).status).toBe('completed');
    expect(store.runs.summary(evaluation).parentRunId).toBe(search);
    const inputs = (id: number) =>
      store.records.logs(id).find((l) => l.message.startsWith('inputs:'))!.message;
    expect(inputs(search)).toContain(`teacherDir=${store.runDir(teacher)} genotype=null`);
    expect(inputs(evaluation)).toContain(
      `genotype=${JSON.stringify(store.records.finalGenotype(search))}`,
    );
  });

  it('fails a run whose checkpoint hits a full disk with a STORAGE error; older checkpoints survive', async (ctx) => {
    const { execFileSync } = await import('node:child_process');
    const disk = tempDir('nos-disk-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', disk.dir], {
        stdio: 'ignore',
      });
    } catch {
      disk.cleanup();
      ctx.skip();
    }
    try {
      // Each checkpoint is about 40 KB and gets its own file: the third does not fit.
      const config = tinyConfig({ checkpointDir: disk.dir, padValues: 10_000 });
      const runId = queue.submit({ kind: 'search', config });
      const summary = await queue.wait(runId);

      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toMatch(/disk is full/);
      expect(summary.error?.hint).toMatch(/Free some disk space/);
      const last = store.records.lastCheckpoint(runId)!;
      expect(last).toMatchObject({ epoch: 0, step: 1 });
      expect(loadCheckpoint(last.path).meta).toEqual({ epoch: 0, step: 1 });
      expect(readdirSync(disk.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      for (const key of ['0:0:train/loss', '0:1:train/loss']) {
        expect(pointsOf(store, runId).get(key)).toBeCloseTo(reference.get(key)!, 6);
      }
      expect(store.integrityCheck()).toBe('ok');
    } finally {
      execFileSync('umount', [disk.dir]);
      disk.cleanup();
    }
    expect(existsSync(disk.dir)).toBe(false);
  });
});
