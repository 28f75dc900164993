/**
 * Writes through the app's pool at a steady rate, each with a unique id, every outcome recorded in
 * a history for the checker. Open loop, as requests reach a web app: new writes keep arriving while
 * earlier ones hang, so the outage measured is the app's, not that of a few stuck callers.
 */
import { createHistory, errorClassOf, type HistoryRecorder } from '../history';
import { settlesWithin } from './settles-within';
import type { ChaosWorkload } from './types';

export interface WriterOptions {
  /** Writes started per second. Default 200. */
  ratePerSec?: number;
  /** Writes under way at most; at the limit, new ones wait (the app's back-pressure). Default 500. */
  maxInFlight?: number;
}

export interface Writers {
  readonly history: HistoryRecorder;
  /**
   * Stops issuing writes; resolves when every write under way has ended, or after `graceMs`:
   * the writes still under way then are hung. Resolves with how many those are (what ends them
   * later, such as closing the pool, does not make them any less hung).
   */
  stop(graceMs: number): Promise<number>;
}

/** The class an error is counted under: its code, else its class name, with the message for plain Errors. */
export function errorName(error: unknown): string {
  const name = errorClassOf(error);
  if (name !== 'Error' || !(error instanceof Error)) return name;
  return `Error: ${error.message.length > 40 ? `${error.message.slice(0, 40)}...` : error.message}`;
}

/** Writes through `pools` (one per app instance) in turn. */
export function startWriters<Pool>(
  pools: readonly Pool[],
  workload: ChaosWorkload<Pool>,
  options: WriterOptions = {},
): Writers {
  const history = createHistory();
  const ratePerSec = options.ratePerSec ?? 200;
  const maxInFlight = options.maxInFlight ?? 500;
  if (pools.length === 0) throw new RangeError('startWriters needs at least one pool.');
  if (!(ratePerSec > 0) || !(maxInFlight >= 1)) {
    throw new RangeError(
      `ratePerSec and maxInFlight must be positive, got ${ratePerSec} and ${maxInFlight}.`,
    );
  }
  const intervalMs = 1000 / ratePerSec;
  const inFlight = new Set<Promise<void>>();
  let next = 1;
  let running = true;

  const writeOne = async (id: number): Promise<void> => {
    const pool = pools[id % pools.length] as Pool;
    await history.attempt(id, () => workload.write(pool, id), { outcomeOf: workload.outcomeOf });
  };
  const loop = (async () => {
    let due = performance.now();
    while (running) {
      if (inFlight.size < maxInFlight) {
        const write = writeOne(next++).finally(() => inFlight.delete(write));
        inFlight.add(write);
      } else {
        await Promise.race(inFlight);
      }
      // Catch up after a slow tick, but never in a burst of more than a few writes.
      due = Math.max(due + intervalMs, performance.now() - 5 * intervalMs);
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    history,
    async stop(graceMs) {
      running = false;
      await loop;
      await settlesWithin(Promise.all(inFlight), graceMs);
      return inFlight.size;
    },
  };
}
