/**
 * The chaos suite on MariaDB: clusters from `startMariadbCluster({ proxies: true })` (GTID replicas;
 * "sync" is lossless semi-sync, AFTER_SYNC, "async" plain asynchronous replication) and the app's
 * pool from `createMysqlPromisePool`, given the proxies' addresses.
 *
 * The pool logs in as the cluster's application account, never as root or the harness's admin:
 * on MariaDB 10.11 `read_only` does not stop an account holding READ ONLY ADMIN (root has it), so
 * a write the pool sent to a replica would succeed silently there (an errant transaction that
 * breaks the next repoint under gtid_strict_mode) instead of failing with 1290 as it must.
 */
import type { FailoverMysqlPromisePool, MysqlPoolConfig } from '../../drivers/mysql2';
import {
  type MariadbCluster,
  type MariadbClusterOptions,
  startMariadbCluster,
} from '../cluster/mariadb-cluster';
import { harnessChaosEngine } from './harness-engine';
import type { ChaosEngine, ChaosWorkload } from './types';

export interface MariadbChaosEngineOptions {
  /** Passed to startMariadbCluster (binaries, tmpDir, server settings); replicas, replication and proxies are the suite's. */
  cluster?: Omit<MariadbClusterOptions, 'replicas' | 'replication' | 'semiSync' | 'proxies'>;
  /** Pool options on top of the suite's defaults (a bounded wait for a primary); who promotes is the suite's. */
  pool?: Omit<MysqlPoolConfig, 'hosts' | 'host' | 'port' | 'uri' | 'promotion'>;
}

/** A bounded wait for a primary, and no statement timeout (see postgres-engine.ts). */
const POOL_DEFAULTS: MysqlPoolConfig = { failover: { waitForPrimaryMs: 20_000 } };

/** One row per insert, `id` deliberately not unique: a write applied twice must show as two rows. */
export const mariadbInsertWorkload: ChaosWorkload<FailoverMysqlPromisePool> = {
  name: 'single-row insert',
  async setup(pool) {
    await pool.query('CREATE TABLE chaos_writes (seq BIGINT AUTO_INCREMENT PRIMARY KEY, id BIGINT NOT NULL)');
  },
  async write(pool, id) {
    await pool.query('INSERT INTO chaos_writes (id) VALUES (?)', [id]);
  },
  idsSql: 'SELECT CAST(id AS CHAR) AS id FROM chaos_writes',
};

/**
 * The harness lets its first replica alone acknowledge semi-sync commits. A MariaDB deployment lets
 * every replica acknowledge (the primary waits for one): losing one replica then stalls nothing.
 * Repointing a replica at the same primary turns its acknowledgements on, and the harness keeps them
 * on across restarts and later repoints.
 */
async function acknowledgeFromEveryReplica(cluster: MariadbCluster): Promise<void> {
  const replicas = cluster.nodes.map((node) => node.name).filter((name) => name !== cluster.primary);
  for (const replica of replicas) await cluster.repoint(replica, cluster.primary);
  await Promise.all(replicas.map((replica) => cluster.waitForReplication(replica, 30_000)));
}

/** The MariaDB engine of the chaos matrix. */
export function mariadbChaosEngine(
  options: MariadbChaosEngineOptions = {},
): ChaosEngine<FailoverMysqlPromisePool> {
  return harnessChaosEngine({
    name: 'mariadb',
    defaultWorkload: mariadbInsertWorkload,
    // The harness's replicas notice a hung primary within seconds (slave_net_timeout 4 s): promotion
    // by the library needs nothing more.
    startCluster: (shape) => startMariadbCluster({ ...options.cluster, ...shape }),
    async loadPoolFactory() {
      const { createMysqlPromisePool } = await import('../../drivers/mysql2/index');
      // The suite decides who promotes: `promotion` is set where the library does, absent elsewhere.
      return (cluster, promotion) =>
        createMysqlPromisePool({
          ...POOL_DEFAULTS,
          ...options.pool,
          ...cluster.connectionOptions,
          promotion,
        });
    },
    readRows: (cluster, node, sql) =>
      cluster.query(node, sql, [], {
        connectTimeoutMs: 3_000,
        timeoutMs: 10_000,
        database: cluster.connectionOptions.database,
        readUncommitted: true,
      }),
    prepare: (cluster) => (cluster.semiSync ? acknowledgeFromEveryReplica(cluster) : Promise.resolve()),
  });
}
