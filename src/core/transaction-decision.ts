import type { TransactionRetryReason } from './events';
import type { FailureKind } from './retry';
import type { TransactionConflict } from './transaction-dialect';

/**
 * The decision table of `pool.transaction`: where an attempt failed, why, and whether the
 * transaction has an idempotency key, decide between running the function again, resolving an
 * unknown commit, and handing the error to the caller. Pure, so it is tested case by case
 * (test/unit/transaction-decision.test.ts) apart from the I/O around it.
 */

/** `before-commit`: anything up to the COMMIT statement being sent; `commit`: the COMMIT itself. */
export type AttemptStage = 'before-commit' | 'commit';

/** Why an attempt did not commit. */
export type AttemptFailure =
  /** The database rolled the transaction back to settle a conflict. */
  | {
      readonly stage: AttemptStage;
      readonly cause: 'conflict';
      readonly conflict: TransactionConflict;
      readonly error: unknown;
    }
  /** The node or the connection failed (the engine's classification; never 'application'). */
  | {
      readonly stage: AttemptStage;
      readonly cause: 'node';
      readonly kind: Exclude<FailureKind, 'application'>;
      readonly error: unknown;
    }
  /** The function's own error, an application error of the database, or a COMMIT that rolled back. */
  | { readonly stage: AttemptStage; readonly cause: 'application'; readonly error: unknown }
  /** The key's INSERT met the same key, committed by another transaction meanwhile. */
  | { readonly stage: 'before-commit'; readonly cause: 'key-exists'; readonly error: unknown }
  /** The key's INSERT found no idempotency table on this node (lost in a failover, or dropped). */
  | { readonly stage: 'before-commit'; readonly cause: 'table-missing'; readonly error: unknown };

export type TransactionDecision =
  /** Certainly not committed: roll back (if anything is left to roll back) and run the function again. */
  | { readonly action: 'rerun'; readonly reason: TransactionRetryReason }
  /** The COMMIT's outcome is unknown and the key can tell: look it up, run again only if absent. */
  | { readonly action: 'resolve' }
  /** The COMMIT's outcome is unknown and nothing can tell: CommitOutcomeUnknownError. */
  | { readonly action: 'commit-unknown' }
  /** Hand the error to the caller unchanged (nothing was committed). */
  | { readonly action: 'surface' };

export function decideTransactionFailure(failure: AttemptFailure, hasKey: boolean): TransactionDecision {
  switch (failure.cause) {
    case 'application':
      return { action: 'surface' };
    case 'conflict':
      return { action: 'rerun', reason: failure.conflict };
    case 'key-exists':
      // The lookup before the re-run finds the key and returns its stored result.
      return { action: 'rerun', reason: 'idempotency-key-exists' };
    case 'table-missing':
      return { action: 'rerun', reason: 'idempotency-table-missing' };
    case 'node':
      return decideNodeFailure(failure.stage, failure.kind, hasKey);
  }
}

function decideNodeFailure(
  stage: AttemptStage,
  kind: Exclude<FailureKind, 'application'>,
  hasKey: boolean,
): TransactionDecision {
  // A statement that may still be running (the app's own query timeout) or a COMMIT that may have
  // been applied: only the key can tell.
  const unknown = kind === 'connection-lost' || kind === 'killed' || kind === 'timed-out';
  if (stage === 'commit' && unknown) return hasKey ? { action: 'resolve' } : { action: 'commit-unknown' };
  // Before COMMIT a transaction dies with its connection. But the app's own timeout ran out: its
  // deadline has passed, as for a read through pool.query, so it gets the driver's error.
  if (kind === 'timed-out') return { action: 'surface' };
  return { action: 'rerun', reason: kind };
}
