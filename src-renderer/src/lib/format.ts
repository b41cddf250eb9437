/** Number and time formatting shared by tables, cards and charts. Pure functions. */

const DASH = '—';

/** 1536 -> "1.5 KiB"; binary units because memory limits (the 4 GiB wasm heap) are binary. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return DASH;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${bytes < 0 ? '-' : ''}${value.toFixed(digits)} ${units[unit]}`;
}

/** Seconds -> "2h 05m", "4m 09s", "12s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return DASH;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** A fraction or a percentage value -> "2.53 %". `isFraction` says which one it is. */
export function formatPercent(
  value: number | null | undefined,
  isFraction = false,
  digits = 2,
): string {
  if (value == null || !Number.isFinite(value)) return DASH;
  return `${(isFraction ? value * 100 : value).toFixed(digits)} %`;
}

/** Parameter count -> "2.61 M", "48.2 k", "512". */
export function formatParams(count: number | null | undefined): string {
  if (count == null || !Number.isFinite(count)) return DASH;
  if (count >= 1e6) return `${(count / 1e6).toFixed(2)} M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)} k`;
  return String(Math.round(count));
}

/** A number for a metric readout: 4 significant digits, exponent form for tiny or huge values. */
export function formatMetric(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return DASH;
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}

/** ISO timestamp -> "2026-12-03 21:34" in local time. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Splits "a, b  c" into unique trimmed tags. */
export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[,\s]+/)
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

/**
 * A run's summary (free-form numbers each job reports) as readable rows: "searchTop1" and
 * "top1_error_mean" become "search top-1" and "top-1 error mean"; accuracies (fractions, as the
 * search jobs report them) and errors (percent) read as percentages; counts as counts. Empty
 * values are left out rather than shown as dashes.
 */
export function summaryRows(
  summary: Record<string, number | string | null>,
): { key: string; label: string; value: string }[] {
  return Object.entries(summary).flatMap(([key, value]) => {
    if (value === null || value === '') return [];
    const label = key
      .replace(/([a-z])([A-Z0-9])/g, '$1 $2')
      .replace(/_/g, ' ')
      .toLowerCase()
      .replace(/\btop ?([15])\b/g, 'top-$1')
      .replace(/\bmult adds\b/, 'mult-adds')
      .replace(/\bn$/, 'runs');
    return [{ key, label, value: formatSummaryValue(key, value) }];
  });
}

function formatSummaryValue(key: string, value: number | string): string {
  if (typeof value === 'string') return value;
  if (/_n$/.test(key)) return String(value); // how many runs a statistic is over
  if (/error/i.test(key)) return formatPercent(value);
  if (/top[15]$/i.test(key)) return formatPercent(value, true);
  if (/params|mult_?adds/i.test(key)) return formatParams(value);
  return formatMetric(value);
}
