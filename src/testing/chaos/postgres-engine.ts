/**
 * The chaos suite on PostgreSQL: clusters from `startPgCluster({ proxies: true })` and the app's
 * pool from `createPgPool`, given the proxies' addresses.
 */
import type { createPgPool, FailoverPgPool, PgPoolConfig } from '../../drivers/pg';
import { type PgCluster, type PgClusterOptions, startPgCluster } from '../cluster/postgres-cluster';
import { quoteLiteral, synchronousStandbyNames } from '../cluster/postgres-config';
import type { ChaosCluster, ChaosEngine, ChaosRow, ChaosSignal, ChaosWorkload } from './types';

export interface PgChaosEngineOptions {
  /** Passed to startPgCluster (binaries, tmpDir, server settings); replicas, synchronous and proxies are the suite's. */
  cluster?: Omit<PgClusterOptions, 'replicas' | 'synchronous' | 'proxies'>;
  /** Pool options on top of the suite's defaults (a query timeout, a bounded wait for a primary). */
  pool?: Omit<PgPoolConfig, 'hosts' | 'host' | 'port' | 'connectionString'>;
}

/**
 * Every wait bounded, as a production app configures it: a write stuck on a hung network must end
 * (hangs are detected by timeouts only), and 5 s is far above any healthy write, even at +400 ms
 * per round trip.
 */
const POOL_DEFAULTS: PgPoolConfig = {
  query_timeout: 5_000,
  failover: { waitForPrimaryMs: 20_000 },
};
const ADMIN_LIMITS = { connectTimeoutMs: 3_000, timeoutMs: 10_000 };

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

class PgChaosCluster implements ChaosCluster<FailoverPgPool> {
  readonly description: string;
  readonly nodes: readonly string[];
  /** Proxy `host:port` -> node name, to name the pool's primary. */
  private readonly byAddress: ReadonlyMap<string, string>;

  constructor(
    private readonly cluster: PgCluster,
    private readonly poolOptions: PgChaosEngineOptions['pool'],
    private readonly makePool: typeof createPgPool,
  ) {
    this.description = `PostgreSQL ${cluster.serverVersion}`;
    this.nodes = cluster.nodes.map((node) => node.name);
    this.byAddress = new Map(
      this.nodes.map((name) => [`${cluster.proxy(name).host}:${cluster.proxy(name).port}`, name]),
    );
  }

  get primary(): string {
    return this.cluster.primary;
  }

  proxy(node: string) {
    return this.cluster.proxy(node);
  }

  kill(node: string, signal: ChaosSignal): void {
    this.cluster.kill(node, signal);
  }

  start(node: string): Promise<void> {
    return this.cluster.start(node);
  }

  promote(node: string): Promise<void> {
    return this.cluster.promote(node);
  }

  repoint(replica: string, primary: string): Promise<void> {
    return this.cluster.repoint(replica, primary);
  }

  waitForReplication(replica: string, timeoutMs: number): Promise<void> {
    return this.cluster.waitForStreaming(replica, timeoutMs);
  }

  async synchronousStandby(): Promise<string | undefined> {
    const rows = await this.cluster.query<{ name: string }>(
      this.primary,
      "SELECT application_name AS name FROM pg_stat_replication WHERE sync_state = 'sync'",
      [],
      ADMIN_LIMITS,
    );
    return rows[0]?.name;
  }

  mostAdvanced(candidates: readonly string[]): Promise<string> {
    return this.cluster.mostAdvanced(candidates);
  }

  async setSynchronousStandbys(standbys: readonly string[]): Promise<void> {
    const value = quoteLiteral(synchronousStandbyNames(standbys));
    await this.cluster.query(
      this.primary,
      `ALTER SYSTEM SET synchronous_standby_names = ${value}`,
      [],
      ADMIN_LIMITS,
    );
    await this.cluster.query(this.primary, 'SELECT pg_reload_conf()', [], ADMIN_LIMITS);
  }

  query(node: string, sql: string): Promise<ChaosRow[]> {
    return this.cluster.query(node, sql, [], {
      ...ADMIN_LIMITS,
      database: this.cluster.connectionOptions.database,
    });
  }

  createPool(): FailoverPgPool {
    return this.makePool({
      ...POOL_DEFAULTS,
      ...this.poolOptions,
      ...this.cluster.connectionOptions,
    });
  }

  endPool(pool: FailoverPgPool): Promise<void> {
    return pool.end();
  }

  poolPrimary(pool: FailoverPgPool): string | null {
    const address = pool.topology().primary;
    return address === null ? null : (this.byAddress.get(address) ?? address);
  }

  destroy(): Promise<void> {
    return this.cluster.destroy();
  }
}

/** The PostgreSQL engine of the chaos matrix. */
export function pgChaosEngine(options: PgChaosEngineOptions = {}): ChaosEngine<FailoverPgPool> {
  return {
    name: 'postgresql',
    defaultWorkload: pgInsertWorkload,
    async start({ replicas, replication }) {
      // Loaded on use: `failover-pool/testing` must not need `pg` for a MariaDB-only user.
      const { createPgPool } = await import('../../drivers/pg/index');
      const cluster = await startPgCluster({
        ...options.cluster,
        replicas,
        synchronous: replication === 'sync',
        proxies: true,
      });
      return new PgChaosCluster(cluster, options.pool, createPgPool);
    },
  };
}
