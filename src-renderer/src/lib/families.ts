/** Colours of the op families (contract primitives.ts), shared by heatmaps, graphs and legends. */
import { familyOf, type OpFamily, type Primitive } from '@contract';

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

export function opColor(op: Primitive): string {
  return FAMILY_COLORS[familyOf(op)];
}
