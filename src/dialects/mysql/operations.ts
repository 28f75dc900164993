import type { Row, RunSql } from '../../core/dialect';
import type { NodeOperations, ReplicationSource } from '../../core/node-operations';
import { lockKeyOf } from '../lock-key';
import { pollUntil } from '../wait';
import { errnoOf } from './errors';
import { atLeast, type MysqlServerVersion, serverVersionOf } from './flavour';
import { numberOf, stringOf, truthy } from './values';

/**
 * MySQL's and MariaDB's node operations (the contract is in core/node-operations.ts). Each one asks
 * the server which it is first: the statements differ (MySQL 8.0.22+ `REPLICA` and `SOURCE` forms,
 * `super_read_only`; MariaDB keeps `SLAVE` and `MASTER`). Least privileges on MariaDB: READ_ONLY
 * ADMIN (read_only), REPLICATION SLAVE ADMIN (STOP/START SLAVE, CHANGE MASTER), RELOAD (RESET SLAVE
 * ALL), SLAVE MONITOR and BINLOG MONITOR (status). docs/mysql.md has the SQL.
 */

/** GET_LOCK names longer than this are refused by MySQL 5.7+. */
const MAX_LOCK_NAME = 64;

export const mysqlOperations: NodeOperations = {
  async tryLock(run, name) {
    const [row] = await run('SELECT GET_LOCK(?, 0) AS locked', [lockName(name)]);
    return numberOf(row?.locked) === 1;
  },

  async unlock(run, name) {
    await run('SELECT RELEASE_LOCK(?)', [lockName(name)]);
  },

  async promote(run) {
    const server = await serverVersionOf(run);
    const words = replicationWords(server);
    if ((await replicaStatus(run, words)) !== undefined) {
      await run(`STOP ${words.replica}`);
      await run(`RESET ${words.replica} ALL`);
    }
    // On MySQL, clearing read_only clears super_read_only too.
    const [row] = await run('SELECT @@global.read_only AS read_only');
    if (truthy(row?.read_only)) await run('SET GLOBAL read_only = 0');
  },

  async repoint(run, source: ReplicationSource, durability) {
    const server = await serverVersionOf(run);
    const words = replicationWords(server);
    const status = await replicaStatus(run, words);
    if (status === undefined) {
      throw new Error('Only a replica can be pointed at another primary; this node replicates from nobody.');
    }
    const host = stringOf(status[words.sourceHostField] ?? status.Master_Host);
    const port = numberOf(status[words.sourcePortField] ?? status.Master_Port);
    const running = stringOf(status[words.ioRunningField] ?? status.Slave_IO_Running);
    // A replica asks for semi-sync when its IO thread starts: turning it on means a restart.
    const replicaSide = `${semiSyncPrefix(server, 'replica')}_enabled`;
    const [side] = durability?.synchronous ? await run(`SELECT @@global.${replicaSide} AS enabled`) : [];
    const semiSyncWanted = durability?.synchronous === true && !truthy(side?.enabled);
    if (host === source.host && port === source.port && running === 'Yes' && !semiSyncWanted) return;
    await run(`STOP ${words.replica}`);
    if (semiSyncWanted) await run(`SET GLOBAL ${replicaSide} = 1`);
    await run(
      `${words.changeSource} ${words.sourceHostOption} = ${quoteString(source.host)}, ` +
        `${words.sourcePortOption} = ${Math.trunc(source.port)}, ${words.gtidPositioning}`,
    );
    await run(`START ${words.replica}`);
  },

  async fence(run) {
    const server = await serverVersionOf(run);
    const mysqlWithSuper = server.flavour === 'mysql' && atLeast(server, 5, 7, 8);
    // Setting read_only waits for the commits under way, and a hung former primary's commits wait
    // for semi-sync acknowledgements nobody will send (up to rpl_semi_sync_master_timeout). They
    // complete now, as they would at that timeout, on a node nobody follows any more.
    await run(`SET GLOBAL ${semiSyncPrefix(server, 'primary')}_enabled = 0`).catch((error: unknown) => {
      // No semi-sync here (MySQL without its plugin), or an account without the privilege to change
      // it (read_only then waits for those commits).
      if (!FENCE_TOLERATED.has(errnoOf(error) ?? 0)) throw error;
    });
    // super_read_only binds SUPER users too (and implies read_only); MariaDB 10.11's read_only binds
    // everyone without READ ONLY ADMIN.
    await run(mysqlWithSuper ? 'SET GLOBAL super_read_only = 1' : 'SET GLOBAL read_only = 1');
  },

  async currentPosition(run) {
    const server = await serverVersionOf(run);
    const variable = server.flavour === 'mariadb' ? '@@global.gtid_current_pos' : '@@global.gtid_executed';
    const [row] = await run(`SELECT ${variable} AS position`);
    const position = stringOf(row?.position);
    if (position === undefined) throw new Error('The node reported no GTID position (is GTID enabled?).');
    return position.replace(/\s+/g, '');
  },

  async receivedPosition(run) {
    const server = await serverVersionOf(run);
    const status = await replicaStatus(run, replicationWords(server));
    const received = stringOf(
      server.flavour === 'mariadb' ? status?.Gtid_IO_Pos : status?.Retrieved_Gtid_Set,
    );
    const trimmed = received?.replace(/\s+/g, '');
    return trimmed === '' ? undefined : trimmed;
  },

  async waitForPosition(run, position, timeoutMs) {
    const server = await serverVersionOf(run);
    const seconds = Math.max(0, timeoutMs) / 1000;
    if (server.flavour === 'mysql') {
      const [row] = await run('SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result', [position, seconds]);
      return numberOf(row?.result) === 0;
    }
    const [row] = await run('SELECT MASTER_GTID_WAIT(?, ?) AS result', [position, seconds]);
    return numberOf(row?.result) === 0;
  },

  async waitForGroupCommits(run) {
    try {
      // For this one statement only (MariaDB's SET STATEMENT): the session keeps wsrep_sync_wait 0.
      // A causality check before a SELECT: the node first applies what the group had committed.
      await run('SET STATEMENT wsrep_sync_wait = 1 FOR SELECT 1');
      return true;
    } catch (error) {
      // Lock wait timeout: the provider's repl.causal_read_timeout ran out.
      if (errnoOf(error) === 1205) return false;
      throw error;
    }
  },

  async readDurability(run) {
    const prefix = semiSyncPrefix(await serverVersionOf(run), 'primary');
    let row: Row | undefined;
    try {
      [row] = await run(
        `SELECT @@global.${prefix}_enabled AS enabled, @@global.${prefix}_wait_point AS wait_point, ` +
          `@@global.${prefix}_timeout AS timeout_ms`,
      );
    } catch (error) {
      // No semi-sync here (MySQL without its plugin): the primary acknowledges without replicas.
      if (errnoOf(error) === UNKNOWN_SYSTEM_VARIABLE) return { synchronous: false };
      throw error;
    }
    if (!truthy(row?.enabled)) return { synchronous: false };
    const settings: Record<string, string> = {};
    const waitPoint = stringOf(row?.wait_point);
    const timeoutMs = numberOf(row?.timeout_ms);
    if (waitPoint !== undefined && /^[A-Z_]+$/i.test(waitPoint)) settings.wait_point = waitPoint;
    if (timeoutMs !== undefined) settings.timeout = String(Math.trunc(timeoutMs));
    return { synchronous: true, settings };
  },

  async applyDurability(run, durability) {
    const prefix = semiSyncPrefix(await serverVersionOf(run), 'primary');
    if (!durability.synchronous) {
      const [row] = await run(`SELECT @@global.${prefix}_enabled AS enabled`).catch(() => []);
      if (truthy(row?.enabled)) await run(`SET GLOBAL ${prefix}_enabled = 0`);
      return;
    }
    const { wait_point: waitPoint, timeout } = durability.settings;
    // The wait point first: AFTER_SYNC (lossless) must hold from the first commit waited for.
    if (waitPoint !== undefined) await run(`SET GLOBAL ${prefix}_wait_point = ${quoteString(waitPoint)}`);
    if (timeout !== undefined) await run(`SET GLOBAL ${prefix}_timeout = ${Number(timeout)}`);
    await run(`SET GLOBAL ${prefix}_enabled = 1`);
  },

  async confirmsSynchronous(run, timeoutMs) {
    const server = await serverVersionOf(run);
    const counter =
      server.flavour === 'mysql' && atLeast(server, 8, 0, 26)
        ? 'Rpl_semi_sync_source_clients'
        : 'Rpl_semi_sync_master_clients';
    return pollUntil(async () => {
      const [row] = await run(`SHOW GLOBAL STATUS LIKE '${counter}'`);
      return (numberOf(row?.Value) ?? 0) > 0;
    }, timeoutMs);
  },
};

/** ER_UNKNOWN_SYSTEM_VARIABLE */
const UNKNOWN_SYSTEM_VARIABLE = 1193;
/** ER_UNKNOWN_SYSTEM_VARIABLE, ER_SPECIFIC_ACCESS_DENIED_ERROR */
const FENCE_TOLERATED = new Set([UNKNOWN_SYSTEM_VARIABLE, 1227]);

/**
 * The semi-sync variables of one side: MariaDB's are built in (`master`, `slave`); MySQL 8.0.26+
 * names them `source` and `replica` (plugins rpl_semi_sync_source / _replica), older ones as MariaDB.
 */
function semiSyncPrefix(server: MysqlServerVersion, side: 'primary' | 'replica'): string {
  const modern = server.flavour === 'mysql' && atLeast(server, 8, 0, 26);
  if (side === 'primary') return modern ? 'rpl_semi_sync_source' : 'rpl_semi_sync_master';
  return modern ? 'rpl_semi_sync_replica' : 'rpl_semi_sync_slave';
}

/** The statements and field names of the server's replication, old forms where the new are missing. */
interface ReplicationWords {
  readonly replica: 'REPLICA' | 'SLAVE';
  readonly status: string;
  readonly changeSource: string;
  readonly sourceHostOption: string;
  readonly sourcePortOption: string;
  readonly gtidPositioning: string;
  readonly sourceHostField: string;
  readonly sourcePortField: string;
  readonly ioRunningField: string;
}

function replicationWords(server: MysqlServerVersion): ReplicationWords {
  if (server.flavour === 'mariadb') {
    return {
      replica: 'SLAVE',
      status: 'SHOW SLAVE STATUS',
      changeSource: 'CHANGE MASTER TO',
      sourceHostOption: 'MASTER_HOST',
      sourcePortOption: 'MASTER_PORT',
      // Where the replica left off, by GTID: it catches up from the new primary at once.
      gtidPositioning: 'MASTER_USE_GTID = slave_pos',
      sourceHostField: 'Master_Host',
      sourcePortField: 'Master_Port',
      ioRunningField: 'Slave_IO_Running',
    };
  }
  const modern = atLeast(server, 8, 0, 23);
  return {
    replica: atLeast(server, 8, 0, 22) ? 'REPLICA' : 'SLAVE',
    status: atLeast(server, 8, 0, 22) ? 'SHOW REPLICA STATUS' : 'SHOW SLAVE STATUS',
    changeSource: modern ? 'CHANGE REPLICATION SOURCE TO' : 'CHANGE MASTER TO',
    sourceHostOption: modern ? 'SOURCE_HOST' : 'MASTER_HOST',
    sourcePortOption: modern ? 'SOURCE_PORT' : 'MASTER_PORT',
    gtidPositioning: modern ? 'SOURCE_AUTO_POSITION = 1' : 'MASTER_AUTO_POSITION = 1',
    sourceHostField: atLeast(server, 8, 0, 22) ? 'Source_Host' : 'Master_Host',
    sourcePortField: atLeast(server, 8, 0, 22) ? 'Source_Port' : 'Master_Port',
    ioRunningField: atLeast(server, 8, 0, 22) ? 'Replica_IO_Running' : 'Slave_IO_Running',
  };
}

/** The replica status row, or undefined when the node replicates from nobody. */
async function replicaStatus(run: RunSql, words: ReplicationWords): Promise<Row | undefined> {
  const [row] = await run(words.status);
  return row;
}

/** A host name or address as a string literal: CHANGE MASTER takes no placeholders. */
function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Lock names as given, hashed when too long for GET_LOCK. */
function lockName(name: string): string {
  return name.length <= MAX_LOCK_NAME ? name : `${name.slice(0, 40)}-${lockKeyOf(name)}`;
}
