import type { Done } from './work';

/**
 * The connections to one node, kept by the driver layer (a pg.Pool, a mysql2 pool). The core only
 * asks for a connection, gives it back, and closes everything when the node must not be used.
 */
export interface NodePool<Connection> {
  /**
   * A connection from the node's pool, opened if need be. Whether its session can write is the
   * engine's to check (Driver.reportedWritable, Dialect.sessionWritableSql). Fails with
   * NodeRetiredError when the node is retired while the caller waits. Callback style, as the drivers'
   * own pools: this is on the path of every statement.
   */
  acquire(done: Done<Connection>): void;
  /**
   * Gives a connection back; `destroy` closes it instead (broken, or its node is no longer usable).
   * `cause`: why, for the driver's own `release` event (the statement's error, or what the app
   * passed to its release call).
   */
  release(connection: Connection, destroy: boolean, cause?: unknown): void;
  /**
   * The pool is ending: fails at once every acquire still waiting for a connection, where the
   * driver's own pool does (mysql2's "Pool is closed."); a driver whose pool lets them finish
   * (pg.Pool) leaves them be.
   */
  failQueued(error: Error): void;
  /**
   * Closes every connection of this node at once, checked out or idle, without waiting for the
   * server: another node became primary, so nothing more may reach this one. Later acquires open
   * fresh connections.
   */
  retire(): void;
  /** Every open connection of the pool now in use for this node, idle or checked out. */
  connections(): Iterable<Connection>;
  /**
   * How many connections to this node are open and how many of them are checked out, retired ones
   * still closing included (OpenTelemetry's `db.client.connection.count`).
   */
  usage(): ConnectionUsage;
  /** Closes everything; resolves when closed (bounded: a hung server does not hold it up). */
  end(): Promise<void>;
}

export interface ConnectionUsage {
  readonly open: number;
  readonly used: number;
}

/**
 * An acquire that was under way (opening a connection, or queued for a free one) when its node was
 * retired (another node became primary, or the node was abandoned). Nothing was sent: the engine
 * re-runs it on the current primary.
 */
export class NodeRetiredError extends Error {
  constructor(node: string) {
    super(
      `${node} was retired (another node is primary, or it stopped answering: failover.abandonAfterMs) ` +
        'while a connection to it was being taken',
    );
    this.name = 'NodeRetiredError';
  }
}

/** Raised instead of handing a statement to a connection that is already dead: nothing was sent. */
export class NotSentError extends Error {
  constructor() {
    super('The connection had already closed; the statement was not sent');
    this.name = 'NotSentError';
  }
}

/** A new connection turned out to be on a node that does not take writes (demoted since the last probe). */
export class SessionNotWritableError extends Error {
  constructor(node: string, why: string) {
    super(`New connection to ${node} is not writable (${why}); the node is not the primary any more`);
    this.name = 'SessionNotWritableError';
  }
}
