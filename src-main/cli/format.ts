/** Plain-text tables and numbers for the terminal. */

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(headers: string[], rows: (string | number | null)[][]): string {
  const cells = rows.map((row) => row.map((c) => (c === null ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const numeric = headers.map((_, i) => rows.every((r) => r[i] === null || typeof r[i] === 'number'));
  const render = (row: string[]) =>
    row
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [render(headers), render(widths.map((w) => '-'.repeat(w))), ...cells.map(render)].join('\n');
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
