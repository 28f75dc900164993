import createDebug from 'debug';
import pg from 'pg';
import type { FailoverEngine } from '../../core/engine';
import { PoolEndedError } from '../../core/errors';
import type { FailoverEvents } from '../../core/events';
import { type FollowingSessionBase, followingSessionBase } from '../../core/following-session';
import type { PoolHealth } from '../../core/health';
import type { PoolMetrics, PoolMetricsSnapshot } from '../../core/metrics/pool-metrics';
import { type ResolvedPoolConfig, startPoolCore } from '../../core/pool-core';
import type { CausalPosition } from '../../core/reads/causal-token';
import { type Topology, topologyView } from '../../core/topology';
import type { IdempotencyKeys, TransactionOptions } from '../../core/transaction-options';
import type { TransactionFunction, TransactionRunner } from '../../core/transaction-runner';
import { StoredResult } from '../../core/transaction-runner';
import { type Done, promiseOf } from '../../core/work';
import { type ClientClass, defaultClientClass, trackedClientClass } from './client-class';
import { ENDED, PgDriver } from './driver';
import { pgResultFromStored, summarizePgResult } from './exactly-once';
import type { PgPoolEventSink } from './node-pool';
import { type PgPoolConfig, resolvePgConfig } from './options';
import { facadeOf, pinClient } from './pinned-client';
import {
  type FailoverQueryArrayConfig,
  type FailoverQueryConfig,
  parseQueryCall,
  type QueryCall,
  type QueryCallback,
  settleCallback,
} from './query-args';
import { FailoverPgReader } from './reader';
import { sendStatement } from './statement';
import { type PgTransaction, pgTransactionHandle } from './transaction';

const debug = createDebug('failover-pool:pg');

type Counter = 'totalCount' | 'idleCount' | 'waitingCount' | 'expiredCount';
/** The query behind `query` and the reader's: a symbol keeps it out of the public API. */
const runQuery = Symbol('failover-pool query');
/** The method behind the counters: a symbol keeps it out of the public API. */
const sumCounter = Symbol('failover-pool counter');

/** pg.Pool's events plus failover-pool's, as Node's typed EventEmitter takes them. */
export interface PgPoolEvents extends FailoverEvents {
  connect: [client: pg.PoolClient];
  acquire: [client: pg.PoolClient];
  release: [error: Error | undefined, client: pg.PoolClient];
  remove: [client: pg.PoolClient];
  error: [error: Error, client: pg.PoolClient];
}

type Row = pg.QueryResultRow;
type Values<I> = pg.QueryConfigValues<I>;

type PgEvent = 'error' | 'release' | 'connect' | 'acquire' | 'remove';
/** pg.Pool's own listener type, exactly as @types/pg declares it. */
type PgListener<K extends PgEvent> = K extends 'error' | 'release'
  ? (err: Error, client: pg.PoolClient) => void
  : (client: pg.PoolClient) => void;
type FailoverListener<K extends keyof FailoverEvents> = (...args: FailoverEvents[K]) => void;

/**
 * Typed listeners: pg.Pool's events exactly as pg.Pool types them (so the pool is assignable to
 * pg.Pool), then failover-pool's. (Node's generic `EventEmitter<T>` is not assignable to pg.Pool.)
 */
export interface FailoverPgPool {
  on<K extends PgEvent>(event: K, listener: PgListener<K>): this;
  on<K extends keyof FailoverEvents>(event: K, listener: FailoverListener<K>): this;
  once<K extends PgEvent>(event: K, listener: PgListener<K>): this;
  once<K extends keyof FailoverEvents>(event: K, listener: FailoverListener<K>): this;
  off<K extends PgEvent>(event: K, listener: PgListener<K>): this;
  off<K extends keyof FailoverEvents>(event: K, listener: FailoverListener<K>): this;
  addListener<K extends PgEvent>(event: K, listener: PgListener<K>): this;
  addListener<K extends keyof FailoverEvents>(event: K, listener: FailoverListener<K>): this;
  removeListener<K extends PgEvent>(event: K, listener: PgListener<K>): this;
  removeListener<K extends keyof FailoverEvents>(event: K, listener: FailoverListener<K>): this;
}

/**
 * A drop-in for pg.Pool that follows the primary. It is a pg.Pool (of the app's own `pg`), so it
 * passes every check a library makes: Kysely's PostgresDialect, Drizzle's node-postgres driver
 * (`instanceof Pool`, or a class name containing "Pool"), Prisma's adapter (`instanceof pg.Pool`).
 * pg.Pool's constructor gives it `options` with pg's defaults; none of pg.Pool's own machinery runs:
 * every method it has is this class's.
 *
 * `query` runs on the current primary and re-runs what certainly did not run; `connect` pins a
 * client to the current primary. The counters add up every node's pg.Pool.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above only adds typed listener overloads.
export class FailoverPgPool extends pg.Pool {
  /** The pg.Pool options every node's pool gets, with pg's defaults (the password is not enumerable). */
  declare options: pg.PoolOptions;
  declare ending: boolean;
  declare ended: boolean;
  // pg.Pool's counters, summed over every node's pg.Pool: accessors installed below (TypeScript
  // will not let a subclass turn pg.Pool's declared properties into accessors).
  declare readonly totalCount: number;
  declare readonly idleCount: number;
  /** Callers waiting for a pooled client, plus callers waiting for a primary to appear. */
  declare readonly waitingCount: number;
  declare readonly expiredCount: number;
  /** The idempotency keys `transaction()` stored: `purge({ olderThan })` removes old ones. */
  readonly idempotency: IdempotencyKeys;

  private readonly engine: FailoverEngine<pg.PoolClient>;
  private readonly driver: PgDriver;
  private readonly poolMetrics: PoolMetrics;
  private readonly transactions: TransactionRunner<pg.PoolClient, PgTransaction>;
  private readonly maxAttempts: number;
  /** `failover.exactlyOnce`: data-changing statements of pool.query are exactly once by default. */
  private readonly exactlyOnceByDefault: boolean;
  private readerPool: FailoverPgReader | undefined;

  constructor(config: PgPoolConfig) {
    const resolved: ResolvedPoolConfig<pg.PoolConfig> = resolvePgConfig(config);
    super(resolved.shared);
    const base = (resolved.shared.Client as ClientClass | undefined) ?? defaultClientClass;
    const clientClass = trackedClientClass(base, resolved.failover.connectTimeoutMs);
    this.driver = new PgDriver(resolved, clientClass, this.poolEventSink());
    debug('pool over %s', resolved.nodes.map((n) => n.name).join(', '));
    const core = startPoolCore(resolved, this.driver, pgTransactionHandle, (event, ...args) => {
      this.emit(event, ...args);
    });
    this.engine = core.engine;
    this.transactions = core.transactions;
    this.poolMetrics = core.metrics;
    this.maxAttempts = resolved.failover.maxAttempts;
    this.exactlyOnceByDefault = resolved.failover.exactlyOnce;
    this.idempotency = { purge: (options) => this.whileOpen(() => this.transactions.purge(options)) };
  }

  /** The cluster as the monitor sees it now. */
  topology(): Topology {
    return topologyView(this.engine.topology());
  }

  /** Whether a write could go somewhere now, and why not (no I/O: for readiness probes). docs/operations.md */
  health(): PoolHealth {
    return this.engine.health();
  }

  /** The figures the OpenTelemetry instruments report, as a plain object. docs/operations.md */
  metrics(): PoolMetricsSnapshot {
    return this.poolMetrics.snapshot(this.topology());
  }

  override query<R extends unknown[] = unknown[], I = unknown[]>(
    queryConfig: FailoverQueryArrayConfig<I>,
    values?: Values<I>,
  ): Promise<pg.QueryArrayResult<R>>;
  override query<R extends Row = Row, I = unknown[]>(
    queryConfig: FailoverQueryConfig<I>,
  ): Promise<pg.QueryResult<R>>;
  override query<R extends Row = Row, I = unknown[]>(
    queryTextOrConfig: string | FailoverQueryConfig<I>,
    values?: Values<I>,
  ): Promise<pg.QueryResult<R>>;
  override query<R extends unknown[] = unknown[], I = unknown[]>(
    queryConfig: FailoverQueryArrayConfig<I>,
    callback: (err: Error, result: pg.QueryArrayResult<R>) => void,
  ): void;
  override query<R extends Row = Row, I = unknown[]>(
    queryTextOrConfig: string | FailoverQueryConfig<I>,
    callback: (err: Error, result: pg.QueryResult<R>) => void,
  ): void;
  override query<R extends Row = Row, I = unknown[]>(
    queryText: string,
    values: Values<I>,
    callback: (err: Error, result: pg.QueryResult<R>) => void,
  ): void;
  override query(first?: unknown, second?: unknown, third?: unknown): Promise<pg.QueryResult> | undefined {
    return this[runQuery](first, second, third, 'primary');
  }

  /**
   * A pg.Pool whose statements read from replicas, on this pool's nodes and connections: for the
   * ORMs' own replica features (Drizzle `withReplicas`, Prisma's read-replicas extension). Its
   * `connect()` gives a client with no session of its own. docs/reads.md.
   */
  reader(): FailoverPgReader {
    this.readerPool ??= new FailoverPgReader(this, (a, b, c) => this[runQuery](a, b, c, 'replica'));
    return this.readerPool;
  }

  /** `query`, with statements going by default to the primary, or to replicas (a reader's). */
  [runQuery](
    first: unknown,
    second: unknown,
    third: unknown,
    readFrom: 'primary' | 'replica',
  ): Promise<pg.QueryResult> | undefined {
    let call: QueryCall;
    try {
      call = parseQueryCall(first, second, third, this.exactlyOnceByDefault, readFrom);
    } catch (error) {
      // As pg.Pool: a bad call is an error for the callback (even one given first) or the promise.
      const callback = [third, second, first].find((a) => typeof a === 'function') as
        | QueryCallback<pg.QueryResult>
        | undefined;
      return this.settle(Promise.reject(error), callback);
    }
    const { callback } = call;
    if (this.ending) return this.settle(Promise.reject(new PoolEndedError(ENDED)), callback);
    if (call.exactlyOnce) return this.settle(this.queryOnce(call.config), callback);
    const work = (client: pg.PoolClient, _node: unknown, done: Done<pg.QueryResult>) =>
      sendStatement(client, call.config, done);
    if (call.replica) {
      let after: CausalPosition | undefined;
      try {
        after = call.replica.after === undefined ? undefined : this.engine.causalPosition(call.replica.after);
      } catch (error) {
        return this.settle(Promise.reject(error), callback);
      }
      return this.settle(
        promiseOf((done) => this.engine.sendRead(work, after, done)),
        callback,
      );
    }
    const operation = call.reRunnable ? RE_RUNNABLE : NOT_RE_RUNNABLE;
    if (callback) {
      // Called straight from the driver's callback, as pg.Pool does.
      this.engine.send(operation, work, (error, result) => callback(error as Error | undefined, result));
      return undefined;
    }
    return promiseOf((done) => this.engine.send(operation, work, done));
  }

  /**
   * A token that covers every write this pool has had acknowledged: give it as `after` to a read (of
   * this pool or another app instance's) so that the read sees those writes. docs/reads.md.
   */
  causalToken(): Promise<string> {
    return this.whileOpen(() => this.engine.causalToken());
  }

  /** An `exactlyOnce` statement: in a transaction with a fresh idempotency key (exactly-once.ts). */
  private queryOnce(config: pg.QueryConfig): Promise<pg.QueryResult> {
    return this.whileOpen(() => this.transactions.runOnce((tx) => tx.query(config), summarizePgResult)).then(
      (result) => (result instanceof StoredResult ? pgResultFromStored(result.value) : result),
    );
  }

  /**
   * Runs `fn` in a transaction on the current primary, and runs it again whole where that is safe
   * (failure before COMMIT, serialization failure, deadlock); with `idempotencyKey`, exactly once
   * even when the connection dies during COMMIT. `fn` may run more than once: it must only touch the
   * database through `tx`. See docs/transactions.md.
   */
  transaction<T>(fn: TransactionFunction<PgTransaction, T>, options?: TransactionOptions): Promise<T> {
    return this.whileOpen(() => this.transactions.run(fn, options));
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (
      err: Error | undefined,
      client: pg.PoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): void;
  override connect(
    callback?: (
      err: Error | undefined,
      client: pg.PoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): Promise<pg.PoolClient> | undefined {
    const pinned = this.pin();
    if (!callback) return pinned;
    pinned.then(
      (client) =>
        process.nextTick(callback, undefined, client, (release?: unknown) =>
          client.release(release as Error),
        ),
      (error: Error) => process.nextTick(callback, error, undefined, () => undefined),
    );
    return undefined;
  }

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | undefined {
    if (this.ending) {
      const error = new Error('Called end on pool more than once');
      if (callback) {
        process.nextTick(callback, error);
        return undefined;
      }
      return Promise.reject(error);
    }
    this.ending = true;
    const ended = this.engine.end().then(() => {
      this.ended = true;
    });
    if (!callback) return ended;
    ended.then(() => process.nextTick(callback));
    return undefined;
  }

  /** What the single connections of `createPgModule` run on (following-client.ts). */
  [followingSessionBase](): FollowingSessionBase<pg.PoolClient> {
    if (this.ending) throw new PoolEndedError(ENDED);
    return { engine: this.engine, maxAttempts: this.maxAttempts };
  }

  private whileOpen<T>(work: () => Promise<T>): Promise<T> {
    return this.ending ? Promise.reject(new PoolEndedError(ENDED)) : work();
  }

  private async pin(): Promise<pg.PoolClient> {
    if (this.ending) throw new PoolEndedError(ENDED);
    return pinClient(this.engine, await this.engine.acquire());
  }

  private settle<R>(promise: Promise<R>, callback: QueryCallback<R> | undefined): Promise<R> | undefined {
    if (!callback) return promise;
    settleCallback(promise, callback);
    return undefined;
  }

  /** A pg.Pool counter, summed over every node's pg.Pool. */
  [sumCounter](counter: Counter): number {
    let total = 0;
    for (const pool of this.driver.nodePools) total += pool[counter];
    // Callers waiting for a primary to appear wait as much as those queued for a pooled client.
    return counter === 'waitingCount' ? total + this.engine.waitingCount : total;
  }

  /**
   * pg.Pool's events, re-emitted from the node pools. `error` is emitted only when the app listens:
   * pg.Pool would crash the process on an idle client's error without a listener; a dying node must
   * not.
   */
  private poolEventSink(): PgPoolEventSink {
    // Every event carries the object the app gets for that client from connect(): one per client.
    return {
      connect: (client) => this.emit('connect', facadeOf(client)),
      acquire: (client) => {
        if (this.listenerCount('acquire') > 0) this.emit('acquire', facadeOf(client));
      },
      release: (cause, client) => {
        if (this.listenerCount('release') > 0) this.emit('release', cause as Error, facadeOf(client));
      },
      remove: (client) => this.emit('remove', facadeOf(client)),
      error: (error, client) => {
        if (this.listenerCount('error') === 0) return;
        const facade = facadeOf(client);
        // pg.Pool puts the client on the error too.
        if ((error as { client?: unknown }).client === client) Object.assign(error, { client: facade });
        this.emit('error', error, facade);
      },
    };
  }
}

const RE_RUNNABLE = { reRunnable: true } as const;
const NOT_RE_RUNNABLE = { reRunnable: false } as const;

for (const counter of ['totalCount', 'idleCount', 'waitingCount', 'expiredCount'] as const) {
  Object.defineProperty(FailoverPgPool.prototype, counter, {
    get(this: FailoverPgPool) {
      return this[sumCounter](counter);
    },
  });
}
