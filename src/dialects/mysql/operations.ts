import type { Row, RunSql } from '../../core/dialect';
import type { NodeOperations, ReplicationSource } from '../../core/node-operations';
import { lockKeyOf } from '../lock-key';
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

  async repoint(run, source: ReplicationSource) {
    const server = await serverVersionOf(run);
    const words = replicationWords(server);
    const status = await replicaStatus(run, words);
    if (status === undefined) {
      throw new Error('Only a replica can be pointed at another primary; this node replicates from nobody.');
    }
    const host = stringOf(status[words.sourceHostField] ?? status.Master_Host);
    const port = numberOf(status[words.sourcePortField] ?? status.Master_Port);
    const running = stringOf(status[words.ioRunningField] ?? status.Slave_IO_Running);
    if (host === source.host && port === source.port && running === 'Yes') return;
    await run(`STOP ${words.replica}`);
    await run(
      `${words.changeSource} ${words.sourceHostOption} = ${quoteString(source.host)}, ` +
        `${words.sourcePortOption} = ${Math.trunc(source.port)}, ${words.gtidPositioning}`,
    );
    await run(`START ${words.replica}`);
  },

  async fence(run) {
    const server = await serverVersionOf(run);
    const mysqlWithSuper = server.flavour === 'mysql' && atLeast(server, 5, 7, 8);
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
};

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
