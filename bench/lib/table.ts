/** A plain fixed-width table for the terminal (and for docs/benchmarks.md as Markdown). */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Milliseconds for people: "never (>30 s)" for Infinity, one decimal under 10 ms. */
export function formatMs(ms: number | undefined, neverAfterMs?: number): string {
  if (ms === undefined || Number.isNaN(ms)) return 'n/a';
  if (ms === Number.POSITIVE_INFINITY) {
    return neverAfterMs === undefined ? 'never' : `never (>${Math.round(neverAfterMs / 1000)} s)`;
  }
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
