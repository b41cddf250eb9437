/**
 * Reliability under kills (issue 8): the worker is killed at random moments in many trials, and
 * the host process itself is killed once. Set NOS_KILL_TRIALS to change the number of trials and
 * NOS_KILL_SEED to replay a sequence.
 *
 * The subject is the tiny test job. Switching to the real smoke search is a different `subject`:
 * submit `{ kind: 'search', config: runConfigFromPreset('search', 'smoke'), datasetId }` on the
 * bundled sample, with no job-module override, a reference from one uninterrupted smoke run, and
 * `exactValues` set only if the search is bitwise deterministic across resume.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobQueue } from '../../../src-main/jobs';
import { openStore, type Store } from '../../../src-main/store';
import { pointsOf, tempDir, TINY_JOB, tinyConfig, tinyQueue } from './helpers';
import { killTrial, seededRandom, type KillSubject } from './kill-harness';

const TRIALS = Number(process.env.NOS_KILL_TRIALS ?? 20);
const SEED = Number(process.env.NOS_KILL_SEED ?? 20261203);
const CONFIG = tinyConfig({ epochs: 2, stepsPerEpoch: 5, checkpointEverySteps: 2, stepDelayMs: 15 });

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let queue: JobQueue;
let subject: KillSubject;

beforeAll(async () => {
  tmp = tempDir('nos-kill-');
  store = openStore(tmp.dir);
  queue = tinyQueue(store);
  const ref = queue.submit({ kind: 'search', config: CONFIG });
  expect((await queue.wait(ref)).status).toBe('completed');
  subject = {
    name: 'tiny job',
    submit: (q) => q.submit({ kind: 'search', config: CONFIG }),
    maxProgressBeforeKill: 9,
    reference: pointsOf(store, ref),
    exactValues: true,
  };
});
afterAll(async () => {
  await queue.close();
  store.close();
  tmp.cleanup();
});

describe(`killing the worker at random moments (${TRIALS} trials, seed ${SEED})`, () => {
  it('leaves an intact database, an interrupted run with its metrics, and a resumable run', async () => {
    const random = seededRandom(SEED);
    const outcomes = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      outcomes.push(await killTrial(store, queue, subject, random));
    }
    const interrupted = outcomes.filter((o) => !o.finishedFirst);
    // Nearly every kill must land mid-run, or the test proves nothing.
    expect(interrupted.length).toBeGreaterThanOrEqual(TRIALS - 2);
    expect(interrupted.some((o) => o.checkpoint === null || o.checkpoint.step === 1)).toBe(true);
  });
});

describe('killing the process that hosts the queue', () => {
  it('marks its run interrupted at the next start-up, and resume finishes it', async () => {
    const dir = resolve(tmp.dir, 'crash');
    const host = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(__dirname, 'fixtures', 'host.ts'), dir, TINY_JOB],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const runId = await new Promise<number>((ok, fail) => {
      host.stdout!.once('data', (d: Buffer) => ok(Number(d.toString().trim())));
      host.once('exit', (code) => fail(new Error(`host exited early with ${code}`)));
    });
    const crashed = openStore(dir);
    const workerPid = crashed.runs.get(runId).workerPid!;
    expect(crashed.runs.get(runId).status).toBe('running');
    host.kill('SIGKILL');
    await new Promise((r) => host.once('exit', r));
    // The orphaned worker notices its parent is gone and stops.
    await expect.poll(() => processGone(workerPid), { timeout: 10_000 }).toBe(true);

    const next = tinyQueue(crashed);
    expect(next.recoverInterrupted()).toEqual([runId]);
    expect(crashed.runs.get(runId).status).toBe('interrupted');
    expect(crashed.integrityCheck()).toBe('ok');
    const checkpoint = crashed.records.lastCheckpoint(runId);
    expect(checkpoint).not.toBeNull();

    // Finish quickly: the resumed worker reads the same config, so shorten nothing; just wait.
    next.resume(runId);
    crashed.db.prepare('UPDATE runs SET config = ? WHERE id = ?').run(
      JSON.stringify({ ...CONFIG, epochs: 1 + checkpoint!.epoch }),
      runId,
    );
    expect((await next.wait(runId)).status).toBe('completed');
    await next.close();
    crashed.close();
  });
});

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}
