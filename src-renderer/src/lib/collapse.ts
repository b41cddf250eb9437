/**
 * The collapse monitor: DARTS-style searches drift towards parameter-free ops (skip connections,
 * pooling). A genotype whose normal cell is mostly parameter-free is a warning sign (USER-NEEDS
 * P3); the live view and the cell view show it before anyone retrains such a genotype.
 */
import { PARAM_FREE_PRIMITIVES, type Primitive } from '@contract';
import type { GenotypeData } from '../api/types';
import type { CellType } from './genotype';

export interface CollapseReport {
  cell: CellType;
  paramFree: number;
  total: number;
  skip: number;
  /** True when at least `threshold` of the kept ops are parameter-free. */
  collapsed: boolean;
}

export function keptOps(g: GenotypeData, cell: CellType): Primitive[] {
  return g[cell].flatMap((b) => [...b.first.map((e) => e.op), ...(b.second ? [b.second] : [])]);
}

export function collapseReport(g: GenotypeData, cell: CellType, threshold = 0.5): CollapseReport {
  const ops = keptOps(g, cell);
  const paramFree = ops.filter((op) => PARAM_FREE_PRIMITIVES.includes(op)).length;
  const skip = ops.filter((op) => op === 'skip_connect').length;
  return {
    cell,
    paramFree,
    total: ops.length,
    skip,
    collapsed: ops.length > 0 && paramFree / ops.length >= threshold,
  };
}

/** A sentence for the warning callout, or null when the normal cell looks healthy. */
export function collapseWarning(g: GenotypeData, threshold = 0.5): string | null {
  const r = collapseReport(g, 'normal', threshold);
  if (!r.collapsed) return null;
  return (
    `${r.paramFree} of ${r.total} ops kept in the normal cell are parameter-free ` +
    `(${r.skip} skip_connect). The search may be collapsing: such a cell usually evaluates badly.`
  );
}

export const COLLAPSE_HINT =
  'Try a lower alpha learning rate, a few alpha warm-up epochs, a larger batch, or stop early ' +
  'and use the genotype of an earlier epoch.';
