import type { Clock } from '../clock';
import type { RunSql } from '../dialect';
import type { NodeView } from '../node';
import type { NodeOperations } from '../node-operations';

/** Beyond `reads.causalWaitMs`, how long the server's own bounded wait may take to answer. */
const SERVER_ANSWER_GRACE_MS = 1_000;

/**
 * How a read's wait for a causal token ended on its replica: `reached` (read there now), `ran-out`
 * (the server said the time was up: the primary reads it), or `stuck` (no answer in time: the
 * connection is given up, and the primary reads it).
 */
export type CausalWaitOutcome = 'reached' | 'ran-out' | 'stuck';

/**
 * Waits until `replica` holds `position`, for at most `timeoutMs`. A replica waits for the position
 * itself (NodeOperations.waitForPosition). A Galera member has no position of its own to wait for:
 * it waits until it has applied every transaction the group had committed when the wait began
 * (`wsrep_sync_wait`), which covers every write acknowledged before the token was taken. Galera
 * bounds that wait by its provider's `repl.causal_read_timeout` (30 s by default), not by the
 * statement, so the bound is kept here, on the client: past it the caller gives the connection up.
 */
export function waitForCausalPosition(
  operations: NodeOperations,
  run: RunSql,
  replica: NodeView,
  position: string,
  timeoutMs: number,
  clock: Clock,
): Promise<CausalWaitOutcome> {
  const waiting =
    replica.galera && operations.waitForGroupCommits
      ? operations.waitForGroupCommits(run)
      : operations.waitForPosition(run, position, timeoutMs);
  return new Promise((resolve, reject) => {
    const cancel = clock.setTimer(() => resolve('stuck'), timeoutMs + SERVER_ANSWER_GRACE_MS, true);
    waiting.then(
      (reached) => {
        cancel();
        resolve(reached ? 'reached' : 'ran-out');
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}
