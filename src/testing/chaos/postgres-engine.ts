/**
 * The chaos suite on PostgreSQL: clusters from `startPgCluster({ proxies: true })` and the app's
 * pool from `createPgPool`, given the proxies' addresses.
 */
import type { FailoverPgPool, PgPoolConfig } from '../../drivers/pg';
import { type PgClusterOptions, startPgCluster } from '../cluster/postgres-cluster';
import { harnessChaosEngine } from './harness-engine';
import type { ChaosEngine, ChaosWorkload } from './types';

export interface PgChaosEngineOptions {
  /** Passed to startPgCluster (binaries, tmpDir, server settings); replicas, replication and proxies are the suite's. */
  cluster?: Omit<PgClusterOptions, 'replicas' | 'replication' | 'synchronous' | 'proxies'>;
  /** Pool options on top of the suite's defaults (a bounded wait for a primary). */
  pool?: Omit<PgPoolConfig, 'hosts' | 'host' | 'port' | 'connectionString'>;
}

/**
 * A bounded wait for a primary, and no statement timeout: a write stuck on a hung node or a
 * partitioned network must end by the pool's own doing (failover.abandonAfterMs, and the check for
 * connections an outage left dead), not by a timeout the app had to know about.
 */
const POOL_DEFAULTS: PgPoolConfig = {
  failover: { waitForPrimaryMs: 20_000 },
};

/** One row per insert, `id` deliberately not unique: a write applied twice must show as two rows. */
export const pgInsertWorkload: ChaosWorkload<FailoverPgPool> = {
  name: 'single-row insert',
  async setup(pool) {
    await pool.query('CREATE TABLE chaos_writes (seq bigserial PRIMARY KEY, id bigint NOT NULL)');
  },
  async write(pool, id) {
    await pool.query('INSERT INTO chaos_writes (id) VALUES ($1)', [id]);
  },
  idsSql: 'SELECT id::text AS id FROM chaos_writes',
};

/** The PostgreSQL engine of the chaos matrix. */
export function pgChaosEngine(options: PgChaosEngineOptions = {}): ChaosEngine<FailoverPgPool> {
  return harnessChaosEngine({
    name: 'postgresql',
    defaultWorkload: pgInsertWorkload,
    startCluster: (shape) => startPgCluster({ ...options.cluster, ...shape }),
    async loadPoolFactory() {
      const { createPgPool } = await import('../../drivers/pg/index');
      return (cluster) => createPgPool({ ...POOL_DEFAULTS, ...options.pool, ...cluster.connectionOptions });
    },
    readRows: (cluster, node, sql) =>
      cluster.query(node, sql, [], {
        connectTimeoutMs: 3_000,
        timeoutMs: 10_000,
        database: cluster.connectionOptions.database,
      }),
  });
}
