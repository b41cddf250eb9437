/**
 * A cell of a genotype as a graph to lay out (NOS-SPEC section 2): the two cell inputs, for each
 * inner node its first-tier op boxes (one per kept input) feeding the surrogate node k', the
 * second-tier op box on k', the node itself, and the output that concatenates the inner nodes.
 * Ops are nodes of their own so both tiers stay visible and each op can carry its family colour
 * and alpha weight. Pure: no layout, no DOM.
 */
import { familyOf, type OpFamily, type Primitive } from '@contract';
import type { GenotypeData } from '../api/types';
import { nodeName, surrogateName, type CellType } from '../lib/genotype';

export type GraphNodeKind = 'input' | 'op' | 'surrogate' | 'node' | 'output';

export interface CellGraphNode {
  id: string;
  kind: GraphNodeKind;
  label: string;
  width: number;
  height: number;
  op?: Primitive;
  family?: OpFamily;
  tier?: 1 | 2;
  /** Softmax weight of this op on its edge at the shown epoch, when alphas are known. */
  alpha?: number;
}

export interface CellGraphEdge {
  id: string;
  source: string;
  target: string;
  /** Edges into the output are the concatenation, drawn dashed. */
  concat?: boolean;
}

export interface CellGraph {
  cell: CellType;
  nodes: CellGraphNode[];
  edges: CellGraphEdge[];
}

/** Alphas to annotate ops with: rows in `edgeLabels` order, columns in `ops` order. */
export interface AlphaLookup {
  ops: readonly string[];
  matrix: number[][];
}

const CHAR_W = 6.4;

function box(id: string, kind: GraphNodeKind, label: string): CellGraphNode {
  const round = kind === 'surrogate';
  const width = round ? 34 : Math.max(44, Math.ceil(label.length * CHAR_W) + 18);
  return { id, kind, label, width, height: round ? 34 : kind === 'op' ? 24 : 30 };
}

/** Row of the alpha matrix for the first-tier edge input -> k' of inner node k. */
export function firstTierRow(k: number, input: number): number {
  let offset = 0;
  for (let j = 2; j < k; j++) offset += j;
  return offset + input;
}

/** Row of the alpha matrix for the second-tier edge of inner node k in a cell of `nodes`. */
export function secondTierRow(k: number, nodes: number): number {
  return firstTierRow(nodes + 2, 0) + (k - 2);
}

function alphaAt(alphas: AlphaLookup | undefined, row: number, op: Primitive): number | undefined {
  if (!alphas) return undefined;
  const col = alphas.ops.indexOf(op);
  const value = alphas.matrix[row]?.[col];
  return typeof value === 'number' ? value : undefined;
}

export function buildCellGraph(g: GenotypeData, cell: CellType, alphas?: AlphaLookup): CellGraph {
  const blocks = g[cell];
  const nodes: CellGraphNode[] = [
    box('in0', 'input', nodeName(0)),
    box('in1', 'input', nodeName(1)),
  ];
  const edges: CellGraphEdge[] = [];
  const idOf = (index: number) => (index < 2 ? `in${index}` : `n${index}`);

  blocks.forEach((block, b) => {
    const k = b + 2;
    // Without a second tier (DARTS space) the first-tier ops feed the node directly.
    const sink = block.second ? `s${k}` : idOf(k);
    if (block.second) nodes.push(box(sink, 'surrogate', surrogateName(k)));
    block.first.forEach((e, j) => {
      const id = `op${k}_${j}`;
      const alpha = alphaAt(alphas, firstTierRow(k, e.input), e.op);
      nodes.push({ ...box(id, 'op', e.op), op: e.op, family: familyOf(e.op), tier: 1, alpha });
      edges.push({ id: `e_${idOf(e.input)}_${id}`, source: idOf(e.input), target: id });
      edges.push({ id: `e_${id}_${sink}`, source: id, target: sink });
    });
    nodes.push(box(idOf(k), 'node', nodeName(k)));
    if (block.second) {
      const second = `op${k}_t2`;
      const alpha = alphaAt(alphas, secondTierRow(k, blocks.length), block.second);
      nodes.push({
        ...box(second, 'op', block.second),
        op: block.second,
        family: familyOf(block.second),
        tier: 2,
        alpha,
      });
      edges.push({ id: `e_${sink}_${second}`, source: sink, target: second });
      edges.push({ id: `e_${second}_${idOf(k)}`, source: second, target: idOf(k) });
    }
    if (g.concat.includes(k))
      edges.push({ id: `e_${idOf(k)}_out`, source: idOf(k), target: 'out', concat: true });
  });

  nodes.push(box('out', 'output', 'c_{k} (concat)'));
  return { cell, nodes, edges };
}
