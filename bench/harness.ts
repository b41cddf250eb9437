/**
 * The benchmark harness: what a bench case is, how one is timed, and how results print.
 *
 * A case file under bench/cases/ exports `cases: BenchCase[]`; bench/run.ts discovers every such
 * file, so adding a benchmark never means editing the runner. Each case runs once per backend
 * it lists: setup, warm-up iterations, timed iterations, teardown. Per backend the harness
 * records the median time, the peak resident memory seen while the case ran and the tensor
 * count drift (tensors alive after the timed iterations minus before them: anything but 0 is a
 * leak in the code being measured).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src-main/engine/backend';
import type { ConcreteBackend } from '../src-main/engine/backend';

export interface BenchContext {
  /** The backend this run of the case is on (already active). */
  backend: ConcreteBackend;
}

/** What a case may compare itself against: a PyTorch peer figure from the same run. */
export interface PeerRef {
  /** `bench.py --config` of the peer in ../shared/bench/peer-torch. */
  config: 'tiny' | 'small';
  /** Extra peer flags, such as ['--model', 'darts', '--no-at']; part of the peer's identity. */
  args?: readonly string[];
  /** Field of the peer's JSON line holding milliseconds, e.g. 'ms_per_step_median'. */
  field: string;
}

/**
 * One benchmark. `S` is whatever setup builds (tensors, a model) and run/teardown use. Methods
 * (not function properties) so a `BenchCase<Foo>` fits in a `BenchCase[]`.
 */
export interface BenchCase<S = unknown> {
  /** Family the case belongs to: 'kernels', 'search-step', 'teacher-step', 'data', ... */
  group: string;
  name: string;
  /** Backends to run on; each must be loadable or the case is reported as skipped. */
  backends: readonly ConcreteBackend[];
  /** Timed iterations (default 5) after `warmup` untimed ones (default 1). */
  iterations?: number;
  warmup?: number;
  /** Builds the state the timed runs use; not timed. */
  setup?(ctx: BenchContext): S | Promise<S>;
  /** One timed iteration. Must dispose what it creates (the harness reports drift). */
  run(state: S, ctx: BenchContext): void | Promise<void>;
  /** Releases what setup built. */
  teardown?(state: S, ctx: BenchContext): void | Promise<void>;
  /** A peer measurement to divide our median by. */
  peer?: PeerRef;
  /** Free-form numbers a case wants in the JSON (FLOPs, batch size, ...). */
  notes?: Record<string, number | string>;
}

export interface BenchResult {
  group: string;
  name: string;
  backend: ConcreteBackend;
  backendVersion: string | null;
  /** Null when the case was skipped (then `skipped` says why). */
  medianMs: number | null;
  minMs: number | null;
  meanMs: number | null;
  iterations: number;
  /**
   * Median CPU time of the whole process per iteration (every thread: worker threads count),
   * ms. On a busy machine it shows the work done where wall time mostly shows the queue.
   */
  cpuMs: number | null;
  /** Highest resident set size sampled around the case's iterations, MB. */
  peakRssMb: number | null;
  /** tf.memory().numTensors after the timed iterations minus before them. */
  tensorDrift: number | null;
  /** Our median over the peer's figure, when the case names a peer that ran. */
  peerRatio: number | null;
  peerMs: number | null;
  skipped: string | null;
  notes?: Record<string, number | string>;
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Waits for pending backend work so async backends are timed in full. */
async function settle(): Promise<void> {
  // Reading one value forces queued kernels to finish on backends that run asynchronously.
  const probe = tf.scalar(0);
  await probe.data();
  probe.dispose();
}

/** Runs one case on one backend and measures it. Never throws: failures become `skipped`. */
export async function runCase(
  c: BenchCase,
  backend: ConcreteBackend,
  iterationsOverride?: number,
): Promise<BenchResult> {
  const base: BenchResult = {
    group: c.group,
    name: c.name,
    backend,
    backendVersion: null,
    medianMs: null,
    minMs: null,
    meanMs: null,
    cpuMs: null,
    iterations: 0,
    peakRssMb: null,
    tensorDrift: null,
    peerRatio: null,
    peerMs: null,
    skipped: null,
    notes: c.notes,
  };
  try {
    const info = await initBackend(backend, () => undefined);
    base.backendVersion = info.version;
  } catch (err) {
    return { ...base, skipped: err instanceof Error ? err.message : String(err) };
  }

  const ctx: BenchContext = { backend };
  const iterations = iterationsOverride ?? c.iterations ?? 5;
  const warmup = c.warmup ?? 1;
  let state: unknown;
  try {
    state = c.setup ? await c.setup(ctx) : undefined;
    for (let i = 0; i < warmup; i++) await c.run(state, ctx);
    await settle();

    const tensorsBefore = tf.memory().numTensors;
    let peakRss = process.memoryUsage.rss();
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await c.run(state, ctx);
      await settle();
      times.push(performance.now() - t0);
      const used = process.cpuUsage(c0);
      cpu.push((used.user + used.system) / 1000);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }
    const drift = tf.memory().numTensors - tensorsBefore;
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      ...base,
      medianMs: round(median(times)),
      minMs: round(Math.min(...times)),
      meanMs: round(times.reduce((a, b) => a + b, 0) / times.length),
      cpuMs: round(median(cpu)),
      iterations,
      peakRssMb: mb(peakRss),
      tensorDrift: drift,
    };
  } catch (err) {
    return { ...base, skipped: `failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    if (c.teardown) await c.teardown(state, ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// Printing

/** A plain-text table of results, one row per case and backend. */
export function formatTable(results: readonly BenchResult[]): string {
  const header = [
    'case',
    'backend',
    'median ms',
    'min ms',
    'cpu ms',
    'peak RSS MB',
    'drift',
    'vs peer',
  ];
  const rows = results.map((r) => [
    `${r.group}/${r.name}`,
    r.backend,
    r.skipped ? `skipped: ${r.skipped}` : fmt(r.medianMs),
    fmt(r.minMs),
    fmt(r.cpuMs),
    fmt(r.peakRssMb),
    r.tensorDrift === null ? '' : String(r.tensorDrift),
    r.peerRatio === null ? '' : `${r.peerRatio.toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function fmt(x: number | null): string {
  if (x === null) return '';
  return x >= 100 ? x.toFixed(0) : x.toFixed(2);
}
