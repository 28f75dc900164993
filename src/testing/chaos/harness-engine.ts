/**
 * A chaos engine made of one of the harness's test clusters (started with a proxy in front of every
 * node) and failover-pool's pool for that engine: what the PostgreSQL and MariaDB engines are, each
 * a recipe of the few things that differ (postgres-engine.ts, mariadb-engine.ts).
 */
import type { FailoverEvents } from '../../core/events';
import type { PromotionOptions } from '../../core/promotion/options';
import type { ReplicationMode, TestCluster } from '../cluster/test-cluster';
import type {
  ChaosCluster,
  ChaosEngine,
  ChaosPromoter,
  ChaosRow,
  ChaosWorkload,
  LibraryPromotionEvent,
} from './types';

/** What the suite needs of a failover-pool pool. */
export interface ChaosPool {
  end(): Promise<void>;
  topology(): { primary: string | null };
  on<K extends keyof FailoverEvents>(event: K, listener: (...args: FailoverEvents[K]) => void): unknown;
}

export interface HarnessEngineRecipe<Pool extends ChaosPool, Cluster extends TestCluster> {
  readonly name: string;
  readonly defaultWorkload: ChaosWorkload<Pool>;
  /**
   * Starts a cluster of that shape, a proxy in front of every node, with the settings its recovery
   * needs (where the library promotes, its replicas must notice a hung primary within seconds).
   */
  startCluster(
    shape: { replicas: number; replication: ReplicationMode; proxies: true },
    promoter: ChaosPromoter,
  ): Promise<Cluster>;
  /**
   * Loaded on use: `failover-pool/testing` must not need the driver of an engine the user does not test.
   * The factory takes the `promotion` option where the library promotes.
   */
  loadPoolFactory(): Promise<(cluster: Cluster, promotion: PromotionOptions | undefined) => Pool>;
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
    this.byAddress = new Map(cluster.nodes.map(({ name }) => [proxyAddress(cluster, name), name]));
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
    return address === null ? null : this.nodeAt(address);
  }

  watchPromotion(pool: Pool, listener: (event: LibraryPromotionEvent) => void): void {
    pool.on('promotionStarted', (e) => listener({ kind: 'promotionStarted', from: this.nodeAt(e.from) }));
    pool.on('promoted', (e) =>
      listener({
        kind: 'promoted',
        node: this.nodeAt(e.node),
        tookMs: e.tookMs,
        notRepointed: e.notRepointed.map((node) => this.nodeAt(node)),
      }),
    );
    pool.on('promotionSkipped', (e) => listener({ kind: 'promotionSkipped', reason: e.reason }));
    pool.on('repointed', (e) =>
      listener({ kind: 'repointed', node: this.nodeAt(e.node), to: this.nodeAt(e.to) }),
    );
    pool.on('fenced', (e) => listener({ kind: 'fenced', node: this.nodeAt(e.node) }));
  }

  private nodeAt(address: string): string {
    return this.byAddress.get(address) ?? address;
  }
}

function proxyAddress(cluster: TestCluster, node: string): string {
  const proxy = cluster.proxy(node);
  return `${proxy.host}:${proxy.port}`;
}

/**
 * Promotion by the library for the app's pools: the harness's least-privileged account, and the
 * nodes' own addresses for the replicas, which must not stream through the app's fault proxies.
 */
async function libraryPromotion(cluster: TestCluster): Promise<PromotionOptions> {
  const { user, password } = await cluster.createPromotionAccount();
  const replicationHosts = Object.fromEntries(
    cluster.nodes.map((node) => [proxyAddress(cluster, node.name), `${node.host}:${node.port}`]),
  );
  return { enabled: true, user, password, replicationHosts };
}

/** The chaos engine of a recipe: a fresh cluster per trial, destroyed if its preparation fails. */
export function harnessChaosEngine<Pool extends ChaosPool, Cluster extends TestCluster>(
  recipe: HarnessEngineRecipe<Pool, Cluster>,
): ChaosEngine<Pool> {
  return {
    name: recipe.name,
    defaultWorkload: recipe.defaultWorkload,
    async start({ promoter, ...shape }) {
      const makePool = await recipe.loadPoolFactory();
      const cluster = await recipe.startCluster({ ...shape, proxies: true }, promoter);
      try {
        await recipe.prepare?.(cluster);
        const promotion = promoter === 'library' ? await libraryPromotion(cluster) : undefined;
        return new HarnessChaosCluster(cluster, recipe, (c) => makePool(c, promotion));
      } catch (error) {
        await cluster.destroy();
        throw error;
      }
    },
  };
}
