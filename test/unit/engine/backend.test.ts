import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NosError } from '../../../src-main/contract/errors';
import { initBackend, probeBackends } from '../../../src-main/engine/backend';

describe('initBackend', () => {
  it('auto picks wasm here and names the skipped native backends in one log line', async () => {
    const lines: string[] = [];
    const info = await initBackend('auto', (l) => lines.push(l));
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.skipped.map((s) => s.name)).toEqual(['tfjs-node-gpu', 'tfjs-node']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('chose wasm');
    expect(lines[0]).toContain('tfjs-node-gpu');
  });

  it('switches to a named backend and is idempotent', async () => {
    const a = await initBackend('cpu');
    const b = await initBackend('cpu');
    expect(a).toEqual(b);
    expect(tf.getBackend()).toBe('cpu');
    await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it.each(['tfjs-node', 'tfjs-node-gpu'] as const)(
    'backend=%s unavailable throws BACKEND_UNAVAILABLE with an install hint',
    async (name) => {
      const before = tf.getBackend();
      const err = await initBackend(name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NosError);
      expect((err as NosError).code).toBe('BACKEND_UNAVAILABLE');
      expect((err as NosError).message).toContain('not installed');
      expect((err as NosError).hint).toContain('npm install @tensorflow/');
      expect(tf.getBackend()).toBe(before); // no silent fallback
    },
  );
});

describe('probeBackends', () => {
  it('reports every backend with reasons, and wasm as the auto pick', async () => {
    const probes = await probeBackends();
    expect(probes.map((p) => p.name)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
    const byName = Object.fromEntries(probes.map((p) => [p.name, p]));
    expect(byName['tfjs-node'].usable).toBe(false);
    expect(byName['tfjs-node'].reason).toContain('not installed');
    expect(byName['tfjs-node'].fix).toContain('npm install');
    expect(byName.wasm.usable).toBe(true);
    expect(byName.wasm.autoPick).toBe(true);
    expect(byName.cpu.usable).toBe(true);
    expect(byName.cpu.autoPick).toBe(false);
  });
});
