import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import mysql from 'mysql2';
import { FailoverEngine } from '../../core/engine';
import { PoolEndedError } from '../../core/errors';
import type { FailoverEvents } from '../../core/events';
import type { IdempotencyKeys } from '../../core/transaction-options';
import { TransactionRunner } from '../../core/transaction-runner';
import { Mysql2Adapter } from './adapter';
import { type FailoverQueryOptions, parseStatementCall, type StatementCall } from './call-args';
import { carrierFor, deliver } from './carrier';
import type { MysqlPoolEventSink } from './node-pool';
import { hideSecrets, type MysqlPoolConfig, type ResolvedMysqlConfig, resolveMysqlConfig } from './options';
import { pinConnection } from './pinned-connection';
import { createPromisePool, type FailoverMysqlPromisePool } from './promise-pool';
import { runStatement } from './statement';
import { type MysqlTopology, toMysqlTopology } from './topology';
import { type MysqlTransaction, mysqlTransactionDriver } from './transaction';

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
  private readonly adapter: Mysql2Adapter;
  private readonly resolved: ResolvedMysqlConfig;
  /** `transaction()` of the promise pools around this one. */
  private readonly transactions: TransactionRunner<mysql.PoolConnection, MysqlTransaction>;
  private ending: Promise<void> | undefined;

  constructor(config: MysqlPoolConfig) {
    super();
    this.resolved = resolveMysqlConfig(config);
    this.config = poolSettings(this.resolved);
    this.adapter = new Mysql2Adapter(this.resolved, this.poolEventSink());
    this.engine = new FailoverEngine(
      this.resolved.nodes,
      this.adapter,
      this.resolved.failover,
      this.resolved.monitor,
      (event, ...args) => {
        this.emit(event, ...args);
      },
    );
    this.transactions = new TransactionRunner(
      this.engine,
      mysqlTransactionDriver(this.adapter, this.resolved.shared.multipleStatements === true),
      this.resolved.transactions,
      this.resolved.failover.retryDelayMs,
      (event, ...args) => {
        this.emit(event, ...args);
      },
    );
    this.idempotency = { purge: (options) => this.transactions.purge(options) };
    debug('pool over %s', this.resolved.nodes.map((n) => n.name).join(', '));
    this.engine.start();
  }

  /** The cluster as the monitor sees it now. */
  topology(): MysqlTopology {
    return toMysqlTopology(this.engine.topology());
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
    return this.start(parseStatementCall('query', args));
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
    return this.start(parseStatementCall('execute', args));
  }

  /** A connection pinned to the current primary; see pinned-connection.ts for its rules. */
  getConnection(
    callback: (err: NodeJS.ErrnoException | null, connection: mysql.PoolConnection) => unknown,
  ): void {
    const pinned = this.ending
      ? Promise.reject(new PoolEndedError())
      : this.engine.acquire().then((start) =>
          pinConnection(start, {
            engine: this.engine,
            adapter: this.adapter,
            connectionConfig: this.config.connectionConfig,
            multipleStatements: this.resolved.shared.multipleStatements === true,
          }),
        );
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
  end(callback?: (err: NodeJS.ErrnoException | null, ...args: unknown[]) => unknown): void {
    this.ending ??= this.engine.end();
    this.ending.then(() => {
      if (callback) process.nextTick(callback, undefined);
    });
  }

  [Symbol.dispose](): void {
    if (!this.ending) this.end();
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

  /** mysql2's PromisePool around this pool (a new one per call, as mysql2 does). */
  promise(promiseImpl?: PromiseConstructor): FailoverMysqlPromisePool {
    return createPromisePool(this, promiseImpl, this.transactions);
  }

  private start(call: StatementCall): mysql.Query {
    const carrier = carrierFor(call, this.config.connectionConfig);
    const multiple = this.resolved.shared.multipleStatements === true;
    const outcome = this.ending
      ? Promise.reject(new PoolEndedError())
      : this.engine.run({ reRunnable: call.reRunnable }, (connection) =>
          runStatement(connection, call, multiple),
        );
    deliver(carrier, call, outcome);
    return carrier;
  }

  private poolEventSink(): MysqlPoolEventSink {
    return {
      connection: (connection) => this.emit('connection', connection),
      acquire: (connection) => this.emit('acquire', connection),
      release: (connection) => this.emit('release', connection),
      enqueue: () => this.emit('enqueue'),
    };
  }
}

type ConnectionConfigClass = new (options: mysql.ConnectionOptions) => mysql.ConnectionOptions;

/**
 * mysql2's pool settings with its defaults, and a real mysql2 ConnectionConfig built from the first
 * node's options (mysql2's PromisePool reads `config.connectionConfig.trace`; apps read `database`).
 */
function poolSettings(resolved: ResolvedMysqlConfig): MysqlPoolSettings {
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
