/**
 * Lays out a cell graph with ELK's layered algorithm (left to right, orthogonal edges). Uses
 * elkjs's bundled build, which runs in the page without a web-worker URL (the CSP allows no
 * worker source) and under Node for tests.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { CellGraph, CellGraphEdge, CellGraphNode } from './cell-graph';

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode extends CellGraphNode {
  x: number;
  y: number;
}

export interface PlacedEdge extends CellGraphEdge {
  points: Point[];
}

export interface CellLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

const elk = new ELK();

export const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '28',
  'elk.spacing.nodeNode': '12',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.padding': '[top=12,left=12,bottom=12,right=12]',
};

export async function layoutCell(graph: CellGraph): Promise<CellLayout> {
  const input: ElkNode = {
    id: `cell-${graph.cell}`,
    layoutOptions: LAYOUT_OPTIONS,
    children: graph.nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
    edges: graph.edges.map((e): ElkExtendedEdge => ({
      id: e.id,
      sources: [e.source],
      targets: [e.target],
    })),
  };
  const out = await elk.layout(input);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const edgeById = new Map(graph.edges.map((e) => [e.id, e]));
  const nodes: PlacedNode[] = (out.children ?? []).map((c) => ({
    ...byId.get(c.id)!,
    x: c.x ?? 0,
    y: c.y ?? 0,
  }));
  const edges: PlacedEdge[] = (out.edges ?? []).map((e) => {
    const section = e.sections?.[0];
    const points = section
      ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]
      : [];
    return { ...edgeById.get(e.id)!, points };
  });
  return { width: out.width ?? 0, height: out.height ?? 0, nodes, edges };
}

/** An SVG path through the points, for a routed edge. */
export function edgePath(points: Point[]): string {
  return points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
    .join(' ');
}
