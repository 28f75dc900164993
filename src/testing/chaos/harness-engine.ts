/**
 * A chaos engine made of one of the harness's test clusters (started with a proxy in front of every
 * node) and failover-pool's pool for that engine: what the PostgreSQL and MariaDB engines are, each
 * a recipe of the few things that differ (postgres-engine.ts, mariadb-engine.ts).
 */
import type { ReplicationMode, TestCluster } from '../cluster/test-cluster';
import type { ChaosCluster, ChaosEngine, ChaosRow, ChaosWorkload } from './types';

/** What the suite needs of a failover-pool pool. */
export interface ChaosPool {
  end(): Promise<void>;
  topology(): { primary: string | null };
}

export interface HarnessEngineRecipe<Pool extends ChaosPool, Cluster extends TestCluster> {
  readonly name: string;
  readonly defaultWorkload: ChaosWorkload<Pool>;
  /** Starts a cluster of that shape, a proxy in front of every node. */
  startCluster(shape: { replicas: number; replication: ReplicationMode; proxies: true }): Promise<Cluster>;
  /** Loaded on use: `failover-pool/testing` must not need the driver of an engine the user does not test. */
  loadPoolFactory(): Promise<(cluster: Cluster) => Pool>;
  readRows(cluster: Cluster, node: string, sql: string): Promise<ChaosRow[]>;
  /** Runs once the cluster is up, before the trial uses it. */
  prepare?(cluster: Cluster): Promise<void>;
}

class HarnessChaosCluster<Pool extends ChaosPool, Cluster extends TestCluster> implements ChaosCluster<Pool> {
  /** Proxy `host:port` -> node name, to name the pool's primary. */
  private readonly byAddress: ReadonlyMap<string, string>;

  constructor(
    readonly cluster: Cluster,
    private readonly recipe: HarnessEngineRecipe<Pool, Cluster>,
    private readonly makePool: (cluster: Cluster) => Pool,
  ) {
    this.byAddress = new Map(
      cluster.nodes.map(({ name }) => [`${cluster.proxy(name).host}:${cluster.proxy(name).port}`, name]),
    );
  }

  readRows(node: string, sql: string): Promise<ChaosRow[]> {
    return this.recipe.readRows(this.cluster, node, sql);
  }

  createPool(): Pool {
    return this.makePool(this.cluster);
  }

  endPool(pool: Pool): Promise<void> {
    return pool.end();
  }

  poolPrimary(pool: Pool): string | null {
    const address = pool.topology().primary;
    return address === null ? null : (this.byAddress.get(address) ?? address);
  }
}

/** The chaos engine of a recipe: a fresh cluster per trial, destroyed if its preparation fails. */
export function harnessChaosEngine<Pool extends ChaosPool, Cluster extends TestCluster>(
  recipe: HarnessEngineRecipe<Pool, Cluster>,
): ChaosEngine<Pool> {
  return {
    name: recipe.name,
    defaultWorkload: recipe.defaultWorkload,
    async start(options) {
      const makePool = await recipe.loadPoolFactory();
      const cluster = await recipe.startCluster({ ...options, proxies: true });
      try {
        await recipe.prepare?.(cluster);
        return new HarnessChaosCluster(cluster, recipe, makePool);
      } catch (error) {
        await cluster.destroy();
        throw error;
      }
    },
  };
}
