import { EventEmitter } from 'node:events';
import type mysql from 'mysql2';
import { ConfigError } from '../../core/errors';
import { onlyStartsTransaction } from '../../core/transaction-start';
import { parseStatementCall } from './call-args';
import { carrierFor, deliver } from './carrier';
import type { FailoverMysqlPool } from './pool';
import { promiseStatement } from './promise-pool';
import { sendCall } from './send-call';

/** mysql2's statement methods, callback flavour: a Query comes back, as from mysql2's pool. */
// biome-ignore lint/suspicious/noExplicitAny: mysql2's query/execute overloads, taken whole.
type CallbackStatement = (...args: any[]) => mysql.Query;
// biome-ignore lint/suspicious/noExplicitAny: mysql2/promise's query/execute overloads, taken whole.
type PromiseStatement = (sql: any, values?: any) => Promise<[any, any]>;

/** A connection with no session: each statement reads from a replica on its own. */
export interface SessionlessConnection {
  query: CallbackStatement;
  execute: CallbackStatement;
  release(): void;
  promise(): SessionlessPromiseConnection;
}

export interface SessionlessPromiseConnection {
  query: PromiseStatement;
  execute: PromiseStatement;
  release(): void;
}

/**
 * `pool.reader()` on the mysql2 pools: a pool whose statements read from the replicas of the pool
 * it came from (within `reads.maxLagMs`), through that pool's own connections and monitor, with
 * mysql2's callback API; `promise()` gives mysql2/promise's. It opens nothing of its own and ends
 * with that pool (its `end()` does nothing). `getConnection()` gives a connection with no session:
 * each statement reads from a replica on its own (Kysely takes a connection for every statement);
 * it refuses a transaction, which belongs on the pool itself. docs/reads.md.
 */
export interface FailoverMysqlReader {
  query: CallbackStatement;
  execute: CallbackStatement;
  getConnection(
    callback: (error: NodeJS.ErrnoException | null, connection: SessionlessConnection) => unknown,
  ): void;
  releaseConnection(connection: { release(): void }): void;
  end(callback?: (error?: Error | null) => unknown): void;
  promise(): FailoverMysqlPromiseReader;
  escape(value: mysql.SqlValue): string;
  escapeId(value: string | string[]): string;
  format(sql: string, values?: mysql.SqlValue | mysql.SqlValue[]): string;
}

export interface FailoverMysqlPromiseReader {
  query: PromiseStatement;
  execute: PromiseStatement;
  getConnection(): Promise<SessionlessPromiseConnection>;
  releaseConnection(connection: { release(): void }): void;
  end(): Promise<void>;
  escape(value: mysql.SqlValue): string;
  escapeId(value: string | string[]): string;
  format(sql: string, values?: mysql.SqlValue | mysql.SqlValue[]): string;
}

/** A transaction needs one session: a reader's connection has none (ConfigError, code CONFIG). */
const noSession = () =>
  new ConfigError(
    'pool.reader()',
    "a reader's connection has no session: each statement reads from a replica on its own. Run the transaction on the pool (getConnection() or transaction()).",
  );

export function createMysqlReader(pool: FailoverMysqlPool): FailoverMysqlReader {
  const statement =
    (kind: 'query' | 'execute'): CallbackStatement =>
    (...args) => {
      const call = parseStatementCall(kind, args, false, 'replica');
      const carrier = carrierFor(call, pool.config.connectionConfig);
      if (onlyStartsTransaction(call.options.sql)) {
        process.nextTick(() => deliver(carrier, call, noSession(), undefined));
        return carrier;
      }
      pool[sendCall](call, (error, outcome) => deliver(carrier, call, error, outcome));
      return carrier;
    };
  const query = statement('query');
  const execute = statement('execute');
  const promiseReader = createPromiseReader(pool);
  // An EventEmitter that never emits, as ORMs listen for a connection's `error` (TypeORM checks
  // `listeners('error')`): a reader's connection has no socket of its own to fail.
  const connection: SessionlessConnection = Object.assign(new EventEmitter(), {
    query,
    execute,
    release: () => undefined,
    promise: () => ({ query: promiseReader.query, execute: promiseReader.execute, release: () => undefined }),
  });
  return {
    query,
    execute,
    getConnection: (callback) => process.nextTick(callback, null, connection),
    releaseConnection: () => undefined,
    end: (callback) => {
      if (callback) process.nextTick(callback, null);
    },
    promise: () => promiseReader,
    escape: (value) => pool.escape(value),
    escapeId: (value) => pool.escapeId(value),
    format: (sql, values) => pool.format(sql, values),
  };
}

function createPromiseReader(pool: FailoverMysqlPool): FailoverMysqlPromiseReader {
  const statement = (kind: 'query' | 'execute'): PromiseStatement => {
    const send = promiseStatement(pool, kind, Promise, 'replica');
    return (sql, values) => {
      const text = typeof sql === 'string' ? sql : (sql as { sql?: unknown } | null)?.sql;
      if (typeof text === 'string' && onlyStartsTransaction(text)) return Promise.reject(noSession());
      return send(sql, values);
    };
  };
  const query = statement('query');
  const execute = statement('execute');
  const connection: SessionlessPromiseConnection = { query, execute, release: () => undefined };
  return {
    query,
    execute,
    getConnection: () => Promise.resolve(connection),
    releaseConnection: () => undefined,
    end: () => Promise.resolve(),
    escape: (value) => pool.escape(value),
    escapeId: (value) => pool.escapeId(value),
    format: (sql, values) => pool.format(sql, values),
  };
}
