import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDartsGenotype, formatGenotype } from '../../../src-main/contract/genotype';
import {
  publishedGenotype,
  publishedGenotypeNames,
  resolveGenotype,
} from '../../../src-main/evaluation/genotype-source';
import { sampleGenotype } from '../../../src-main/evaluation/random-genotype';
import { Random } from '../../../src-main/nn/random';
import { tempDir } from './helpers';

describe('resolveGenotype', () => {
  const tmp = tempDir('nos-eval-gsrc-');
  afterAll(tmp.cleanup);

  it('offers the published DARTS V1 and V2 genotypes', () => {
    expect(publishedGenotypeNames()).toEqual(expect.arrayContaining(['darts-v1', 'darts-v2']));
    const v2 = publishedGenotype('darts-v2');
    expect(v2.space).toBe('darts');
    expect(formatDartsGenotype(v2)).toMatch(/^Genotype\(normal=\[\('sep_conv_3x3', 0\)/);
    expect(resolveGenotype({ from: 'published', name: 'darts-v2' }, undefined)).toEqual(v2);
  });

  it('reads NOS JSON and DARTS text files', () => {
    const nos = sampleGenotype('nos', new Random(4));
    const darts = sampleGenotype('darts', new Random(4));
    writeFileSync(join(tmp.dir, 'g.json'), formatGenotype(nos));
    writeFileSync(join(tmp.dir, 'g.txt'), formatDartsGenotype(darts));
    expect(resolveGenotype({ from: 'file', path: join(tmp.dir, 'g.json') }, undefined)).toEqual(
      nos,
    );
    expect(resolveGenotype({ from: 'file', path: join(tmp.dir, 'g.txt') }, undefined)).toEqual(
      darts,
    );
  });

  it('validates the genotype handed over by a search run', () => {
    const nos = sampleGenotype('nos', new Random(2));
    expect(resolveGenotype({ from: 'run' }, nos)).toEqual(nos);
    expect(() => resolveGenotype({ from: 'run' }, { version: 1 })).toThrow(/Invalid genotype/);
  });

  it.each([
    { source: { from: 'run' as const }, fromRun: undefined, message: /none was handed over/ },
    {
      source: { from: 'file' as const, path: '/nonexistent.json' },
      fromRun: undefined,
      message: /does not exist/,
    },
    {
      source: { from: 'published' as const, name: 'darts-v9' },
      fromRun: undefined,
      message: /expected one of .*darts-v2/,
    },
  ])('names the problem for from=$source.from', ({ source, fromRun, message }) => {
    expect(() => resolveGenotype(source, fromRun)).toThrow(message);
  });
});
