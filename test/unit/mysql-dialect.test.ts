import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../src/core/classify';
import type { Row } from '../../src/core/dialect';
import type { NodeProbe } from '../../src/core/node';
import { SessionNotWritableError } from '../../src/core/node-pool';
import { ProbeTimeoutError } from '../../src/core/probe-timeout';
import { deriveTopology, type NodeHealth } from '../../src/core/topology';
import { mysqlDialect, SESSION_WRITABLE_SQL } from '../../src/dialects/mysql/dialect';
import { parseServerVersion, replicaStatusStatements } from '../../src/dialects/mysql/flavour';
import { parseGtidList, takeoverSequence } from '../../src/dialects/mysql/gtid';
import { type MysqlProbeMemory, probeMysql } from '../../src/dialects/mysql/probe';
import { connect, statement } from './support/failure-contexts';
import {
  clientError,
  MARIADB_DENIED,
  MARIADB_PRIMARY_VARIABLES,
  MARIADB_REPLICA_STATUS,
  MARIADB_REPLICA_VARIABLES,
  MARIADB_VERSION,
  MYSQL_DENIED,
  MYSQL_PRIMARY_VARIABLES,
  MYSQL_REPLICA_STATUS,
  MYSQL_REPLICA_VARIABLES,
  MYSQL57_SLAVE_STATUS,
  MYSQL80_VERSION,
  MYSQL84_VERSION,
  MYSQL8021_VERSION,
  PARSE_ERROR,
  serverError,
} from './support/mysql-replies';

/**
 * A probe connection that answers from a script: each statement (matched by its start) gives rows
 * or throws. Records what was asked, in order. Several statements in one query get each one's rows
 * in an array, as mysql2 answers with `multipleStatements`.
 */
function scriptedServer(script: Array<[prefix: string, answer: readonly Row[] | Error]>) {
  const asked: string[] = [];
  const answer = (text: string) => {
    const entry = script.find(([prefix]) => text.startsWith(prefix));
    if (!entry) throw new Error(`unscripted statement: ${text}`);
    if (entry[1] instanceof Error) throw entry[1];
    return entry[1];
  };
  const run = async (sql: string): Promise<readonly Row[]> => {
    const statements = sql.split(';').map((s) => s.replace(/\s+/g, ' ').trim());
    asked.push(statements.join('; '));
    if (statements.length === 1) return answer(statements[0] as string);
    return statements.map(answer) as unknown as Row[];
  };
  return { run, asked };
}

/** The replica status statements asked, whether alone or in a combined probe. */
function showsAsked(server: { asked: readonly string[] }): string[] {
  return server.asked.flatMap((sql) => sql.split('; ')).filter((sql) => sql.startsWith('SHOW'));
}

const VERSION = 'SELECT @@version AS version, @@version_comment';
const MARIADB_VARS =
  'SELECT @@global.read_only AS read_only, @@version AS version, @@server_id AS server_id, @@global.gtid_domain_id';
const MYSQL_VARS = 'SELECT @@global.read_only AS read_only, @@global.super_read_only';
const OLD_VARS = 'SELECT @@global.read_only AS read_only, @@version AS version, @@server_id AS server_id';

describe('mysql dialect: server version', () => {
  it.each([
    ['10.11.19-MariaDB-0+deb12u1-log', '', 'mariadb', [10, 11, 19]],
    ['5.5.5-10.11.6-MariaDB', '', 'mariadb', [10, 11, 6]],
    ['11.4.2-MariaDB', 'mariadb.org binary distribution', 'mariadb', [11, 4, 2]],
    ['8.0.36', 'MySQL Community Server - GPL', 'mysql', [8, 0, 36]],
    ['8.4.0-commercial', 'MySQL Enterprise Server - Commercial', 'mysql', [8, 4, 0]],
    ['8.0.35-27', 'Percona Server (GPL), Release 27, Revision 2f8eeab2', 'mysql', [8, 0, 35]],
    ['5.7.44-log', 'MySQL Community Server (GPL)', 'mysql', [5, 7, 44]],
  ])('%s is %s', (text, comment, flavour, [major, minor, patch]) => {
    expect(parseServerVersion(text, comment)).toEqual({ flavour, major, minor, patch, text });
  });

  it('refuses a string that is no version', () => {
    expect(() => parseServerVersion('hello')).toThrow(/Not a MySQL or MariaDB version/);
  });

  it.each([
    ['8.4.0', ['SHOW REPLICA STATUS']],
    ['8.0.22', ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS']],
    ['8.0.21', ['SHOW SLAVE STATUS']],
    ['5.7.44-log', ['SHOW SLAVE STATUS']],
    ['10.11.19-MariaDB', ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS']],
    ['10.5.1-MariaDB', ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS']],
    ['10.4.30-MariaDB', ['SHOW SLAVE STATUS']],
  ])('%s is asked %j', (version, statements) => {
    expect(replicaStatusStatements(parseServerVersion(version))).toEqual(statements);
  });
});

describe('mysql dialect: MariaDB probe (replies recorded from 10.11)', () => {
  it('reads a primary: writable, GTID position, generation 0 (it never followed anyone)', async () => {
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [MARIADB_PRIMARY_VARIABLES]],
      ['SHOW REPLICA STATUS', []],
    ]);
    const probe = await probeMysql(server.run, {});
    expect(probe).toEqual({
      role: 'primary',
      writable: true,
      generation: 0,
      position: '0-1-4',
      // What it holds of each server's history (gtid_binlog_state, gtid_slave_pos): for writesLost.
      lineage: '0-1-4',
      serverVersion: '10.11.19-MariaDB-0+deb12u1-log',
    });
    expect(server.asked.map((sql) => sql.slice(0, 19))).toEqual([
      'SELECT @@version AS',
      'SELECT @@global.rea',
      'SHOW REPLICA STATUS',
    ]);
  });

  it('reads a replica: not writable, its source, IO thread receiving, lag in seconds', async () => {
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [MARIADB_REPLICA_VARIABLES]],
      ['SHOW REPLICA STATUS', [MARIADB_REPLICA_STATUS]],
    ]);
    expect(await probeMysql(server.run, {})).toEqual({
      role: 'replica',
      writable: false,
      position: '0-1-4',
      replication: { receiving: true, sourceHost: '127.0.0.1', sourcePort: 24001, lagSeconds: 0 },
      lagMs: 0,
      serverVersion: '10.11.19-MariaDB-0+deb12u1-log',
    });
  });

  it('refuses an answer without read_only rather than take the server for a writable primary', async () => {
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [{}]],
      ['SHOW REPLICA STATUS', []],
    ]);
    await expect(probeMysql(server.run, {})).rejects.toThrow(
      "the probe's answer has no read_only (a number or a string); it has nothing",
    );
  });

  it('asks for the version once per probe connection', async () => {
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [MARIADB_PRIMARY_VARIABLES]],
      ['SHOW REPLICA STATUS', []],
    ]);
    const memory: MysqlProbeMemory = {};
    await probeMysql(server.run, memory);
    await probeMysql(server.run, memory);
    expect(server.asked.filter((sql) => sql.startsWith(VERSION))).toHaveLength(1);
    // The second probe is one query: the variables and the replica status together.
    expect(server.asked).toHaveLength(4);
    expect(server.asked[3]).toMatch(/^SELECT @@global.read_only .*; SHOW REPLICA STATUS$/);
  });

  it('a connection that refuses several statements in one query is probed one statement at a time', async () => {
    const refused = serverError(1064, 'ER_PARSE_ERROR', 'You have an error in your SQL syntax');
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [MARIADB_PRIMARY_VARIABLES]],
      ['SHOW REPLICA STATUS', []],
    ]);
    const run = async (sql: string) => {
      if (sql.includes(';')) throw refused;
      return server.run(sql);
    };
    const memory: MysqlProbeMemory = {};
    for (let i = 0; i < 3; i++) expect(await probeMysql(run, memory)).toMatchObject({ role: 'primary' });
    expect(memory.combined).toBe(false);
    expect(showsAsked(server)).toHaveLength(3);
  });

  it('a replica left writable (read_only=0) is still a replica while it replicates', async () => {
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [{ ...MARIADB_REPLICA_VARIABLES, read_only: 0 }]],
      ['SHOW REPLICA STATUS', [MARIADB_REPLICA_STATUS]],
    ]);
    expect(await probeMysql(server.run, {})).toMatchObject({ role: 'replica', writable: false });
  });

  it('a replica whose IO thread reconnects to a dead primary still follows it; a stopped link names no source', async () => {
    const connecting = {
      ...MARIADB_REPLICA_STATUS,
      Slave_IO_Running: 'Connecting',
      Seconds_Behind_Master: null,
    };
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [MARIADB_REPLICA_VARIABLES]],
      ['SHOW REPLICA STATUS', [connecting]],
    ]);
    expect((await probeMysql(server.run, {})).replication).toEqual({
      receiving: false,
      sourceHost: '127.0.0.1',
      sourcePort: 24001,
    });

    // Promoted by STOP SLAVE and read_only=0 only: the stale configuration is not a follower.
    const stopped = { ...MARIADB_REPLICA_STATUS, Slave_IO_Running: 'No', Slave_SQL_Running: 'No' };
    const promoted = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [{ ...MARIADB_REPLICA_VARIABLES, read_only: 0 }]],
      ['SHOW REPLICA STATUS', [stopped]],
    ]);
    expect(await probeMysql(promoted.run, {})).toMatchObject({
      role: 'primary',
      writable: true,
      generation: 4,
      replication: { receiving: false, lagSeconds: 0 },
    });
  });

  it('a primary made read-only (a switchover under way) is a primary that takes no writes', async () => {
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [{ ...MARIADB_PRIMARY_VARIABLES, read_only: 1 }]],
      ['SHOW REPLICA STATUS', []],
    ]);
    expect(await probeMysql(server.run, {})).toMatchObject({ role: 'primary', writable: false });
  });

  it('without SLAVE MONITOR: the role comes from read_only, and the status is not asked again', async () => {
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [MARIADB_REPLICA_VARIABLES]],
      ['SHOW REPLICA STATUS', MARIADB_DENIED],
    ]);
    const memory: MysqlProbeMemory = {};
    expect(await probeMysql(server.run, memory)).toEqual({
      role: 'replica',
      writable: false,
      position: '0-1-4',
      serverVersion: '10.11.19-MariaDB-0+deb12u1-log',
    });
    await probeMysql(server.run, memory);
    expect(showsAsked(server)).toHaveLength(1);
  });

  it('a MariaDB without GTIDs (5.5) is probed for its role only', async () => {
    const unknownVariable = serverError(
      1193,
      'ER_UNKNOWN_SYSTEM_VARIABLE',
      "Unknown system variable 'gtid_domain_id'",
    );
    const server = scriptedServer([
      [VERSION, [{ version: '5.5.68-MariaDB', version_comment: 'MariaDB Server' }]],
      [MARIADB_VARS, unknownVariable],
      [OLD_VARS, [{ read_only: 0, version: '5.5.68-MariaDB', server_id: 1 }]],
      ['SHOW SLAVE STATUS', []],
    ]);
    expect(await probeMysql(server.run, {})).toEqual({
      role: 'primary',
      writable: true,
      serverVersion: '5.5.68-MariaDB',
    });
  });

  it('an error that is not "unsupported" is the probe failure', async () => {
    const lost = clientError(
      'PROTOCOL_CONNECTION_LOST',
      'Connection lost: The server closed the connection.',
    );
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, lost],
    ]);
    await expect(probeMysql(server.run, {})).rejects.toBe(lost);
  });
});

describe('mysql dialect: MariaDB generation (when a node took over)', () => {
  it('parses GTID lists and finds the highest sequence from another server in the domain', () => {
    const history = parseGtidList('0-1-100,0-2-150, 1-3-900,garbage');
    expect(history).toEqual([
      { domain: 0, server: 1, sequence: 100n },
      { domain: 0, server: 2, sequence: 150n },
      { domain: 1, server: 3, sequence: 900n },
    ]);
    expect(takeoverSequence(history, 2, 0)).toBe(100);
    expect(takeoverSequence(history, 1, 0)).toBe(150);
    expect(takeoverSequence(history, 3, 1)).toBe(0);
    expect(parseGtidList('')).toEqual([]);
  });

  /** The node states the monitor would hold after each node answered the probe. */
  function health(port: number, probe: NodeProbe): NodeHealth {
    return {
      address: { name: `127.0.0.1:${port}`, host: '127.0.0.1', port },
      probe,
      healthy: true,
      suspect: false,
      known: true,
    };
  }
  async function probeOf(variables: Row, status: Row[] = []): Promise<NodeProbe> {
    const server = scriptedServer([
      [VERSION, [MARIADB_VERSION]],
      [MARIADB_VARS, [variables]],
      ['SHOW REPLICA STATUS', status],
    ]);
    return probeMysql(server.run, {});
  }

  it('an old primary that returns writable loses to the one promoted after it, even with no replica to tell', async () => {
    // node1 wrote up to 0-1-101 before it hung (101 never reached node2); node2 took over at 100.
    const old = await probeOf({
      ...MARIADB_PRIMARY_VARIABLES,
      gtid_binlog_state: '0-1-101',
      gtid_current_pos: '0-1-101',
    });
    const promoted = await probeOf({
      ...MARIADB_REPLICA_VARIABLES,
      read_only: 0,
      gtid_binlog_state: '0-1-100,0-2-180',
      gtid_slave_pos: '0-1-100',
      gtid_current_pos: '0-2-180',
    });
    expect(old.generation).toBe(0);
    expect(promoted.generation).toBe(100);

    const { snapshot } = deriveTopology([health(1, old), health(2, promoted)], { generation: 0 }, 1);
    expect(snapshot.primary?.port).toBe(2);
    expect(snapshot.nodes.find((n) => n.port === 1)?.excluded).toBe('stale-primary');
    expect(snapshot.splitBrain).toBeUndefined();
  });

  it('after a switchover back, the first primary is the newer one again', async () => {
    const back = await probeOf({
      ...MARIADB_PRIMARY_VARIABLES,
      gtid_binlog_state: '0-1-260,0-2-250',
      gtid_slave_pos: '0-2-250',
      gtid_current_pos: '0-1-260',
    });
    expect(back.generation).toBe(250);
  });

  it('without log_slave_updates the takeover point still comes from gtid_slave_pos', async () => {
    const promoted = await probeOf({
      ...MARIADB_REPLICA_VARIABLES,
      read_only: 0,
      gtid_binlog_state: '0-2-101',
      gtid_slave_pos: '0-1-100',
    });
    expect(promoted.generation).toBe(100);
  });

  it('two nodes promoted from the same point tie; the replicas decide, or nobody gets writes', async () => {
    const a = await probeOf({
      ...MARIADB_REPLICA_VARIABLES,
      server_id: 2,
      read_only: 0,
      gtid_slave_pos: '0-1-100',
    });
    const b = await probeOf({
      ...MARIADB_REPLICA_VARIABLES,
      server_id: 3,
      read_only: 0,
      gtid_slave_pos: '0-1-100',
    });
    const follower = await probeOf(MARIADB_REPLICA_VARIABLES, [
      { ...MARIADB_REPLICA_STATUS, Master_Port: 3 },
    ]);
    const decided = deriveTopology(
      [health(2, a), health(3, b), health(4, follower)],
      { generation: 0 },
      1,
    ).snapshot;
    expect(decided.primary?.port).toBe(3);

    const undecided = deriveTopology([health(2, a), health(3, b)], { generation: 0 }, 1).snapshot;
    expect(undecided.primary).toBeNull();
    expect(undecided.splitBrain).toHaveLength(2);
  });
});

describe('mysql dialect: MySQL 8.0 and 8.4 (recorded from the reference manual, not a live server)', () => {
  it('8.0: super_read_only, SHOW REPLICA STATUS with Source_* names, gtid_executed as the position', async () => {
    const server = scriptedServer([
      [VERSION, [MYSQL80_VERSION]],
      [MYSQL_VARS, [MYSQL_REPLICA_VARIABLES]],
      ['SHOW REPLICA STATUS', [MYSQL_REPLICA_STATUS]],
    ]);
    expect(await probeMysql(server.run, {})).toEqual({
      role: 'replica',
      writable: false,
      position: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-75,4f22ab58-82db-11e1-9e33-c80aa9429563:1-2',
      replication: { receiving: true, sourceHost: '10.0.0.1', sourcePort: 3306, lagSeconds: 3 },
      lagMs: 3000,
      serverVersion: '8.0.36',
    });
  });

  it('8.0: a primary with super_read_only=1 takes no writes, and has no generation (no timeline on MySQL)', async () => {
    const server = scriptedServer([
      [VERSION, [MYSQL80_VERSION]],
      [MYSQL_VARS, [{ ...MYSQL_PRIMARY_VARIABLES, read_only: 0, super_read_only: 1 }]],
      ['SHOW REPLICA STATUS', []],
    ]);
    const probe = await probeMysql(server.run, {});
    expect(probe).toMatchObject({ role: 'primary', writable: false });
    expect(probe.generation).toBeUndefined();

    const writable = scriptedServer([
      [VERSION, [MYSQL80_VERSION]],
      [MYSQL_VARS, [MYSQL_PRIMARY_VARIABLES]],
      ['SHOW REPLICA STATUS', []],
    ]);
    expect(await probeMysql(writable.run, {})).toEqual({
      role: 'primary',
      writable: true,
      position: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77',
      lineage: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77',
      serverVersion: '8.0.36',
    });
  });

  it('8.4: only SHOW REPLICA STATUS is ever asked (SHOW SLAVE STATUS is gone)', async () => {
    const server = scriptedServer([
      [VERSION, [MYSQL84_VERSION]],
      [MYSQL_VARS, [{ ...MYSQL_REPLICA_VARIABLES, version: '8.4.0' }]],
      ['SHOW REPLICA STATUS', [MYSQL_REPLICA_STATUS]],
      ['SHOW SLAVE STATUS', PARSE_ERROR('SLAVE STATUS')],
    ]);
    const memory: MysqlProbeMemory = {};
    expect(await probeMysql(server.run, memory)).toMatchObject({ role: 'replica' });
    await probeMysql(server.run, memory);
    expect(showsAsked(server)).toEqual(['SHOW REPLICA STATUS', 'SHOW REPLICA STATUS']);
  });

  it('8.0.21: SHOW SLAVE STATUS with the old field names', async () => {
    const server = scriptedServer([
      [VERSION, [MYSQL8021_VERSION]],
      [MYSQL_VARS, [{ ...MYSQL_REPLICA_VARIABLES, version: '8.0.21' }]],
      ['SHOW SLAVE STATUS', [MYSQL57_SLAVE_STATUS]],
    ]);
    expect(await probeMysql(server.run, {})).toMatchObject({
      role: 'replica',
      replication: { receiving: true, sourceHost: '10.0.0.1', sourcePort: 3306, lagSeconds: 0 },
    });
    expect(showsAsked(server)).toEqual(['SHOW SLAVE STATUS']);
  });

  it('a server that rejects SHOW REPLICA STATUS despite its version falls back to SHOW SLAVE STATUS, once', async () => {
    const server = scriptedServer([
      [VERSION, [MYSQL80_VERSION]],
      [MYSQL_VARS, [MYSQL_REPLICA_VARIABLES]],
      ['SHOW REPLICA STATUS', PARSE_ERROR('REPLICA STATUS')],
      ['SHOW SLAVE STATUS', [MYSQL57_SLAVE_STATUS]],
    ]);
    const memory: MysqlProbeMemory = {};
    await probeMysql(server.run, memory);
    await probeMysql(server.run, memory);
    expect(showsAsked(server)).toEqual(['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS', 'SHOW SLAVE STATUS']);
  });

  it('5.6: no super_read_only, no gtid_executed: the simpler statement', async () => {
    const server = scriptedServer([
      [VERSION, [{ version: '5.6.51-log', version_comment: 'MySQL Community Server (GPL)' }]],
      [
        MYSQL_VARS,
        serverError(1193, 'ER_UNKNOWN_SYSTEM_VARIABLE', "Unknown system variable 'super_read_only'"),
      ],
      [OLD_VARS, [{ read_only: 1, version: '5.6.51-log', server_id: 3 }]],
      ['SHOW SLAVE STATUS', [MYSQL57_SLAVE_STATUS]],
    ]);
    expect(await probeMysql(server.run, {})).toMatchObject({ role: 'replica', writable: false });
  });

  it('without REPLICATION CLIENT the role comes from read_only', async () => {
    const server = scriptedServer([
      [VERSION, [MYSQL80_VERSION]],
      [MYSQL_VARS, [MYSQL_PRIMARY_VARIABLES]],
      ['SHOW REPLICA STATUS', MYSQL_DENIED],
    ]);
    expect(await probeMysql(server.run, {})).toMatchObject({ role: 'primary', writable: true });
  });

  it('reads several replication channels: the receiving one is the link', async () => {
    const idle = {
      ...MYSQL_REPLICA_STATUS,
      Replica_IO_Running: 'No',
      Source_Host: '10.0.0.9',
      Channel_Name: 'old',
    };
    const server = scriptedServer([
      [VERSION, [MYSQL80_VERSION]],
      [MYSQL_VARS, [MYSQL_REPLICA_VARIABLES]],
      ['SHOW REPLICA STATUS', [idle, MYSQL_REPLICA_STATUS]],
    ]);
    expect((await probeMysql(server.run, {})).replication?.sourceHost).toBe('10.0.0.1');
  });
});

describe('mysql dialect: session check', () => {
  it('reads SELECT @@global.read_only', () => {
    expect(SESSION_WRITABLE_SQL).toBe('SELECT @@global.read_only AS read_only');
    expect(mysqlDialect.sessionWritable({ read_only: 0 })).toBe(true);
    expect(mysqlDialect.sessionWritable({ read_only: 1 })).toBe(false);
    expect(mysqlDialect.sessionWritable({ read_only: 'OFF' })).toBe(true);
    expect(mysqlDialect.sessionWritable({ read_only: 'ON' })).toBe(false);
    expect(mysqlDialect.sessionWritable(undefined)).toBe(false);
  });
});

describe('mysql dialect: error classes', () => {
  const readOnly = serverError(
    1290,
    'ER_OPTION_PREVENTS_STATEMENT',
    'The MariaDB server is running with the --read-only option so it cannot execute this statement',
  );

  it.each([
    ['MariaDB 1290 --read-only', readOnly],
    [
      'MySQL 1290 --super-read-only',
      serverError(
        1290,
        'ER_OPTION_PREVENTS_STATEMENT',
        'The MySQL server is running with the --super-read-only option so it cannot execute this statement',
      ),
    ],
    ['1836 read-only mode', serverError(1836, 'ER_READ_ONLY_MODE', 'Running in read-only mode')],
    [
      '1792 read-only transaction',
      serverError(
        1792,
        'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION',
        'Cannot execute statement in a READ ONLY transaction.',
        '25006',
      ),
    ],
    [
      '1047 Galera node not ready',
      serverError(
        1047,
        'ER_UNKNOWN_COM_ERROR',
        'WSREP has not yet prepared node for application use',
        '08S01',
      ),
    ],
    ['a new connection on a read-only node', new SessionNotWritableError('db1:3306', 'read_only is ON')],
  ])('%s: not applied, re-run on the new primary (read-only)', (_, error) => {
    expect(classifyFailure(mysqlDialect, error, statement())).toBe('read-only');
    expect(classifyFailure(mysqlDialect, error)).toBe('read-only');
  });

  it("1290 for another option (--skip-grant-tables, --secure-file-priv) is the application's error", () => {
    const grants = serverError(
      1290,
      'ER_OPTION_PREVENTS_STATEMENT',
      'The MariaDB server is running with the --skip-grant-tables option so it cannot execute this statement',
    );
    expect(mysqlDialect.classifyError(grants, statement())).toBe('application');
    const unknownCommand = serverError(1047, 'ER_UNKNOWN_COM_ERROR', 'Unknown command');
    expect(mysqlDialect.classifyError(unknownCommand, statement())).toBe('application');
  });

  const lost = clientError('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.');
  it.each([
    ['PROTOCOL_CONNECTION_LOST', lost],
    ['ECONNRESET', clientError('ECONNRESET', 'read ECONNRESET', { errno: -104, syscall: 'read' })],
    ['2006 gone away', serverError(2006, 'CR_SERVER_GONE_ERROR', 'MySQL server has gone away')],
    ['2013 lost', serverError(2013, 'CR_SERVER_LOST', 'Lost connection to MySQL server during query')],
    ['1053 shutdown', serverError(1053, 'ER_SERVER_SHUTDOWN', 'Server shutdown in progress', '08S01')],
  ])('%s after sending: outcome unknown; before sending: not sent', (_, error) => {
    expect(mysqlDialect.classifyError(error, statement())).toBe('connection-lost');
    expect(mysqlDialect.classifyError(error, statement({ sent: false }))).toBe('not-sent');
  });

  it.each([
    ['1927 killed (MariaDB)', serverError(1927, 'ER_CONNECTION_KILLED', 'Connection was killed', '70100')],
    ['3169 killed (MySQL)', serverError(3169, 'ER_SESSION_WAS_KILLED', 'Session was killed', 'HY000')],
  ])(
    '%s after sending: killed (the engine asks whether the node goes); before sending: not sent',
    (_, error) => {
      expect(mysqlDialect.classifyError(error, statement())).toBe('killed');
      expect(mysqlDialect.classifyError(error, statement({ sent: false }))).toBe('not-sent');
    },
  );

  it.each([
    ['ECONNREFUSED', clientError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:24009', { errno: -111 })],
    ['connect ETIMEDOUT', clientError('ETIMEDOUT', 'connect ETIMEDOUT', { syscall: 'connect' })],
    ['lost during the handshake', lost],
    ['a retired pool', new Error('Pool is closed.')],
    ['the monitor timed out', new ProbeTimeoutError({ name: 'db1:3306', host: 'db1', port: 3306 }, 1000)],
  ])('%s at connect: safe to try again (connect-failed)', (_, error) => {
    expect(classifyFailure(mysqlDialect, error)).toBe('connect-failed');
  });

  it("a statement that outlived mysql2's per-query timeout may still run: timed-out", () => {
    const timeout = clientError('PROTOCOL_SEQUENCE_TIMEOUT', 'Query inactivity timeout');
    expect(mysqlDialect.classifyError(timeout, statement())).toBe('timed-out');
    expect(mysqlDialect.classifyError(timeout, statement({ sent: false }))).toBe('not-sent');
    expect(mysqlDialect.classifyError(timeout, connect)).toBe('connect-failed');
  });

  it('a statement handed to an already closed connection was not sent', () => {
    const closed = clientError('', "Can't add new command when connection is in closed state");
    expect(mysqlDialect.classifyError(closed, statement())).toBe('not-sent');
  });

  it.each([
    [
      '1045 wrong password',
      serverError(
        1045,
        'ER_ACCESS_DENIED_ERROR',
        "Access denied for user 'app'@'127.0.0.1' (using password: YES)",
        '28000',
      ),
    ],
    [
      '1044 unknown database',
      serverError(
        1044,
        'ER_DBACCESS_DENIED_ERROR',
        "Access denied for user 'app'@'127.0.0.1' to database 'nope'",
        '42000',
      ),
    ],
    ['1040 too many connections', serverError(1040, 'ER_CON_COUNT_ERROR', 'Too many connections', '08004')],
  ])("%s at connect is the application's (re-running cannot help)", (_, error) => {
    expect(mysqlDialect.classifyError(error, connect)).toBe('application');
  });

  it.each([
    ['1062 duplicate', serverError(1062, 'ER_DUP_ENTRY', "Duplicate entry '1' for key 'PRIMARY'", '23000')],
    [
      '1054 unknown column',
      serverError(1054, 'ER_BAD_FIELD_ERROR', "Unknown column 'nope' in 'SELECT'", '42S22'),
    ],
    [
      '1213 deadlock',
      serverError(1213, 'ER_LOCK_DEADLOCK', 'Deadlock found when trying to get lock', '40001'),
    ],
    [
      '1205 lock wait timeout',
      serverError(1205, 'ER_LOCK_WAIT_TIMEOUT', 'Lock wait timeout exceeded', 'HY000'),
    ],
    ['a TypeError', new TypeError('Bind parameters must be array')],
  ])('%s reaches the caller unchanged', (_, error) => {
    expect(mysqlDialect.classifyError(error, statement())).toBe('application');
  });
});
