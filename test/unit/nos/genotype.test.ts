import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Genotype,
  formatDartsGenotype,
  formatGenotype,
  parseAnyGenotype,
  parseDartsGenotype,
  parseGenotype,
  validateGenotype,
} from '../../../src-main/contract/genotype';
import { NosError } from '../../../src-main/contract/errors';

const resource = (name: string): string =>
  readFileSync(resolve(__dirname, '../../../resources/genotypes', name), 'utf8');

const nosGenotype = (): Genotype => ({
  version: 1,
  space: 'nos',
  normal: [0, 1, 2, 3].map((k) => ({
    first: [
      { op: 'sep_conv_3x3', input: 0 },
      { op: 'channel_attention', input: k + 1 },
    ],
    second: 'dynamic_conv_3x3',
  })),
  reduce: [0, 1, 2, 3].map(() => ({
    first: [
      { op: 'max_pool_3x3', input: 0 },
      { op: 'skip_connect', input: 1 },
    ],
    second: 'spatial_attention',
  })),
  concat: [2, 3, 4, 5],
});

/** Applies `mutate` to a fresh copy of a valid genotype and returns it as unknown JSON. */
const broken = (
  mutate: (g: Record<string, unknown> & Genotype) => void,
  base = nosGenotype(),
): unknown => {
  const g = structuredClone(base) as Record<string, unknown> & Genotype;
  mutate(g);
  return g;
};

describe('genotype JSON', () => {
  it('round-trips through format and parse', () => {
    const g = nosGenotype();
    expect(parseGenotype(formatGenotype(g))).toEqual(g);
  });

  it('reads the published DARTS genotypes in both forms alike', () => {
    for (const name of ['darts-v1', 'darts-v2']) {
      const fromJson = parseAnyGenotype(resource(`${name}.json`));
      const fromText = parseAnyGenotype(resource(`${name}.txt`));
      expect(fromJson).toEqual(fromText);
      expect(fromJson.normal).toHaveLength(4);
    }
  });

  it.each([
    { field: 'version', bad: broken((g) => void (g.version = 2 as 1)) },
    { field: 'space', bad: broken((g) => void (g.space = 'enas' as 'nos')) },
    {
      field: 'normal[1].first[0].op',
      bad: broken((g) => void (g.normal[1].first[0].op = 'conv_7x7' as 'none')),
    },
    {
      field: 'normal[0].first[1].input',
      bad: broken((g) => void (g.normal[0].first[1].input = 2)),
    },
    { field: 'normal[2].first', bad: broken((g) => void g.normal[2].first.pop()) },
    { field: 'reduce[3].second', bad: broken((g) => void delete g.reduce[3].second) },
    { field: 'normal[0].second', bad: broken((g) => void (g.normal[0].second = 'none')) },
    {
      field: 'normal[0].first',
      bad: broken((g) => {
        g.normal[0].first = [
          { op: 'spatial_attention', input: 0 },
          { op: 'channel_attention', input: 1 },
        ];
      }),
    },
    { field: 'reduce', bad: broken((g) => void g.reduce.pop()) },
    { field: 'concat[0]', bad: broken((g) => void (g.concat = [1, 2])) },
    { field: 'concat', bad: broken((g) => void (g.concat = [2, 2])) },
    { field: 'extra', bad: broken((g) => void (g.extra = 1)) },
    {
      field: 'normal[0].first[1].op',
      bad: broken((g) => void (g.space = 'darts'), nosGenotype()),
    },
  ])('rejects a malformed genotype, naming field=$field', ({ field, bad }) => {
    let err: unknown;
    try {
      validateGenotype(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NosError);
    expect((err as NosError).code).toBe('BAD_INPUT');
    const message = (err as NosError).message;
    expect(message.includes(field) || message.includes('unrecognized')).toBe(true);
  });

  it('rejects a second tier in the darts space', () => {
    const g = parseDartsGenotype(resource('darts-v2.txt'));
    const bad = structuredClone(g);
    bad.normal[0].second = 'sep_conv_3x3';
    expect(() => validateGenotype(bad)).toThrow(/normal\[0\]\.second/);
  });

  it('rejects text that is not JSON with a hint', () => {
    expect(() => parseGenotype('{nope')).toThrow(/not JSON/);
  });
});

describe('DARTS text form', () => {
  it('formats the published V2 genotype back to the DARTS text', () => {
    const g = parseDartsGenotype(resource('darts-v2.txt'));
    const text = formatDartsGenotype(g);
    expect(text.startsWith("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1),")).toBe(
      true,
    );
    expect(text).toContain('normal_concat=range(2, 6)');
    expect(parseDartsGenotype(text)).toEqual(g);
  });

  it('refuses to format a NOS genotype as DARTS text', () => {
    expect(() => formatDartsGenotype(nosGenotype())).toThrow(/only darts-space/i);
  });

  it.each([
    { why: 'executable code', text: "__import__('os').system('true')" },
    {
      why: 'an odd number of pairs',
      text: "Genotype(normal=[('sep_conv_3x3', 0)], normal_concat=range(2, 3), reduce=[('sep_conv_3x3', 0)], reduce_concat=range(2, 3))",
    },
    {
      why: 'a missing field',
      text: "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], normal_concat=range(2, 3))",
    },
    {
      why: 'an unknown op',
      text: "Genotype(normal=[('conv_9x9', 0), ('sep_conv_3x3', 1)], normal_concat=range(2, 3), reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], reduce_concat=range(2, 3))",
    },
    {
      why: 'trailing text',
      text: "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], normal_concat=range(2, 3), reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], reduce_concat=range(2, 3)); rm",
    },
    { why: 'an unterminated list', text: "Genotype(normal=[('sep_conv_3x3', 0)" },
  ])('rejects $why', ({ text }) => {
    expect(() => parseDartsGenotype(text)).toThrow(NosError);
  });
});
