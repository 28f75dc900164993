import { mariadbUnavailable, withMariadbCluster } from '../lib/mariadb-cluster';
import { withPgCluster } from '../lib/pg-cluster';
import { mysqlPairs } from './mysql-subjects';
import { type OverheadPair, pgPair } from './subjects';
import { MYSQL_SETUP, type OverheadEngine, PG_SETUP } from './workloads';

/**
 * Each engine's cluster (a primary and two replicas, asynchronous, as apps mostly run) with the
 * workloads' tables, and the pairs measured on it. The cluster is destroyed whatever happens.
 */
export interface OverheadEngineKit {
  readonly engine: OverheadEngine;
  /** Why this engine's servers cannot run on this machine, or undefined when they can. */
  unavailable?(): string | undefined;
  withPairs<T>(use: (server: string, pairs: readonly OverheadPair[]) => Promise<T>): Promise<T>;
}

export const OVERHEAD_ENGINES: readonly OverheadEngineKit[] = [
  {
    engine: 'postgres',
    withPairs: (use) =>
      withPgCluster({ replicas: 2 }, PG_SETUP, (cluster) =>
        use(`PostgreSQL ${cluster.serverVersion} (${cluster.source}), primary + 2 streaming replicas`, [
          pgPair(cluster),
        ]),
      ),
  },
  {
    engine: 'mysql',
    unavailable: mariadbUnavailable,
    withPairs: (use) =>
      withMariadbCluster({ replicas: 2 }, MYSQL_SETUP, (cluster) =>
        use(`${cluster.serverVersion}, primary + 2 GTID replicas (asynchronous)`, mysqlPairs(cluster)),
      ),
  },
];
