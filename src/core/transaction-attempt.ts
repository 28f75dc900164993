import type { StatementResult } from './driver';
import type { Pinned } from './engine';
import { PinnedErrors } from './pinned';
import type { AttemptFailure, AttemptStage } from './transaction-decision';
import type { Sql } from './transaction-dialect';
import type { StatementGate, TransactionDriver, TransactionEngine } from './transaction-driver';

export type StatementOutcome =
  | { readonly ok: true; readonly result: StatementResult }
  | { readonly ok: false; readonly failure: AttemptFailure };

/**
 * One run of a transaction's function: its connection (pinned to the primary), and what went wrong on
 * it. The first failure that dooms the transaction (a conflict, a node failure) is kept: from then on
 * nothing more is sent, even if the function catches the error and goes on, because on MySQL a
 * statement after a deadlock would run outside any transaction (InnoDB rolled it all back) and commit
 * on its own. The attempt ends with `close`, which rolls back unless the server ended the transaction
 * and gives the connection back exactly once: destroyed if it broke.
 */
export class TransactionAttempt<Connection> implements StatementGate<Connection> {
  private doom: AttemptFailure | undefined;
  /** The first application error of a statement, which on PostgreSQL aborts the transaction. */
  private swallowed: unknown;
  private broken = false;
  private closed = false;

  constructor(
    readonly pinned: Pinned<Connection>,
    private readonly engine: TransactionEngine<Connection>,
    private readonly driver: TransactionDriver<Connection, unknown>,
  ) {}

  /** Whether the app's function may still run statements on it. */
  get active(): boolean {
    return !this.closed;
  }

  /** The failure that doomed this attempt, if any. */
  get doomed(): AttemptFailure | undefined {
    return this.doom;
  }

  /** An application error the function caught and went on after. */
  get swallowedError(): unknown {
    return this.swallowed;
  }

  /** The app's statements, through the handle. */
  async run<R>(sql: string | undefined, work: (connection: Connection) => Promise<R>): Promise<R> {
    if (this.closed) {
      throw new Error(
        'This transaction has ended: use `tx` only while the function given to pool.transaction() runs.',
      );
    }
    if (sql !== undefined && this.driver.dialect.isTransactionControl(sql)) {
      throw new TypeError(
        `Do not run "${sql.trim().split(/\s+/)[0]}" inside pool.transaction(): the pool begins and commits ` +
          'the transaction itself, and runs it again whole when it must. Return from the function to ' +
          'commit, throw to roll back; use SAVEPOINT for a partial rollback.',
      );
    }
    if (this.doom) throw this.doom.error;
    const refusal = this.refusalIfNotPrimary();
    if (refusal) throw refusal.error;
    try {
      return await work(this.pinned.connection);
    } catch (error) {
      const failure = this.failureOf(error, 'before-commit');
      if (failure.cause === 'application') this.swallowed ??= error;
      else this.doom ??= failure;
      throw error;
    }
  }

  /** One of the runner's own statements; a failure is returned, not thrown. */
  async statement(sql: Sql | string, stage: AttemptStage): Promise<StatementOutcome> {
    const { sql: text, values } = typeof sql === 'string' ? { sql, values: [] } : sql;
    try {
      return { ok: true, result: await this.driver.execute(this.pinned.connection, text, values) };
    } catch (error) {
      return { ok: false, failure: this.failureOf(error, stage) };
    }
  }

  /**
   * Writes the idempotency key. A unique violation means another transaction committed the same key
   * meanwhile (the caller's duplicate request, or this very transaction's earlier attempt whose
   * COMMIT was in doubt): the lookup before the re-run returns its result. The attempt is doomed
   * either way, so a nested call's caller cannot commit around it.
   */
  async insertKey(sql: Sql): Promise<AttemptFailure | undefined> {
    const outcome = await this.statement(sql, 'before-commit');
    if (outcome.ok) return undefined;
    const { error } = outcome.failure;
    const { dialect } = this.driver;
    let failure = outcome.failure;
    if (failure.cause === 'application' && dialect.isUniqueViolation(error)) {
      failure = { stage: 'before-commit', cause: 'key-exists', error };
    } else if (failure.cause === 'application' && dialect.isUndefinedTable(error)) {
      failure = { stage: 'before-commit', cause: 'table-missing', error };
    }
    this.doom ??= failure;
    return failure;
  }

  /**
   * Refuses to go on (nothing sent) once the node is no longer the primary: a COMMIT on a stale
   * primary that is still writable would land on a history the cluster abandoned.
   */
  refusalIfNotPrimary(): AttemptFailure | undefined {
    const { node } = this.pinned;
    const reason = this.engine.pinnedStatus(node.name);
    if (reason === null) return undefined;
    this.broken = true;
    const error = new PinnedErrors(node, 'pool.transaction()').refusal(reason);
    this.doom ??= { stage: 'before-commit', cause: 'node', kind: 'not-sent', error };
    return this.doom;
  }

  /** Rolls back if asked (and possible), then gives the connection back (destroyed if it broke). Once. */
  async close(rollback: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { node, connection } = this.pinned;
    let broken = this.broken || !this.driver.isAlive(connection);
    if (rollback && !broken) {
      try {
        await this.driver.execute(connection, this.driver.dialect.rollback, []);
      } catch {
        broken = true;
      }
    }
    this.engine.release(node, connection, broken);
  }

  private failureOf(error: unknown, stage: AttemptStage): AttemptFailure {
    const conflict = this.driver.dialect.conflictOf(error);
    if (conflict) return { stage, cause: 'conflict', conflict, error };
    const kind = this.driver.classify(error, this.pinned.connection);
    if (kind === 'application') return { stage, cause: 'application', error };
    // The connection is not trusted again (a timed-out statement may still run on it); the node may
    // be gone, which the monitor hears at once.
    this.broken = true;
    this.engine.reportFailure(this.pinned.node.name, error);
    return { stage, cause: 'node', kind, error };
  }
}
