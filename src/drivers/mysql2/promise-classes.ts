import type { EventEmitter } from 'node:events';
import type mysql from 'mysql2';
import mysqlPromise, {
  type Pool as PromisePool,
  type PoolConnection as PromisePoolConnection,
} from 'mysql2/promise';

/**
 * mysql2/promise's own wrapper classes, which it exports but does not type. The promise facade is
 * mysql2's PromisePool around the callback facade, so it behaves exactly as mysql2's (results as
 * [rows, fields], "Callback function is not available with promise clients", captured stacks with
 * `trace`), and a pinned connection's promise() is mysql2's PromisePoolConnection around it.
 */

type PromisePoolClass = new (
  pool: mysql.Pool,
  promiseImpl?: PromiseConstructor,
) => PromisePool & EventEmitter;
type PromiseConnectionClass = new (
  connection: mysql.PoolConnection,
  promiseImpl?: PromiseConstructor,
) => PromisePoolConnection;

interface PromiseModule {
  PromisePool?: PromisePoolClass;
  /** Exported under this name since mysql2 3.0 (later also as `PoolConnection`). */
  PromisePoolConnection?: PromiseConnectionClass;
}

const exported = mysqlPromise as unknown as PromiseModule;

export function promisePoolClass(): PromisePoolClass {
  return required(exported.PromisePool, 'PromisePool');
}

export function promiseConnectionClass(): PromiseConnectionClass {
  return required(exported.PromisePoolConnection, 'PromisePoolConnection');
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) {
    throw new Error(
      `This version of mysql2 does not export ${name} from mysql2/promise; failover-pool needs mysql2 3.9 or later.`,
    );
  }
  return value;
}
