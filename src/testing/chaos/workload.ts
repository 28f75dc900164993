/**
 * Writes through the app's pool at a steady rate, each with a unique id, every outcome recorded in
 * a history for the checker. Open loop, as requests reach a web app: new writes keep arriving while
 * earlier ones hang, so the outage measured is the app's, not that of a few stuck callers.
 */
import type { FailoverPoolErrorCode } from '../../core/errors';
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
   * the writes still under way then are left without an outcome (hung).
   */
  stop(graceMs: number): Promise<void>;
}

/** failover-pool's error codes that say the write was not applied (all but WRITE_OUTCOME_UNKNOWN). */
const NOT_APPLIED = new Set<FailoverPoolErrorCode>([
  'CONFIG',
  'NO_PRIMARY',
  'SPLIT_BRAIN',
  'CLUSTER_MISMATCH',
  'NODE_UNAVAILABLE',
  'POOL_ENDED',
]);

/**
 * Default outcome of a failed write: failover-pool's own errors say nothing was applied, except
 * WriteOutcomeUnknownError; anything else (a timeout, a driver error) may have been applied. By
 * code rather than class: a bundle may hold two copies of the error classes.
 */
export function defaultOutcomeOf(error: unknown): 'fail' | 'unknown' {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NOT_APPLIED.has(code as FailoverPoolErrorCode) ? 'fail' : 'unknown';
}

/** The class an error is counted under: its code, else its class name, with the message for plain Errors. */
export function errorName(error: unknown): string {
  const name = errorClassOf(error);
  if (name !== 'Error' || !(error instanceof Error)) return name;
  return `Error: ${error.message.length > 40 ? `${error.message.slice(0, 40)}...` : error.message}`;
}

export function startWriters<Pool>(
  pool: Pool,
  workload: ChaosWorkload<Pool>,
  options: WriterOptions = {},
): Writers {
  const history = createHistory();
  const outcomeOf = workload.outcomeOf ?? defaultOutcomeOf;
  const ratePerSec = options.ratePerSec ?? 200;
  const maxInFlight = options.maxInFlight ?? 500;
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
    const op = history.begin(id);
    try {
      await workload.write(pool, id);
      op.ok();
    } catch (error) {
      if (outcomeOf(error) === 'fail') op.fail(error);
      else op.unknown(error);
    }
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
    },
  };
}
