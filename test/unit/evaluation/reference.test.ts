import { describe, expect, it } from 'vitest';
import {
  formatPublishedFigure,
  parsePublishedResults,
  type PublishedResults,
} from '../../../src-main/contract/evaluation';
import { NosError } from '../../../src-main/contract/errors';
import {
  findRow,
  findTable,
  loadPublishedResults,
  publishedCell,
} from '../../../src-main/evaluation/reference';

/** NOS-SPEC section 5, transcribed independently of the JSON: [value, sd?] per column. */
type Spec = Record<string, Record<string, number | [number, number] | null>>;

const TABLE1: Spec = {
  resnet18: {
    c10Top1: 4.95,
    c10Top5: 0.22,
    c100Top1: 23.61,
    c100Top5: 7.16,
    flops: 555.42,
    params: 11.17,
  },
  'resnet18+dynamic_conv_3x3': {
    c10Top1: 4.63,
    c10Top5: 0.13,
    c100Top1: 22.63,
    c100Top5: 6.44,
    flops: 3.85,
    params: 0.03,
  },
  'resnet18+dynamic_conv_5x5': {
    c10Top1: 4.78,
    c10Top5: 0.14,
    c100Top1: 23.45,
    c100Top5: 6.82,
    flops: 7.62,
    params: 0.04,
  },
  'resnet18+dil_dynamic_conv_3x3': {
    c10Top1: 4.97,
    c10Top5: 0.23,
    c100Top1: 24.0,
    c100Top5: 7.28,
    flops: 3.85,
    params: 0.03,
  },
  'resnet18+dil_dynamic_conv_5x5': {
    c10Top1: 4.92,
    c10Top5: 0.17,
    c100Top1: 23.75,
    c100Top5: 7.2,
    flops: 7.62,
    params: 0.04,
  },
  'resnet18+spatial_attention': {
    c10Top1: 4.79,
    c10Top5: 0.16,
    c100Top1: 23.51,
    c100Top5: 7.04,
    flops: 1.08,
    params: 0.01,
  },
  'resnet18+channel_attention': {
    c10Top1: 4.83,
    c10Top5: 0.19,
    c100Top1: 23.2,
    c100Top5: 6.89,
    flops: 0.4,
    params: 0.15,
  },
};

const TABLE2: Spec = {
  pyramidnet: { c10Top1: 3.92, c100Top1: 20.11, params: 2.5, searchCost: null },
  enas: { c10Top1: 2.89, c100Top1: null, params: 4.6, searchCost: 0.5 },
  'darts-1st': { c10Top1: [3.0, 0.14], c100Top1: null, params: 3.3, searchCost: 1.5 },
  'darts-2nd': { c10Top1: [2.76, 0.09], c100Top1: 17.54, params: 3.3, searchCost: 4.0 },
  'snas-moderate': { c10Top1: [2.85, 0.02], c100Top1: null, params: 2.8, searchCost: 1.5 },
  ghn: { c10Top1: [2.84, 0.07], c100Top1: null, params: 5.7, searchCost: 0.84 },
  gdas: { c10Top1: 2.93, c100Top1: 18.38, params: 3.4, searchCost: 0.84 },
  bayesnas: { c10Top1: [2.81, 0.04], c100Top1: null, params: 3.4, searchCost: 0.2 },
  asng: { c10Top1: [2.83, 0.14], c100Top1: null, params: 3.9, searchCost: 0.11 },
  pdarts: { c10Top1: 2.5, c100Top1: 16.55, params: 3.4, searchCost: 0.3 },
  fairdarts: { c10Top1: 2.54, c100Top1: null, params: 2.8, searchCost: 3 },
  'random-baseline': { c10Top1: 3.85, c100Top1: 21.66, params: 2.4, searchCost: null },
  'nos-best': { c10Top1: 2.53, c100Top1: 16.21, params: 2.6, searchCost: 0.35 },
  'nos-mean': { c10Top1: [2.67, 0.06], c100Top1: [16.72, 0.24], params: 2.6, searchCost: 0.35 },
};

const TABLE3: Spec = {
  ghn: { top1: 27.0, top5: 8.7, params: 6.1, multAdds: 569, searchCost: 0.84 },
  darts: { top1: 26.7, top5: 8.7, params: 4.7, multAdds: 574, searchCost: 4.0 },
  snas: { top1: 27.3, top5: 9.2, params: 4.3, multAdds: 522, searchCost: 1.5 },
  gdas: { top1: 26.0, top5: 8.5, params: 5.3, multAdds: 581, searchCost: 0.84 },
  bayesnas: { top1: 26.5, top5: 8.9, params: 3.9, multAdds: null, searchCost: 0.2 },
  pdarts: { top1: 24.4, top5: 7.4, params: 4.9, multAdds: 557, searchCost: 0.3 },
  fairdarts: { top1: 24.4, top5: 7.4, params: 4.4, multAdds: 440, searchCost: 3 },
  nos: { top1: 25.8, top5: 8.1, params: 4.0, multAdds: 440, searchCost: 0.35 },
};

const TABLE4: Spec = {
  'nos-without-ags': { c10Top1: 3.44, c100Top1: 18.8 },
  'nos-with-ags': { c10Top1: 2.53, c100Top1: 16.21 },
};

const GENERALITY: Spec = {
  'darts-1st': { c10Top1: [3.0, 0.14] },
  'darts-1st+ags': { c10Top1: [2.92, 0.05] },
};

const SPEC: Record<string, Spec> = {
  'table1-op-study': TABLE1,
  'table2-cifar': TABLE2,
  'table3-imagenet': TABLE3,
  'table4-ags-ablation': TABLE4,
  'space-generality': GENERALITY,
};

describe('published results', () => {
  const doc = loadPublishedResults();

  it('parses against the contract schema', () => {
    expect(doc.tables.map((t) => t.id)).toEqual(Object.keys(SPEC));
  });

  for (const [tableId, spec] of Object.entries(SPEC)) {
    it(`table=${tableId} has exactly the spec's rows and numbers`, () => {
      const table = findTable(doc, tableId);
      expect(table.rows.map((r) => r.id)).toEqual(Object.keys(spec));
      for (const [rowId, cols] of Object.entries(spec)) {
        const row = findRow(table, rowId);
        for (const [col, expected] of Object.entries(cols)) {
          const f = row.values[col];
          if (expected === null) {
            expect(f, `${rowId}.${col}`).toBeNull();
          } else if (Array.isArray(expected)) {
            expect(f, `${rowId}.${col}`).toMatchObject({
              value: expected[0],
              sd: expected[1],
              statistic: 'mean',
            });
          } else {
            expect(f?.value, `${rowId}.${col}`).toBe(expected);
            expect(f?.sd, `${rowId}.${col} has no sd`).toBeUndefined();
          }
        }
      }
    });
  }

  it('labels best and mean figures as what they are', () => {
    const t2 = findTable(doc, 'table2-cifar');
    expect(findRow(t2, 'nos-best').values.c10Top1).toMatchObject({ statistic: 'best', n: 10 });
    expect(findRow(t2, 'nos-mean').values.c100Top1).toMatchObject({ statistic: 'mean', n: 10 });
    expect(findRow(t2, 'random-baseline').values.c10Top1).toMatchObject({
      statistic: 'best',
      n: 30,
    });
    expect(formatPublishedFigure(findRow(t2, 'nos-mean').values.c10Top1 ?? null)).toBe(
      '2.67 ± 0.06 (mean of 10)',
    );
    expect(formatPublishedFigure(findRow(t2, 'random-baseline').values.c10Top1 ?? null)).toBe(
      '3.85 (best of 30)',
    );
  });

  it('marks op-study costs as added to the baseline', () => {
    const t1 = findTable(doc, 'table1-op-study');
    expect(findRow(t1, 'resnet18').values.flops?.added).toBeUndefined();
    for (const row of t1.rows.filter((r) => r.role === 'variant')) {
      expect(row.values.flops?.added, row.id).toBe(true);
      expect(row.values.params?.added, row.id).toBe(true);
    }
  });

  it('cites the method paper of every quoted method', () => {
    const cell = publishedCell(doc, 'table2-cifar', 'darts-2nd', 'c100Top1');
    expect(cell).toMatchObject({ nosTable: 'Table 2', unit: '%', figure: { value: 17.54 } });
    expect(cell.methodCitation).toMatch(/DARTS: Differentiable Architecture Search/);
    for (const table of doc.tables) {
      for (const row of table.rows.filter((r) => r.role === 'method')) {
        expect(row.methodPaper, `${table.id}/${row.id}`).toBeDefined();
      }
    }
  });

  it('rejects a row that misses a column or cites an unknown paper', () => {
    const broken = structuredClone(doc) as PublishedResults;
    delete broken.tables[1].rows[0].values.params;
    broken.tables[1].rows[1].methodPaper = 'nowhere';
    expect(() => parsePublishedResults(broken)).toThrow(NosError);
    expect(() => parsePublishedResults(broken)).toThrow(/no value for column "params"/);
    expect(() => parsePublishedResults(broken)).toThrow(/"nowhere"/);
  });

  it('rejects an sd on a figure that is not a mean', () => {
    const broken = structuredClone(doc) as PublishedResults;
    const f = broken.tables[1].rows[1].values.c10Top1;
    if (f) f.sd = 0.1;
    expect(() => parsePublishedResults(broken)).toThrow(/only a mean carries an sd/);
  });

  it('names the missing file', () => {
    expect(() => loadPublishedResults('/nonexistent/published.json')).toThrow(/does not exist/);
  });
});
