import { describe, expect, it } from 'vitest';
import type { Row, RunSql } from '../../src/core/dialect';
import { lockKeyOf } from '../../src/dialects/lock-key';
import { mysqlOperations } from '../../src/dialects/mysql/operations';
import { parseKeywordValues, withSource } from '../../src/dialects/postgres/conninfo';

/**
 * The node operations' SQL where no server runs here (MySQL 8), and their pure parts. The same
 * operations run on real PostgreSQL and MariaDB clusters in test/integration/node-operations.test.ts.
 */

/** A server that answers by pattern and records every statement. */
function recordingServer(answers: [RegExp, Row[]][]): { run: RunSql; sent: string[] } {
  const sent: string[] = [];
  const run: RunSql = async (sql, values) => {
    sent.push(values?.length ? `${sql} ${JSON.stringify(values)}` : sql);
    return answers.find(([pattern]) => pattern.test(sql))?.[1] ?? [];
  };
  return { run, sent };
}

const MYSQL_84 = [
  /@@version AS version/,
  [{ version: '8.4.0', version_comment: 'MySQL Community Server' }],
] as [RegExp, Row[]];
const MYSQL_57 = [/@@version AS version/, [{ version: '5.7.44-log', version_comment: 'MySQL' }]] as [
  RegExp,
  Row[],
];

describe('MySQL node operations', () => {
  it('promotes a MySQL 8 replica with the REPLICA statements; clearing read_only clears super_read_only', async () => {
    const server = recordingServer([
      MYSQL_84,
      [/SHOW REPLICA STATUS/, [{ Replica_IO_Running: 'Yes', Source_Host: 'db1', Source_Port: 3306 }]],
      [/@@global.read_only/, [{ read_only: 1 }]],
    ]);
    await mysqlOperations.promote(server.run, { timeoutMs: 1000 });
    expect(server.sent.slice(1)).toEqual([
      'SHOW REPLICA STATUS',
      'STOP REPLICA',
      'RESET REPLICA ALL',
      'SELECT @@global.read_only AS read_only',
      'SET GLOBAL read_only = 0',
    ]);
  });

  it('leaves a writable primary as it is when asked to promote it again', async () => {
    const server = recordingServer([MYSQL_84, [/@@global.read_only/, [{ read_only: 0 }]]]);
    await mysqlOperations.promote(server.run, { timeoutMs: 1000 });
    expect(server.sent.slice(1)).toEqual(['SHOW REPLICA STATUS', 'SELECT @@global.read_only AS read_only']);
  });

  it('repoints a MySQL 8 replica by host and port with GTID auto-positioning, keeping its account', async () => {
    const server = recordingServer([
      MYSQL_84,
      [/SHOW REPLICA STATUS/, [{ Replica_IO_Running: 'No', Source_Host: 'db1', Source_Port: 3306 }]],
    ]);
    await mysqlOperations.repoint(server.run, { host: "db'2", port: 3307 });
    expect(server.sent.slice(2)).toEqual([
      'STOP REPLICA',
      "CHANGE REPLICATION SOURCE TO SOURCE_HOST = 'db\\'2', SOURCE_PORT = 3307, SOURCE_AUTO_POSITION = 1",
      'START REPLICA',
    ]);
  });

  it('uses the SLAVE and MASTER words before MySQL 8.0.22, and skips a replica already following', async () => {
    const old = recordingServer([
      MYSQL_57,
      [/SHOW SLAVE STATUS/, [{ Slave_IO_Running: 'Yes', Master_Host: 'db1', Master_Port: 3306 }]],
    ]);
    await mysqlOperations.repoint(old.run, { host: 'db2', port: 3306 });
    expect(old.sent.slice(2)).toEqual([
      'STOP SLAVE',
      "CHANGE MASTER TO MASTER_HOST = 'db2', MASTER_PORT = 3306, MASTER_AUTO_POSITION = 1",
      'START SLAVE',
    ]);
    await mysqlOperations.repoint(old.run, { host: 'db1', port: 3306 });
    expect(old.sent.at(-1)).toBe('SHOW SLAVE STATUS');
  });

  it('refuses to repoint a node that replicates from nobody', async () => {
    const server = recordingServer([MYSQL_84]);
    await expect(mysqlOperations.repoint(server.run, { host: 'db2', port: 3306 })).rejects.toThrow(
      /Only a replica/,
    );
  });

  it('fences with super_read_only on MySQL 5.7.8 and later (it binds SUPER users too)', async () => {
    const server = recordingServer([MYSQL_84]);
    await mysqlOperations.fence(server.run);
    expect(server.sent.at(-1)).toBe('SET GLOBAL super_read_only = 1');
  });

  it('waits for a GTID set with WAIT_FOR_EXECUTED_GTID_SET on MySQL (0: reached, 1: timed out)', async () => {
    const reached = recordingServer([MYSQL_84, [/WAIT_FOR_EXECUTED_GTID_SET/, [{ result: 0 }]]]);
    expect(await mysqlOperations.waitForPosition(reached.run, 'uuid:1-5', 1500)).toBe(true);
    expect(reached.sent.at(-1)).toBe('SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result ["uuid:1-5",1.5]');
    const timedOut = recordingServer([MYSQL_84, [/WAIT_FOR_EXECUTED_GTID_SET/, [{ result: 1 }]]]);
    expect(await mysqlOperations.waitForPosition(timedOut.run, 'uuid:1-5', 10)).toBe(false);
  });

  it('reads a causal position from gtid_executed', async () => {
    const set = '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-75';
    const server = recordingServer([
      MYSQL_84,
      [
        /@@global.gtid_executed AS position/,
        [{ position: `${set},\n4f22ab58-82db-11e1-9e33-c80aa9429563:1-2` }],
      ],
    ]);
    expect(await mysqlOperations.currentPosition(server.run)).toBe(
      `${set},4f22ab58-82db-11e1-9e33-c80aa9429563:1-2`,
    );
  });

  it('hashes lock names too long for GET_LOCK, the same way in every app instance', async () => {
    const server = recordingServer([[/GET_LOCK/, [{ locked: 1 }]]]);
    const long = `failover-pool promoter ${'x'.repeat(80)}`;
    expect(await mysqlOperations.tryLock(server.run, long)).toBe(true);
    const [, values] = /\["(.*)"\]/.exec(server.sent[0] ?? '') ?? [];
    expect(values?.length).toBeLessThanOrEqual(64);
    expect(values?.endsWith(lockKeyOf(long))).toBe(true);
  });
});

describe('PostgreSQL primary_conninfo, repointed', () => {
  it('replaces host and port and keeps everything else, quoted as libpq reads it', () => {
    const conninfo =
      "user=replicator password='it\\'s a \\\\secret' host=10.0.0.1 port=5432 application_name=node3 sslmode=require";
    const repointed = withSource(conninfo, { host: '10.0.0.2', port: 5433 });
    expect(parseKeywordValues(repointed)).toEqual([
      ['host', '10.0.0.2'],
      ['port', '5433'],
      ['user', 'replicator'],
      ['password', "it's a \\secret"],
      ['application_name', 'node3'],
      ['sslmode', 'require'],
    ]);
  });

  it('drops hostaddr, which would win over the new host', () => {
    expect(withSource('hostaddr=10.0.0.1 port=5432 user=r', { host: 'db2', port: 5432 })).toBe(
      'host=db2 port=5432 user=r',
    );
  });

  it('rewrites a URI form, IPv6 hosts in brackets', () => {
    expect(
      withSource('postgresql://replicator:pw@db1:5432/postgres?sslmode=require', { host: '::1', port: 5433 }),
    ).toBe('postgresql://replicator:pw@[::1]:5433/postgres?sslmode=require');
  });

  it('refuses a string it cannot read rather than writing a broken one', () => {
    expect(() => withSource("user='unterminated", { host: 'db2', port: 5432 })).toThrow(/unterminated/);
  });
});
