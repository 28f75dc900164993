/**
 * The rule the whole library keeps: re-run only what certainly did not run (or what the caller
 * declared safe to run twice). The dialect says what a failure means; this decides what to do.
 */

/** What a failure tells about the statement's fate. The dialect classifies; the core decides. */
export type FailureKind =
  /** Rejected because the node is read-only (PostgreSQL 25006, MySQL 1290/1836/1792): not applied. */
  | 'read-only'
  /** No connection could be opened: nothing was sent. */
  | 'connect-failed'
  /** The connection was already dead before the statement left: nothing was sent. */
  | 'not-sent'
  /** The server ended the session while running the statement and rolled it back (PostgreSQL 57P01). */
  | 'terminated'
  /** The connection died after the statement was sent: it may or may not have been applied. */
  | 'connection-lost'
  /**
   * The server ended the session while the statement ran (MySQL's KILL CONNECTION): it may still
   * have been applied (a commit waiting for a semi-synchronous replica is). Like `connection-lost`,
   * except that the engine first asks whether the node is going away: an operator's kill on a node
   * that stays primary reaches the caller as the server's error.
   */
  | 'killed'
  /**
   * The app's own client-side limit (pg `query_timeout`, mysql2 `timeout`) ran out after the statement
   * was sent: it may still be applied. A write is outcome-unknown; a read is not re-run (its caller's
   * deadline has passed) and gets the driver's error.
   */
  | 'timed-out'
  /** The application's own error (constraint, syntax, ...): reaches the caller unchanged. */
  | 'application';

/**
 * Why the pool re-runs a statement: the failures that certainly applied nothing (or a re-runnable
 * one's lost connection); `certification-failure`: a Galera node rolled the statement back at
 * COMMIT because a write certified first on another node touched the same rows (engine.ts).
 */
export type RetryReason = Exclude<FailureKind, 'application' | 'timed-out'> | 'certification-failure';

export type Decision =
  | { readonly action: 'retry'; readonly reason: RetryReason }
  | { readonly action: 'outcome-unknown' }
  | { readonly action: 'surface' };

export interface Operation {
  /** A read, or a write the caller marked idempotent: running it twice does no harm. */
  readonly reRunnable: boolean;
}

export function decide(kind: FailureKind, operation: Operation): Decision {
  switch (kind) {
    case 'application':
      return { action: 'surface' };
    case 'connection-lost':
    case 'killed':
      return operation.reRunnable ? { action: 'retry', reason: kind } : { action: 'outcome-unknown' };
    case 'timed-out':
      return operation.reRunnable ? { action: 'surface' } : { action: 'outcome-unknown' };
    default:
      return { action: 'retry', reason: kind };
  }
}

/**
 * Failures that the server itself reports as the end of the session (PostgreSQL 57P01, MySQL's
 * KILL): a shutdown or a failover manager's doing if the node is going away, an operator's if it
 * stays primary. The engine tells them apart with a fresh round of probes.
 */
export function endedByServer(kind: FailureKind): boolean {
  return kind === 'terminated' || kind === 'killed';
}
