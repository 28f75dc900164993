/**
 * `failover-pool/mysql2`: a mysql2 Pool (callback and promise) that follows the primary of a MySQL or
 * MariaDB cluster. The only entry point that loads `mysql2`.
 */

import type { MysqlPoolConfig } from './options';
import { FailoverMysqlPool } from './pool';
import type { FailoverMysqlPromisePool } from './promise-pool';

export type { FailoverQueryOptions } from './call-args';
export type { FollowingMysqlConnection } from './following-connection';
export { createMysql2Module, type Mysql2Module } from './module';
export type { MysqlPoolConfig } from './options';
export type { MysqlPoolEvents, MysqlPoolSettings } from './pool';
export { FailoverMysqlPool } from './pool';
export type { FailoverMysqlPromisePool } from './promise-pool';
export type { MysqlTransaction } from './transaction';

/** `mysql2.createPool(config)` becomes `createMysqlPool(config)`, with every node of the cluster in `hosts`. */
export function createMysqlPool(config: MysqlPoolConfig | string): FailoverMysqlPool {
  return new FailoverMysqlPool(config);
}

/** `mysql2/promise`'s `createPool(config)` becomes `createMysqlPromisePool(config)`. */
export function createMysqlPromisePool(config: MysqlPoolConfig | string): FailoverMysqlPromisePool {
  const promiseImpl =
    typeof config === 'string' ? undefined : (config.Promise as PromiseConstructor | undefined);
  return new FailoverMysqlPool(config).promise(promiseImpl);
}
export { READ_REPLICAS } from '../read-replicas';
