import type { EventEmitter } from 'node:events';
import type { FieldPacket, PoolConnection, QueryResult, QueryValues } from 'mysql2';
import type { ExecuteValues, Pool as PromisePool } from 'mysql2/promise';
import { FAILOVER_EVENT_NAMES } from '../../core/events';
import type { PoolHealth } from '../../core/health';
import type { PoolMetricsSnapshot } from '../../core/metrics/pool-metrics';
import type { Topology } from '../../core/topology';
import type { IdempotencyKeys, TransactionOptions } from '../../core/transaction-options';
import type { TransactionFunction, TransactionRunner } from '../../core/transaction-runner';
import { type FailoverQueryOptions, parseStatementCall } from './call-args';
import type { FailoverMysqlPool, MysqlPoolEvents } from './pool';
import { promisePoolClass } from './promise-classes';
import type { FailoverMysqlPromiseReader } from './reader';
import { sendCall } from './send-call';
import type { MysqlTransaction } from './transaction';

type Listener<K extends keyof MysqlPoolEvents> = (...args: MysqlPoolEvents[K]) => void;
type Result<T> = Promise<[T, FieldPacket[]]>;

/**
 * mysql2/promise's Pool that follows the primary: mysql2's own PromisePool class around a
 * FailoverMysqlPool. It takes failover-pool's query flags, re-emits failover-pool's events, and
 * shows the topology.
 */
export interface FailoverMysqlPromisePool extends PromisePool {
  /** The callback pool underneath (mysql2 names it `pool` too). */
  readonly pool: FailoverMysqlPool;
  /** The cluster as the monitor sees it now. */
  topology(): Topology;
  /** Whether a write could go somewhere now, and why not (no I/O: for readiness probes). docs/operations.md */
  health(): PoolHealth;
  /** The figures the OpenTelemetry instruments report, as a plain object. docs/operations.md */
  metrics(): PoolMetricsSnapshot;
  /** A token covering every write acknowledged so far, for a read's `after`. docs/reads.md */
  causalToken(): Promise<string>;
  /** A pool whose statements read from replicas (mysql2/promise's API), for the ORMs' replica features. docs/reads.md */
  reader(): FailoverMysqlPromiseReader;
  /**
   * Runs `fn` in a transaction on the current primary, and runs it again whole where that is safe
   * (failure before COMMIT, deadlock, lock wait timeout); with `idempotencyKey`, exactly once even
   * when the connection dies during COMMIT. `fn` may run more than once: it must only touch the
   * database through `tx`. See docs/transactions.md.
   */
  transaction<T>(fn: TransactionFunction<MysqlTransaction, T>, options?: TransactionOptions): Promise<T>;
  /** The idempotency keys `transaction()` stored: `purge({ olderThan })` removes old ones. */
  readonly idempotency: IdempotencyKeys;
  query<T extends QueryResult>(sql: string, values?: QueryValues): Result<T>;
  query<T extends QueryResult>(options: FailoverQueryOptions, values?: QueryValues): Result<T>;
  execute<T extends QueryResult>(sql: string, values?: ExecuteValues): Result<T>;
  execute<T extends QueryResult>(options: FailoverQueryOptions, values?: ExecuteValues): Result<T>;
  on<K extends keyof MysqlPoolEvents>(event: K, listener: Listener<K>): this;
  on(event: 'connection' | 'acquire' | 'release', listener: (connection: never) => unknown): this;
  on(event: 'enqueue', listener: () => unknown): this;
}

export function createPromisePool(
  core: FailoverMysqlPool,
  promiseImpl: PromiseConstructor | undefined,
  transactions: TransactionRunner<PoolConnection, MysqlTransaction>,
): FailoverMysqlPromisePool {
  const PromisePoolClass = promisePoolClass();
  const promisePool = new PromisePoolClass(core, promiseImpl);
  forwardEvents(core, promisePool, FAILOVER_EVENT_NAMES);
  const own = (value: unknown) => ({ value, enumerable: false });
  Object.defineProperties(promisePool, {
    query: own(promiseStatement(core, 'query', promiseImpl ?? Promise)),
    execute: own(promiseStatement(core, 'execute', promiseImpl ?? Promise)),
    topology: own(() => core.topology()),
    health: own(() => core.health()),
    metrics: own(() => core.metrics()),
    causalToken: own(() => core.causalToken()),
    reader: own(() => core.reader().promise()),
    transaction: own((fn: TransactionFunction<MysqlTransaction, unknown>, options?: TransactionOptions) =>
      transactions.run(fn, options),
    ),
    idempotency: own(core.idempotency),
    getConnection: own(
      callbackTolerant(promisePool.getConnection, (callback) => core.getConnection(callback)),
    ),
    end: own(callbackTolerant(promisePool.end, (callback) => core.end(callback))),
  });
  return promisePool as unknown as FailoverMysqlPromisePool;
}

// biome-ignore lint/suspicious/noExplicitAny: a callback of any shape, handed on as the caller gave it.
type NodeCallback = (...args: any[]) => unknown;

/**
 * mysql2/promise's method, unless it is given a callback: libraries written for the callback pool
 * (Kysely's MysqlDialect calls `getConnection(cb)` and `end(cb)`) would wait forever on mysql2's
 * promise pool, which ignores the callback. Given one, the callback pool underneath answers it.
 */
function callbackTolerant(
  promiseMethod: (...args: never[]) => unknown,
  withCallback: (callback: NodeCallback) => void,
): (...args: unknown[]) => unknown {
  return function (this: unknown, ...args: unknown[]) {
    const callback = args[0];
    if (typeof callback === 'function') {
      withCallback(callback as NodeCallback);
      return undefined;
    }
    return (promiseMethod as unknown as (...a: unknown[]) => unknown).apply(this, args);
  };
}

/**
 * mysql2/promise's query and execute, without the Query object that the callback pool must make
 * (and the promise pool drops): the statement is parsed and sent as the callback pool's own is.
 * Results, errors and their stacks are mysql2's: `[rows, fields]`, and with `trace` (on by default)
 * the caller's stack on the error, captured at the call.
 */
export function promiseStatement(
  core: FailoverMysqlPool,
  kind: 'query' | 'execute',
  PromiseClass: PromiseConstructor,
  readFrom: 'primary' | 'replica' = 'primary',
) {
  const method = (sql: unknown, values?: unknown): Promise<[unknown, unknown]> => {
    const stack = core.config.connectionConfig.trace ? captureStack(method) : undefined;
    if (typeof values === 'function')
      throw new Error('Callback function is not available with promise clients.');
    const call = parseStatementCall(
      kind,
      values === undefined ? [sql] : [sql, values],
      core.exactlyOnceByDefault,
      readFrom,
    );
    return new PromiseClass((resolve, reject) => {
      core[sendCall](call, (error, outcome) => {
        if (error) reject(withStack(error, stack));
        else resolve([outcome?.[0], outcome?.[1]]);
      });
    });
  };
  return method;
}

function captureStack(above: (...args: never[]) => unknown): { stack?: string } {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, above);
  return holder;
}

/** The error with the caller's stack in place of the driver's, its message and fields kept. */
function withStack(error: unknown, holder: { stack?: string } | undefined): unknown {
  if (!holder?.stack || !(error instanceof Error)) return error;
  const lines = holder.stack.split('\n');
  lines[0] = `${error.name}: ${error.message}`;
  error.stack = lines.join('\n');
  return error;
}

/**
 * Re-emits `events` of `source` on `target` while `target` has listeners for them, as mysql2's
 * inheritEvents does: a promise wrapper nobody listens to adds no listener to the pool (mysql2
 * makes a new wrapper on every `promise()` call).
 */
function forwardEvents(source: EventEmitter, target: EventEmitter, events: readonly string[]): void {
  const relays = new Map<string | symbol, (...args: unknown[]) => void>();
  target.on('newListener', (event: string | symbol) => {
    if (typeof event !== 'string' || !events.includes(event) || relays.has(event)) return;
    const relay = (...args: unknown[]) => target.emit(event, ...args);
    relays.set(event, relay);
    source.on(event, relay);
  });
  target.on('removeListener', (event: string | symbol) => {
    const relay = relays.get(event);
    if (!relay || target.listenerCount(event) > 0) return;
    relays.delete(event);
    source.off(event, relay);
  });
}
