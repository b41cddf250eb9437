/**
 * Runs the PyTorch peer (../shared/bench/peer-torch/bench.py, beside the repository) in the same
 * bench run, so our step time can be divided by the peer's measured on the same busy machine
 * minutes apart, never against a figure from another day.
 *
 * It needs Debian's PyTorch (`apt-get install -y python3-torch`) and Debian's python
 * (/usr/bin/python3: the pyenv python first on PATH has no torch).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PeerRef } from './harness';

export const REPO_ROOT = resolve(__dirname, '..');
export const PEER_DIR = resolve(REPO_ROOT, '../shared/bench/peer-torch');
const PYTHON = '/usr/bin/python3';

/**
 * The peer run every case compares against: the tiny config (NOS, C=8, 5 cells, 28x28x1) at
 * batch 16, 1 warm-up and 3 timed steps. One reference for all cases, so a bench run starts
 * the peer once; its README measures batch 32 over 10 steps, which takes too long on a shared
 * 2-core machine (a step there is minutes when the machine is busy).
 */
export const PEER_BATCH = 16;
export const TINY_PEER: PeerRef = {
  config: 'tiny',
  args: ['--batch', String(PEER_BATCH), '--warmup', '1', '--steps', '3'],
  field: 'ms_per_step_median',
};

export type PeerOutcome =
  { ok: true; record: Record<string, unknown> } | { ok: false; reason: string };

/** A stable key for one peer invocation (config plus flags). */
export function peerKey(ref: PeerRef): string {
  return [ref.config, ...(ref.args ?? [])].join(' ');
}

/** Why the peer cannot run here, or null when it can. */
export function peerUnavailable(): string | null {
  if (!existsSync(join(PEER_DIR, 'bench.py'))) return `no peer at ${PEER_DIR}/bench.py`;
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return 'PyTorch is not installed for /usr/bin/python3 (apt-get install -y python3-torch)';
  }
  return null;
}

/**
 * Runs `bench.py --config <config> [args]` and parses its last output line (a JSON record).
 * Progress lines are echoed to `echo` so a long peer run shows it is alive.
 */
export function runPeer(ref: PeerRef, echo: (line: string) => void): Promise<PeerOutcome> {
  const missing = peerUnavailable();
  if (missing) return Promise.resolve({ ok: false, reason: missing });
  const args = ['bench.py', '--config', ref.config, ...(ref.args ?? [])];
  return new Promise((done) => {
    const child = spawn(PYTHON, args, { cwd: PEER_DIR });
    // A stopped bench must not leave the peer running on a shared machine.
    const stop = () => child.kill('SIGTERM');
    process.once('exit', stop);
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(143));
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = chunk.toString().trim().split('\n');
      for (const l of lines) if (l.startsWith('step')) echo(`  peer ${peerKey(ref)}: ${l}`);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code) => {
      process.off('exit', stop);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit code ${code}: ${err.trim().split('\n').pop()}`);
        done({ ok: true, record: JSON.parse(last) as Record<string, unknown> });
      } catch (e) {
        done({ ok: false, reason: `peer failed: ${e instanceof Error ? e.message : String(e)}` });
      }
    });
  });
}
