import { createHistory, type HistoryRecorder } from '../../src/testing/history';
import { builtRoot } from '../lib/built-package';
import { within } from '../lib/time';
import type { WriteTarget } from './types';

// The classes the built pools throw (src/core/errors.ts has look-alikes that `instanceof` would miss,
// and every failover-pool error would then count as of unknown outcome).
const { FailoverPoolError, WriteOutcomeUnknownError } = await builtRoot();

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
      const op = history.begin(id);
      try {
        await target.insert(id);
        op.ok();
        acks.push({ id, at: performance.now() });
      } catch (error) {
        // Only failover-pool says "certainly not applied" (its FailoverPoolErrors other than
        // WriteOutcomeUnknownError); any other error may hide an applied write, and the checker
        // reports how each such write actually ended.
        if (error instanceof FailoverPoolError && !(error instanceof WriteOutcomeUnknownError))
          op.fail(error);
        else op.unknown(error);
      }
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
