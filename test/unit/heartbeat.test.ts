import { describe, expect, it } from 'vitest';
import { resolveReadsOptions } from '../../src/core/reads/options';
import { mysqlHeartbeat } from '../../src/dialects/mysql/heartbeat';
import { type MysqlProbeMemory, probeMysql } from '../../src/dialects/mysql/probe';
import { createPgPool } from '../../src/drivers/pg';
import {
  MARIADB_REPLICA_STATUS,
  MARIADB_REPLICA_VARIABLES,
  MARIADB_VERSION,
  serverError,
} from './support/mysql-replies';
import { scriptedMysqlRun } from './support/scripted-mysql-run';

const VERSION = 'SELECT @@version AS version, @@version_comment';
const HEARTBEAT = 'SELECT TIMESTAMPDIFF(MICROSECOND, beat, UTC_TIMESTAMP(6)) AS heartbeat_age_us';
const NO_SUCH_TABLE = serverError(
  1146,
  'ER_NO_SUCH_TABLE',
  "Table 'app.failover_pool_heartbeat' doesn't exist",
  '42S02',
);

/**
 * A MariaDB replica's probe connection (replies recorded from MariaDB 10.11): Seconds_Behind_Master
 * reads 0 while the heartbeat row it holds is `ageUs` old; `tableMissing` answers the heartbeat
 * with 1146, as before the table is created. Multi-statement queries fail at the first error, as
 * the server stops there.
 */
function replicaServer(ageUs: () => number, tableMissing: () => boolean) {
  return scriptedMysqlRun((text) => {
    if (text.startsWith(VERSION)) return [MARIADB_VERSION];
    if (text.startsWith('SHOW REPLICA STATUS')) return [MARIADB_REPLICA_STATUS];
    if (text.startsWith(HEARTBEAT)) {
      if (tableMissing()) throw NO_SUCH_TABLE;
      return [{ heartbeat_age_us: ageUs() }];
    }
    if (text.startsWith('SELECT @@global.read_only')) return [MARIADB_REPLICA_VARIABLES];
    throw new Error(`unscripted statement: ${text}`);
  });
}

describe('reads.heartbeat', () => {
  it('is off by default; true takes the defaults; a bad table or interval is refused naming the option', () => {
    expect(resolveReadsOptions({}).heartbeat).toBeUndefined();
    expect(resolveReadsOptions({ heartbeat: true }).heartbeat).toEqual({
      table: 'failover_pool_heartbeat',
      intervalMs: 100,
    });
    expect(resolveReadsOptions({ heartbeat: { table: 'ops.beat', intervalMs: 50 } }).heartbeat).toEqual({
      table: 'ops.beat',
      intervalMs: 50,
    });
    expect(() => resolveReadsOptions({ heartbeat: { table: 'beat; DROP TABLE x' } })).toThrow(
      /reads\.heartbeat\.table.*expected a table name/,
    );
    expect(() => resolveReadsOptions({ heartbeat: { intervalMs: 1 } })).toThrow(
      /reads\.heartbeat\.intervalMs/,
    );
    expect(() => resolveReadsOptions({ heartbeat: { tabel: 'x' } })).toThrow(
      /Did you mean `reads\.heartbeat\.table`/,
    );
  });

  it('is refused on PostgreSQL, which measures staleness without one', () => {
    expect(() => createPgPool({ hosts: ['127.0.0.1:1'], user: 'app', reads: { heartbeat: true } })).toThrow(
      expect.objectContaining({ code: 'CONFIG', option: 'reads.heartbeat' }),
    );
  });

  it('the statements quote the table, and write UTC to the microsecond', () => {
    expect(mysqlHeartbeat.create('ops.beat')).toBe(
      'CREATE TABLE IF NOT EXISTS `ops`.`beat` (id TINYINT UNSIGNED NOT NULL PRIMARY KEY, beat DATETIME(6) NOT NULL)',
    );
    expect(mysqlHeartbeat.beat('failover_pool_heartbeat')).toBe(
      'REPLACE INTO `failover_pool_heartbeat` (id, beat) VALUES (1, UTC_TIMESTAMP(6))',
    );
  });

  it("a replica's staleness is the beat's age in milliseconds, read in the probe's one query", async () => {
    const server = replicaServer(
      () => 187_654,
      () => false,
    );
    const memory: MysqlProbeMemory = { heartbeatTable: 'failover_pool_heartbeat' };
    // The first probe finds the statements (Seconds_Behind_Master: 0 s); the next one is combined.
    expect((await probeMysql(server.run, memory)).lagMs).toBe(0);
    server.asked.length = 0;
    expect((await probeMysql(server.run, memory)).lagMs).toBe(188);
    expect(server.asked).toHaveLength(3);
    expect(server.asked[2]).toContain('FROM `failover_pool_heartbeat` WHERE id = 1');
  });

  it('without the table yet, the probe falls back to Seconds_Behind_Master and tries again 30 probes later', async () => {
    let missing = true;
    const server = replicaServer(
      () => 42_000,
      () => missing,
    );
    const memory: MysqlProbeMemory = { heartbeatTable: 'failover_pool_heartbeat' };
    await probeMysql(server.run, memory);
    // Refused: answered from the replica status (0 s), without failing the probe.
    expect((await probeMysql(server.run, memory)).lagMs).toBe(0);
    missing = false;
    for (let i = 0; i < 30; i++) expect((await probeMysql(server.run, memory)).lagMs).toBe(0);
    expect((await probeMysql(server.run, memory)).lagMs).toBe(42);
  });

  it('a beat from a replica clock slightly behind reads as 0, not a negative staleness', async () => {
    const server = replicaServer(
      () => -3_000,
      () => false,
    );
    const memory: MysqlProbeMemory = { heartbeatTable: 'failover_pool_heartbeat' };
    await probeMysql(server.run, memory);
    expect((await probeMysql(server.run, memory)).lagMs).toBe(0);
  });
});

describe('a probe connection with bigNumberStrings (TypeORM’s default for MySQL)', () => {
  it('reads Seconds_Behind_Master, the source port and the heartbeat age given as strings', async () => {
    const server = scriptedMysqlRun((text) => {
      if (text.startsWith(VERSION)) return [MARIADB_VERSION];
      if (text.startsWith('SHOW REPLICA STATUS'))
        return [{ ...MARIADB_REPLICA_STATUS, Seconds_Behind_Master: '2', Master_Port: '24001' }];
      if (text.startsWith(HEARTBEAT)) return [{ heartbeat_age_us: '-1500' }];
      if (text.startsWith('SELECT @@global.read_only')) return [MARIADB_REPLICA_VARIABLES];
      throw new Error(`unscripted statement: ${text}`);
    });
    const memory: MysqlProbeMemory = { heartbeatTable: 'failover_pool_heartbeat' };
    const first = await probeMysql(server.run, memory);
    expect(first.lagMs).toBe(2_000);
    expect(first.replication).toMatchObject({ sourcePort: 24001, lagSeconds: 2 });
    // A beat 1.5 ms in the replica's future (clocks a hair apart): 0, not unknown.
    expect((await probeMysql(server.run, memory)).lagMs).toBe(0);
  });
});
