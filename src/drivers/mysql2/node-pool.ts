import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import mysql from 'mysql2';
import { sleep, systemClock } from '../../core/clock';
import type { NodeAddress } from '../../core/node';
import { type ConnectionUsage, type NodePool, NodeRetiredError } from '../../core/node-pool';
import type { Done } from '../../core/work';
import { closeSocket, isAlive, stateOf } from './connection-state';
import { hideSecrets } from './options';
import { observedStreamFactory, type StreamFactory, trackIn } from './sockets';

const debug = createDebug('failover-pool:mysql2');

/**
 * mysql2's pool events, which the facade emits as mysql2's pool would. `acquire` and `release` come
 * from this pool's own acquire and release (not from mysql2's events, which would cost a listener
 * call on the path of every statement): the facade emits them only when someone listens.
 */
export interface MysqlPoolEventSink {
  connection(connection: mysql.PoolConnection): void;
  acquire(connection: mysql.PoolConnection): void;
  release(connection: mysql.PoolConnection): void;
  enqueue(): void;
}

interface PoolEntry {
  readonly pool: mysql.Pool;
  /** Every socket the pool opened and that is not closed yet, those still in the handshake included. */
  readonly sockets: Set<Duplex>;
  /** Every connection the pool made and that has not ended. */
  readonly connections: Set<mysql.PoolConnection>;
  /** Another node became primary (or the pool ended): nothing more may run here. */
  retired: boolean;
  /** The connections handed out and not given back yet. */
  readonly lent: Set<mysql.PoolConnection>;
  /** Acquires still waiting for a connection: failed at once by `failQueued`. */
  readonly pending: Set<(error: Error) => void>;
  closing?: Promise<void>;
}

/** How long `end()` lets connections say goodbye before their sockets are closed. */
const END_GRACE_MS = 1_000;

/**
 * One node's connections: a real mysql2 pool per node, so that every pool option the app already
 * tunes (connectionLimit, maxIdle, idleTimeout, queueLimit, waitForConnections, resetOnRelease)
 * keeps its exact mysql2 meaning.
 *
 * Retiring replaces the mysql2 pool: the old one is ended and every socket it opened is closed at
 * once, which also fails a statement still under way there instead of letting it finish unnoticed.
 */
export class MysqlNodePool implements NodePool<mysql.PoolConnection> {
  private current: PoolEntry | undefined;
  private readonly entries = new Set<PoolEntry>();

  constructor(
    private readonly node: NodeAddress,
    private readonly options: mysql.PoolOptions,
    private readonly events: MysqlPoolEventSink,
  ) {}

  acquire(done: Done<mysql.PoolConnection>): void {
    const entry = this.entry();
    let settled = false;
    const waiting = (error: Error) => {
      settled = true;
      done(error);
    };
    entry.pending.add(waiting);
    entry.pool.getConnection((error, connection) => {
      entry.pending.delete(waiting);
      if (settled) {
        if (!error) connection.release();
        return;
      }
      // Queued while the node was retired: mysql2 says "Pool is closed."; the engine hears why.
      if (error) return done(entry.retired ? new NodeRetiredError(this.node.name) : error);
      if (entry.retired) {
        // Connected while another node became primary: it must not be used.
        this.discard(connection);
        return done(new NodeRetiredError(this.node.name));
      }
      entry.lent.add(connection);
      this.events.acquire(connection);
      done(undefined, connection);
    });
  }

  failQueued(error: Error): void {
    for (const entry of this.entries) {
      for (const fail of entry.pending) fail(error);
      entry.pending.clear();
    }
  }

  release(connection: mysql.PoolConnection, destroy: boolean): void {
    for (const entry of this.entries) entry.lent.delete(connection);
    if (destroy || !isAlive(connection)) {
      this.discard(connection);
      return;
    }
    this.events.release(connection);
    connection.release();
  }

  *connections(): Iterable<mysql.PoolConnection> {
    for (const connection of this.current?.connections ?? []) if (isAlive(connection)) yield connection;
  }

  usage(): ConnectionUsage {
    let open = 0;
    let used = 0;
    for (const entry of this.entries) {
      for (const connection of entry.connections) if (isAlive(connection)) open++;
      for (const connection of entry.lent) if (isAlive(connection)) used++;
    }
    return { open, used };
  }

  retire(): void {
    const entry = this.current;
    if (!entry) return;
    this.current = undefined;
    void this.close(entry, 0);
  }

  async end(): Promise<void> {
    this.current = undefined;
    await Promise.all([...this.entries].map((entry) => this.close(entry, END_GRACE_MS)));
  }

  /** Takes a connection out of its pool for good and closes its socket. */
  private discard(connection: mysql.PoolConnection): void {
    connection.destroy();
    closeSocket(connection);
  }

  private entry(): PoolEntry {
    if (this.current) return this.current;
    const sockets = new Set<Duplex>();
    const userStream = this.options.stream as StreamFactory | undefined;
    const pool = mysql.createPool(
      hideSecrets(
        { ...this.options, stream: observedStreamFactory(trackIn(sockets), userStream) },
        this.options,
      ),
    );
    const entry: PoolEntry = {
      pool,
      sockets,
      connections: new Set(),
      lent: new Set(),
      retired: false,
      pending: new Set(),
    };
    pool.on('connection', (connection) => {
      stateOf(connection); // its lifelong error listener, before anything can go wrong
      // Those closed since are dropped here: mysql2 says nothing when it closes an idle one.
      for (const known of entry.connections) if (!isAlive(known)) entry.connections.delete(known);
      entry.connections.add(connection);
      this.events.connection(connection);
    });
    pool.on('enqueue', () => this.events.enqueue());
    this.entries.add(entry);
    this.current = entry;
    return entry;
  }

  /**
   * Ends the mysql2 pool (its queued callers get "Pool is closed.", which the engine re-runs
   * elsewhere) and closes its sockets: at once when retiring; when ending, after `graceMs` for the
   * goodbyes (a hung server never answers).
   */
  private close(entry: PoolEntry, graceMs: number): Promise<void> {
    entry.retired = true;
    entry.closing ??= (async () => {
      debug('closing the connections to %s (%s)', this.node.name, graceMs === 0 ? 'retired' : 'end');
      const ended = new Promise<void>((resolve) => entry.pool.end(() => resolve()));
      if (graceMs > 0) await Promise.race([ended, sleep(systemClock, graceMs)]);
      for (const socket of entry.sockets) socket.destroy();
      // Destroyed sockets fail whatever mysql2 still waited for, so the end completes; bounded anyway.
      await Promise.race([ended, sleep(systemClock, END_GRACE_MS)]);
      this.entries.delete(entry);
    })();
    return entry.closing;
  }
}
