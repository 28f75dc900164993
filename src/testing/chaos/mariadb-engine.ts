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
import type { createMysqlPromisePool, FailoverMysqlPromisePool, MysqlPoolConfig } from '../../drivers/mysql2';
import { type AdminRun, withAdmin } from '../cluster/mariadb-client';
import {
  type MariadbCluster,
  type MariadbClusterOptions,
  startMariadbCluster,
} from '../cluster/mariadb-cluster';
import { replicaStatus } from '../cluster/mariadb-replication';
import { mostAdvancedOf, positionOf } from './mariadb-positions';
import type { ChaosCluster, ChaosEngine, ChaosRow, ChaosSignal, ChaosWorkload } from './types';

export interface MariadbChaosEngineOptions {
  /** Passed to startMariadbCluster (binaries, tmpDir, server settings); replicas, semiSync and proxies are the suite's. */
  cluster?: Omit<MariadbClusterOptions, 'replicas' | 'semiSync' | 'proxies'>;
  /** Pool options on top of the suite's defaults (a bounded wait for a primary). */
  pool?: Omit<MysqlPoolConfig, 'hosts' | 'host' | 'port' | 'uri'>;
}

/** Every wait bounded, as a production app configures it (see postgres-engine.ts). */
const POOL_DEFAULTS: MysqlPoolConfig = { failover: { waitForPrimaryMs: 20_000 } };
/**
 * mysql2 has no pool-wide statement timeout, so each write carries its own: a write stuck on a hung
 * network or on a semi-sync acknowledgement that never comes must end (as `query_timeout` does on
 * PostgreSQL); 5 s is far above any healthy write, even at +400 ms per round trip.
 */
const WRITE_TIMEOUT_MS = 5_000;
const ADMIN_LIMITS = { connectTimeoutMs: 3_000, timeoutMs: 10_000 };

/** One row per insert, `id` deliberately not unique: a write applied twice must show as two rows. */
export const mariadbInsertWorkload: ChaosWorkload<FailoverMysqlPromisePool> = {
  name: 'single-row insert',
  async setup(pool) {
    await pool.query('CREATE TABLE chaos_writes (seq BIGINT AUTO_INCREMENT PRIMARY KEY, id BIGINT NOT NULL)');
  },
  async write(pool, id) {
    await pool.query({ sql: 'INSERT INTO chaos_writes (id) VALUES (?)', timeout: WRITE_TIMEOUT_MS }, [id]);
  },
  idsSql: 'SELECT CAST(id AS CHAR) AS id FROM chaos_writes',
};

class MariadbChaosCluster implements ChaosCluster<FailoverMysqlPromisePool> {
  readonly description: string;
  readonly nodes: readonly string[];
  /** Proxy `host:port` -> node name, to name the pool's primary. */
  private readonly byAddress: ReadonlyMap<string, string>;

  constructor(
    private readonly cluster: MariadbCluster,
    private readonly poolOptions: MariadbChaosEngineOptions['pool'],
    private readonly makePool: typeof createMysqlPromisePool,
  ) {
    // '10.11.19-MariaDB-0+deb12u1' -> 'MariaDB 10.11.19'
    this.description = `MariaDB ${cluster.serverVersion.split('-')[0]}`;
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

  /** A MariaDB node is one process: the signal reaches every thread of it. */
  kill(node: string, signal: ChaosSignal): void {
    this.cluster.kill(node, signal);
  }

  start(node: string): Promise<void> {
    return this.cluster.start(node);
  }

  /** The harness applies everything the replica received before it takes writes. */
  promote(node: string): Promise<void> {
    return this.cluster.promote(node);
  }

  repoint(replica: string, primary: string): Promise<void> {
    return this.cluster.repoint(replica, primary);
  }

  /** Both threads running from the current primary, and, in semi-sync mode, acknowledging. */
  waitForReplication(replica: string, timeoutMs: number): Promise<void> {
    return this.cluster.waitForReplicating(replica, timeoutMs);
  }

  // No synchronousStandby(): a MariaDB semi-sync primary waits for an acknowledgement from any one
  // of its replicas (there is no setting for which, nor for how many), so an acknowledged commit may
  // be on either of them. The promoter then needs no standby named: it takes the most advanced one.

  /**
   * The replica that received the most, by GTID: a semi-sync acknowledgement is sent once the event
   * is in the replica's relay log, so what it received (Gtid_IO_Pos), not only what it applied
   * (gtid_slave_pos), decides. Every replica holds a prefix of the same binary log, so the one that
   * received the most holds every acknowledged commit; the others, repointed with `slave_pos`,
   * continue from a prefix of its history, which gtid_strict_mode accepts. Promoting another one would
   * lose acknowledged writes and leave a replica that cannot follow the new primary.
   */
  async mostAdvanced(candidates: readonly string[]): Promise<string> {
    const positions = [];
    for (const name of candidates) {
      const { received, applied, logged } = await this.positions(name);
      positions.push({ name, position: positionOf([received, applied, logged]) });
    }
    return mostAdvancedOf(positions);
  }

  private async positions(name: string) {
    return this.session(name, async (run) => {
      const status = await replicaStatus(run);
      const [row] = await run<{ applied: string; logged: string }>(
        'SELECT @@global.gtid_slave_pos AS applied, @@global.gtid_binlog_pos AS logged',
      );
      return { received: status?.gtidIoPos, applied: row?.applied, logged: row?.logged };
    });
  }

  /**
   * Runs `sql` as the harness's admin, READ UNCOMMITTED: under AFTER_SYNC a commit waiting for its
   * acknowledgement is already in the binary log, but its row is invisible to other sessions until
   * the acknowledgement comes, which on a stale primary nobody replicates from is never. A write the
   * pool wrongly sent there must still be seen (a stray), not hide behind the wait.
   */
  query(node: string, sql: string): Promise<ChaosRow[]> {
    return this.session(node, async (run) => {
      await run('SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED');
      return run<ChaosRow>(sql);
    });
  }

  /** A session of the harness's admin on the node itself (not through its proxy). */
  private async session<T>(node: string, work: (run: AdminRun) => Promise<T>): Promise<T> {
    const { port } = this.cluster.node(node);
    try {
      return await withAdmin(
        {
          port,
          password: this.cluster.admin.password,
          user: this.cluster.admin.user,
          database: this.cluster.connectionOptions.database,
          connectTimeoutMs: ADMIN_LIMITS.connectTimeoutMs,
          queryTimeoutMs: ADMIN_LIMITS.timeoutMs,
        },
        work,
      );
    } catch (error) {
      throw new Error(`On ${node} (port ${port}): ${(error as Error).message}`, { cause: error });
    }
  }

  createPool(): FailoverMysqlPromisePool {
    return this.makePool({
      ...POOL_DEFAULTS,
      ...this.poolOptions,
      ...this.cluster.connectionOptions,
    });
  }

  endPool(pool: FailoverMysqlPromisePool): Promise<void> {
    return pool.end();
  }

  poolPrimary(pool: FailoverMysqlPromisePool): string | null {
    const address = pool.topology().primary;
    return address === null ? null : (this.byAddress.get(address) ?? address);
  }

  destroy(): Promise<void> {
    return this.cluster.destroy();
  }
}

/**
 * The harness lets its first replica alone acknowledge semi-sync commits. A MariaDB deployment lets
 * every replica acknowledge (the primary waits for one): losing one replica then stalls nothing.
 * Repointing a replica at the same primary turns its acknowledgements on, and the harness keeps them
 * on across restarts and later repoints.
 */
async function acknowledgeFromEveryReplica(cluster: MariadbCluster): Promise<void> {
  const replicas = cluster.nodes.map((node) => node.name).filter((name) => name !== cluster.primary);
  for (const replica of replicas) await cluster.repoint(replica, cluster.primary);
  await Promise.all(replicas.map((replica) => cluster.waitForReplicating(replica, 30_000)));
}

/** The MariaDB engine of the chaos matrix. */
export function mariadbChaosEngine(
  options: MariadbChaosEngineOptions = {},
): ChaosEngine<FailoverMysqlPromisePool> {
  return {
    name: 'mariadb',
    defaultWorkload: mariadbInsertWorkload,
    async start({ replicas, replication }) {
      // Loaded on use: `failover-pool/testing` must not need `mysql2` for a PostgreSQL-only user.
      const { createMysqlPromisePool } = await import('../../drivers/mysql2/index');
      const semiSync = replication === 'sync';
      const cluster = await startMariadbCluster({ ...options.cluster, replicas, semiSync, proxies: true });
      try {
        if (semiSync) await acknowledgeFromEveryReplica(cluster);
        return new MariadbChaosCluster(cluster, options.pool, createMysqlPromisePool);
      } catch (error) {
        await cluster.destroy();
        throw error;
      }
    },
  };
}
