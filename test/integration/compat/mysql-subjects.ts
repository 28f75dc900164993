import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import type { MysqlPoolConfig } from '../../../src/drivers/mysql2/index';
import { type BuildFormat, loadMysqlBuild } from './builds';
import type { ServerAddress } from './servers';

/**
 * Something that makes mysql2 pools, in one flavour: mysql2 itself (the control) or failover-pool's
 * `createMysqlPool` / `createMysqlPromisePool` from one of its builds.
 */
export interface MysqlSubject<P> {
  readonly name: string;
  readonly raw: boolean;
  /** A pool on `server` with mysql2 pool `options`; failover-pool gets the address as `hosts`. */
  pool(server: ServerAddress, options?: mysql.PoolOptions): P;
  /** A pool given exactly what mysql2's createPool is given (an options object or a URI string). */
  poolFromMysqlConfig(config: mysql.PoolOptions | string): P;
}

const address = (server: ServerAddress) => ({
  host: server.host,
  port: server.port,
  user: server.user,
  password: server.password,
  database: server.database,
});

function withHosts(server: ServerAddress, options: mysql.PoolOptions): MysqlPoolConfig {
  const { host: _host, port: _port, ...rest } = options;
  const { host, port, ...credentials } = address(server);
  return { ...credentials, ...rest, hosts: [`${host}:${port}`] } as MysqlPoolConfig;
}

const rawCallback: MysqlSubject<mysql.Pool> = {
  name: 'mysql2 Pool',
  raw: true,
  pool: (server, options = {}) => mysql.createPool({ ...address(server), ...options }),
  poolFromMysqlConfig: (config) => mysql.createPool(config as mysql.PoolOptions),
};

const rawPromise: MysqlSubject<mysqlPromise.Pool> = {
  name: 'mysql2/promise Pool',
  raw: true,
  pool: (server, options = {}) => mysqlPromise.createPool({ ...address(server), ...options }),
  poolFromMysqlConfig: (config) => mysqlPromise.createPool(config as mysql.PoolOptions),
};

async function failoverSubjects(
  format: BuildFormat,
): Promise<[MysqlSubject<mysql.Pool>, MysqlSubject<mysqlPromise.Pool>]> {
  const { createMysqlPool, createMysqlPromisePool } = await loadMysqlBuild(format);
  // The pools claim to be mysql2's; the tests hold them as such, as an app would.
  const callbackPool = (config: MysqlPoolConfig) => createMysqlPool(config) as unknown as mysql.Pool;
  const promisePool = (config: MysqlPoolConfig) =>
    createMysqlPromisePool(config) as unknown as mysqlPromise.Pool;
  return [
    {
      name: `failover-pool ${format} callback`,
      raw: false,
      pool: (server, options = {}) => callbackPool(withHosts(server, options)),
      poolFromMysqlConfig: (config) => callbackPool(config as MysqlPoolConfig),
    },
    {
      name: `failover-pool ${format} promise`,
      raw: false,
      pool: (server, options = {}) => promisePool(withHosts(server, options)),
      poolFromMysqlConfig: (config) => promisePool(config as MysqlPoolConfig),
    },
  ];
}

const [esmCallback, esmPromise] = await failoverSubjects('ESM');
const [cjsCallback, cjsPromise] = await failoverSubjects('CJS');

export const callbackSubjects: MysqlSubject<mysql.Pool>[] = [rawCallback, esmCallback, cjsCallback];
export const promiseSubjects: MysqlSubject<mysqlPromise.Pool>[] = [rawPromise, esmPromise, cjsPromise];

type AnyClass = abstract new (...args: never[]) => object;
/** mysql2's classes that apps and libraries check with instanceof (exported at run time, not in its types). */
export const mysqlClasses = {
  Pool: (mysql as unknown as { Pool: AnyClass }).Pool,
  PromisePool: (mysqlPromise as unknown as { PromisePool: AnyClass }).PromisePool,
  PromisePoolConnection: (mysqlPromise as unknown as { PromisePoolConnection: AnyClass })
    .PromisePoolConnection,
};
