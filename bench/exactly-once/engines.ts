import type { ReplicationMode } from '../../src/testing/cluster/index';
import { builtMysql2, builtPg } from '../lib/built-package';
import { mariadbUnavailable, withMariadbCluster } from '../lib/mariadb-cluster';
import { withPgCluster } from '../lib/pg-cluster';
import { MYSQL_SETUP, type OverheadEngine, PG_SETUP } from '../overhead/workloads';
import { type OnceSubject, onceSubject } from './subject';

const { createPgPool } = await builtPg();
const { createMysqlPromisePool } = await builtMysql2();

/** pg.Pool's default `max` and mysql2's default `connectionLimit`, as in the overhead bench. */
const POOL_SIZE = 10;

/**
 * Each engine's 3-node cluster in one replication mode, with one pool over all three nodes; the pool
 * is ended and the cluster destroyed whatever happens.
 */
export interface OnceEngineKit {
  readonly engine: OverheadEngine;
  /** Why this engine's servers cannot run on this machine, or undefined when they can. */
  unavailable?(): string | undefined;
  /** The replication mode as the table shows it. */
  replicationLabel(mode: ReplicationMode): string;
  withSubject<T>(mode: ReplicationMode, use: (subject: OnceSubject) => Promise<T>): Promise<T>;
}

async function usePool<P extends { end(): Promise<void> }, T>(pool: P, use: (pool: P) => Promise<T>) {
  try {
    return await use(pool);
  } finally {
    await pool.end();
  }
}

export const ONCE_ENGINES: readonly OnceEngineKit[] = [
  {
    engine: 'postgres',
    replicationLabel: (mode) => (mode === 'sync' ? 'sync' : 'async'),
    withSubject: (mode, use) =>
      withPgCluster({ replicas: 2, synchronous: mode === 'sync' }, PG_SETUP, (cluster) => {
        const { user, password, database, hosts } = cluster.connectionOptions;
        const server = `PostgreSQL ${cluster.serverVersion} (${cluster.source}), primary + 2 streaming replicas, ${mode}`;
        return usePool(createPgPool({ hosts, user, password, database, max: POOL_SIZE }), (pool) =>
          use(
            onceSubject('postgres', server, cluster, (text, values, exactlyOnce) =>
              // The plain side sends what an app sends today: no flag at all.
              pool.query(exactlyOnce ? { text, values, exactlyOnce } : { text, values }),
            ),
          ),
        );
      }),
  },
  {
    engine: 'mysql',
    unavailable: mariadbUnavailable,
    replicationLabel: (mode) => (mode === 'sync' ? 'semi-sync' : 'async'),
    withSubject: (mode, use) =>
      withMariadbCluster({ replicas: 2, semiSync: mode === 'sync' }, MYSQL_SETUP, (cluster) => {
        const { user, password, database, hosts } = cluster.connectionOptions;
        const replication = mode === 'sync' ? 'lossless semi-sync' : 'asynchronous';
        const server = `${cluster.serverVersion}, primary + 2 GTID replicas, ${replication}`;
        const options = { hosts, user, password, database, connectionLimit: POOL_SIZE };
        return usePool(createMysqlPromisePool(options), (pool) =>
          use(
            onceSubject('mysql', server, cluster, (sql, values, exactlyOnce) =>
              pool.query(exactlyOnce ? { sql, values, exactlyOnce } : { sql, values }),
            ),
          ),
        );
      }),
  },
];
