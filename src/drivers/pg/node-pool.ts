import createDebug from 'debug';
import pg from 'pg';
import { sleep, systemClock } from '../../core/clock';
import type { NodeAddress } from '../../core/node';
import { type ConnectionUsage, type NodePool, NodeRetiredError } from '../../core/node-pool';
import type { Done } from '../../core/work';
import { type ClientClass, destroySocket, trackingOf } from './client-class';
import { extendConfig } from './options';

const debug = createDebug('failover-pool:pg');

/**
 * pg.Pool's own events, which the facade emits as pg.Pool would. `acquire` and `release` come from
 * this pool's own acquire and release (not from pg.Pool's events, which cost a listener call on the
 * path of every statement): the facade emits them only when someone listens.
 */
export interface PgPoolEventSink {
  connect(client: pg.PoolClient): void;
  acquire(client: pg.PoolClient): void;
  /** `cause`: what the client was given back with (the statement's error, or the app's argument). */
  release(cause: unknown, client: pg.PoolClient): void;
  remove(client: pg.PoolClient): void;
  /** An idle client's connection failed (pg.Pool's `error` event). */
  error(error: Error, client: pg.PoolClient): void;
}

interface PoolEntry {
  /** Every client made, from the moment it is made (a connect under way included). */
  readonly clients: Set<pg.PoolClient>;
  /** Acquires still waiting on this pool: failed at once when it closes. */
  readonly pending: Set<(error: Error) => void>;
  closing?: Promise<void>;
}

/** How long `end()` lets idle connections say goodbye before their sockets are closed. */
const END_GRACE_MS = 1_000;
/**
 * How long `end()` waits for clients still checked out (a query in flight, a client the app holds)
 * before closing them too. pg.Pool waits forever; on a hung server that would be forever.
 */
const END_HELD_GRACE_MS = 10_000;

/**
 * One node's connections: a real pg.Pool per node, so that every pg.Pool option the app already
 * tunes (max, idleTimeoutMillis, maxUses, maxLifetimeSeconds, allowExitOnIdle, Client, verify)
 * keeps its exact pg meaning. A generic pool would have to re-implement each of them.
 *
 * Retiring replaces the pg.Pool: the old one is ended and every socket it holds is closed at once.
 */
export class PgNodePool implements NodePool<pg.PoolClient> {
  private current: pg.Pool | undefined;
  /** Live pools (the current one and retired ones still closing). */
  private readonly pools = new Map<pg.Pool, PoolEntry>();

  constructor(
    private readonly node: NodeAddress,
    private readonly options: pg.PoolConfig,
    private readonly clientClass: ClientClass,
    private readonly events: PgPoolEventSink,
  ) {}

  /** pg-pool's callback form, as pg.Pool's own query uses: this is on the path of every statement. */
  acquire(done: Done<pg.PoolClient>): void {
    const pool = this.pool();
    const entry = this.pools.get(pool) as PoolEntry;
    let settled = false;
    let waiting: ((error: Error) => void) | undefined;
    pool.connect((error, client) => {
      if (waiting) entry.pending.delete(waiting);
      if (settled) {
        client?.release(true);
        return;
      }
      settled = true;
      if (error || !client) return done(error ?? new Error('pg.Pool gave no client'));
      trackingOf(client).lentOut = true;
      this.events.acquire(client);
      done(undefined, client);
    });
    if (settled) return; // an idle client was handed over at once
    // pg.Pool's end() neither fails callers queued for a client nor stops a connect under way; a
    // retired node's pending acquires fail at once instead, and what they would have got is closed.
    waiting = (error: Error) => {
      settled = true;
      done(error);
    };
    entry.pending.add(waiting);
  }

  /**
   * Nothing: pg.Pool completes a checkout under way when it ends (a client being opened is handed
   * over), and so does this, for queued ones too: statements issued before end() run.
   */
  failQueued(): void {}

  release(client: pg.PoolClient, destroy: boolean, cause?: unknown): void {
    const tracked = trackingOf(client);
    tracked.lentOut = false;
    this.events.release(cause, client);
    client.release(destroy || !tracked.failoverState.alive);
  }

  *connections(): Iterable<pg.PoolClient> {
    const entry = this.current && this.pools.get(this.current);
    if (entry) yield* entry.clients;
  }

  retire(): void {
    const pool = this.current;
    if (!pool) return;
    this.current = undefined;
    this.close(pool, 0);
  }

  async end(): Promise<void> {
    this.current = undefined;
    await Promise.all([...this.pools.keys()].map((pool) => this.close(pool, END_GRACE_MS)));
  }

  usage(): ConnectionUsage {
    return { open: this.totalCount, used: this.totalCount - this.idleCount };
  }

  get totalCount(): number {
    return this.sum((p) => p.totalCount);
  }

  get idleCount(): number {
    return this.sum((p) => p.idleCount);
  }

  get waitingCount(): number {
    return this.sum((p) => p.waitingCount);
  }

  get expiredCount(): number {
    return this.sum((p) => p.expiredCount);
  }

  private sum(count: (pool: pg.Pool) => number): number {
    let total = 0;
    for (const pool of this.pools.keys()) total += count(pool);
    return total;
  }

  private pool(): pg.Pool {
    if (this.current) return this.current;
    const entry: PoolEntry = { clients: new Set(), pending: new Set() };
    const pool = new pg.Pool(extendConfig(this.options, { Client: countedIn(entry, this.clientClass) }));
    this.pools.set(pool, entry);
    pool.on('connect', (client) => this.events.connect(client));
    pool.on('remove', (client) => {
      entry.clients.delete(client);
      this.events.remove(client);
    });
    // An idle client whose server died. pg.Pool removes it; without a listener, pg.Pool's emit
    // would crash the process.
    pool.on('error', (error, client) => {
      debug('idle connection to %s failed: %s', this.node.name, error.message);
      this.events.error(error, client);
    });
    this.current = pool;
    return pool;
  }

  /**
   * Ends `pool` and closes its sockets: all at once when retiring (nothing more may reach the node);
   * when ending, idle connections get `graceMs` to say goodbye (a hung server never answers), while
   * clients the app still holds are waited for, as pg.Pool does.
   */
  private close(pool: pg.Pool, graceMs: number): Promise<void> {
    const entry = this.pools.get(pool);
    if (!entry) return Promise.resolve();
    if (!entry.closing) {
      for (const fail of entry.pending) fail(new NodeRetiredError(this.node.name));
      entry.pending.clear();
      entry.closing = (async () => {
        const ended = pool.end().catch(() => undefined);
        const destroy = (which: (client: pg.PoolClient) => boolean) => {
          for (const client of entry.clients) if (which(client)) destroySocket(client);
        };
        if (graceMs === 0) {
          destroy(() => true);
        } else {
          await Promise.race([ended, sleep(systemClock, graceMs)]);
          destroy((client) => !trackingOf(client).lentOut);
          await Promise.race([ended, sleep(systemClock, END_HELD_GRACE_MS)]);
          destroy(() => true);
        }
        // pg.Pool's end also waits for the app to release the clients it holds; a client the app
        // never gives back must not hold up end() forever: its socket is closed by now.
        await Promise.race([ended, sleep(systemClock, 100)]);
        this.pools.delete(pool);
      })();
    }
    return entry.closing;
  }
}

/**
 * The pool's Client class, noting every client in `entry` from the moment it is made: a connect still
 * under way when the node is retired is closed with the rest, not left to its connect timeout.
 */
function countedIn(entry: PoolEntry, Base: ClientClass): ClientClass {
  return class extends Base {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      const client = this as unknown as pg.PoolClient;
      entry.clients.add(client);
      this.once('end', () => entry.clients.delete(client));
    }
  };
}
