/**
 * What `pool.transaction` needs from a database engine: how to open and end a transaction, which
 * errors are conflicts the database settles by rolling a transaction back (so running it again is the
 * cure), and the idempotency table's statements. The dialects implement it (dialects/*-transactions.ts);
 * the runner (transaction-runner.ts) decides what to do with the answers and holds no SQL of its own.
 */

/** The SQL standard's levels, as both engines spell them (lower case here). */
export const ISOLATION_LEVELS = [
  'read uncommitted',
  'read committed',
  'repeatable read',
  'serializable',
] as const;
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];

/**
 * A failure of a statement in a transaction that the database resolves by rolling back (the whole
 * transaction, or on MySQL's lock wait timeout the statement: the runner then rolls back the rest),
 * and that a later run of the same transaction may well not meet.
 */
export type TransactionConflict = 'serialization-failure' | 'deadlock' | 'lock-timeout';

/** A statement and its parameters, in the engine's placeholder style. */
export interface Sql {
  readonly sql: string;
  readonly values: readonly unknown[];
}

/**
 * The idempotency table of one pool: `idempotency_key` (primary key), `result` (the function's result
 * as JSON text, NULL for undefined) and `created_at` (the server's time, for purging). Its primary key
 * is what makes a key commit at most once: a second transaction inserting the same key waits for the
 * first and then fails with a unique violation, or goes ahead if the first rolled back.
 */
export interface IdempotencySql {
  /** One row whose `present` column is 1 when the table exists (visible to the pool's user). */
  exists(): Sql;
  /** Creates the table (and its index) if missing; safe to run concurrently from many processes. */
  create(): readonly string[];
  /** One row with `result` when the key is stored, none otherwise. */
  select(key: string): Sql;
  insert(key: string, result: string | null): Sql;
  /** Deletes at most `batch` keys written more than `olderThanMs` ago by the server's clock. */
  /** Keys older than `olderThanMs`, at most `batch` of them; only those starting with `keyPrefix` if given. */
  purge(olderThanMs: number, batch: number, keyPrefix?: string): Sql;
}

export interface TransactionDialect {
  /** The statements that open a transaction, at `isolation` if given (MySQL needs two). */
  begin(isolation: IsolationLevel | undefined): readonly string[];
  readonly commit: string;
  readonly rollback: string;
  /**
   * A statement that would end or restart the transaction the runner manages (BEGIN, COMMIT, ...),
   * refused on the transaction's handle.
   */
  isTransactionControl(sql: string): boolean;
  /** What conflict `error` is, if it is one. */
  conflictOf(error: unknown): TransactionConflict | undefined;
  /** A unique (primary key) violation: for the key's INSERT, another transaction committed the key. */
  isUniqueViolation(error: unknown): boolean;
  /** The table does not exist (not created yet, or not replicated to this node before a failover). */
  isUndefinedTable(error: unknown): boolean;
  /** The pool's user lacks a privilege (to create the idempotency table). */
  isPermissionDenied(error: unknown): boolean;
  /** Another session created the same table or index at the same moment (PostgreSQL reports that). */
  isConcurrentCreate(error: unknown): boolean;
  /** `table` is checked already (transaction-options.ts): letters, digits, `_`, one optional `.`. */
  idempotency(table: string): IdempotencySql;
}
