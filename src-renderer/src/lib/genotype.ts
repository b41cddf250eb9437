/**
 * Genotype helpers for display: node names, alpha-row (edge) labels, validation of API answers
 * and the diff of two genotypes. Node indices follow DARTS: 0 and 1 are the cell inputs
 * (outputs of the two previous cells), 2.. are the inner nodes, each computed by a two-tier
 * block (NOS-SPEC section 2); the cell output concatenates the inner nodes.
 */
import { formatDartsGenotype, validateGenotype, type Primitive } from '@contract';
import type { GenotypeData } from '../api/types';

export type CellType = 'normal' | 'reduce';
export const CELL_TYPES: readonly CellType[] = ['normal', 'reduce'];

/** 0 -> "c_{k-2}", 1 -> "c_{k-1}", 2 -> "n2", ... */
export function nodeName(index: number): string {
  if (index === 0) return 'c_{k-2}';
  if (index === 1) return 'c_{k-1}';
  return `n${index}`;
}

/** Surrogate node of the block computing node `index` (paper: k'). */
export function surrogateName(index: number): string {
  return `${nodeName(index)}'`;
}

/**
 * Number of alpha rows (edges) of a cell with `nodes` inner nodes: the first-tier edges, then
 * (NOS spaces, `twoTier`) one second-tier edge per node, the order src-main/nos/cell.ts uses.
 */
export function edgeCount(nodes: number, twoTier = true): number {
  return (nodes * (nodes + 3)) / 2 + (twoTier ? nodes : 0);
}

/** Inner-node count from an alpha matrix's row count, or null if no count fits. */
export function nodesFromEdgeCount(rows: number, twoTier = true): number | null {
  for (let n = 1; n <= 16; n++) if (edgeCount(n, twoTier) === rows) return n;
  return null;
}

/** Only the DARTS space has the `none` op, and only it has no second tier. */
export function isTwoTier(ops: readonly string[]): boolean {
  return !ops.includes('none');
}

/** Labels of the alpha rows: all first-tier edges (inputs of node 2, then 3, ...), then the
 * second-tier edge of each block. */
export function edgeLabels(nodes: number, twoTier = true): string[] {
  const labels: string[] = [];
  const target = (k: number) => (twoTier ? surrogateName(k) : nodeName(k));
  for (let k = 2; k < nodes + 2; k++) {
    for (let i = 0; i < k; i++) labels.push(`${nodeName(i)} → ${target(k)}`);
  }
  if (twoTier)
    for (let k = 2; k < nodes + 2; k++) labels.push(`${surrogateName(k)} → ${nodeName(k)}`);
  return labels;
}

/** Row labels for an alpha matrix as the API sends it (falls back to "edge i"). */
export function alphaRowLabels(rows: number, ops: readonly string[]): string[] {
  const twoTier = isTwoTier(ops);
  const nodes = nodesFromEdgeCount(rows, twoTier);
  return nodes ? edgeLabels(nodes, twoTier) : Array.from({ length: rows }, (_, i) => `edge ${i}`);
}

export type DiffMark = 'same' | 'added' | 'removed';

export interface BlockDiff {
  node: number;
  first: { op: Primitive; input: number; mark: DiffMark }[];
  second: { a: Primitive | null; b: Primitive | null; same: boolean };
}

/** Block-by-block diff of genotype `a` against `b` for one cell type. */
export function diffGenotypes(a: GenotypeData, b: GenotypeData, cell: CellType): BlockDiff[] {
  const blocksA = a[cell];
  const blocksB = b[cell];
  const n = Math.max(blocksA.length, blocksB.length);
  const out: BlockDiff[] = [];
  for (let i = 0; i < n; i++) {
    const ba = blocksA[i];
    const bb = blocksB[i];
    const key = (e: { op: Primitive; input: number }) => `${e.op}@${e.input}`;
    const keysA = new Set((ba?.first ?? []).map(key));
    const keysB = new Set((bb?.first ?? []).map(key));
    const first: BlockDiff['first'] = [
      ...(ba?.first ?? []).map((e) => ({
        ...e,
        mark: (keysB.has(key(e)) ? 'same' : 'removed') as DiffMark,
      })),
      ...(bb?.first ?? [])
        .filter((e) => !keysA.has(key(e)))
        .map((e) => ({ ...e, mark: 'added' as DiffMark })),
    ];
    const second = {
      a: ba?.second ?? null,
      b: bb?.second ?? null,
      same: ba?.second === bb?.second,
    };
    out.push({ node: i + 2, first, second });
  }
  return out;
}

/** How many kept ops differ between two genotypes over both cells (0 = same architecture). */
export function diffCount(a: GenotypeData, b: GenotypeData): number {
  let count = 0;
  for (const cell of CELL_TYPES) {
    for (const block of diffGenotypes(a, b, cell)) {
      count += block.first.filter((e) => e.mark !== 'same').length;
      if (!block.second.same) count++;
    }
  }
  return count;
}

/**
 * The genotype of an API answer (typed `unknown` there) when it is a valid version-1 genotype
 * (contract validateGenotype), else null: the views then show an empty state, not a crash.
 */
export function asGenotype(value: unknown): GenotypeData | null {
  if (value === null || value === undefined) return null;
  try {
    return validateGenotype(value);
  } catch {
    return null;
  }
}

/** The DARTS text form where one exists (darts-space genotypes), else null. */
export function dartsText(g: GenotypeData): string | null {
  return g.space === 'darts' ? formatDartsGenotype(g) : null;
}

/**
 * A genotype as JSON with one block per line: the same document `exportGenotype` writes, but
 * readable on screen (fully indented JSON spends four lines on every op).
 */
export function genotypeJsonText(g: GenotypeData): string {
  const fields = Object.entries(g).map(([key, value]) => {
    if (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null)) {
      const rows = value.map((v) => `    ${JSON.stringify(v)}`).join(',\n');
      return `  ${JSON.stringify(key)}: [\n${rows}\n  ]`;
    }
    return `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  });
  return `{\n${fields.join(',\n')}\n}`;
}
