/**
 * The connections to one node, kept by the driver layer (a pg.Pool, a mysql2 pool). The core only
 * asks for a connection, gives it back, and closes everything when the node must not be used.
 */
export interface NodePool<Connection> {
  /**
   * A connection ready for writes. A new connection is checked before use: if its session is not
   * writable (the node was demoted since the last probe), it is closed and acquire throws.
   */
  acquire(): Promise<Connection>;
  /** Gives a connection back; `destroy` closes it instead (broken, or its node is no longer usable). */
  release(connection: Connection, destroy: boolean): void;
  /**
   * Closes every connection of this node at once, checked out or idle, without waiting for the
   * server: another node became primary, so nothing more may reach this one. Later acquires open
   * fresh connections.
   */
  retire(): void;
  /** Closes everything; resolves when closed (bounded: a hung server does not hold it up). */
  end(): Promise<void>;
}

/**
 * An acquire that was under way (opening a connection, or queued for a free one) when its node was
 * retired. Nothing was sent: the engine re-runs it on the current primary.
 */
export class NodeRetiredError extends Error {
  constructor(node: string) {
    super(`${node} was retired (another node is primary) while a connection to it was being taken`);
    this.name = 'NodeRetiredError';
  }
}
