/**
 * The NOS search space declared once, as data (paper section 2.1; NOS-SPEC section 1).
 * Primitive names follow the DARTS code base so genotypes read the same in both.
 */

export const FEATURE_PRIMITIVES = [
  'sep_conv_3x3',
  'sep_conv_5x5',
  'dil_conv_3x3',
  'dil_conv_5x5',
  'avg_pool_3x3',
  'max_pool_3x3',
  'skip_connect',
] as const;

export const ATTENTION_PRIMITIVES = ['spatial_attention', 'channel_attention'] as const;

export const DYNAMIC_PRIMITIVES = ['dynamic_conv_3x3', 'dynamic_conv_5x5'] as const;

/** Dilated dynamic convolutions: only for the operation study (excluded from the NOS space). */
export const DILATED_DYNAMIC_PRIMITIVES = ['dil_dynamic_conv_3x3', 'dil_dynamic_conv_5x5'] as const;

/** `none` (the zero op) exists only in the DARTS space. */
export const NONE_PRIMITIVE = 'none' as const;

export const PRIMITIVES = [
  NONE_PRIMITIVE,
  ...FEATURE_PRIMITIVES,
  ...ATTENTION_PRIMITIVES,
  ...DYNAMIC_PRIMITIVES,
  ...DILATED_DYNAMIC_PRIMITIVES,
] as const;

export type Primitive = (typeof PRIMITIVES)[number];

export type OpFamily = 'none' | 'feature' | 'attention' | 'dynamic';

export function familyOf(p: Primitive): OpFamily {
  if (p === NONE_PRIMITIVE) return 'none';
  if ((FEATURE_PRIMITIVES as readonly string[]).includes(p)) return 'feature';
  if ((ATTENTION_PRIMITIVES as readonly string[]).includes(p)) return 'attention';
  return 'dynamic';
}

/** Parameter-free primitives: the ones that take over when a search collapses. */
export const PARAM_FREE_PRIMITIVES: readonly Primitive[] = [
  'none',
  'avg_pool_3x3',
  'max_pool_3x3',
  'skip_connect',
];

export const SEARCH_SPACE_NAMES = ['nos', 'darts', 'feature+attention', 'feature+dynamic'] as const;
export type SearchSpaceName = (typeof SEARCH_SPACE_NAMES)[number];

/** The ordered candidate list of each search space: the column order of its alpha matrices. */
export const SEARCH_SPACES: Readonly<Record<SearchSpaceName, readonly Primitive[]>> = {
  nos: [...FEATURE_PRIMITIVES, ...ATTENTION_PRIMITIVES, ...DYNAMIC_PRIMITIVES],
  darts: [NONE_PRIMITIVE, ...FEATURE_PRIMITIVES],
  'feature+attention': [...FEATURE_PRIMITIVES, ...ATTENTION_PRIMITIVES],
  'feature+dynamic': [...FEATURE_PRIMITIVES, ...DYNAMIC_PRIMITIVES],
};

export const BACKEND_NAMES = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
