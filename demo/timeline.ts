/** How the demo prints: each line stamped with the seconds since it started, and a live throughput bar. */
import type { HistoryRecorder } from '../src/testing';

const BUCKET_MS = 250;
const started = performance.now();

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `  2.05s  text`, stamped `time` (default: now). */
export function say(text: string, time = performance.now()): void {
  console.log(`  ${`${((time - started) / 1000).toFixed(2)}s`.padStart(6)}  ${text}`);
}

/** Prints orders per second every BUCKET_MS as a small bar chart, between the events. */
export function startTicker(history: HistoryRecorder): { stop(): void } {
  let from = performance.now();
  const timer = setInterval(() => {
    const to = performance.now();
    const count = history
      .ops()
      .filter((op) => op.outcome === 'ok' && (op.end as number) > from && (op.end as number) <= to).length;
    const perSecond = Math.round((count * 1000) / (to - from));
    say(`${'#'.repeat(Math.min(50, Math.round(perSecond / 100))).padEnd(50)} ${perSecond} orders/s`, to);
    from = to;
  }, BUCKET_MS);
  return { stop: () => clearInterval(timer) };
}
