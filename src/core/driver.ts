import type { ConnectionState } from './connection-state';
import type { Dialect, Row } from './dialect';
import type { NodeAddress } from './node';
import type { NodePool } from './node-pool';
import type { ProbeSession } from './probe-session';

/** What one statement returned, as far as the library's own statements care. */
export interface StatementResult {
  readonly rows: readonly Row[];
  /** The server's command tag where the driver has one: PostgreSQL answers an aborted COMMIT with ROLLBACK. */
  readonly command?: string;
  readonly affectedRows?: number;
}

/**
 * What a driver layer (pg, mysql2) gives the engine: its engine's dialect, per-node pools,
 * connections for the monitor, and the little the driver alone knows about a connection (whether a
 * statement had left before it died, whether it is still alive). One interface, implemented whole
 * by every driver; the engine, the monitor and the transaction runner need nothing else.
 */
/** Who a library session logs in as, when not as the pool's own account. */
export interface SessionAccount {
  readonly user: string;
  readonly password?: string;
  /** Shown to DBAs (PostgreSQL application_name). */
  readonly purpose: string;
}

export interface Driver<Connection> {
  readonly dialect: Dialect;
  /** The connections to one node, in the driver's own pool. */
  createNodePool(node: NodeAddress): NodePool<Connection>;
  /**
   * A connection for the monitor's probes, outside the pools; opened at once. With `account`, as
   * that account instead of the pool's (the promoter's, which may differ).
   */
  openProbeSession(node: NodeAddress, account?: SessionAccount): ProbeSession;
  /** The library's bookkeeping for one of this driver's connections. */
  stateOf(connection: Connection): ConnectionState;
  /**
   * Whether the session can write, if the connection knows without a round trip (PostgreSQL 14+
   * reports it at login and on change); undefined when it must be asked.
   */
  reportedWritable(connection: Connection): boolean | undefined;
  /** Still usable: no error, not closed. */
  isAlive(connection: Connection): boolean;
  /** The server's id of the connection's session (PostgreSQL backend pid, MySQL thread id), once known. */
  sessionIdOf(connection: Connection): number | undefined;
  /** Closes the connection's socket at once: a statement still waiting on it fails as connection lost. */
  destroy(connection: Connection): void;
  /** What a caller gets from an ended pool, in the driver's own words (PoolEndedError). */
  endedError(): Error;
  /** Runs one of the library's own statements (the role check, BEGIN, COMMIT, the idempotency table's). */
  execute(connection: Connection, sql: string, values: readonly unknown[]): Promise<StatementResult>;
}
