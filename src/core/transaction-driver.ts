import type { StatementResult } from './driver';
import type { Pinned } from './engine';
import type { NodeUnavailableReason } from './errors';
import type { NodeView } from './node';
import type { FailureKind, Operation } from './retry';
import type { TransactionDialect } from './transaction-dialect';

/**
 * What the transaction runner uses of the engine (FailoverEngine has it all): a connection pinned to
 * the primary for each attempt, and `run` (with the pool's re-run rules) for the idempotency table's
 * own statements. An interface, so the runner's decisions can be tested on a fake.
 */
export interface TransactionEngine<Connection> {
  /** `failedOn`: the node the previous attempt failed on, if any (its wait for a primary may have begun). */
  acquire(failedOn?: NodeView): Promise<Pinned<Connection>>;
  release(node: NodeView, connection: Connection, broken: boolean): void;
  /** Null while the node is still the primary; otherwise why nothing more may be sent to it. */
  pinnedStatus(nodeName: string): NodeUnavailableReason | null;
  reportFailure(nodeName: string, error: unknown): void;
  run<T>(operation: Operation, work: (connection: Connection, node: NodeView) => Promise<T>): Promise<T>;
}

/**
 * The door through which the app's statements reach the transaction's connection: it refuses them
 * once the attempt is doomed or over, or when the node stopped being the primary, and records what
 * their failures mean for the attempt. `sql` is the statement's text where the driver knows it.
 */
export interface StatementGate<Connection> {
  run<R>(sql: string | undefined, work: (connection: Connection) => Promise<R>): Promise<R>;
}

/** A driver's part (pg, mysql2): running a statement, the meaning of its errors, and the app's handle. */
export interface TransactionDriver<Connection, Handle> {
  readonly dialect: TransactionDialect;
  /** Runs one of the runner's own statements (BEGIN, the key's INSERT, COMMIT, ...). */
  execute(connection: Connection, sql: string, values: readonly unknown[]): Promise<StatementResult>;
  /** The engine's classification (the driver knows whether a statement had left). */
  classify(error: unknown, connection: Connection | undefined): FailureKind;
  isAlive(connection: Connection): boolean;
  /** What the app's function gets: the driver's query API, through `gate`. */
  handle(gate: StatementGate<Connection>): Handle;
}
