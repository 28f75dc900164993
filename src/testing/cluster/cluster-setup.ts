import { realpathSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyProtocol } from '../fault-proxy/types';
import { BASE_DIR_PREFIX, ClusterCleanup } from './cleanup';
import type { ClusterParts } from './cluster-base';
import { NodeProxies } from './node-proxies';
import { allocatePorts } from './ports';
import { assertCanEnter, type RunAs, resolveRunAs, type ServerAccountPolicy } from './run-as';
import { HOST, type ReplicationMode } from './test-cluster';

/** Where clusters are created when the options name no folder (else the OS temp folder). */
export const TMPDIR_ENV = 'FAILOVER_POOL_TMPDIR';

/** The options every engine's start function takes alike. */
export interface CommonClusterOptions {
  /** Replicas next to the primary (default 2). */
  replicas?: number;
  /**
   * 'sync': synchronous replication to the first replica, under the engine's own option too
   * (PostgreSQL `synchronous`, MariaDB `semiSync`); default 'async'. For code that starts either engine.
   */
  replication?: ReplicationMode;
  /**
   * Where the cluster's folder is created (default: FAILOVER_POOL_TMPDIR, else the OS temp folder).
   * A memory file system such as /dev/shm makes start-up several times faster where file creation
   * is slow: a node's data folder holds about a thousand files.
   */
  tmpDir?: string;
  /**
   * A fault proxy in front of every node (default false). `connectionOptions.hosts` then lists the
   * proxies, and `proxy(name)` gives a node's proxy. Only the app goes through them: the replicas
   * replicate from the primary directly, so a fault on a proxy cuts the app alone.
   */
  proxies?: boolean;
}

/** What sets an engine's clusters apart at start-up, whatever the options. */
export interface EngineTraits {
  /** The engine's option for synchronous replication, for the error message. */
  readonly syncOption: string;
  /** 'pg' or 'mariadb': the folder is named failover-pool-<tag>-XXXXXX. */
  readonly folderTag: string;
  readonly accounts: ServerAccountPolicy;
  /** What the proxies in front of the nodes speak. */
  readonly protocol: ProxyProtocol;
  /** Free loopback ports each node needs besides its client port (default 0). */
  readonly extraPortsPerNode?: number;
}

/** What one engine adds to the shared start-up; `Binaries` is what its binary lookup finds. */
export interface ClusterRecipe<Cluster, Binaries> {
  readonly traits: EngineTraits;
  readonly options: CommonClusterOptions;
  /** The engine's own synchronous-replication option (`synchronous`, `semiSync`), if given. */
  readonly synchronous: boolean | undefined;
  /** Finds the server binaries, or throws saying why there are none. */
  findBinaries(): Binaries;
  /** Checks (and if need be copies) the binaries for the servers' account, once the folder exists. */
  prepare(binaries: Binaries, runAs: RunAs | undefined, baseDir: string): Promise<Binaries>;
  create(
    parts: ClusterParts,
    binaries: Binaries,
  ): Cluster & { setUp(): Promise<void>; destroy(): Promise<void> };
}

/**
 * The start-up every engine shares: a fresh folder under the temp folder, guarded by the cleanup
 * layers (destroy(), an exit hook, a reaper process), free loopback ports, the optional proxies,
 * then the engine's own set-up. Anything that fails half-way is torn down before the error is thrown.
 */
export async function startCluster<Cluster, Binaries>(
  recipe: ClusterRecipe<Cluster, Binaries>,
): Promise<Cluster> {
  const replicas = recipe.options.replicas ?? 2;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 16) {
    throw new Error(`replicas must be an integer from 0 to 16, got ${replicas}.`);
  }
  const { replication = recipe.synchronous ? 'sync' : 'async' } = recipe.options;
  if (recipe.synchronous !== undefined && recipe.synchronous !== (replication === 'sync')) {
    throw new Error(
      `${recipe.traits.syncOption}: ${recipe.synchronous} contradicts replication: '${replication}'.`,
    );
  }
  if (replication === 'sync' && replicas < 1) {
    throw new Error(`${recipe.traits.syncOption}: true needs at least one replica.`);
  }
  const found = recipe.findBinaries();
  const { accounts, folderTag, protocol } = recipe.traits;
  const runAs = resolveRunAs(accounts);
  // The real path: processes are matched to the cluster by their working directory, which the kernel
  // reports resolved (macOS's /var is a symlink).
  const parent = realpathSync(recipe.options.tmpDir ?? (process.env[TMPDIR_ENV] || tmpdir()));
  assertCanEnter(parent, runAs, 'the temporary folder', accounts);

  const baseDir = await mkdtemp(join(parent, `${BASE_DIR_PREFIX}${folderTag}-`));
  const cleanup = new ClusterCleanup(baseDir);
  let cluster: ReturnType<ClusterRecipe<Cluster, Binaries>['create']> | undefined;
  let proxies: NodeProxies | undefined;
  try {
    const binaries = await recipe.prepare(found, runAs, baseDir);
    const nodes = replicas + 1;
    const perNode = recipe.traits.extraPortsPerNode ?? 0;
    const allocated = await allocatePorts(nodes * (1 + perNode));
    const ports = allocated.slice(0, nodes);
    const extraPorts = ports.map((_, index) =>
      allocated.slice(nodes + index * perNode, nodes + (index + 1) * perNode),
    );
    if (recipe.options.proxies) {
      proxies = await NodeProxies.start(
        ports.map((port, index) => ({ name: `node${index + 1}`, host: HOST, port })),
        protocol,
      );
    }
    const parts = { baseDir, runAs, ports, extraPorts, cleanup, proxies, replication };
    cluster = recipe.create(parts, binaries);
    await cluster.setUp();
    return cluster;
  } catch (error) {
    await (cluster ? cluster.destroy() : Promise.all([proxies?.close(), cleanup.killAndRemove()])).catch(
      () => undefined,
    );
    throw error;
  }
}
