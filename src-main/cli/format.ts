/** Plain-text tables, numbers and genotypes for the terminal. */
import type { Genotype } from '../contract/genotype';

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(headers: string[], rows: (string | number | null)[][]): string {
  const cells = rows.map((row) => row.map((c) => (c === null ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const numeric = headers.map((_, i) =>
    rows.every((r) => r[i] === null || typeof r[i] === 'number'),
  );
  const render = (row: string[]) =>
    row
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [render(headers), render(widths.map((w) => '-'.repeat(w))), ...cells.map(render)].join(
    '\n',
  );
}

/** 75 s -> "1m15s", 3700 s -> "1h01m". */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function fixed(value: number | null, digits = 2): string | null {
  return value === null ? null : value.toFixed(digits);
}

export function bytes(n: number | null): string {
  if (n === null) return '-';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

/** Name of a cell node as the genotype numbers it: 0 and 1 are the cell inputs. */
function nodeName(input: number): string {
  return input === 0 ? 'c[k-2]' : input === 1 ? 'c[k-1]' : `node ${input}`;
}

/**
 * A genotype for people, one line per block: its two first-tier (op, input) pairs and, in the
 * NOS spaces, the second-tier op on their sum, e.g.
 * `node 2 = sep_conv_3x3(c[k-1]) + skip_connect(c[k-2]) -> spatial_attention`.
 */
export function describeGenotype(genotype: Genotype): string[] {
  const lines: string[] = [`space ${genotype.space}`];
  for (const cell of ['normal', 'reduce'] as const) {
    lines.push(`${cell} cell:`);
    genotype[cell].forEach((block, j) => {
      const first = block.first.map((e) => `${e.op}(${nodeName(e.input)})`).join(' + ');
      const second = block.second ? ` -> ${block.second}` : '';
      lines.push(`  node ${j + 2} = ${first}${second}`);
    });
  }
  lines.push(`output: concatenation of ${genotype.concat.map(nodeName).join(', ')}`);
  return lines;
}
