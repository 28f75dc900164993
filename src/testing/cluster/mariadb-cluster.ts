import type { ClusterParts } from './cluster-base';
import { type CommonClusterOptions, type EngineTraits, startCluster } from './cluster-setup';
import { copyTree } from './copy-tree';
import { findMariadbBinaries, type MariadbBinaries } from './mariadb-binaries';
import {
  MARIADB_ACCOUNTS,
  MariadbClusterBase,
  type MariadbClusterNode,
  MariadbNode,
  type MariadbQueryOptions,
  POLL_LIMITS,
  runnableByServers,
} from './mariadb-cluster-base';
import { changeMasterSql, type MariadbSettingValue, type NodeSettings, serverArgs } from './mariadb-config';
import { mostAdvancedOf, positionOnNode } from './mariadb-positions';
import { applyUpTo, demote, promote, replicaStatus, repoint } from './mariadb-replication';
import type { MariadbServer } from './mariadb-server';
import type { TestCluster } from './test-cluster';

export type { MariadbClusterNode, MariadbQueryOptions } from './mariadb-cluster-base';

export interface MariadbClusterOptions extends CommonClusterOptions {
  /**
   * Lossless semi-synchronous replication (default false): the primary acknowledges a commit only
   * once the first replica has it (AFTER_SYNC), and never falls back to asynchronous during a test.
   */
  semiSync?: boolean;
  /** How long a semi-sync commit waits for a replica before MariaDB falls back (default 1 hour). */
  semiSyncTimeoutMs?: number;
  /** A folder holding mariadbd (default: FAILOVER_POOL_MARIADB_BIN, else the system's). */
  binDir?: string;
  /** Extra mariadbd options for every node, as `--name=value`. */
  serverSettings?: Record<string, MariadbSettingValue>;
}

/**
 * A MariaDB primary and GTID replicas. As a failover tool (Orchestrator, MaxScale) does it: `query`
 * runs as the harness's admin unless told otherwise; `start` brings a node back read-only unless it
 * is the primary; `promote` applies what the replica received, detaches it and makes it writable
 * (STOP SLAVE; RESET SLAVE ALL); `repoint` makes a node (a replica or a former primary) read-only
 * and points it at another primary with GTIDs; `switchover` puts the primary read-only, lets `to`
 * catch up, promotes it and repoints the others; `mostAdvanced` compares GTID sequences per domain
 * and throws when the candidates' histories have diverged.
 */
export interface MariadbCluster extends TestCluster<MariadbClusterNode, MariadbQueryOptions> {
  readonly engine: 'mariadb';
  /** The harness's admin account (every privilege: it can write to a read-only node). */
  readonly admin: { user: string; password: string };
  /** e.g. `10.11.19-MariaDB-0+deb12u1`. */
  readonly serverVersion: string;
  readonly semiSync: boolean;
  readonly binaries: MariadbBinaries;
  /** waitForReplication under MariaDB's name: both replica threads run, from `from`'s port. */
  waitForReplicating(replica: string, timeoutMs?: number, from?: string): Promise<void>;
}

const MARIADB_TRAITS: EngineTraits = {
  syncOption: 'semiSync',
  folderTag: 'mariadb',
  accounts: MARIADB_ACCOUNTS,
  protocol: 'mysql',
};

const HOUR_MS = 3_600_000;

interface MariadbSettings {
  readonly semiSyncTimeoutMs: number;
  readonly serverSettings: Record<string, MariadbSettingValue>;
}

class MariadbTestCluster extends MariadbClusterBase<MariadbNode> implements MariadbCluster {
  readonly engine = 'mariadb';
  readonly description: string;
  readonly semiSync: boolean;

  /** Nodes that acknowledge semi-sync commits (the first replica, then every repointed node). */
  private readonly semiSyncReplicas = new Set<string>();

  constructor(
    parts: ClusterParts,
    binaries: MariadbBinaries,
    private readonly settings: MariadbSettings,
  ) {
    super(parts, binaries, (server) => new MariadbNode(server));
    this.description = `MariaDB ${this.shortVersion}`;
    this.semiSync = parts.replication === 'sync';
  }

  /** The node's command line follows the harness's view of its role. */
  private settingsOf(server: MariadbServer): NodeSettings {
    const primary = server.name === this.currentPrimary;
    return {
      dataDir: server.dataDir,
      tmpDir: `${server.dataDir}-tmp`,
      port: server.port,
      serverId: server.serverId,
      readOnly: !primary,
      semiSyncPrimary: this.semiSync && primary,
      semiSyncReplica: this.semiSync && this.semiSyncReplicas.has(server.name),
      semiSyncTimeoutMs: this.settings.semiSyncTimeoutMs,
      extra: this.settings.serverSettings,
    };
  }

  protected async initialise(): Promise<void> {
    const servers = [...this.servers.values()];
    const primary = this.server('node1');
    await this.ownedFolder(primary.dataDir);
    await Promise.all(servers.map((server) => this.ownedFolder(`${server.dataDir}-tmp`)));
    await this.installDb(primary.dataDir);
    // Replicas are copies of the freshly initialised folder: the same accounts, the same (empty) history.
    const replicas = servers.filter((server) => server !== primary);
    await Promise.all(
      replicas.map((replica) => copyTree(primary.dataDir, replica.dataDir, this.parts.runAs)),
    );
    if (this.semiSync && replicas[0]) this.semiSyncReplicas.add(replicas[0].name);
    await Promise.all(servers.map((server) => this.startServer(server)));
    await Promise.all(
      replicas.map((replica) =>
        this.withNode(replica.name, async (run) => {
          await run(changeMasterSql(primary.port, this.secrets.replication, 'slave_pos'));
          await run('START SLAVE');
        }),
      ),
    );
    await Promise.all(replicas.map((replica) => this.waitForReplicating(replica.name)));
    if (this.semiSync && replicas.length > 0) await this.waitForSemiSync('node1');
  }

  protected startServer(server: MariadbServer): Promise<void> {
    return server.start(serverArgs(this.settingsOf(server)));
  }

  /** Until the primary has a semi-sync replica connected (its commits would wait for one otherwise). */
  private async waitForSemiSync(primary: string, timeoutMs = 30_000): Promise<void> {
    await this.waitUntil(`a semi-sync replica to connect to ${primary}`, timeoutMs, async () => {
      const rows = await this.query<{ Variable_name: string; Value: string }>(
        primary,
        "SHOW STATUS LIKE 'Rpl_semi_sync_master_clients'",
        [],
        POLL_LIMITS,
      );
      const clients = Number(rows[0]?.Value ?? 0);
      return clients > 0 ? true : `${clients} semi-sync replicas connected`;
    });
  }

  async promote(name: string): Promise<void> {
    this.assertUsable();
    const server = this.server(name);
    try {
      await this.withNode(name, (run) => promote(run, this.semiSync, name));
    } catch (error) {
      throw server.failure(`Promoting ${name} failed: ${(error as Error).message}`, error);
    }
    this.currentPrimary = name;
    this.semiSyncReplicas.delete(name);
  }

  async repoint(replica: string, primary: string): Promise<void> {
    this.assertUsable();
    if (replica === primary) throw new Error(`${replica} cannot replicate from itself.`);
    const upstream = this.server(primary);
    await this.withNode(replica, (run) =>
      repoint(run, upstream.port, this.secrets.replication, this.semiSync),
    );
    if (this.semiSync) this.semiSyncReplicas.add(replica);
  }

  async switchover(to: string): Promise<void> {
    this.assertUsable();
    const from = this.currentPrimary;
    if (to === from) throw new Error(`${to} is already the primary.`);
    this.server(to);
    await this.waitForReplicating(to, 30_000, from);
    // From here the app's writes on `from` are refused (1290) while committing ones finish.
    const written = await this.withNode(from, demote);
    const caughtUp = await this.withNode(to, (run) => applyUpTo(run, written, 60));
    if (!caughtUp) throw new Error(`${to} did not apply ${from}'s last writes (${written}) within 60 s.`);
    await this.promote(to);
    const others = [...this.servers.keys()].filter((name) => name !== to);
    await Promise.all(others.map((name) => this.repoint(name, to)));
    await Promise.all(others.map((name) => this.waitForReplicating(name, 30_000, to)));
    if (this.semiSync) await this.waitForSemiSync(to);
  }

  /**
   * A semi-sync acknowledgement may come from any replica, so only the one that received the most
   * surely holds every acknowledged commit; the others, repointed with `slave_pos`, continue from
   * a prefix of its history, which gtid_strict_mode accepts.
   */
  async mostAdvanced(candidates: readonly string[] = this.replicaNames()): Promise<string> {
    const positions = [];
    for (const name of candidates) {
      const limits = { connectTimeoutMs: 3_000, timeoutMs: 10_000 };
      positions.push({ name, position: await this.withNode(name, positionOnNode, limits) });
    }
    return mostAdvancedOf(positions);
  }

  waitForReplicating(replica: string, timeoutMs?: number, from?: string): Promise<void> {
    return this.waitForReplication(replica, timeoutMs, from);
  }

  /** Both replica threads run, from `from`'s port; a semi-sync replica also acknowledges. */
  protected async replicationState(replica: string, _from: string, fromPort: number): Promise<true | string> {
    const status = await this.withNode(replica, replicaStatus, POLL_LIMITS);
    if (!status) return 'not a replica';
    if (status.ioRunning !== 'Yes' || status.sqlRunning !== 'Yes' || status.sourcePort !== fromPort) {
      const error = status.lastError ? ` (${status.lastError})` : '';
      return `IO ${status.ioRunning}, SQL ${status.sqlRunning}, from port ${status.sourcePort}${error}`;
    }
    if (!this.semiSync || !this.semiSyncReplicas.has(replica)) return true;
    const [row] = await this.query<{ Value: string }>(
      replica,
      "SHOW STATUS LIKE 'Rpl_semi_sync_slave_status'",
      [],
      POLL_LIMITS,
    );
    return row?.Value === 'ON' ? true : `semi-sync replica status ${row?.Value}`;
  }
}

/**
 * Starts a MariaDB primary ('node1') and `replicas` GTID replicas as real mariadbd processes on free
 * loopback ports, in a fresh folder under FAILOVER_POOL_TMPDIR or the OS temp folder. The servers run
 * as the `mysql` account when the test process is root. They are stopped and the folder removed by
 * destroy(), at process exit, or by a reaper process if the test process is killed.
 */
export function startMariadbCluster(options: MariadbClusterOptions = {}): Promise<MariadbCluster> {
  return startCluster({
    traits: MARIADB_TRAITS,
    options,
    synchronous: options.semiSync,
    findBinaries: () => findMariadbBinaries({ binDir: options.binDir }),
    prepare: runnableByServers,
    create: (parts, binaries) =>
      new MariadbTestCluster(parts, binaries, {
        semiSyncTimeoutMs: options.semiSyncTimeoutMs ?? HOUR_MS,
        serverSettings: options.serverSettings ?? {},
      }),
  });
}
