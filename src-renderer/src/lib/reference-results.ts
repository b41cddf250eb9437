/**
 * Published results the Compare view sets runs beside (NOS paper, Li/Gong/Zhu, Pattern
 * Recognition 2023, Tables 2 and 3; restated in NOS-SPEC section 5). Errors in %, params in
 * millions, search cost in GPU-days. `null` where the paper prints "-".
 */

export interface ReferenceResult {
  method: string;
  benchmark: 'cifar10' | 'cifar100' | 'imagenet';
  /** Top-1 test error, %. */
  error: number;
  /** Standard deviation over runs when the paper gives one. */
  errorSd: number | null;
  paramsM: number;
  gpuDays: number | null;
  source: string;
}

const T2 = 'NOS paper, Table 2 (CIFAR)';
const T3 = 'NOS paper, Table 3 (ImageNet mobile)';

type Row = [method: string, c10: number | null, c10sd: number | null, c100: number | null, params: number, days: number | null];

const TABLE_2: Row[] = [
  ['PyramidNet (teacher)', 3.92, null, 20.11, 2.5, null],
  ['ENAS', 2.89, null, null, 4.6, 0.5],
  ['DARTS (1st order)', 3.0, 0.14, null, 3.3, 1.5],
  ['DARTS (2nd order)', 2.76, 0.09, 17.54, 3.3, 4.0],
  ['SNAS (moderate)', 2.85, 0.02, null, 2.8, 1.5],
  ['GHN', 2.84, 0.07, null, 5.7, 0.84],
  ['GDAS', 2.93, null, 18.38, 3.4, 0.84],
  ['BayesNAS', 2.81, 0.04, null, 3.4, 0.2],
  ['ASNG', 2.83, 0.14, null, 3.9, 0.11],
  ['P-DARTS', 2.5, null, 16.55, 3.4, 0.3],
  ['FairDARTS', 2.54, null, null, 2.8, 3],
  ['Random baseline (best of 30)', 3.85, null, 21.66, 2.4, null],
  ['NOS (best)', 2.53, null, 16.21, 2.6, 0.35],
  ['NOS (mean)', 2.67, 0.06, 16.72, 2.6, 0.35],
];

const TABLE_3: [string, number, number, number][] = [
  ['GHN', 27.0, 6.1, 0.84],
  ['DARTS', 26.7, 4.7, 4.0],
  ['SNAS', 27.3, 4.3, 1.5],
  ['GDAS', 26.0, 5.3, 0.84],
  ['BayesNAS', 26.5, 3.9, 0.2],
  ['P-DARTS', 24.4, 4.9, 0.3],
  ['FairDARTS', 24.4, 4.4, 3],
  ['NOS', 25.8, 4.0, 0.35],
];

function fromTable2(): ReferenceResult[] {
  const out: ReferenceResult[] = [];
  for (const [method, c10, sd, c100, paramsM, gpuDays] of TABLE_2) {
    if (c10 !== null) out.push({ method, benchmark: 'cifar10', error: c10, errorSd: sd, paramsM, gpuDays, source: T2 });
    if (c100 !== null) out.push({ method, benchmark: 'cifar100', error: c100, errorSd: null, paramsM, gpuDays, source: T2 });
  }
  return out;
}

export const REFERENCE_RESULTS: readonly ReferenceResult[] = [
  ...fromTable2(),
  ...TABLE_3.map(([method, error, paramsM, gpuDays]) => ({
    method,
    benchmark: 'imagenet' as const,
    error,
    errorSd: null,
    paramsM,
    gpuDays,
    source: T3,
  })),
];

export function referencesFor(benchmark: ReferenceResult['benchmark']): ReferenceResult[] {
  return REFERENCE_RESULTS.filter((r) => r.benchmark === benchmark);
}
