import mysql, { type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import {
  createMysqlPromisePool,
  type FailoverMysqlPromisePool,
  type MysqlTransaction,
} from '../../../src/drivers/mysql2';
import { harness, type MariadbCluster, startMariadbCluster } from '../../../src/testing';
import type { AppPool, AppPoolOptions, AppSession, EngineFixture, Row } from './engine-fixture';
import { commonPoolConfig, withWritesTable } from './engine-fixture';
import { skipOrFail } from './required-servers';
import { idsIn } from './rows';

/** Why MariaDB tests cannot run here, or undefined when they can (CI installs mariadb-server and requires it). */
export function mariadbUnavailable(): string | undefined {
  const reason = harness.missingServer('mariadb');
  if (reason) skipOrFail('MariaDB (the MariaDB tests)', reason);
  return reason;
}

/** `$1`, `$2`... as mysql2's `?`. */
const questionMarks = (text: string) => text.replace(/\$\d+/g, '?');

/** The rows of a statement's result, or none for a write's OK packet. */
const rowsOf = (result: unknown): Row[] => (Array.isArray(result) ? (result as Row[]) : []);

function session(connection: PoolConnection): AppSession {
  return {
    query: async (sql, values) => rowsOf((await connection.query(questionMarks(sql), values))[0]),
    begin: () => connection.beginTransaction(),
    commit: () => connection.commit(),
    rollback: () => connection.rollback(),
    serverPort: async () =>
      Number((await connection.query<RowDataPacket[]>('SELECT @@port AS port'))[0][0]?.port),
    release: () => connection.release(),
  };
}

/** failover-pool's mysql2 promise pool, driven as AppPool; `timeout` bounds every statement. */
export function mariadbAppPool(
  pool: FailoverMysqlPromisePool,
  timeout?: number,
): AppPool<FailoverMysqlPromisePool> {
  return {
    raw: pool,
    query: async (sql, values) => rowsOf((await pool.query({ sql: questionMarks(sql), timeout }, values))[0]),
    read: async (sql, values, options) =>
      rowsOf(
        (await pool.query({ sql: questionMarks(sql), timeout, readFrom: 'replica', ...options }, values))[0],
      ),
    causalToken: () => pool.causalToken(),
    session: async () => session(await pool.getConnection()),
    transaction: (fn, options) =>
      pool.transaction(
        (tx: MysqlTransaction) =>
          fn({ rows: async (sql, values) => rowsOf((await tx.query(questionMarks(sql), values))[0]) }),
        options,
      ),
    topology: () => pool.topology(),
    health: () => pool.health(),
    metrics: () => pool.metrics(),
    on: (event, listener) => void pool.on(event, listener),
    end: () => pool.end(),
  };
}

/** The pool options, with mysql2's own name for the pool size (the statement timeout goes with each statement). */
const mysqlPoolConfig = (cluster: MariadbCluster, options: AppPoolOptions) => ({
  ...commonPoolConfig(cluster, options),
  ...(options.maxConnections && { connectionLimit: options.maxConnections }),
});

export const mariadbFixture: EngineFixture<FailoverMysqlPromisePool, MariadbCluster> = {
  name: 'MariaDB',
  engine: 'mariadb',
  start: ({ writesTable, ...options } = {}) => withWritesTable(startMariadbCluster(options), writesTable),
  startCall: 'startMariadbCluster()',
  pool: (cluster, options = {}) =>
    mariadbAppPool(createMysqlPromisePool(mysqlPoolConfig(cluster, options)), options.statementTimeoutMs),
  sql: questionMarks,
  protocol: 'mysql',
  async portBehind(cluster, hostPort, connectTimeoutMs = 5_000) {
    const [host, port] = hostPort.split(':');
    const { user, password } = cluster.connectionOptions;
    const connection = await mysql.createConnection({
      host,
      port: Number(port),
      user,
      password,
      connectTimeout: connectTimeoutMs,
    });
    connection.on('error', () => undefined);
    try {
      return Number((await connection.query<RowDataPacket[]>('SELECT @@port AS port'))[0][0]?.port);
    } finally {
      connection.destroy();
    }
  },
  sleepSql: (seconds) => `SELECT SLEEP(${seconds})`,
  idsOn: (cluster, node, options = {}) =>
    idsIn(cluster, node, 'writes', { readUncommitted: options.uncommitted }),
  shownByPool: (pool) => JSON.stringify([pool.topology(), pool.raw.pool.config]),
  accessDenied: { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 },
  types: { serial: 'BIGINT AUTO_INCREMENT', text: 'VARCHAR(64)' },
  abortsOnError: false,
  switchoverErrors: [],
};

/** The MariaDB fixture when mariadbd is on this machine. */
export const mariadbFixtures = (): EngineFixture<FailoverMysqlPromisePool, MariadbCluster>[] =>
  mariadbUnavailable() === undefined ? [mariadbFixture] : [];
