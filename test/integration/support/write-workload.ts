import { findFailoverError } from '../../../src/core/find-error';
import { createHistory, type HistoryRecorder } from '../../../src/testing/history';
import { settled } from './wait';

/** Anything with pg.Pool's `query`: our pool, or a raw pg.Pool for comparison. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface Workload {
  readonly history: HistoryRecorder;
  /** Error class name (our `code`, or the driver's) -> count. */
  readonly errors: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * A steady stream of single-row inserts with unique ids, from `concurrency` callers, recording
 * each outcome in a history: ok (acknowledged), fail (certainly not applied: NoPrimaryError and
 * the like), unknown (WriteOutcomeUnknownError, or any other error, which the test then flags).
 */
export function startWrites(
  pool: Queryable,
  options: { table?: string; concurrency?: number; pauseMs?: number } = {},
): Workload {
  const table = options.table ?? 'writes';
  const history = createHistory();
  let next = 1;
  let running = true;

  const worker = async () => {
    while (running) {
      const id = next++;
      await history.attempt(id, () => pool.query(`INSERT INTO ${table}(id) VALUES ($1)`, [id]));
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const workers = Array.from({ length: options.concurrency ?? 4 }, worker);
  return {
    history,
    get errors() {
      const counts = new Map<string, number>();
      for (const { error } of history.ops()) {
        if (error === undefined) continue;
        const name = findFailoverError(error)?.code ?? (error as { code?: string }).code ?? 'other';
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      return counts;
    },
    async stop() {
      running = false;
      await settled('the writers to finish their last writes', Promise.all(workers));
    },
  };
}

/**
 * The write outage around a fault, from the acknowledged writes. With `writableAt` (when the new
 * primary became writable): from the last acknowledged write before that moment to the first one
 * after it, and separately from `writableAt` to that first one. Without it (a planned switchover,
 * where the harness does not say): the longest gap between acknowledged writes after `faultAt`.
 */
export function outageAround(history: HistoryRecorder, faultAt: number, writableAt?: number) {
  const oks = history
    .ops()
    .filter((op) => op.outcome === 'ok' && op.end !== undefined)
    .map((op) => op.end as number)
    .sort((a, b) => a - b);
  if (writableAt === undefined) {
    let longest = 0;
    for (let i = 1; i < oks.length; i++) {
      const [previous, current] = [oks[i - 1] as number, oks[i] as number];
      if (current > faultAt) longest = Math.max(longest, current - Math.max(previous, faultAt - 1000));
    }
    return { outageMs: round(longest) };
  }
  const lastBefore = oks.filter((t) => t <= writableAt).at(-1);
  const firstAfter = oks.find((t) => t > writableAt);
  return {
    outageMs:
      lastBefore !== undefined && firstAfter !== undefined ? round(firstAfter - lastBefore) : undefined,
    fromWritableMs: firstAfter !== undefined ? round(firstAfter - writableAt) : undefined,
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
