import { percentileOfSorted } from '../lib/stats';

/** The app's new connections on the new primary around a promotion, times relative to the promotion. */
export interface Storm {
  readonly total: number;
  /** Most arrivals within any 1 s, and within any 100 ms. */
  readonly peakPerSecond: number;
  readonly peakPer100Ms: number;
  /** ms after the promotion: the first arrival, half of them, 90 %, the last. */
  readonly firstMs: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly lastMs: number;
}

/** Most of the sorted `times` that fall within any window of `widthMs` (two pointers). */
function densest(times: readonly number[], widthMs: number): number {
  let best = 0;
  for (let end = 0, start = 0; end < times.length; end++) {
    while ((times[end] as number) - (times[start] as number) >= widthMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Arrivals from the fault to `untilMs` after the promotion, sorted epoch ms. */
export function analyseStorm(
  arrivals: readonly number[],
  faultAt: number,
  promotedAt: number,
  untilMs: number,
): Storm {
  const times = arrivals.filter((t) => t >= faultAt && t <= promotedAt + untilMs).sort((a, b) => a - b);
  const rel = (p: number) => percentileOfSorted(times, p) - promotedAt;
  return {
    total: times.length,
    peakPerSecond: densest(times, 1_000),
    peakPer100Ms: densest(times, 100),
    firstMs: (times[0] ?? Number.NaN) - promotedAt,
    medianMs: rel(50),
    p90Ms: rel(90),
    lastMs: (times.at(-1) ?? Number.NaN) - promotedAt,
  };
}
