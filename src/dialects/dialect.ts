import type { NodeProbe } from '../core/node';
import type { FailureKind } from '../core/retry';

/** A row as drivers return it: column name to value. */
export type Row = Readonly<Record<string, unknown>>;

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
 * One database engine's SQL and semantics, with no pooling and no driver: how to ask a node what
 * it is, and what an error means for the statement that got it.
 */
export interface Dialect {
  readonly name: string;
  readonly defaultPort: number;
  /**
   * Probe statements, best first, each answering in one round trip with one row. A later one is
   * used when an earlier one fails for lack of privilege or an older server version.
   */
  readonly probeStatements: readonly string[];
  parseProbe(row: Row): NodeProbe;
  /** Whether `error` means "this probe statement is not available here, try the next one". */
  isProbeUnsupported(error: unknown): boolean;
  classifyError(error: unknown, context: FailureContext): FailureKind;
}
