import { join } from 'node:path';
import { HOST } from './test-cluster';

export type MariadbSettingValue = string | number | boolean;

/** The harness's own account: every privilege (so also READ ONLY ADMIN: it writes to read-only nodes). */
export const ADMIN_USER = 'fpadmin';
/** What the replicas log in as. */
export const REPLICATION_USER = 'repl';
/**
 * The application account: no SUPER and no READ ONLY ADMIN, the privileges that let an account
 * write on a read_only node (root holds them), so read_only binds it as it binds an application.
 */
export const APP_USER = 'app';
export const APP_DATABASE = 'app';

export interface ClusterSecrets {
  readonly admin: string;
  readonly replication: string;
  readonly app: string;
}

/**
 * Accounts and the app's database, created while the data folder is initialised (in bootstrap mode,
 * so nothing of it is in a binary log: every node starts from a copy of it with the same, empty GTID
 * history). FLUSH PRIVILEGES first: the bootstrap runs with the grant tables off.
 *
 * The app account may read the replica status (SLAVE MONITOR), which lets the pool see who
 * replicates from whom; it grants no write anywhere.
 */
export function setupSql(secrets: ClusterSecrets): string {
  const account = (user: string) => `'${user}'@'${HOST}'`;
  return [
    'FLUSH PRIVILEGES;',
    `CREATE USER ${account(ADMIN_USER)} IDENTIFIED BY ${quote(secrets.admin)};`,
    `GRANT ALL PRIVILEGES ON *.* TO ${account(ADMIN_USER)} WITH GRANT OPTION;`,
    `CREATE USER ${account(REPLICATION_USER)} IDENTIFIED BY ${quote(secrets.replication)};`,
    `GRANT REPLICATION SLAVE, SLAVE MONITOR ON *.* TO ${account(REPLICATION_USER)};`,
    `CREATE DATABASE ${APP_DATABASE};`,
    `CREATE USER ${account(APP_USER)} IDENTIFIED BY ${quote(secrets.app)};`,
    `GRANT ALL PRIVILEGES ON ${APP_DATABASE}.* TO ${account(APP_USER)};`,
    `GRANT SLAVE MONITOR ON *.* TO ${account(APP_USER)};`,
    '',
  ].join('\n');
}

/** Small and quick: the data is thrown away after the test. Shared by the initialiser and the server. */
const STORAGE_SETTINGS: Record<string, MariadbSettingValue> = {
  'innodb-buffer-pool-size': '16M',
  'innodb-log-file-size': '8M',
};

export function installArgs(dataDir: string, baseDir: string, setupFile: string, tmpDir: string): string[] {
  return [
    // Never the machine's own my.cnf (it points at the system server's folder and port).
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--basedir=${baseDir}`,
    // Never the machine's /tmp either: every mariadbd that starts deletes the `#sql*` temporary
    // tables it finds in its tmpdir, so another server starting on this machine at the same moment
    // removed the bootstrap's own and failed it ("Unknown table 'mysql.tmp_proxies_priv'"; 6 of 60
    // installs run two at a time here, none of 80 with a folder of their own).
    `--tmpdir=${tmpDir}`,
    '--skip-test-db',
    '--skip-name-resolve',
    `--extra-file=${setupFile}`,
    ...renderSettings(STORAGE_SETTINGS),
  ];
}

/** What sets one test mariadbd apart from the others on the machine, whatever its replication. */
export interface LocalServerSettings {
  readonly dataDir: string;
  /** A folder of the node's own for temporary files (never the machine's /tmp). */
  readonly tmpDir: string;
  readonly port: number;
  readonly serverId: number;
}

export interface NodeSettings extends LocalServerSettings {
  /** Replicas and demoted primaries start read-only, as a promotion tool's my.cnf would have it. */
  readonly readOnly: boolean;
  /** Lossless semi-sync as a primary (AFTER_SYNC, waiting up to `semiSyncTimeoutMs`). */
  readonly semiSyncPrimary: boolean;
  /** Acknowledges to a semi-sync primary. */
  readonly semiSyncReplica: boolean;
  readonly semiSyncTimeoutMs: number;
  readonly extra: Record<string, MariadbSettingValue>;
}

/**
 * The settings every test mariadbd has, GTID replica or Galera node: its own folder, port and files
 * on loopback, and small, quick storage.
 */
export function localServerSettings(node: LocalServerSettings): Record<string, MariadbSettingValue> {
  return {
    datadir: node.dataDir,
    tmpdir: node.tmpDir,
    port: node.port,
    'bind-address': HOST,
    // The socket file stays inside the data folder: nothing to collide with the machine's own server.
    socket: join(node.dataDir, 'mysqld.sock'),
    'pid-file': join(node.dataDir, 'mysqld.pid'),
    'server-id': node.serverId,
    'skip-name-resolve': true,
    // A killed server loses nothing while the OS page cache survives, and tests never crash the OS.
    // (innodb_flush_log_at_trx_commit=0 would lose a second of commits even then.)
    'sync-binlog': 0,
    'innodb-flush-log-at-trx-commit': 2,
    ...STORAGE_SETTINGS,
  };
}

/**
 * The command line of one mariadbd. Everything is on it (no my.cnf), so each start shows the node's
 * whole configuration in its process list.
 */
export function serverArgs(node: NodeSettings): string[] {
  const settings: Record<string, MariadbSettingValue> = {
    ...localServerSettings(node),
    // GTID replication as the failover tools expect it: every node logs what it applies, and a
    // replica refuses a history that does not match its own.
    'log-bin': 'mariadb-bin',
    'log-slave-updates': true,
    'gtid-strict-mode': true,
    'binlog-format': 'ROW',
    'read-only': node.readOnly,
    // A replica notices a hung primary within seconds (heartbeats every 2 s), not after the default minute.
    'slave-net-timeout': 4,
    'rpl-semi-sync-master-enabled': node.semiSyncPrimary,
    'rpl-semi-sync-slave-enabled': node.semiSyncReplica,
    'rpl-semi-sync-master-wait-point': 'AFTER_SYNC',
    'rpl-semi-sync-master-timeout': node.semiSyncTimeoutMs,
    ...node.extra,
  };
  return ['--no-defaults', ...renderSettings(settings)];
}

/** `--name=value` per setting; booleans as ON/OFF. */
export function renderSettings(settings: Record<string, MariadbSettingValue>): string[] {
  return Object.entries(settings).map(([name, value]) => {
    if (!/^[a-z][a-z0-9_-]*$/i.test(name)) throw new Error(`"${name}" is not a MariaDB option name.`);
    if (typeof value === 'boolean') return `--${name}=${value ? 'ON' : 'OFF'}`;
    return `--${name}=${value}`;
  });
}

export type GtidMode = 'slave_pos' | 'current_pos';

/**
 * Points a stopped replica at `primaryPort`. A replica continues from what it applied (`slave_pos`);
 * a former primary from what it wrote itself (`current_pos`), or it would ask for its own
 * transactions again.
 */
export function changeMasterSql(primaryPort: number, replicationPassword: string, gtid: GtidMode): string {
  return (
    `CHANGE MASTER TO MASTER_HOST=${quote(HOST)}, MASTER_PORT=${primaryPort}, ` +
    `MASTER_USER=${quote(REPLICATION_USER)}, MASTER_PASSWORD=${quote(replicationPassword)}, ` +
    `MASTER_USE_GTID=${gtid}, MASTER_CONNECT_RETRY=1`
  );
}

export function quote(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}
