import { describe, expect, it } from 'vitest';
import {
  buildCellGraph,
  firstTierRow,
  secondTierRow,
} from '../../../src-renderer/src/graph/cell-graph';
import { edgePath, layoutCell } from '../../../src-renderer/src/graph/layout';
import { edgeLabels } from '../../../src-renderer/src/lib/genotype';
import { GENOTYPE_A, GENOTYPE_DARTS } from './fixtures';

describe('buildCellGraph', () => {
  it('has 2 inputs, per block 2 first-tier ops, a surrogate, a second-tier op and the node, and 1 output', () => {
    const g = buildCellGraph(GENOTYPE_A, 'normal');
    const count = (kind: string) => g.nodes.filter((n) => n.kind === kind).length;
    expect(count('input')).toBe(2);
    expect(count('surrogate')).toBe(4);
    expect(count('node')).toBe(4);
    expect(count('output')).toBe(1);
    expect(g.nodes.filter((n) => n.tier === 1)).toHaveLength(8);
    expect(g.nodes.filter((n) => n.tier === 2)).toHaveLength(4);
  });

  it('colours ops by family and links inputs to the right block', () => {
    const g = buildCellGraph(GENOTYPE_A, 'normal');
    const att = g.nodes.find((n) => n.op === 'spatial_attention');
    expect(att?.family).toBe('attention');
    expect(g.edges.some((e) => e.source === 'in1' && e.target === att?.id)).toBe(true);
    expect(g.edges.filter((e) => e.concat)).toHaveLength(4);
  });

  it('draws a DARTS-space cell without surrogates: first-tier ops feed the node', () => {
    const g = buildCellGraph(GENOTYPE_DARTS, 'normal');
    expect(g.nodes.filter((n) => n.kind === 'surrogate')).toHaveLength(0);
    expect(g.nodes.filter((n) => n.tier === 2)).toHaveLength(0);
    expect(g.edges.some((e) => e.source === 'op2_0' && e.target === 'n2')).toBe(true);
  });

  it('reads alpha rows in the order of the edge labels', () => {
    const labels = edgeLabels(4);
    expect(labels[firstTierRow(3, 2)]).toBe("n2 → n3'");
    expect(labels[secondTierRow(5, 4)]).toBe("n5' → n5");
  });

  it('annotates each op with its softmax weight when alphas are given', () => {
    const ops = ['sep_conv_3x3', 'spatial_attention', 'channel_attention'] as const;
    const matrix = Array.from({ length: 18 }, (_, r) => [r / 100, 0.5, 0.25]);
    const g = buildCellGraph(GENOTYPE_A, 'normal', { ops, matrix });
    const first = g.nodes.find((n) => n.id === 'op2_0');
    expect(first?.alpha).toBe(0); // row 0 = c_{k-2} -> n2', column sep_conv_3x3
    const second = g.nodes.find((n) => n.id === 'op2_t2');
    expect(second?.alpha).toBe(0.25); // channel_attention on the second tier of n2
    const missing = g.nodes.find((n) => n.op === 'dil_conv_3x3');
    expect(missing?.alpha).toBeUndefined(); // not a column of this matrix
  });
});

describe('layoutCell', () => {
  it('places every node inside the drawing and routes every edge left to right', async () => {
    const graph = buildCellGraph(GENOTYPE_A, 'reduce');
    const layout = await layoutCell(graph);
    expect(layout.nodes).toHaveLength(graph.nodes.length);
    expect(layout.edges).toHaveLength(graph.edges.length);
    for (const n of layout.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.x + n.width).toBeLessThanOrEqual(layout.width);
      expect(n.y + n.height).toBeLessThanOrEqual(layout.height);
    }
    const x = (id: string) => layout.nodes.find((n) => n.id === id)!.x;
    expect(x('in0')).toBeLessThan(x('s2'));
    expect(x('s2')).toBeLessThan(x('n2'));
    expect(x('n5')).toBeLessThan(x('out'));
    for (const e of layout.edges) expect(e.points.length).toBeGreaterThanOrEqual(2);
  });

  it('writes an SVG path through the points', () => {
    expect(
      edgePath([
        { x: 0, y: 1 },
        { x: 2.5, y: 1 },
        { x: 2.5, y: 8 },
      ]),
    ).toBe('M0.0,1.0 L2.5,1.0 L2.5,8.0');
  });
});
