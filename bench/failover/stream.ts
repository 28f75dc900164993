import { createHistory, type HistoryRecorder } from '../../src/testing/history';
import { within } from '../lib/time';
import type { WriteTarget } from './types';

export interface StreamOptions {
  /** Concurrent callers, each inserting one row at a time. */
  callers: number;
  /** Pause after each write: a steady rate rather than a saturating one, on a 2-core machine. */
  pauseMs: number;
}

/** A steady stream of single-row inserts with unique ids, every outcome recorded in a history. */
export interface WriteStream {
  readonly history: HistoryRecorder;
  /** Up to `limit` of the most recent ids acknowledged after `t`. */
  ackedAfter(t: number, limit: number): number[];
  /** Stops issuing writes; waits up to `graceMs` for those in flight (a hung one stays pending). */
  stop(graceMs: number): Promise<void>;
}

export function startStream(target: WriteTarget, options: StreamOptions): WriteStream {
  const history = createHistory();
  const acks: { id: number; at: number }[] = [];
  let next = 1;
  let running = true;

  const caller = async () => {
    while (running) {
      const id = next++;
      // Only failover-pool says "certainly not applied" (its errors other than
      // WriteOutcomeUnknownError, told by their codes); any other error may hide an applied
      // write, and the checker reports how each such write actually ended.
      await history.attempt(id, async () => {
        await target.insert(id);
        acks.push({ id, at: performance.now() });
      });
      if (running && options.pauseMs > 0)
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const callers = Array.from({ length: options.callers }, caller);

  return {
    history,
    ackedAfter(t, limit) {
      const found: number[] = [];
      for (let i = acks.length - 1; i >= 0 && found.length < limit; i--) {
        const ack = acks[i] as { id: number; at: number };
        if (ack.at <= t) break;
        found.push(ack.id);
      }
      return found;
    },
    async stop(graceMs) {
      running = false;
      await within(Promise.all(callers), graceMs, []);
    },
  };
}
