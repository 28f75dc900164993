import { randomBytes } from 'node:crypto';
import { lchown, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mysqlOperations } from '../../dialects/mysql/operations';
import { ClusterBase, ClusterNode, type ClusterParts } from './cluster-base';
import { type CommonClusterOptions, type EngineTraits, startCluster } from './cluster-setup';
import { copyTree } from './copy-tree';
import { findMariadbBinaries, MARIADB_BIN_ENV, type MariadbBinaries } from './mariadb-binaries';
import { type SessionRun, withMariadbSession } from './mariadb-client';
import {
  ADMIN_USER,
  APP_DATABASE,
  APP_USER,
  type ClusterSecrets,
  changeMasterSql,
  installArgs,
  type MariadbSettingValue,
  type NodeSettings,
  setupSql,
} from './mariadb-config';
import { mostAdvancedOf, positionOnNode } from './mariadb-positions';
import { applyUpTo, demote, promote, replicaStatus, repoint } from './mariadb-replication';
import { MariadbServer } from './mariadb-server';
import { type AccountStatement, mariadbPromotionAccount } from './promotion-account';
import { assertCanRun, type ServerAccountPolicy } from './run-as';
import { serverEnvironment } from './server-environment';
import { runToCompletion } from './server-process';
import type { NodeQueryOptions, TestCluster, TestClusterNode } from './test-cluster';

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

export interface MariadbClusterNode extends TestClusterNode {
  readonly serverId: number;
}

export interface MariadbQueryOptions extends NodeQueryOptions {
  /**
   * Read what other sessions have not committed yet (READ UNCOMMITTED). Under AFTER_SYNC a commit
   * waiting for its acknowledgement is in the binary log, but its rows stay hidden from other
   * sessions until the acknowledgement comes, which on a primary nobody replicates from is never.
   */
  readUncommitted?: boolean;
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

const MARIADB_ACCOUNTS: ServerAccountPolicy = {
  engine: 'MariaDB',
  accounts: ['mysql', 'nobody'],
  binary: 'mariadbd',
  binEnv: MARIADB_BIN_ENV,
};

const MARIADB_TRAITS: EngineTraits = {
  syncOption: 'semiSync',
  folderTag: 'mariadb',
  accounts: MARIADB_ACCOUNTS,
  protocol: 'mysql',
};

const HOUR_MS = 3_600_000;

/** Waits of the harness's own polling sessions: short, so a hung node is retried rather than waited on. */
const POLL_LIMITS = { connectTimeoutMs: 2_000, timeoutMs: 2_000 };

/** Client variables (MYSQL_PWD, MYSQL_TCP_PORT...) and systemd's notify socket are not the test server's business. */
const notForMariadb = (key: string) =>
  key.startsWith('MYSQL') || key.startsWith('MARIADB') || key === 'NOTIFY_SOCKET';

class MariadbNode extends ClusterNode<MariadbServer> implements MariadbClusterNode {
  get serverId(): number {
    return this.server.serverId;
  }
}

interface MariadbSettings {
  readonly semiSyncTimeoutMs: number;
  readonly serverSettings: Record<string, MariadbSettingValue>;
}

class MariadbTestCluster extends ClusterBase<MariadbServer, MariadbNode> implements MariadbCluster {
  readonly engine = 'mariadb';
  readonly description: string;
  protected readonly operations = mysqlOperations;
  readonly admin: MariadbCluster['admin'];
  readonly serverVersion: string;
  readonly semiSync: boolean;

  private readonly secrets: ClusterSecrets;
  /** Nodes that acknowledge semi-sync commits (the first replica, then every repointed node). */
  private readonly semiSyncReplicas = new Set<string>();

  constructor(
    parts: ClusterParts,
    readonly binaries: MariadbBinaries,
    private readonly settings: MariadbSettings,
  ) {
    const secret = () => randomBytes(12).toString('hex');
    const secrets = { admin: secret(), replication: secret(), app: secret() };
    super(parts, {
      env: serverEnvironment(notForMariadb),
      app: { user: APP_USER, password: secrets.app, database: APP_DATABASE },
      createServer: ({ name, port, dataDir, index }, environment) =>
        new MariadbServer(name, port, dataDir, index + 1, binaries.server, environment),
      createNode: (server) => new MariadbNode(server),
    });
    this.secrets = secrets;
    this.serverVersion = binaries.version;
    // '10.11.19-MariaDB-0+deb12u1' -> 'MariaDB 10.11.19'
    this.description = `MariaDB ${binaries.version.split('-')[0]}`;
    this.semiSync = parts.replication === 'sync';
    this.admin = { user: ADMIN_USER, password: secrets.admin };
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

  /** A folder the servers' account owns (the base folder is the test process's). */
  private async ownedFolder(path: string): Promise<void> {
    await mkdir(path, { mode: 0o750 });
    const { runAs } = this.parts;
    if (runAs) await lchown(path, runAs.uid, runAs.gid);
  }

  private async installDb(dataDir: string): Promise<void> {
    const setupFile = join(this.baseDir, 'setup.sql');
    await writeFile(setupFile, setupSql(this.secrets), { mode: 0o640 });
    const { runAs } = this.parts;
    if (runAs) await lchown(setupFile, runAs.uid, runAs.gid);
    await runToCompletion(
      this.binaries.installDb,
      installArgs(dataDir, this.binaries.baseDir, setupFile, `${dataDir}-tmp`),
      {
        cwd: this.baseDir,
        env: serverEnvironment(notForMariadb),
        runAs,
        logFile: join(this.baseDir, 'install-db.log'),
      },
      `mariadb-install-db of ${dataDir}`,
    );
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
    await Promise.all(servers.map((server) => server.start(this.settingsOf(server))));
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
    return server.start(this.settingsOf(server));
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

  query<R = Record<string, unknown>>(
    name: string,
    sql: string,
    params: unknown[] = [],
    options: MariadbQueryOptions = {},
  ): Promise<R[]> {
    return this.withNode(
      name,
      async (run) => {
        if (options.readUncommitted) await run('SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED');
        return run<R>(sql, params);
      },
      options,
    );
  }

  /** A session on one node: the harness's admin's, or with `as: 'app'` the application account's. */
  private withNode<T>(
    name: string,
    work: (run: SessionRun) => Promise<T>,
    options: NodeQueryOptions = {},
  ): Promise<T> {
    const app = options.as === 'app' ? this.connectionOptions : undefined;
    return this.onNode(name, (port) =>
      withMariadbSession(
        {
          port,
          user: app?.user,
          password: app?.password ?? this.secrets.admin,
          connectTimeoutMs: options.connectTimeoutMs,
          queryTimeoutMs: options.timeoutMs,
          database: options.database ?? app?.database,
        },
        work,
      ),
    );
  }

  /**
   * A semi-sync acknowledgement may come from any replica, so only the one that received the most
   * surely holds every acknowledged commit; the others, repointed with `slave_pos`, continue from
   * a prefix of its history, which gtid_strict_mode accepts.
   */
  protected promotionAccountStatements(user: string, password: string): AccountStatement[] {
    return mariadbPromotionAccount(user, password);
  }

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
    async prepare(binaries, runAs) {
      assertCanRun(dirname(binaries.server), runAs, MARIADB_ACCOUNTS);
      return binaries;
    },
    create: (parts, binaries) =>
      new MariadbTestCluster(parts, binaries, {
        semiSyncTimeoutMs: options.semiSyncTimeoutMs ?? HOUR_MS,
        serverSettings: options.serverSettings ?? {},
      }),
  });
}
