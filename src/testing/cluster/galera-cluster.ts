import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ClusterParts } from './cluster-base';
import { type CommonClusterOptions, type EngineTraits, startCluster } from './cluster-setup';
import { findGaleraBinaries, type GaleraBinaries } from './galera-binaries';
import {
  checkProviderOptions,
  type GaleraNodeSettings,
  type GaleraPorts,
  type GaleraProviderOptions,
  galeraServerArgs,
} from './galera-config';
import { allowBootstrap } from './galera-grastate';
import {
  describeGaleraStatus,
  GALERA_STATUS_SQL,
  type GaleraNodeStatus,
  galeraStatusOf,
  type StatusRow,
} from './galera-status';
import {
  MARIADB_ACCOUNTS,
  MariadbClusterBase,
  type MariadbClusterNode,
  MariadbNode,
  type MariadbQueryOptions,
  runnableByServers,
} from './mariadb-cluster-base';
import type { MariadbSettingValue } from './mariadb-config';
import type { MariadbServer } from './mariadb-server';
import { serverProcesses } from './process-group';
import type { TestCluster } from './test-cluster';

export interface GaleraClusterOptions extends Omit<CommonClusterOptions, 'replicas' | 'replication'> {
  /** How many nodes (default 3, at most 16). */
  nodes?: number;
  /** A folder holding mariadbd (default: FAILOVER_POOL_MARIADB_BIN, else the system's). */
  binDir?: string;
  /** The path of `libgalera_smm.so` (default: FAILOVER_POOL_GALERA_PROVIDER, else the usual folders). */
  provider?: string;
  /** Extra mariadbd options for every node, as `--name=value`. */
  serverSettings?: Record<string, MariadbSettingValue>;
  /** `wsrep_provider_options` for every node, over the harness's (GALERA_PROVIDER_DEFAULTS). */
  providerOptions?: GaleraProviderOptions;
}

export interface GaleraClusterNode extends MariadbClusterNode {
  /** The node's group communication, incremental and full state transfer ports. */
  readonly galeraPorts: GaleraPorts;
}

export interface GaleraQueryOptions extends MariadbQueryOptions {
  /**
   * A causal read (`wsrep_sync_wait = 1`): the node first applies every transaction the cluster
   * had committed when the statement arrived. Galera certifies a commit on every node before it
   * returns, but each node applies it in its own time: without this, a read on another node may
   * not see it yet.
   */
  causal?: boolean;
}

/**
 * A MariaDB Galera cluster: every node takes writes, and a node serves only while it is in the
 * Primary component (a majority), Synced and ready. As an operator does it: `kill` signals the
 * node's processes (a crash, a hang); `stop` shuts it down cleanly (it leaves the component, which
 * shrinks without losing its majority); `start` brings it back, and resolves once it is Synced
 * (a node started while no other runs starts a new cluster, with a new history, from its own data;
 * the others then join it by a full state transfer); `isolate` cuts it off the group at run time;
 * `bootstrap` makes a node of a component without a majority Primary.
 *
 * For code written against TestCluster: `primary` is the node the test writes through (node1 at
 * first), `promote(node)` and `switchover(to)` choose another once it is Synced, `repoint` has
 * nothing to change and waits until the node is Synced, `waitForReplication` waits until the node
 * is Synced, and `mostAdvanced` is the candidate that committed the highest sequence number.
 */
export interface GaleraCluster extends TestCluster<GaleraClusterNode, GaleraQueryOptions> {
  readonly engine: 'galera';
  /** The harness's admin account (every privilege). */
  readonly admin: { user: string; password: string };
  /** e.g. `10.11.19-MariaDB-0+deb12u1`. */
  readonly serverVersion: string;
  readonly binaries: GaleraBinaries;
  /** `wsrep_cluster_name` (the cluster's folder name). */
  readonly clusterName: string;
  /** The node's wsrep_* status. */
  status(node: string): Promise<GaleraNodeStatus>;
  /**
   * Cuts the node off the group (`gmcast.isolate=1`): it leaves the Primary component at once
   * and refuses queries (1047); the others go on without it once they notice (about 1.5 s here).
   * `false` lets it back: it rejoins and catches up by itself (see waitForSynced).
   */
  isolate(node: string, on: boolean): Promise<void>;
  /**
   * Makes the node's component Primary (`pc.bootstrap=YES`), as an operator does when no
   * component has a majority; resolves once the node is Synced. Refused while the node is in a
   * Primary component already.
   */
  bootstrap(node: string, timeoutMs?: number): Promise<void>;
  /**
   * Resolves once `node` is in the Primary component, Synced and ready; with 'all' (the default),
   * once every node is, in one component of every node.
   */
  waitForSynced(node?: string, timeoutMs?: number): Promise<void>;
}

const GALERA_TRAITS: EngineTraits = {
  syncOption: 'replication',
  folderTag: 'galera',
  accounts: MARIADB_ACCOUNTS,
  protocol: 'mysql',
  // The group communication, IST and SST ports (GaleraPorts).
  extraPortsPerNode: 3,
};

const MAX_NODES = 16;

/** A status read must not hang on a node that does not answer (SIGSTOP): it is polled again instead. */
const STATUS_LIMITS = { connectTimeoutMs: 3_000, timeoutMs: 5_000 };

function portsOf(parts: ClusterParts, index: number): GaleraPorts {
  const [group, ist, sst] = parts.extraPorts[index] ?? [];
  if (group === undefined || ist === undefined || sst === undefined) {
    throw new Error(`node${index + 1} has no Galera ports.`);
  }
  return { group, ist, sst };
}

class GaleraNode extends MariadbNode implements GaleraClusterNode {
  constructor(
    server: MariadbServer,
    readonly galeraPorts: GaleraPorts,
  ) {
    super(server);
  }
}

interface GaleraSettings {
  readonly serverSettings: Record<string, MariadbSettingValue>;
  readonly providerOptions: GaleraProviderOptions;
}

class GaleraTestCluster extends MariadbClusterBase<GaleraNode> implements GaleraCluster {
  readonly engine = 'galera';
  readonly description: string;
  readonly clusterName: string;
  private readonly defaultsFile: string;

  constructor(
    parts: ClusterParts,
    override readonly binaries: GaleraBinaries,
    private readonly settings: GaleraSettings,
  ) {
    // MariadbServer's serverId is the node's number: node1 is 1.
    super(parts, binaries, (server) => new GaleraNode(server, portsOf(parts, server.serverId - 1)));
    this.description = `MariaDB Galera ${this.shortVersion}`;
    this.clusterName = basename(parts.baseDir);
    this.defaultsFile = join(parts.baseDir, 'galera-defaults.cnf');
  }

  private settingsOf(server: MariadbServer, newCluster: boolean): GaleraNodeSettings {
    return {
      dataDir: server.dataDir,
      tmpDir: `${server.dataDir}-tmp`,
      port: server.port,
      serverId: server.serverId,
      name: server.name,
      clusterName: this.clusterName,
      provider: this.binaries.provider,
      ports: this.node(server.name).galeraPorts,
      peers: this.nodes.map((node) => node.galeraPorts.group),
      newCluster,
      defaultsFile: this.defaultsFile,
      providerOptions: this.settings.providerOptions,
      extra: this.settings.serverSettings,
    };
  }

  /**
   * node1 starts a new cluster from a freshly initialised folder; the others start empty and get
   * everything from a state transfer, one after the other (see galera-config.ts on joining two at once).
   */
  protected async initialise(): Promise<void> {
    const [first, ...others] = [...this.servers.values()];
    if (!first) throw new Error('A Galera cluster needs at least one node.');
    await writeFile(this.defaultsFile, '# Empty on purpose: see galeraServerArgs in galera-config.ts.\n', {
      mode: 0o644,
    });
    await Promise.all([...this.servers.values()].map((server) => this.ownedFolder(`${server.dataDir}-tmp`)));
    await Promise.all(others.map((server) => this.ownedFolder(server.dataDir)));
    await this.ownedFolder(first.dataDir);
    await this.installDb(first.dataDir);
    for (const server of [first, ...others]) await this.startServer(server);
    await this.waitForSynced('all');
  }

  /**
   * Joins the node to the running ones; alone, it starts a new cluster from its own data. Whether
   * another node runs is read from its processes, not from the harness's view: right after a kill
   * the exit of a node's process may not have been reported yet.
   */
  protected async startServer(server: MariadbServer): Promise<void> {
    const alone = [...this.servers.values()].every(
      (other) => other === server || serverProcesses(other.pid, other.dataDir).length === 0,
    );
    if (alone) await allowBootstrap(server.dataDir);
    await server.start(galeraServerArgs(this.settingsOf(server, alone)));
    await this.waitForSynced(server.name);
  }

  protected override sessionSetup(options: GaleraQueryOptions): string[] {
    return [...super.sessionSetup(options), ...(options.causal ? ['SET SESSION wsrep_sync_wait = 1'] : [])];
  }

  async status(name: string): Promise<GaleraNodeStatus> {
    return galeraStatusOf(await this.query<StatusRow>(name, GALERA_STATUS_SQL, [], STATUS_LIMITS));
  }

  async isolate(name: string, on: boolean): Promise<void> {
    this.assertUsable();
    await this.query(name, `SET GLOBAL wsrep_provider_options = 'gmcast.isolate=${on ? 1 : 0}'`);
  }

  async bootstrap(name: string, timeoutMs = 30_000): Promise<void> {
    this.assertUsable();
    const before = await this.status(name);
    if (before.clusterStatus === 'Primary') {
      throw new Error(
        `${name} is in a Primary component already (${describeGaleraStatus(before)}): bootstrap a node of a ` +
          'component without a majority. A node takes about 1.5 s to notice that it lost its majority.',
      );
    }
    await this.query(name, "SET GLOBAL wsrep_provider_options = 'pc.bootstrap=YES'");
    await this.waitForSynced(name, timeoutMs);
  }

  async waitForSynced(node = 'all', timeoutMs = 60_000): Promise<void> {
    const names = node === 'all' ? [...this.servers.keys()] : [this.server(node).name];
    const what = node === 'all' ? `all ${names.length} nodes` : node;
    await this.waitUntil(`${what} to be Synced in the Primary component`, timeoutMs, async () => {
      for (const name of names) {
        const status = await this.status(name);
        if (!status.synced || (node === 'all' && status.clusterSize !== names.length)) {
          return `${name}: ${describeGaleraStatus(status)}`;
        }
      }
      return true;
    });
  }

  /** Every node takes writes: the new writer only has to be a Synced member. */
  async promote(name: string): Promise<void> {
    this.assertUsable();
    await this.waitForSynced(name, 30_000);
    this.currentPrimary = name;
  }

  async repoint(replica: string, primary: string): Promise<void> {
    this.assertUsable();
    this.server(primary);
    if (replica === primary) throw new Error(`${replica} cannot replicate from itself.`);
    await this.waitForSynced(replica, 30_000);
  }

  async switchover(to: string): Promise<void> {
    this.assertUsable();
    if (to === this.currentPrimary) throw new Error(`${to} is already the primary.`);
    await this.promote(to);
  }

  /** The candidate that committed the most of the cluster's history; ties go to the first. */
  async mostAdvanced(candidates: readonly string[] = this.replicaNames()): Promise<string> {
    let best: { name: string; lastCommitted: number } | undefined;
    for (const name of candidates) {
      const { lastCommitted } = await this.status(name);
      if (!best || lastCommitted > best.lastCommitted) best = { name, lastCommitted };
    }
    if (!best) throw new Error('mostAdvanced needs at least one candidate.');
    return best.name;
  }

  protected async replicationState(replica: string): Promise<true | string> {
    const status = await this.status(replica);
    return status.synced ? true : describeGaleraStatus(status);
  }

  /**
   * A causal read on every other node: it returns once the node has applied everything the
   * cluster had committed (GTID positions are no measure here: Galera needs no binary log).
   */
  protected override async replicasHaveAll(): Promise<void> {
    const causal: GaleraQueryOptions = { causal: true };
    for (const name of this.replicaNames()) {
      await this.query(name, 'SELECT COUNT(*) AS n FROM mysql.global_priv', [], causal);
    }
  }
}

/**
 * Starts a MariaDB Galera cluster of `nodes` (default 3) real mariadbd processes on free loopback
 * ports, each with its own group communication, IST and SST ports, rsync state transfer, and
 * failure detection shortened to a second or two (GALERA_PROVIDER_DEFAULTS). node1 starts the
 * cluster, the others join it one by one; resolves once every node is Synced in one Primary
 * component. The servers run as the `mysql` account when the test process is root. They are
 * stopped and the folder removed by destroy(), at process exit, or by a reaper process if the test
 * process is killed.
 */
export async function startGaleraCluster(options: GaleraClusterOptions = {}): Promise<GaleraCluster> {
  const nodes = options.nodes ?? 3;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new Error(`nodes must be an integer from 1 to ${MAX_NODES}, got ${nodes}.`);
  }
  checkProviderOptions(options.providerOptions ?? {});
  return startCluster({
    traits: GALERA_TRAITS,
    options: { ...options, replicas: nodes - 1 },
    // Galera certifies every commit on every node before it returns: synchronous, as far as a
    // TestCluster's `replication` can say it.
    synchronous: nodes > 1,
    findBinaries: () => findGaleraBinaries({ binDir: options.binDir, provider: options.provider }),
    prepare: runnableByServers,
    create: (parts, binaries) =>
      new GaleraTestCluster(parts, binaries, {
        serverSettings: options.serverSettings ?? {},
        providerOptions: options.providerOptions ?? {},
      }),
  });
}
