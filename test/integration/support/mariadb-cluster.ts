import mysql from 'mysql2/promise';
import { harness, type MariadbCluster, startMariadbCluster } from '../../../src/testing';
import type { MariadbClusterOptions } from '../../../src/testing/cluster/mariadb-cluster';
import { skipOrFail } from './required-servers';
import type { Queryable } from './write-workload';

/** Why MariaDB tests cannot run here, or undefined when they can (CI installs mariadb-server and requires it). */
export function mariadbUnavailable(): string | undefined {
  try {
    harness.findMariadbBinaries();
    return undefined;
  } catch (error) {
    const reason = (error as Error).message;
    skipOrFail('MariaDB (the MariaDB tests)', reason);
    return reason;
  }
}

/** A cluster with a `writes(id)` table in the app's database, created on the primary and replicated. */
export async function clusterWithTable(options: MariadbClusterOptions = {}): Promise<MariadbCluster> {
  const cluster = await startMariadbCluster(options);
  try {
    await cluster.query(cluster.primary, 'CREATE TABLE app.writes (id BIGINT PRIMARY KEY)');
    return cluster;
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}

/** Runs `statements` in one session on one node, as the app account (default) or the harness's admin; the last one's rows. */
export async function sessionQuery<R>(
  cluster: MariadbCluster,
  node: string,
  statements: readonly [string, unknown[]?][],
  as: 'app' | 'admin' = 'app',
): Promise<R[]> {
  const { user, password } = as === 'app' ? cluster.connectionOptions : cluster.admin;
  const connection = await mysql.createConnection({
    host: '127.0.0.1',
    port: cluster.node(node).port,
    user,
    password,
    database: cluster.connectionOptions.database,
    connectTimeout: 5_000,
  });
  connection.on('error', () => undefined);
  try {
    let rows: unknown = [];
    for (const [sql, values] of statements) [rows] = await connection.query(sql, values ?? []);
    return rows as R[];
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/** Runs `sql` as the app account on one node, over a direct connection. */
export function appQuery<R>(
  cluster: MariadbCluster,
  node: string,
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  return sessionQuery<R>(cluster, node, [[sql, values]]);
}

/**
 * Every id in `writes` on `node`, as strings. With `uncommitted`, also rows of transactions not
 * committed yet: a commit waiting for a semi-sync acknowledgement is in the binary log and its rows
 * exist, but no other session sees them until it completes.
 */
export async function idsOn(
  cluster: MariadbCluster,
  node: string,
  options: { uncommitted?: boolean } = {},
): Promise<string[]> {
  const isolation = options.uncommitted ? 'READ UNCOMMITTED' : 'REPEATABLE READ';
  const rows = await sessionQuery<{ id: number | string }>(
    cluster,
    node,
    [[`SET SESSION TRANSACTION ISOLATION LEVEL ${isolation}`], ['SELECT id FROM writes']],
    'admin',
  );
  return rows.map((row) => String(row.id));
}

export function address(cluster: MariadbCluster, node: string): string {
  return `127.0.0.1:${cluster.node(node).port}`;
}

/**
 * The write workload speaks PostgreSQL placeholders (`$1`); this gives it a mysql2 promise pool
 * (`?`), each statement with a client-side limit, so that a semi-sync commit that never gets its
 * acknowledgement fails the test instead of hanging it.
 */
export function queryable(
  pool: { query(options: mysql.QueryOptions, values?: unknown): Promise<unknown> },
  timeoutMs = 20_000,
): Queryable {
  return {
    query: (text, values) => pool.query({ sql: text.replace(/\$\d+/g, '?'), timeout: timeoutMs }, values),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
