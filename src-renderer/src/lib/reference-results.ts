/**
 * Published results (served by the API from resources/reference/published-results.json) turned
 * into the points and table rows of the Compare view. Pure.
 */
import { formatPublishedFigure, type PublishedFigure, type PublishedResults } from '@contract';

export type Benchmark = 'cifar10' | 'cifar100' | 'imagenet';

export interface ReferencePoint {
  id: string;
  label: string;
  role: string;
  /** Top-1 error, %. */
  error: number;
  /** The error as the paper states it: "2.67 ± 0.06 (mean of 10)". */
  errorText: string;
  paramsM: number | null;
  gpuDays: number | null;
  /** "NOS paper, Table 2; DARTS: H. Liu, ... ICLR 2019." */
  source: string;
}

/** Tables that compare whole networks (error, params, search cost): the ones to plot. */
const METHOD_TABLES = ['table2-cifar', 'table3-imagenet'];

export function referencePoints(doc: PublishedResults, benchmark: Benchmark): ReferencePoint[] {
  const out: ReferencePoint[] = [];
  for (const table of doc.tables.filter((t) => METHOD_TABLES.includes(t.id))) {
    const errorCol = table.columns.find(
      (c) => c.dataset === benchmark && c.metric === 'top1-error',
    );
    if (!errorCol) continue;
    const paramsCol = table.columns.find((c) => c.metric === 'params');
    const costCol = table.columns.find((c) => c.metric === 'search-cost');
    for (const row of table.rows) {
      const err = row.values[errorCol.key];
      if (!err) continue;
      const value = (col?: { key: string }): number | null =>
        col ? (row.values[col.key]?.value ?? null) : null;
      const paper = row.methodPaper ? doc.papers[row.methodPaper] : undefined;
      out.push({
        id: `${table.id}/${row.id}`,
        label: row.label,
        role: row.role,
        error: err.value,
        errorText: formatFigure(err),
        paramsM: value(paramsCol),
        gpuDays: value(costCol),
        source: `NOS paper, ${table.nosTable}${paper ? `; ${paper.citation}` : ''}`,
      });
    }
  }
  return out;
}

function formatFigure(f: PublishedFigure): string {
  return formatPublishedFigure(f);
}

/** Benchmark a dataset format compares against (MNIST-family data has no published row). */
export function benchmarkOf(format: string | null | undefined): Benchmark | null {
  if (format === 'cifar10' || format === 'cifar100') return format;
  return null;
}
