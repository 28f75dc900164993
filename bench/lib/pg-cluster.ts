import pg from 'pg';
import { type PgCluster, type PgClusterOptions, startPgCluster } from '../../src/testing';
import { benchTmpDir } from './tmp-dir';

/**
 * Starts a cluster and runs `setup` statements as the app role on the primary. The caller must call
 * `destroy` (a failed setup destroys it here): a bench that fails half-way must leave no server behind.
 */
export async function withPgClusterHandle(
  options: PgClusterOptions,
  setup: readonly string[],
): Promise<{ cluster: PgCluster; destroy: () => Promise<void> }> {
  const cluster = await startPgCluster({
    tmpDir: benchTmpDir(),
    ...options,
    // The default (posix) puts dynamic shared memory in /dev/shm/PostgreSQL.*, which a SIGKILLed server
    // never removes: 1 MB and more per killed node, in RAM. mmap keeps it in the data folder, which
    // destroy() removes.
    serverSettings: { dynamic_shared_memory_type: 'mmap', ...options.serverSettings },
  });
  try {
    for (const sql of setup) await appQuery(cluster, cluster.primary, sql);
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return { cluster, destroy: () => cluster.destroy() };
}

/** Starts a cluster, hands it to `use`, and destroys it whatever happens. */
export async function withPgCluster<T>(
  options: PgClusterOptions,
  setup: readonly string[],
  use: (cluster: PgCluster) => Promise<T>,
): Promise<T> {
  const { cluster, destroy } = await withPgClusterHandle(options, setup);
  try {
    return await use(cluster);
  } finally {
    await destroy();
  }
}

/** The port of a node by name. */
export const portOf = (cluster: PgCluster, node: string): number => cluster.node(node).port;

/** Runs one statement as the app role on `node` over its own short-lived connection. */
export async function appQuery<R extends pg.QueryResultRow>(
  cluster: PgCluster,
  node: string,
  sql: string,
  values: unknown[] = [],
  timeoutMs = 10_000,
): Promise<R[]> {
  const { user, password, database } = cluster.connectionOptions;
  const client = new pg.Client({
    host: '127.0.0.1',
    port: portOf(cluster, node),
    user,
    password,
    database,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}
