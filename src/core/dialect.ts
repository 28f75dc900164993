import type { NodeProbe } from './node';
import type { NodeOperations } from './node-operations';
import type { FailureKind } from './retry';
import type { TransactionDialect } from './transaction-dialect';

/** A row as drivers return it: column name to value. */
export type Row = Readonly<Record<string, unknown>>;

/**
 * Runs one statement on a connection the caller holds and returns its rows. `values` fill the
 * engine's own placeholders (`$1` on PostgreSQL, `?` on MySQL). How the dialects reach a server
 * without knowing the driver.
 */
export type RunSql = (sql: string, values?: readonly unknown[]) => Promise<readonly Row[]>;

/** Asks a node what it is, on one monitor connection (see Dialect.createProber). */
export type NodeProber = (run: RunSql) => Promise<NodeProbe>;

/** What a prober may be asked to read besides the node's own state. */
export interface ProberOptions {
  /** `reads.heartbeat.table`: a replica's staleness is the age of the beat it holds there. */
  readonly heartbeatTable?: string;
}

/**
 * The statements of `reads.heartbeat`, for an engine that needs one to measure replicas to the
 * millisecond (MySQL/MariaDB; PostgreSQL has replay timestamps). The prober reads the beat's age.
 */
export interface HeartbeatSql {
  /** Creates the one-row table if it is missing. */
  create(table: string): string;
  /** Writes the beat: the server's time now, to the microsecond. */
  beat(table: string): string;
}

/** What the driver layer knows about a failure, beyond the error itself. */
export interface FailureContext {
  /** Opening a connection failed, or a statement on an open connection did. */
  readonly phase: 'connect' | 'statement';
  /** The statement had been handed to the socket before the failure (always false for 'connect'). */
  readonly sent: boolean;
  /** Notices the server sent while the statement ran (they can say what became of it). */
  readonly notices: readonly unknown[];
  /** The statement text held more than one statement, so part of it may have committed. */
  readonly multiStatement: boolean;
}

/**
 * One database engine's SQL and semantics, with no pooling and no driver, implemented whole by each
 * engine (dialects/postgres, dialects/mysql): how to ask a node what it is, what an error means for
 * the statement that got it, the transactions' statements, and the operations on a node that
 * promotion and causal reads build on. Every driver (pg, mysql2) works with any of them through
 * RunSql; the engine and the drivers never hold SQL of their own.
 */
export interface Dialect {
  readonly name: 'postgres' | 'mysql';
  readonly defaultPort: number;
  /**
   * A prober for one monitor connection. It may learn on its first runs what that server supports
   * (version, privileges, which statements exist) and remember it for the connection's life.
   */
  createProber(options?: ProberOptions): NodeProber;
  /** The heartbeat's statements, where the engine measures replicas with one (reads.heartbeat). */
  readonly heartbeat?: HeartbeatSql;
  /** One round trip, any privilege: whether a new session can write (checked before first use). */
  readonly sessionWritableSql: string;
  /** Reads the answer to `sessionWritableSql`. */
  sessionWritable(row: Row | undefined): boolean;
  /** What `error` tells about the statement (or connect) that got it. */
  classifyError(error: unknown, context: FailureContext): FailureKind;
  /**
   * A statement, needing no privilege beyond the app's, whose rows (column `id`) are those of the
   * server sessions `ids` (the app's own) that are running a statement now. A session missing from
   * the answer is waiting for its client, or gone.
   */
  runningSessionsSql(ids: readonly number[]): string;
  readonly transactions: TransactionDialect;
  readonly operations: NodeOperations;
  /**
   * How two positions of `operations.currentPosition` compare: > 0 when the first holds more, 0 the
   * same, < 0 less, undefined when neither holds all of the other (diverged histories).
   */
  comparePositions(a: string, b: string): number | undefined;
  /**
   * Whether a primary whose probe read `lineage` (NodeProbe.lineage) holds every transaction up to
   * `position`, a position another node reported (a lost primary's last one); undefined when the
   * lineage cannot tell.
   */
  holdsPosition(lineage: string, position: string): boolean | undefined;
}
