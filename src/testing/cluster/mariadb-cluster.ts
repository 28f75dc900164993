import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { lchown, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FaultProxy } from '../fault-proxy/types';
import { BASE_DIR_PREFIX, ClusterCleanup } from './cleanup';
import { copyTree } from './copy-tree';
import { findMariadbBinaries, MARIADB_BIN_ENV, type MariadbBinaries } from './mariadb-binaries';
import { type AdminRun, withAdmin } from './mariadb-client';
import {
  ADMIN_USER,
  APP_DATABASE,
  APP_USER,
  type ClusterSecrets,
  changeMasterSql,
  HOST,
  installArgs,
  type MariadbSettingValue,
  type NodeSettings,
  setupSql,
} from './mariadb-config';
import { applyUpTo, demote, promote, replicaStatus, repoint } from './mariadb-replication';
import { MariadbServer } from './mariadb-server';
import { NodeProxies } from './node-proxies';
import { allocatePorts, releasePorts } from './ports';
import { TMPDIR_ENV } from './postgres-cluster';
import { spawnDetached } from './process-group';
import { assertCanEnter, assertCanRun, type RunAs, resolveRunAs, type ServerAccountPolicy } from './run-as';
import { serverEnvironment } from './server-environment';
import { failureWithLog } from './server-process';
import { waitUntil } from './wait-until';

export interface MariadbClusterOptions {
  /** GTID replicas next to the primary (default 2). */
  replicas?: number;
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
  /** Where the cluster's folder is created (default: FAILOVER_POOL_TMPDIR, else the OS temp folder). */
  tmpDir?: string;
  /**
   * A fault proxy (protocol 'mysql') in front of every node (default false). `connectionOptions.hosts`
   * then lists the proxies, and `proxy(name)` gives a node's proxy. Only the app goes through them:
   * the replicas replicate from the primary directly, so a fault on a proxy cuts the app alone.
   */
  proxies?: boolean;
}

export interface MariadbClusterNode {
  readonly name: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dataDir: string;
  readonly serverId: number;
  /** mariadbd's pid while the node runs. */
  readonly pid: number | undefined;
}

export interface MariadbQueryOptions {
  /** Client-side limit per statement (default 30000 ms). */
  timeoutMs?: number;
  /** Limit on connecting and authenticating (default 5000 ms). */
  connectTimeoutMs?: number;
  /** The default database of the session (default none). */
  database?: string;
}

export type MariadbKillSignal = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT';

export interface MariadbCluster {
  /** 'node1' (the initial primary), 'node2', 'node3', ... */
  readonly nodes: readonly MariadbClusterNode[];
  /** The node the harness last made primary. */
  readonly primary: string;
  /** The application account (no SUPER, no READ ONLY ADMIN); hosts as '127.0.0.1:PORT' (the proxies' with `proxies: true`). */
  readonly connectionOptions: { hosts: string[]; user: string; password: string; database: string };
  /** The harness's admin account (every privilege: it can write to a read-only node). */
  readonly admin: { user: string; password: string };
  /** e.g. `10.11.19-MariaDB-0+deb12u1`. */
  readonly serverVersion: string;
  readonly semiSync: boolean;
  readonly binaries: MariadbBinaries;
  /** The folder holding every node's data and log; removed by destroy(). */
  readonly baseDir: string;
  /** How long startMariadbCluster took, in ms. */
  readonly startupMs: number;
  node(name: string): MariadbClusterNode;
  /** The fault proxy in front of a node; only with `proxies: true`. Closed by destroy(). */
  proxy(name: string): FaultProxy;
  /** Signals the node's server process (and anything else running in its folder). */
  kill(name: string, signal: MariadbKillSignal): void;
  /** 'fast': a clean shutdown; 'immediate': SIGKILL. Resolves when the process exited. */
  stop(name: string, mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts again on the same data folder and port, read-only unless it is the harness's primary. */
  start(name: string): Promise<void>;
  /** Applies what the replica received, detaches it and makes it writable (STOP SLAVE; RESET SLAVE ALL). */
  promote(name: string): Promise<void>;
  /** Points a node (a replica, or a former primary) at another primary, read-only, with GTIDs. */
  repoint(replica: string, primary: string): Promise<void>;
  /** Planned switch: the primary goes read-only, `to` catches up and is promoted, the others follow it. */
  switchover(to: string): Promise<void>;
  /** Runs `sql` as the admin on that node. */
  query<R = Record<string, unknown>>(
    name: string,
    sql: string,
    params?: unknown[],
    options?: MariadbQueryOptions,
  ): Promise<R[]>;
  /** Resolves when `replica` replicates from `from` (default: the current primary), both threads running. */
  waitForReplicating(replica: string, timeoutMs?: number, from?: string): Promise<void>;
  /** Kills every process and removes the folder; idempotent, works on SIGSTOPped nodes too. */
  destroy(): Promise<void>;
}

const MARIADB_ACCOUNTS: ServerAccountPolicy = {
  engine: 'MariaDB',
  accounts: ['mysql', 'nobody'],
  binary: 'mariadbd',
  binEnv: MARIADB_BIN_ENV,
};

const HOUR_MS = 3_600_000;

/** Client variables (MYSQL_PWD, MYSQL_TCP_PORT...) and systemd's notify socket are not the test server's business. */
const notForMariadb = (key: string) =>
  key.startsWith('MYSQL') || key.startsWith('MARIADB') || key === 'NOTIFY_SOCKET';

class ClusterNode implements MariadbClusterNode {
  readonly host = HOST;
  constructor(private readonly server: MariadbServer) {}
  get name(): string {
    return this.server.name;
  }
  get port(): number {
    return this.server.port;
  }
  get dataDir(): string {
    return this.server.dataDir;
  }
  get serverId(): number {
    return this.server.serverId;
  }
  get pid(): number | undefined {
    return this.server.pid;
  }
}

interface ClusterParts {
  baseDir: string;
  binaries: MariadbBinaries;
  runAs: RunAs | undefined;
  ports: number[];
  semiSync: boolean;
  semiSyncTimeoutMs: number;
  serverSettings: Record<string, MariadbSettingValue>;
  cleanup: ClusterCleanup;
  proxies: NodeProxies | undefined;
}

class MariadbTestCluster implements MariadbCluster {
  readonly nodes: readonly ClusterNode[];
  readonly connectionOptions: MariadbCluster['connectionOptions'];
  readonly admin: MariadbCluster['admin'];
  readonly serverVersion: string;
  readonly semiSync: boolean;
  readonly binaries: MariadbBinaries;
  readonly baseDir: string;
  startupMs = 0;

  private readonly secrets: ClusterSecrets;
  private readonly servers = new Map<string, MariadbServer>();
  /** Nodes that acknowledge semi-sync commits (the first replica, then every repointed node). */
  private readonly semiSyncReplicas = new Set<string>();
  private currentPrimary = 'node1';
  private destroying: Promise<void> | undefined;

  constructor(private readonly parts: ClusterParts) {
    this.baseDir = parts.baseDir;
    this.binaries = parts.binaries;
    this.serverVersion = parts.binaries.version;
    this.semiSync = parts.semiSync;
    const secret = () => randomBytes(12).toString('hex');
    this.secrets = { admin: secret(), replication: secret(), app: secret() };
    const environment = {
      runAs: parts.runAs,
      env: serverEnvironment(notForMariadb),
      onChange: () => this.recordState(),
      isDestroyed: () => this.destroying !== undefined,
    };
    parts.ports.forEach((port, index) => {
      const name = `node${index + 1}`;
      const server = new MariadbServer(
        name,
        port,
        join(parts.baseDir, name),
        index + 1,
        parts.binaries.server,
        environment,
      );
      this.servers.set(name, server);
    });
    this.nodes = [...this.servers.values()].map((server) => new ClusterNode(server));
    this.connectionOptions = {
      hosts: parts.proxies?.hosts ?? parts.ports.map((port) => `${HOST}:${port}`),
      user: APP_USER,
      password: this.secrets.app,
      database: APP_DATABASE,
    };
    this.admin = { user: ADMIN_USER, password: this.secrets.admin };
  }

  get primary(): string {
    return this.currentPrimary;
  }

  private recordState(): void {
    this.cleanup().update(
      [...this.servers.values()].map((server) => ({
        name: server.name,
        pid: server.pid,
        dataDir: server.dataDir,
      })),
    );
  }

  private cleanup(): ClusterCleanup {
    return this.parts.cleanup;
  }

  private server(name: string): MariadbServer {
    const server = this.servers.get(name);
    if (!server)
      throw new Error(`Unknown node "${name}"; this cluster has ${[...this.servers.keys()].join(', ')}.`);
    return server;
  }

  private assertUsable(): void {
    if (this.destroying) throw new Error('The cluster has been destroyed.');
  }

  node(name: string): MariadbClusterNode {
    this.server(name);
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`Unknown node "${name}".`);
    return node;
  }

  proxy(name: string): FaultProxy {
    this.server(name);
    if (!this.parts.proxies)
      throw new Error('This cluster has no proxies: start it with startMariadbCluster({ proxies: true }).');
    return this.parts.proxies.get(name);
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
      semiSyncTimeoutMs: this.parts.semiSyncTimeoutMs,
      extra: this.parts.serverSettings,
    };
  }

  /** A folder the servers' account owns (the base folder is the test process's). */
  private async ownedFolder(path: string): Promise<void> {
    await mkdir(path, { mode: 0o750 });
    if (this.parts.runAs) await lchown(path, this.parts.runAs.uid, this.parts.runAs.gid);
  }

  private async installDb(dataDir: string): Promise<void> {
    const setupFile = join(this.baseDir, 'setup.sql');
    await writeFile(setupFile, setupSql(this.secrets), { mode: 0o640 });
    if (this.parts.runAs) await lchown(setupFile, this.parts.runAs.uid, this.parts.runAs.gid);
    const logFile = join(this.baseDir, 'install-db.log');
    const child = spawnDetached(
      this.binaries.installDb,
      installArgs(dataDir, this.binaries.baseDir, setupFile, `${dataDir}-tmp`),
      {
        cwd: this.baseDir,
        env: serverEnvironment(notForMariadb),
        runAs: this.parts.runAs,
        logFile,
      },
    );
    const outcome = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once('exit', (code) => resolve({ code }));
      child.once('error', (error) => resolve({ code: null, error }));
    });
    if (outcome.code !== 0) {
      throw failureWithLog(
        `mariadb-install-db failed (${outcome.error?.message ?? `exit code ${outcome.code}`}) for ${dataDir}.`,
        logFile,
        outcome.error,
      );
    }
  }

  async bootstrap(): Promise<void> {
    const started = performance.now();
    if (this.parts.runAs) await lchown(this.baseDir, this.parts.runAs.uid, this.parts.runAs.gid);
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
    this.startupMs = performance.now() - started;
  }

  /** Until the primary has a semi-sync replica connected (its commits would wait for one otherwise). */
  private async waitForSemiSync(primary: string, timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      `a semi-sync replica to connect to ${primary}`,
      timeoutMs,
      async () => {
        const rows = await this.query<{ Variable_name: string; Value: string }>(
          primary,
          "SHOW STATUS LIKE 'Rpl_semi_sync_master_clients'",
          [],
          { connectTimeoutMs: 2_000, timeoutMs: 2_000 },
        );
        const clients = Number(rows[0]?.Value ?? 0);
        return clients > 0 ? true : `${clients} semi-sync replicas connected`;
      },
      { abort: () => this.assertUsable() },
    );
  }

  kill(name: string, signal: MariadbKillSignal): void {
    this.server(name).kill(signal);
  }

  async stop(name: string, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    this.assertUsable();
    await this.server(name).stop(mode);
  }

  async start(name: string): Promise<void> {
    this.assertUsable();
    const server = this.server(name);
    await server.start(this.settingsOf(server));
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
    return this.withNode(name, (run) => run<R>(sql, params), options);
  }

  private async withNode<T>(
    name: string,
    work: (run: AdminRun) => Promise<T>,
    options: MariadbQueryOptions = {},
  ): Promise<T> {
    const server = this.server(name);
    try {
      return await withAdmin(
        {
          port: server.port,
          password: this.secrets.admin,
          connectTimeoutMs: options.connectTimeoutMs,
          queryTimeoutMs: options.timeoutMs,
          database: options.database,
        },
        work,
      );
    } catch (error) {
      const wrapped = new Error(`On ${name} (${HOST}:${server.port}): ${(error as Error).message}`, {
        cause: error,
      });
      // Keep what callers branch on (mysql2's `code` and the server's `errno`).
      const { code, errno } = error as { code?: unknown; errno?: unknown };
      if (code !== undefined) Object.assign(wrapped, { code });
      if (errno !== undefined) Object.assign(wrapped, { errno });
      throw wrapped;
    }
  }

  async waitForReplicating(
    replica: string,
    timeoutMs = 30_000,
    from: string = this.currentPrimary,
  ): Promise<void> {
    const upstream = this.server(from);
    const semiSync = this.semiSync && this.semiSyncReplicas.has(replica);
    await waitUntil(
      `${replica} to replicate from ${from} (port ${upstream.port})`,
      timeoutMs,
      async () => {
        const limits = { connectTimeoutMs: 2_000, timeoutMs: 2_000 };
        const status = await this.withNode(replica, replicaStatus, limits);
        if (!status) return 'not a replica';
        if (
          status.ioRunning !== 'Yes' ||
          status.sqlRunning !== 'Yes' ||
          status.sourcePort !== upstream.port
        ) {
          return `IO ${status.ioRunning}, SQL ${status.sqlRunning}, from port ${status.sourcePort}${status.lastError ? ` (${status.lastError})` : ''}`;
        }
        if (!semiSync) return true;
        const [row] = await this.query<{ Value: string }>(
          replica,
          "SHOW STATUS LIKE 'Rpl_semi_sync_slave_status'",
          [],
          limits,
        );
        return row?.Value === 'ON' ? true : `semi-sync replica status ${row?.Value}`;
      },
      { abort: () => this.assertUsable() },
    );
  }

  destroy(): Promise<void> {
    this.destroying ??= Promise.all([this.parts.proxies?.close(), this.cleanup().killAndRemove()])
      .then(() => undefined)
      .finally(() => releasePorts(this.parts.ports));
    return this.destroying;
  }
}

/**
 * Starts a MariaDB primary ('node1') and `replicas` GTID replicas as real mariadbd processes on free
 * loopback ports, in a fresh folder under FAILOVER_POOL_TMPDIR or the OS temp folder. The servers run
 * as the `mysql` account when the test process is root. They are stopped and the folder removed by
 * destroy(), at process exit, or by a reaper process if the test process is killed.
 */
export async function startMariadbCluster(options: MariadbClusterOptions = {}): Promise<MariadbCluster> {
  const replicas = options.replicas ?? 2;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 16) {
    throw new Error(`replicas must be an integer from 0 to 16, got ${replicas}.`);
  }
  if (options.semiSync && replicas < 1) throw new Error('semiSync: true needs at least one replica.');
  const binaries = findMariadbBinaries({ binDir: options.binDir });
  const runAs = resolveRunAs(MARIADB_ACCOUNTS);
  assertCanRun(dirname(binaries.server), runAs, MARIADB_ACCOUNTS);
  // The real path: processes are matched to the cluster by their working directory, which the kernel
  // reports resolved (macOS's /var is a symlink).
  const parent = realpathSync(options.tmpDir ?? (process.env[TMPDIR_ENV] || tmpdir()));
  assertCanEnter(parent, runAs, 'the temporary folder', MARIADB_ACCOUNTS);

  const baseDir = await mkdtemp(join(parent, `${BASE_DIR_PREFIX}mariadb-`));
  const cleanup = new ClusterCleanup(baseDir);
  let cluster: MariadbTestCluster | undefined;
  let proxies: NodeProxies | undefined;
  try {
    const ports = await allocatePorts(replicas + 1);
    if (options.proxies) {
      proxies = await NodeProxies.start(
        ports.map((port, index) => ({ name: `node${index + 1}`, host: HOST, port })),
        'mysql',
      );
    }
    cluster = new MariadbTestCluster({
      proxies,
      baseDir,
      binaries,
      runAs,
      ports,
      semiSync: options.semiSync ?? false,
      semiSyncTimeoutMs: options.semiSyncTimeoutMs ?? HOUR_MS,
      serverSettings: options.serverSettings ?? {},
      cleanup,
    });
    await cluster.bootstrap();
    return cluster;
  } catch (error) {
    await (cluster ? cluster.destroy() : Promise.all([proxies?.close(), cleanup.killAndRemove()])).catch(
      () => undefined,
    );
    throw error;
  }
}
