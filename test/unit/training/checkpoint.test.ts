import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../../src-main/training/checkpoint';

function sample() {
  return {
    meta: { epoch: 2, step: 7, order: [3, 1, 2], rng: { counter: 123456 } },
    tensors: {
      'model/w': { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
      'alphas/normal': { shape: [3], data: Float32Array.from([0.5, -0.5, 0.25]) },
    },
  };
}

describe('checkpoint files', () => {
  it('round-trips meta and tensors exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    const path = join(dir, 'c.nosckpt');
    saveCheckpoint(path, sample());
    const back = loadCheckpoint(path);
    expect(back.meta).toEqual(sample().meta);
    expect(Array.from(back.tensors['model/w'].data)).toEqual([1, 2, 3, 4]);
    expect(back.tensors['alphas/normal'].shape).toEqual([3]);
    expect(readdirSync(dir)).toEqual(['c.nosckpt']);
  });

  it('refuses a truncated file with a message naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    const path = join(dir, 'c.nosckpt');
    saveCheckpoint(path, sample());
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 4));
    expect(() => loadCheckpoint(path)).toThrow(/c\.nosckpt.*checksum/);
  });

  it.each([
    { name: 'missing', setup: () => undefined, pattern: /does not exist/ },
    {
      name: 'foreign',
      setup: (p: string) => writeFileSync(p, 'hello world, not a checkpoint'),
      pattern: /magic/,
    },
  ])('refuses a $name file', ({ setup, pattern }) => {
    const path = join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'c.nosckpt');
    setup(path);
    expect(() => loadCheckpoint(path)).toThrow(pattern);
  });
});
