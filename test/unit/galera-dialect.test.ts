import { describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/dialect';
import { decide } from '../../src/core/retry';
import { deriveTopology, type NodeHealth } from '../../src/core/topology';
import { decideTransactionFailure } from '../../src/core/transaction-decision';
import { mysqlDialect } from '../../src/dialects/mysql/dialect';
import { type MysqlProbeMemory, probeMysql } from '../../src/dialects/mysql/probe';
import { mysqlTransactions } from '../../src/dialects/mysql/transactions';
import { statement } from './support/failure-contexts';
import {
  GALERA_CERTIFICATION_FAILURE,
  GALERA_NODE1_NO_QUORUM,
  GALERA_NODE1_SYNCED,
  GALERA_NODE3_SYNCED,
  GALERA_NOT_CONNECTED,
  GALERA_NOT_PREPARED,
} from './support/galera-replies';
import { MARIADB_PRIMARY_VARIABLES, MARIADB_VERSION, serverError } from './support/mysql-replies';
import { scriptedMysqlRun } from './support/scripted-mysql-run';

const VERSION = 'SELECT @@version AS version, @@version_comment';
const VARIABLES = 'SELECT @@global.read_only AS read_only, @@version AS version, @@server_id AS server_id';

/** A probe connection answering from `variables`; multi-statement queries get each answer. */
function galeraServer(variables: () => Row) {
  return scriptedMysqlRun((text) => {
    if (text.startsWith(VERSION)) return [MARIADB_VERSION];
    if (text.startsWith('SHOW REPLICA STATUS')) return [];
    if (!text.startsWith(VARIABLES)) throw new Error(`unscripted statement: ${text}`);
    // A server without Galera answers the statement without the status; with it, the whole row.
    return [
      text.includes('GLOBAL_STATUS') ? variables() : { ...variables(), wsrep_cluster_status: undefined },
    ];
  });
}

describe('Galera probe (replies recorded from MariaDB 10.11 with galera-4)', () => {
  it('learns on the first probe that the node runs Galera, then reads its wsrep state in the same one query', async () => {
    const server = galeraServer(() => GALERA_NODE1_SYNCED);
    const memory: MysqlProbeMemory = {};
    const first = await probeMysql(server.run, memory);
    expect(memory.galera).toBe(true);
    expect(first).toEqual({
      role: 'primary',
      writable: true,
      serverVersion: '10.11.19-MariaDB-0+deb12u1',
      galera: {
        clusterStatus: 'Primary',
        localState: 4,
        localStateComment: 'Synced',
        ready: true,
        usable: true,
        localIndex: 0,
        clusterSize: 3,
        confId: 3,
        stateUuid: '7c81170d-f12b-11f1-b141-2adcf73162e8',
        nodeUuid: '7c80b12d-f12b-11f1-b646-f354e29835c2',
        nodeName: 'node1',
      },
    });
    server.asked.length = 0;
    expect(await probeMysql(server.run, memory)).toEqual(first);
    // One round trip: the variables with the wsrep status, and the replica status.
    expect(server.asked).toHaveLength(2);
    expect(server.asked[0]).toContain('information_schema.GLOBAL_STATUS');
    expect(server.asked[1]).toBe('SHOW REPLICA STATUS');
  });

  it('a node without quorum is not writable, and says why', async () => {
    const probe = await probeMysql(galeraServer(() => GALERA_NODE1_NO_QUORUM).run, {});
    expect(probe.writable).toBe(false);
    expect(probe.galera).toMatchObject({
      clusterStatus: 'non-Primary',
      ready: false,
      usable: false,
      localState: 0,
    });
  });

  it('a MariaDB without Galera (wsrep_provider none) is probed as before: no status read, no wsrep state', async () => {
    const server = galeraServer(() => ({ ...MARIADB_PRIMARY_VARIABLES, wsrep_provider: 'none' }));
    const memory: MysqlProbeMemory = {};
    const probe = await probeMysql(server.run, memory);
    await probeMysql(server.run, memory);
    expect(memory.galera).toBe(false);
    expect(probe.galera).toBeUndefined();
    expect(probe).toMatchObject({
      role: 'primary',
      writable: true,
      generation: 0,
      position: '0-1-4',
      serverVersion: MARIADB_PRIMARY_VARIABLES.version,
    });
    expect(server.asked.some((sql) => sql.includes('GLOBAL_STATUS'))).toBe(false);
  });

  it('the recorded probes of two nodes make the one that started first the writer', async () => {
    const health = async (name: string, row: Row): Promise<NodeHealth> => ({
      address: { name, host: name, port: 3306 },
      healthy: true,
      suspect: false,
      known: true,
      probe: await probeMysql(galeraServer(() => row).run, {}),
    });
    const { snapshot } = deriveTopology(
      [await health('db3', GALERA_NODE3_SYNCED), await health('db1', GALERA_NODE1_SYNCED)],
      { generation: 0 },
      1,
    );
    expect(snapshot.primary?.name).toBe('db1');
    expect(snapshot.nodes.map((n) => n.role)).toEqual(['replica', 'primary']);
  });
});

describe('Galera errors: which mean "not applied"', () => {
  const error = (reply: { errno: number; code: string; message: string; sqlState: string }) =>
    serverError(reply.errno, reply.code, reply.message, reply.sqlState);

  it('1047 "WSREP has not yet prepared node": refused before it ran, re-run on the writer', () => {
    expect(mysqlDialect.classifyError(error(GALERA_NOT_PREPARED), statement())).toBe('read-only');
  });

  it('1180 "Not connected to Primary Component": the group may have committed it, outcome unknown', () => {
    const cutOff = error(GALERA_NOT_CONNECTED);
    expect(mysqlDialect.classifyError(cutOff, statement())).toBe('connection-lost');
    expect(decide('connection-lost', { reRunnable: false })).toEqual({ action: 'outcome-unknown' });
    expect(decide('connection-lost', { reRunnable: true })).toMatchObject({ action: 'retry' });
    expect(
      decideTransactionFailure(
        { stage: 'commit', cause: 'node', kind: 'connection-lost', error: cutOff },
        false,
      ),
    ).toEqual({ action: 'commit-unknown' });
  });

  it('1180 for any other reason is not known to have rolled back: the application gets it', () => {
    const other = serverError(
      1180,
      'ER_ERROR_DURING_COMMIT',
      'Got error 1 "Operation not permitted" during COMMIT',
    );
    expect(mysqlDialect.classifyError(other, statement())).toBe('application');
  });

  it('a certification failure at COMMIT (1213) runs pool.transaction again; pool.query hands it to the app', () => {
    const failure = error(GALERA_CERTIFICATION_FAILURE);
    expect(mysqlTransactions.conflictOf(failure)).toBe('deadlock');
    expect(
      decideTransactionFailure(
        { stage: 'commit', cause: 'conflict', conflict: 'deadlock', error: failure },
        false,
      ),
    ).toEqual({ action: 'rerun', reason: 'deadlock' });
    expect(mysqlDialect.classifyError(failure, statement())).toBe('application');
  });
});
