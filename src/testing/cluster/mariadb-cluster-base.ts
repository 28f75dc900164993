import { randomBytes } from 'node:crypto';
import { lchown, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mysqlOperations } from '../../dialects/mysql/operations';
import { ClusterBase, ClusterNode, type ClusterParts } from './cluster-base';
import { MARIADB_BIN_ENV, type MariadbBinaries } from './mariadb-binaries';
import { type SessionRun, withMariadbSession } from './mariadb-client';
import {
  ADMIN_USER,
  APP_DATABASE,
  APP_USER,
  type ClusterSecrets,
  installArgs,
  setupSql,
} from './mariadb-config';
import { MariadbServer } from './mariadb-server';
import { type AccountStatement, mariadbPromotionAccount } from './promotion-account';
import { assertCanRun, type RunAs, type ServerAccountPolicy } from './run-as';
import { serverEnvironment } from './server-environment';
import { runToCompletion } from './server-process';
import type { NodeQueryOptions, TestClusterNode } from './test-cluster';

/*
 * What the MariaDB clusters share, whatever replicates between their nodes (GTID replication in
 * mariadb-cluster.ts, Galera in galera-cluster.ts): one mariadbd per node, the harness's accounts,
 * the data folder initialiser, and sessions as the harness's admin or the app.
 */

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

export const MARIADB_ACCOUNTS: ServerAccountPolicy = {
  engine: 'MariaDB',
  accounts: ['mysql', 'nobody'],
  binary: 'mariadbd',
  binEnv: MARIADB_BIN_ENV,
};

/** Waits of the harness's own polling sessions: short, so a hung node is retried rather than waited on. */
export const POLL_LIMITS = { connectTimeoutMs: 2_000, timeoutMs: 2_000 };

/** Client variables (MYSQL_PWD, MYSQL_TCP_PORT...) and systemd's notify socket are not the test server's business. */
const notForMariadb = (key: string) =>
  key.startsWith('MYSQL') || key.startsWith('MARIADB') || key === 'NOTIFY_SOCKET';

export class MariadbNode extends ClusterNode<MariadbServer> implements MariadbClusterNode {
  get serverId(): number {
    return this.server.serverId;
  }
}

export abstract class MariadbClusterBase<Node extends MariadbNode> extends ClusterBase<MariadbServer, Node> {
  protected readonly operations = mysqlOperations;
  /** The harness's admin account (every privilege: it can write to a read-only node). */
  readonly admin: { user: string; password: string };
  /** e.g. `10.11.19-MariaDB-0+deb12u1`. */
  readonly serverVersion: string;

  protected readonly secrets: ClusterSecrets;

  constructor(
    parts: ClusterParts,
    readonly binaries: MariadbBinaries,
    createNode: (server: MariadbServer) => Node,
  ) {
    const secret = () => randomBytes(12).toString('hex');
    const secrets = { admin: secret(), replication: secret(), app: secret() };
    super(parts, {
      env: serverEnvironment(notForMariadb),
      app: { user: APP_USER, password: secrets.app, database: APP_DATABASE },
      createServer: ({ name, port, dataDir, index }, environment) =>
        new MariadbServer(name, port, dataDir, index + 1, binaries.server, environment),
      createNode,
    });
    this.secrets = secrets;
    this.serverVersion = binaries.version;
    this.admin = { user: ADMIN_USER, password: secrets.admin };
  }

  /** '10.11.19-MariaDB-0+deb12u1' -> '10.11.19', for `description`. */
  protected get shortVersion(): string {
    return this.binaries.version.split('-')[0] ?? this.binaries.version;
  }

  /** A folder the servers' account owns (the base folder is the test process's). */
  protected async ownedFolder(path: string): Promise<void> {
    await mkdir(path, { mode: 0o750 });
    const { runAs } = this.parts;
    if (runAs) await lchown(path, runAs.uid, runAs.gid);
  }

  /** Initialises a data folder with the harness's accounts and the app's database. */
  protected async installDb(dataDir: string): Promise<void> {
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

  /** Statements that set a session up for `options` before its statement runs. */
  protected sessionSetup(options: MariadbQueryOptions): string[] {
    return options.readUncommitted ? ['SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED'] : [];
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
        for (const statement of this.sessionSetup(options)) await run(statement);
        return run<R>(sql, params);
      },
      options,
    );
  }

  /** A session on one node: the harness's admin's, or with `as: 'app'` the application account's. */
  protected withNode<T>(
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

  protected promotionAccountStatements(user: string, password: string): AccountStatement[] {
    return mariadbPromotionAccount(user, password);
  }
}

/** The `prepare` step of every MariaDB cluster: the servers' account must be able to run mariadbd. */
export async function runnableByServers<Binaries extends MariadbBinaries>(
  binaries: Binaries,
  runAs: RunAs | undefined,
): Promise<Binaries> {
  assertCanRun(dirname(binaries.server), runAs, MARIADB_ACCOUNTS);
  return binaries;
}
