/**
 * `npm run bench` (node --import tsx bench/run.ts): runs every case exported by
 * bench/cases/*.ts, prints a table and writes bench/results/<timestamp>.json.
 *
 *   npm run bench -- --filter kernels          # cases whose "group/name" contains the text
 *   npm run bench -- --backend wasm            # only these backends (comma-separated)
 *   npm run bench -- --iterations 3 --no-peer  # fewer timed runs, skip the PyTorch peer
 *   npm run bench -- --list                    # list cases and exit
 *
 * A benchmark, not a test: numbers vary with machine load. Compare within one run.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { ConcreteBackend } from '../src-main/engine/backend';
import { formatTable, runCase } from './harness';
import type { BenchCase, BenchResult, PeerRef } from './harness';
import { peerKey, REPO_ROOT, runPeer } from './peer';
import type { PeerOutcome } from './peer';

const CASES_DIR = join(__dirname, 'cases');
const RESULTS_DIR = join(__dirname, 'results');

interface Options {
  filter: string | null;
  backends: ConcreteBackend[] | null;
  iterations: number | undefined;
  peer: boolean;
  list: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      filter: { type: 'string' },
      backend: { type: 'string' },
      iterations: { type: 'string' },
      'no-peer': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
    },
  });
  const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
  if (iterations !== undefined && !(Number.isInteger(iterations) && iterations > 0)) {
    throw new Error(`--iterations expects a positive integer, received "${values.iterations}"`);
  }
  return {
    filter: values.filter ?? null,
    backends: values.backend ? (values.backend.split(',') as ConcreteBackend[]) : null,
    iterations,
    peer: !values['no-peer'],
    list: values.list ?? false,
  };
}

/** Imports every bench/cases/*.ts and collects their `cases` exports. */
async function discoverCases(): Promise<BenchCase[]> {
  const files = readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
  const all: BenchCase[] = [];
  for (const file of files) {
    const mod = (await import(join(CASES_DIR, file))) as { cases?: BenchCase[] };
    if (!Array.isArray(mod.cases)) {
      throw new Error(`bench/cases/${file} must export \`cases: BenchCase[]\`; it exports none`);
    }
    all.push(...mod.cases);
  }
  return all;
}

/** Runs each distinct peer the selected cases name, once. */
async function runPeers(selected: BenchCase[]): Promise<Map<string, PeerOutcome>> {
  const refs = new Map<string, PeerRef>();
  for (const c of selected) if (c.peer) refs.set(peerKey(c.peer), c.peer);
  const outcomes = new Map<string, PeerOutcome>();
  for (const [key, ref] of refs) {
    console.log(`peer: running PyTorch bench.py --config ${key} ...`);
    const outcome = await runPeer(ref, (line) => console.log(line));
    if (!outcome.ok) console.log(`peer: skipped (${outcome.reason})`);
    outcomes.set(key, outcome);
  }
  return outcomes;
}

function attachPeer(
  result: BenchResult,
  ref: PeerRef | undefined,
  peers: Map<string, PeerOutcome>,
) {
  const outcome = ref ? peers.get(peerKey(ref)) : undefined;
  if (!ref || !outcome?.ok || result.medianMs === null) return;
  const peerMs = Number(outcome.record[ref.field]);
  if (!Number.isFinite(peerMs) || peerMs <= 0) return;
  result.peerMs = peerMs;
  result.peerRatio = Math.round((result.medianMs / peerMs) * 100) / 100;
}

function gitCommit(): string | null {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** Writes the JSON atomically: a temp file renamed into place. */
function writeResults(payload: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(RESULTS_DIR, `${stamp}.json`);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(payload, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const all = await discoverCases();
  const selected = all.filter((c) => !opts.filter || `${c.group}/${c.name}`.includes(opts.filter));
  if (opts.list || selected.length === 0) {
    for (const c of all) console.log(`${c.group}/${c.name}  [${c.backends.join(', ')}]`);
    if (selected.length === 0) console.log(`no case matches --filter "${opts.filter}"`);
    return;
  }

  const peers = opts.peer ? await runPeers(selected) : new Map<string, PeerOutcome>();
  const results: BenchResult[] = [];
  for (const c of selected) {
    const backends = c.backends.filter((b) => !opts.backends || opts.backends.includes(b));
    for (const backend of backends) {
      process.stdout.write(`bench: ${c.group}/${c.name} on ${backend} ... `);
      const r = await runCase(c, backend, opts.iterations);
      attachPeer(r, c.peer, peers);
      results.push(r);
      console.log(r.skipped ? `skipped (${r.skipped})` : `${r.medianMs} ms`);
    }
  }

  console.log(`\n${formatTable(results)}\n`);
  const path = writeResults({
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    tfjsCore: tf.version_core,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    loadavg1: loadavg()[0],
    peers: Object.fromEntries(peers),
    results,
  });
  console.log(`bench: results written to ${path}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
