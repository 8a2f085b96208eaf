/** Nearest-rank percentile of an ascending-sorted list. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    mean: s.length ? sum / s.length : NaN,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1] : NaN,
  };
}

/** Prints rows (arrays of cells) as an aligned plain-text table; numbers are right-aligned. */
export function printTable(header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c)));
  const width = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const numeric = header.map((_, i) =>
    rows.every((r) => typeof r[i] === 'number' || /^[\d.,x%-]+$/.test(String(r[i]))),
  );
  const line = (r) => r.map((c, i) => (numeric[i] ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ');
  console.log(line(cells[0]));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

export const fmt = {
  ms: (v) => v.toFixed(2),
  int: (v) => Math.round(v).toLocaleString('en-US'),
  rate: (v) => Math.round(v).toLocaleString('en-US'),
};
