import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import type { MariadbCluster } from '../../src/testing';
import { builtMysql2 } from '../lib/built-package';
import type { OverheadPair, Runner } from './subjects';

const { createMysqlPool, createMysqlPromisePool } = await builtMysql2();

/** The callback API's query, as a promise: the same wrapper on both sides, so it cancels out. */
function callbackRunner(pool: {
  query(sql: string, values: unknown[], callback: (error: Error | null) => void): unknown;
  end(callback: (error?: unknown) => void): void;
}): Runner {
  return {
    query: (sql, params) =>
      new Promise<void>((resolve, reject) => {
        pool.query(sql, params, (error) => (error ? reject(error) : resolve()));
      }),
    close: () => new Promise<void>((resolve) => pool.end(() => resolve())),
  };
}

/**
 * Two pairs on the same MariaDB primary, each with the same connectionLimit on both sides:
 * - the promise API (`mysql2/promise` createPool vs createMysqlPromisePool): what app code written
 *   with async/await uses, and Drizzle's mysql2 driver;
 * - the callback API (`mysql2` createPool vs createMysqlPool): what Knex, TypeORM and Kysely drive
 *   underneath.
 * The raw side connects to the primary only; ours lists every node, so its monitor probes all three.
 */
export function mysqlPairs(cluster: MariadbCluster): OverheadPair[] {
  const { user, password, database, hosts } = cluster.connectionOptions;
  const primary = cluster.node(cluster.primary);
  const rawOptions = (poolSize: number) => ({
    host: primary.host,
    port: primary.port,
    user,
    password,
    database,
    connectionLimit: poolSize,
  });
  const oursOptions = (poolSize: number) => ({ hosts, user, password, database, connectionLimit: poolSize });
  return [
    {
      engine: 'mysql',
      raw: 'mysql2/promise createPool',
      ours: 'createMysqlPromisePool',
      open(side, poolSize) {
        const pool =
          side === 'raw'
            ? mysqlPromise.createPool(rawOptions(poolSize))
            : createMysqlPromisePool(oursOptions(poolSize));
        return { query: (sql, params) => pool.query(sql, params), close: () => pool.end() };
      },
    },
    {
      engine: 'mysql',
      raw: 'mysql2 createPool (callback)',
      ours: 'createMysqlPool (callback)',
      open(side, poolSize) {
        return callbackRunner(
          side === 'raw' ? mysql.createPool(rawOptions(poolSize)) : createMysqlPool(oursOptions(poolSize)),
        );
      },
    },
  ];
}
