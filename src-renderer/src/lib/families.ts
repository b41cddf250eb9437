/** Colours of the op families (contract primitives.ts), shared by heatmaps, graphs and legends. */
import { PRIMITIVES, familyOf, type OpFamily, type Primitive } from '@contract';

export const FAMILY_COLORS: Readonly<Record<OpFamily, string>> = {
  feature: '#3c6fc4',
  attention: '#d9822b',
  dynamic: '#2f9e6e',
  none: '#8a94a3',
};

export const FAMILY_LABELS: Readonly<Record<OpFamily, string>> = {
  feature: 'feature transformation',
  attention: 'attention learning',
  dynamic: 'dynamic convolution',
  none: 'zero (none)',
};

/** Family of an op name as the API sends it (a string); unknown names count as 'none'. */
export function familyOfName(op: string): OpFamily {
  return (PRIMITIVES as readonly string[]).includes(op) ? familyOf(op as Primitive) : 'none';
}

export function opColor(op: string): string {
  return FAMILY_COLORS[familyOfName(op)];
}
