/** Order statistics for benchmark samples. Medians, not means: one GC pause must not move a figure. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return percentileOfSorted(sorted, p);
}

/** Nearest-rank on an already sorted array (p in 0..100). */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** The median; with an even count, the mean of the two middle values. Infinity sorts last. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length % 2) return sorted[mid] as number;
  const [a, b] = [sorted[mid - 1] as number, sorted[mid] as number];
  // (Infinity + Infinity) / 2 is fine; (x + Infinity) / 2 is Infinity, which is what "never" means.
  return (a + b) / 2;
}

export function max(values: readonly number[]): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > best) best = v;
  return values.length ? best : Number.NaN;
}

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Counts keyed alike (error classes, reasons), summed. */
export function sumCounts(counts: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const one of counts) for (const [k, n] of Object.entries(one)) total[k] = (total[k] ?? 0) + n;
  return total;
}
