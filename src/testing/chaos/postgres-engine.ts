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
  /** Pool options on top of the suite's defaults (a bounded wait for a primary); who promotes is the suite's. */
  pool?: Omit<PgPoolConfig, 'hosts' | 'host' | 'port' | 'connectionString' | 'promotion'>;
}

/**
 * A bounded wait for a primary, and no statement timeout: a write stuck on a hung node or a
 * partitioned network must end by the pool's own doing (failover.abandonAfterMs, and the check for
 * connections an outage left dead), not by a timeout the app had to know about.
 */
const POOL_DEFAULTS: PgPoolConfig = {
  failover: { waitForPrimaryMs: 20_000 },
};

/**
 * Where the library promotes: a standby notices a hung (SIGSTOPped) primary only when its WAL
 * receiver times out, 60 s by default, and says it receives until then, so rule 1 of
 * docs/promotion.md forbids a promotion. A deployment that counts on promotion by the library after
 * a hang lowers it. 5 s: an idle primary is still never taken for a silent one (the receiver asks
 * for a reply at half the timeout), and a hang costs seconds, close to MariaDB's 4 s in the harness
 * (slave_net_timeout).
 */
const LIBRARY_PROMOTION_SETTINGS = { wal_receiver_timeout: '5s' };

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
    startCluster: (shape, promoter) =>
      startPgCluster({
        ...options.cluster,
        ...shape,
        serverSettings: {
          ...(promoter === 'library' ? LIBRARY_PROMOTION_SETTINGS : {}),
          ...options.cluster?.serverSettings,
        },
      }),
    async loadPoolFactory() {
      const { createPgPool } = await import('../../drivers/pg/index');
      // The suite decides who promotes: `promotion` is set where the library does, absent elsewhere.
      return (cluster, promotion) =>
        createPgPool({ ...POOL_DEFAULTS, ...options.pool, ...cluster.connectionOptions, promotion });
    },
    readRows: (cluster, node, sql) =>
      cluster.query(node, sql, [], {
        connectTimeoutMs: 3_000,
        timeoutMs: 10_000,
        database: cluster.connectionOptions.database,
      }),
  });
}
