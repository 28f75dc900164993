import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import mysql from 'mysql2';
import type { FailoverEngine } from '../../core/engine';
import { PoolEndedError } from '../../core/errors';
import type { FailoverEvents } from '../../core/events';
import { followingSessionBase } from '../../core/following-session';
import type { PoolHealth } from '../../core/health';
import type { PoolMetrics, PoolMetricsSnapshot } from '../../core/metrics/pool-metrics';
import { type ResolvedPoolConfig, startPoolCore } from '../../core/pool-core';
import type { CausalPosition } from '../../core/reads/causal-token';
import { type Topology, topologyView } from '../../core/topology';
import type { IdempotencyKeys } from '../../core/transaction-options';
import type { TransactionRunner } from '../../core/transaction-runner';
import { StoredResult } from '../../core/transaction-runner';
import type { Done, Work } from '../../core/work';
import { type FailoverQueryOptions, parseStatementCall, type StatementCall } from './call-args';
import { carrierFor, deliver } from './carrier';
import { CLOSED, Mysql2Driver } from './driver';
import { mysqlOutcomeFromStored, summarizeMysqlOutcome } from './exactly-once';
import type { MysqlFollowingBase } from './following-connection';
import type { MysqlPoolEventSink } from './node-pool';
import { hideSecrets, type MysqlPoolConfig, resolveMysqlConfig } from './options';
import { facadeOf, type PinContext, pinConnection } from './pinned-connection';
import { createPromisePool, type FailoverMysqlPromisePool } from './promise-pool';
import { createMysqlReader, type FailoverMysqlReader } from './reader';
import { sendCall } from './send-call';
import { type StatementOutcome, sendStatement } from './statement';
import { type MysqlTransaction, mysqlTransactionHandle } from './transaction';

const debug = createDebug('failover-pool:mysql2');

/** mysql2's pool events plus failover-pool's, as event -> arguments. */
export interface MysqlPoolEvents extends FailoverEvents {
  connection: [connection: mysql.PoolConnection];
  acquire: [connection: mysql.PoolConnection];
  release: [connection: mysql.PoolConnection];
  enqueue: [];
}

type Listener<K extends keyof MysqlPoolEvents> = (...args: MysqlPoolEvents[K]) => void;
type AnyListener = (...args: never[]) => void;

/** Typed listeners for mysql2's events and failover-pool's, then any other event as EventEmitter takes it. */
export interface FailoverMysqlPool {
  on<K extends keyof MysqlPoolEvents>(event: K, listener: Listener<K>): this;
  on(event: string | symbol, listener: AnyListener): this;
  once<K extends keyof MysqlPoolEvents>(event: K, listener: Listener<K>): this;
  once(event: string | symbol, listener: AnyListener): this;
  off<K extends keyof MysqlPoolEvents>(event: K, listener: Listener<K>): this;
  off(event: string | symbol, listener: AnyListener): this;
  addListener<K extends keyof MysqlPoolEvents>(event: K, listener: Listener<K>): this;
  addListener(event: string | symbol, listener: AnyListener): this;
  removeListener<K extends keyof MysqlPoolEvents>(event: K, listener: Listener<K>): this;
  removeListener(event: string | symbol, listener: AnyListener): this;
}

type QueryCallback<T> = (err: mysql.QueryError | null, result: T, fields: mysql.FieldPacket[]) => unknown;
type Values = mysql.QueryValues;

/** `pool.config` as mysql2's pool has it: its pool settings and a real ConnectionConfig. */
export interface MysqlPoolSettings extends mysql.PoolOptions {
  readonly connectionConfig: mysql.ConnectionOptions;
}

/**
 * A drop-in for mysql2's callback Pool that follows the primary. It extends Node's EventEmitter,
 * as mysql2's pool does, so it can be passed wherever a mysql2 Pool is expected (Kysely's
 * MysqlDialect, Drizzle's mysql2 driver) and type-checks as one.
 *
 * `query` and `execute` run on the current primary and re-run what certainly did not run;
 * `getConnection` pins a connection to the current primary; `promise()` is mysql2's own PromisePool
 * around this pool.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above only adds typed listener overloads.
export class FailoverMysqlPool extends EventEmitter {
  /** mysql2's `pool.config`: pool settings and `connectionConfig` (passwords not enumerable). */
  readonly config: MysqlPoolSettings;
  /** The idempotency keys `promise().transaction()` stored: `purge({ olderThan })` removes old ones. */
  readonly idempotency: IdempotencyKeys;

  private readonly engine: FailoverEngine<mysql.PoolConnection>;
  /** `transaction()` of the promise pools around this one. */
  /** `failover.exactlyOnce`: data-changing statements of query/execute are exactly once by default. */
  readonly exactlyOnceByDefault: boolean;
  private readonly poolMetrics: PoolMetrics;
  private readonly transactions: TransactionRunner<mysql.PoolConnection, MysqlTransaction>;
  /** mysql2's `multipleStatements`: a statement's text may then hold several. */
  private readonly multipleStatements: boolean;
  private readerPool: FailoverMysqlReader | undefined;
  private readonly maxAttempts: number;
  /** `namedPlaceholders` as the node pools were made with it. */
  private readonly namedPlaceholders: boolean | undefined;
  /** What every connection the app holds needs of this pool (pinned-connection.ts). */
  private readonly pins: PinContext;
  private ending: Promise<void> | undefined;

  constructor(config: MysqlPoolConfig | string) {
    super();
    const resolved: ResolvedPoolConfig<mysql.PoolOptions> = resolveMysqlConfig(config);
    this.config = poolSettings(resolved);
    this.multipleStatements = resolved.shared.multipleStatements === true;
    this.maxAttempts = resolved.failover.maxAttempts;
    this.exactlyOnceByDefault = resolved.failover.exactlyOnce;
    this.namedPlaceholders = this.config.connectionConfig.namedPlaceholders;
    debug('pool over %s', resolved.nodes.map((n) => n.name).join(', '));
    const driver = new Mysql2Driver(resolved, this.poolEventSink(), () => this.config);
    const handle = mysqlTransactionHandle(this.multipleStatements);
    const core = startPoolCore(resolved, driver, handle, (event, ...args) => {
      this.emit(event, ...args);
    });
    this.engine = core.engine;
    this.transactions = core.transactions;
    this.poolMetrics = core.metrics;
    this.idempotency = { purge: (options) => this.transactions.purge(options) };
    this.pins = {
      engine: this.engine,
      connectionConfig: this.config.connectionConfig,
      multipleStatements: this.multipleStatements,
      gracefulEnd: resolved.shared.gracefulEnd === true,
    };
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

  /**
   * A token that covers every write this pool has had acknowledged: give it as `after` to a read (of
   * this pool or another app instance's) so that the read sees those writes. docs/reads.md.
   */
  causalToken(): Promise<string> {
    if (this.ending) return Promise.reject(new PoolEndedError(CLOSED));
    return this.engine.causalToken();
  }

  query<T extends mysql.QueryResult>(sql: string, callback?: QueryCallback<T>): mysql.Query;
  query<T extends mysql.QueryResult>(sql: string, values: Values, callback?: QueryCallback<T>): mysql.Query;
  query<T extends mysql.QueryResult>(options: FailoverQueryOptions, callback?: QueryCallback<T>): mysql.Query;
  query<T extends mysql.QueryResult>(
    options: FailoverQueryOptions,
    values: Values,
    callback?: QueryCallback<T>,
  ): mysql.Query;
  query(...args: unknown[]): mysql.Query {
    return this.start(parseStatementCall('query', args, this.exactlyOnceByDefault));
  }

  execute<T extends mysql.QueryResult>(sql: string, callback?: QueryCallback<T>): mysql.Query;
  execute<T extends mysql.QueryResult>(
    sql: string,
    values: mysql.ExecuteValues,
    callback?: QueryCallback<T>,
  ): mysql.Query;
  execute<T extends mysql.QueryResult>(
    options: FailoverQueryOptions,
    callback?: QueryCallback<T>,
  ): mysql.Query;
  execute<T extends mysql.QueryResult>(
    options: FailoverQueryOptions,
    values: mysql.ExecuteValues,
    callback?: QueryCallback<T>,
  ): mysql.Query;
  execute(...args: unknown[]): mysql.Query {
    return this.start(parseStatementCall('execute', args, this.exactlyOnceByDefault));
  }

  /** A connection pinned to the current primary; see pinned-connection.ts for its rules. */
  getConnection(
    callback: (err: NodeJS.ErrnoException | null, connection: mysql.PoolConnection) => unknown,
  ): void {
    const pinned = this.ending
      ? Promise.reject(new PoolEndedError(CLOSED))
      : this.engine.acquire().then((start) => pinConnection(start, this.pins));
    pinned.then(
      (connection) => process.nextTick(callback, null, connection),
      (error: NodeJS.ErrnoException) => process.nextTick(callback, error),
    );
  }

  /** As mysql2's: gives back a connection from getConnection() (callback or promise flavour). */
  releaseConnection(connection: mysql.PoolConnection | { release(): void }): void {
    connection.release();
  }

  /** Stops the monitor and closes every connection; a second call waits for the first. */
  end(callback?: (err: NodeJS.ErrnoException | null, ...args: unknown[]) => unknown): void;
  /** The same, as Knex's `connectionPool` types a mysql2 pool (`MySQLPoolLike`): no cast needed. */
  end(callback?: (err?: Error) => void): void;
  end(
    callback?: ((err: NodeJS.ErrnoException | null, ...args: unknown[]) => unknown) | ((err?: Error) => void),
  ): void {
    this.ending ??= this.engine.end();
    this.ending.then(() => {
      if (callback) process.nextTick(callback, undefined);
    });
  }

  [Symbol.dispose](): void {
    if (!this.ending) this.end();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return new Promise((resolve) => this.end(() => resolve()));
  }

  /** mysql2's pool declares it but has none; a pool has no statement of its own to unprepare. */
  unprepare(_sql: string): never {
    throw new Error('unprepare() needs a connection: call it on one taken with pool.getConnection().');
  }

  escape(value: mysql.SqlValue): string {
    const { stringifyObjects, timezone } = this.config.connectionConfig;
    return mysql.escape(value, stringifyObjects, timezone);
  }

  escapeId(value: string | string[]): string {
    return mysql.escapeId(value, false);
  }

  format(sql: string, values?: mysql.SqlValue | mysql.SqlValue[]): string {
    const { stringifyObjects, timezone } = this.config.connectionConfig;
    return mysql.format(sql, values, stringifyObjects, timezone);
  }

  /**
   * A pool whose statements read from replicas, on this pool's nodes and connections: for the ORMs'
   * own replica features (Drizzle `withReplicas`, a second Kysely). docs/reads.md.
   */
  reader(): FailoverMysqlReader {
    this.readerPool ??= createMysqlReader(this);
    return this.readerPool;
  }

  /** mysql2's PromisePool around this pool (a new one per call, as mysql2 does). */
  promise(promiseImpl?: PromiseConstructor): FailoverMysqlPromisePool {
    return createPromisePool(this, promiseImpl, this.transactions);
  }

  /** What the single connections of `createMysql2Module` run on (following-connection.ts). */
  [followingSessionBase](): MysqlFollowingBase {
    if (this.ending) throw new PoolEndedError(CLOSED);
    return {
      engine: this.engine,
      maxAttempts: this.maxAttempts,
      multipleStatements: this.multipleStatements,
      connectionConfig: this.config.connectionConfig,
    };
  }

  private start(call: StatementCall): mysql.Query {
    const carrier = carrierFor(call, this.config.connectionConfig);
    this[sendCall](call, (error, outcome) => deliver(carrier, call, error, outcome));
    return carrier;
  }

  /**
   * Runs a parsed call on the current primary and hands `done` its outcome, with no Query object
   * around it: for the promise pools, which never hand one out.
   */
  [sendCall](call: StatementCall, done: Done<StatementOutcome>): void {
    if (this.ending) {
      done(new PoolEndedError(CLOSED));
      return;
    }
    const { multipleStatements } = this;
    const statement = this.withLiveNamedPlaceholders(call);
    if (call.exactlyOnce) {
      this.sendOnce(statement).then(
        (outcome) => done(undefined, outcome),
        (error: unknown) => done(error, undefined),
      );
      return;
    }
    const work: Work<mysql.PoolConnection, StatementOutcome> = (connection, _node, sent) =>
      sendStatement(connection, statement, multipleStatements, sent);
    if (call.replica) {
      let after: CausalPosition | undefined;
      try {
        after = call.replica.after === undefined ? undefined : this.engine.causalPosition(call.replica.after);
      } catch (error) {
        done(error, undefined);
        return;
      }
      this.engine.sendRead(work, after, done);
      return;
    }
    this.engine.send<StatementOutcome>(call.reRunnable ? RE_RUNNABLE : NOT_RE_RUNNABLE, work, done);
  }

  /**
   * An `exactlyOnce` statement: in a transaction with a fresh idempotency key, which stores the
   * result mysql2 gave (for a write, its OK packet: affectedRows, insertId, ...) for the caller of a
   * COMMIT whose connection died (exactly-once.ts).
   */
  private async sendOnce(call: StatementCall): Promise<StatementOutcome> {
    const result = await this.transactions.runOnce(
      (tx) =>
        (call.kind === 'query' ? tx.query(call.options) : tx.execute(call.options)) as Promise<unknown[]>,
      summarizeMysqlOutcome,
    );
    return result instanceof StoredResult ? mysqlOutcomeFromStored(result.value) : result;
  }

  /**
   * mysql2's pool reads `config.connectionConfig.namedPlaceholders` at every `query` (an app may turn
   * it on after creating the pool); the node pools' connections keep the value they were made with.
   */
  private withLiveNamedPlaceholders(call: StatementCall): StatementCall {
    const named = this.config.connectionConfig.namedPlaceholders;
    if (named === this.namedPlaceholders || call.options.namedPlaceholders !== undefined) return call;
    return { ...call, options: { ...call.options, namedPlaceholders: named } };
  }

  private poolEventSink(): MysqlPoolEventSink {
    return {
      // Every event carries the object the app gets for that connection from getConnection().
      connection: (connection) => this.emit('connection', facadeOf(connection, this.pins)),
      acquire: (connection) => {
        if (this.listenerCount('acquire') > 0) this.emit('acquire', facadeOf(connection, this.pins));
      },
      release: (connection) => {
        if (this.listenerCount('release') > 0) this.emit('release', facadeOf(connection, this.pins));
      },
      enqueue: () => this.emit('enqueue'),
    };
  }
}

/**
 * mysql2's Pool in the prototype chain, so that `pool instanceof mysql.Pool` holds (libraries check
 * it), without running its constructor (which starts mysql2's idle sweeper over its own, here
 * empty, queues): every public method of mysql2's Pool is this class's own.
 */
const MysqlPool = (mysql as unknown as { Pool?: { prototype: object } }).Pool;
if (MysqlPool) Object.setPrototypeOf(FailoverMysqlPool.prototype, MysqlPool.prototype);

const RE_RUNNABLE = { reRunnable: true } as const;
const NOT_RE_RUNNABLE = { reRunnable: false } as const;

type ConnectionConfigClass = new (options: mysql.ConnectionOptions) => mysql.ConnectionOptions;

/**
 * mysql2's pool settings with its defaults, and a real mysql2 ConnectionConfig built from the first
 * node's options (mysql2's PromisePool reads `config.connectionConfig.trace`; apps read `database`).
 */
function poolSettings(resolved: ResolvedPoolConfig<mysql.PoolOptions>): MysqlPoolSettings {
  const shared = resolved.shared;
  const first = resolved.perNode(resolved.nodes[0] as (typeof resolved.nodes)[number]);
  const ConnectionConfig = (mysql as unknown as { ConnectionConfig?: ConnectionConfigClass })
    .ConnectionConfig;
  const connectionConfig = hideSecrets(ConnectionConfig ? new ConnectionConfig(first) : { ...first }, first);
  return hideSecrets(
    {
      ...shared,
      waitForConnections: shared.waitForConnections ?? true,
      connectionLimit: shared.connectionLimit ?? 10,
      maxIdle: shared.maxIdle ?? shared.connectionLimit ?? 10,
      idleTimeout: shared.idleTimeout ?? 60_000,
      queueLimit: shared.queueLimit ?? 0,
      resetOnRelease: shared.resetOnRelease ?? false,
      connectionConfig,
    },
    shared,
  );
}
