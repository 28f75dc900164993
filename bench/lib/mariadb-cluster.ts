import {
  findMariadbBinaries,
  type MariadbCluster,
  type MariadbClusterOptions,
  startMariadbCluster,
} from '../../src/testing';
import { benchTmpDir } from './tmp-dir';

/**
 * Why MariaDB clusters cannot start here (no mariadbd found), or undefined when they can. The benches
 * then skip the MariaDB side and say so, rather than fail every trial.
 */
export function mariadbUnavailable(): string | undefined {
  try {
    findMariadbBinaries();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Starts a MariaDB primary with GTID replicas and runs `setup` on the primary, in the app's database,
 * as the harness's admin (the app account may create tables there too; setup needs no difference).
 * The caller must call `destroy` (a failed setup destroys it here), as with the PostgreSQL clusters.
 */
export async function withMariadbClusterHandle(
  options: MariadbClusterOptions,
  setup: readonly string[],
): Promise<{ cluster: MariadbCluster; destroy: () => Promise<void> }> {
  const cluster = await startMariadbCluster({ tmpDir: benchTmpDir(), ...options });
  try {
    for (const sql of setup) await adminQuery(cluster, cluster.primary, sql, 60_000);
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return { cluster, destroy: () => cluster.destroy() };
}

/** Starts a cluster, hands it to `use`, and destroys it whatever happens. */
export async function withMariadbCluster<T>(
  options: MariadbClusterOptions,
  setup: readonly string[],
  use: (cluster: MariadbCluster) => Promise<T>,
): Promise<T> {
  const { cluster, destroy } = await withMariadbClusterHandle(options, setup);
  try {
    return await use(cluster);
  } finally {
    await destroy();
  }
}

/**
 * Runs one statement in the app's database as the admin on `node`, over its own connection. The
 * admin also reads read-only and demoted nodes, which the bench needs when it counts rows everywhere.
 */
export function adminQuery<R = Record<string, unknown>>(
  cluster: MariadbCluster,
  node: string,
  sql: string,
  timeoutMs = 10_000,
  values: unknown[] = [],
): Promise<R[]> {
  return cluster.query<R>(node, sql, values, {
    database: cluster.connectionOptions.database,
    timeoutMs,
    connectTimeoutMs: Math.min(timeoutMs, 5_000),
  });
}
