import type { TransactionRetryReason } from './events';

/**
 * Every error the library raises is a FailoverPoolError with a stable `code`, so apps can branch on
 * `err.code` without matching messages. Errors from the database that have nothing to do with
 * failover (a unique violation, a syntax error) are never wrapped: they reach the app unchanged.
 */

export type NodeRoleName = 'primary' | 'replica' | 'unknown';

/** Every `code` a FailoverPoolError may carry. */
export const FAILOVER_POOL_ERROR_CODES = [
  'CONFIG',
  'NO_PRIMARY',
  'WRITE_OUTCOME_UNKNOWN',
  'SPLIT_BRAIN',
  'CLUSTER_MISMATCH',
  'NODE_UNAVAILABLE',
  'POOL_ENDED',
  'COMMIT_OUTCOME_UNKNOWN',
  'TRANSACTION_ATTEMPTS_EXHAUSTED',
  'NO_REPLICA',
] as const;

export type FailoverPoolErrorCode = (typeof FAILOVER_POOL_ERROR_CODES)[number];

/** Where an error happened, when it happened on a node. */
export interface ErrorContext {
  host?: string;
  port?: number;
  role?: NodeRoleName;
  /** 1 for the first try of an operation, 2 for the first re-run, ... */
  attempt?: number;
  cause?: unknown;
}

export class FailoverPoolError extends Error {
  readonly code: FailoverPoolErrorCode;
  readonly host?: string;
  readonly port?: number;
  readonly role?: NodeRoleName;
  readonly attempt?: number;

  constructor(code: FailoverPoolErrorCode, message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.code = code;
    if (context.host !== undefined) this.host = context.host;
    if (context.port !== undefined) this.port = context.port;
    if (context.role !== undefined) this.role = context.role;
    if (context.attempt !== undefined) this.attempt = context.attempt;
  }
}

/** Invalid options. The message names the option and says how to fix it. */
export class ConfigError extends FailoverPoolError {
  /** The option at fault, as a dotted path (`failover.waitForPrimaryMs`, `hosts[2]`). */
  readonly option: string;

  constructor(option: string, message: string) {
    super('CONFIG', `Invalid option \`${option}\`: ${message}`);
    this.option = option;
  }
}

export type NoPrimaryReason = 'timeout' | 'queue-full' | 'attempts';

/**
 * No writable node appeared in time, the wait queue was full, or every try failed in a way that
 * certainly applied nothing (`reason`). Nothing was applied.
 */
export class NoPrimaryError extends FailoverPoolError {
  readonly reason: NoPrimaryReason;
  readonly waitedMs: number;

  constructor(reason: NoPrimaryReason, message: string, waitedMs: number, context: ErrorContext = {}) {
    super('NO_PRIMARY', message, context);
    this.reason = reason;
    this.waitedMs = waitedMs;
  }
}

/**
 * A write was sent and its connection died before the reply: it may or may not have been applied.
 * The library does not re-run it (a re-run could apply it twice) unless the caller marked it
 * `idempotent: true`.
 */
export class WriteOutcomeUnknownError extends FailoverPoolError {
  constructor(
    message: string,
    context: ErrorContext,
    code: 'WRITE_OUTCOME_UNKNOWN' | 'COMMIT_OUTCOME_UNKNOWN' = 'WRITE_OUTCOME_UNKNOWN',
  ) {
    super(code, message, context);
  }
}

/**
 * Why a transaction's commit stayed unknown: it had no idempotency key (`no-key`), or it had one but
 * the key could not be looked up on a primary in time (`unresolved`).
 */
export type CommitOutcomeUnknownReason = 'no-key' | 'unresolved';

/**
 * The connection died while a transaction's COMMIT was in flight: it may or may not have committed.
 * A WriteOutcomeUnknownError (code `COMMIT_OUTCOME_UNKNOWN`), so code that handles unknown writes
 * handles it too. With an `idempotencyKey` the library resolves this case itself and raises it only
 * when no primary answered the key's lookup in time (`unresolved`): calling `transaction` again with
 * the same key then returns the stored result or runs the function.
 */
export class CommitOutcomeUnknownError extends WriteOutcomeUnknownError {
  readonly reason: CommitOutcomeUnknownReason;
  /** The transaction's idempotency key, when it had one. */
  readonly idempotencyKey?: string;

  constructor(
    reason: CommitOutcomeUnknownReason,
    message: string,
    context: ErrorContext & { idempotencyKey?: string },
  ) {
    super(message, context, 'COMMIT_OUTCOME_UNKNOWN');
    this.reason = reason;
    if (context.idempotencyKey !== undefined) this.idempotencyKey = context.idempotencyKey;
  }
}

/**
 * Every attempt of a transaction was rolled back for a reason that allowed a re-run (a serialization
 * failure, a deadlock, a lost connection before COMMIT), and `maxAttempts` ran out. Nothing was
 * committed; `cause` is the last attempt's failure, `lastReason` says what it was.
 */
export class TransactionAttemptsExhaustedError extends FailoverPoolError {
  readonly lastReason: TransactionRetryReason;

  constructor(message: string, lastReason: TransactionRetryReason, context: ErrorContext) {
    super('TRANSACTION_ATTEMPTS_EXHAUSTED', message, context);
    this.lastReason = lastReason;
  }
}

/** Two nodes accept writes and the library cannot tell which one is the real primary. */
export class SplitBrainError extends FailoverPoolError {
  readonly nodes: readonly string[];

  constructor(nodes: readonly string[], message: string, context: ErrorContext = {}) {
    super('SPLIT_BRAIN', message, context);
    this.nodes = nodes;
  }
}

/** A configured node belongs to another cluster (different PostgreSQL system identifier). */
export class ClusterMismatchError extends FailoverPoolError {
  readonly expectedIdentity: string;
  readonly actualIdentity: string;

  constructor(expectedIdentity: string, actualIdentity: string, context: ErrorContext) {
    super(
      'CLUSTER_MISMATCH',
      `Node ${context.host}:${context.port} belongs to another cluster (identity ${actualIdentity}, ` +
        `expected ${expectedIdentity}); it is never used. Remove it from \`hosts\` or fix its address.`,
      context,
    );
    this.expectedIdentity = expectedIdentity;
    this.actualIdentity = actualIdentity;
  }
}

export type NodeUnavailableReason = 'down' | 'demoted' | 'superseded' | 'connection-lost';

/**
 * A client pinned to one node (from `pool.connect()`) can no longer be used: its node died, was
 * demoted, or another node became primary. Release it and take a new one.
 */
export class NodeUnavailableError extends FailoverPoolError {
  readonly reason: NodeUnavailableReason;

  constructor(reason: NodeUnavailableReason, message: string, context: ErrorContext) {
    super('NODE_UNAVAILABLE', message, context);
    this.reason = reason;
  }
}

/** The pool was ended; it cannot be used any more. */
export class PoolEndedError extends FailoverPoolError {
  /** `message`: the driver's own words, where apps may match them (mysql2's "Pool is closed."). */
  constructor(message = 'Cannot use a pool after calling end() on it. Create a new pool.') {
    super('POOL_ENDED', message);
  }
}

/**
 * A read marked `readFrom: 'replica'` found no replica fit to read from (none answering, none
 * within `reads.maxLagMs`, or every one failed), and `reads.fallback` is `'error'`. Nothing ran.
 */
export class NoReplicaError extends FailoverPoolError {
  constructor(message: string, context: ErrorContext = {}) {
    super('NO_REPLICA', message, context);
  }
}
