import { describe, expect, it } from 'vitest';
import {
  type MariadbCluster,
  type MariadbClusterOptions,
  startMariadbCluster,
} from '../../src/testing/index';
import { expectFreshCluster, variables } from './support/catalog-checks';
import { mariadbUnavailable } from './support/mariadb-fixture';
import { processesIn } from './support/processes';
import { endedAfterEach } from './support/resources';
import { idsIn, waitForIds } from './support/rows';
import { sleep } from './support/wait';

/*
 * What only the MariaDB harness does (harness.test.ts has what every engine's does): its accounts,
 * GTID replication settings and lossless semi-sync. Process facts are read from /proc,
 * independently of the harness's own bookkeeping.
 */

const started = endedAfterEach();

const newCluster = async (options: MariadbClusterOptions = {}) =>
  started.cluster(await startMariadbCluster(options));

/** Runs `sql` as the app's account on one node, in the app's database. */
const appQuery = <R>(cluster: MariadbCluster, node: string, sql: string) =>
  cluster.query<R>(node, sql, [], { as: 'app' });

describe.skipIf(mariadbUnavailable() !== undefined)('startMariadbCluster', () => {
  it('comes up with node1 primary, two GTID replicas and an app account that read_only binds', async () => {
    const startedAt = performance.now();
    const cluster = await newCluster();
    expectFreshCluster(cluster, startedAt);
    // mariadbd is one process: its work is done by threads.
    expect(cluster.nodes.map((node) => processesIn(node.dataDir))).toEqual(
      cluster.nodes.map((node) => [node.pid]),
    );

    expect(
      await variables(cluster, 'node1', ['read_only', 'server_id', 'log_slave_updates', 'gtid_strict_mode']),
    ).toEqual({
      read_only: 0,
      server_id: 1,
      log_slave_updates: 1,
      gtid_strict_mode: 1,
    });
    for (const [index, replica] of ['node2', 'node3'].entries()) {
      expect(await variables(cluster, replica, ['read_only', 'server_id'])).toEqual({
        read_only: 1,
        server_id: index + 2,
      });
      const [status] = await cluster.query<Record<string, unknown>>(replica, 'SHOW REPLICA STATUS');
      expect(status).toMatchObject({
        Slave_IO_Running: 'Yes',
        Slave_SQL_Running: 'Yes',
        Master_Host: '127.0.0.1',
        Master_Port: cluster.node('node1').port,
        Using_Gtid: 'Slave_Pos',
      });
    }

    // The app account: no global privilege that lets it past read_only. root's would: on MariaDB
    // 10.11 READ ONLY ADMIN (which root holds) lets an account write to a read-only node.
    const grants = await appQuery<Record<string, string>>(cluster, 'node1', 'SHOW GRANTS');
    const text = grants.map((row) => Object.values(row)[0]).join('\n');
    expect(text).not.toMatch(/SUPER|READ ONLY ADMIN|ALL PRIVILEGES ON \*\.\*/);
    await appQuery(cluster, 'node1', 'CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)');
    await appQuery(cluster, 'node1', "INSERT INTO notes VALUES (1, 'hello')");
    await waitForIds(cluster, 'node2', 'notes', [1]);
    await waitForIds(cluster, 'node3', 'notes', [1]);
    await expect(appQuery(cluster, 'node2', "INSERT INTO notes VALUES (2, 'no')")).rejects.toMatchObject({
      errno: 1290,
    });
    await expect(appQuery(cluster, 'node2', 'SHOW REPLICA STATUS')).resolves.toHaveLength(1);
  });

  it('semiSync: lossless AFTER_SYNC; a commit waits (its row uncommitted) while the semi-sync replica is stopped', async () => {
    const cluster = await newCluster({ semiSync: true });
    expect(
      await variables(cluster, 'node1', [
        'rpl_semi_sync_master_enabled',
        'rpl_semi_sync_master_wait_point',
        'rpl_semi_sync_master_timeout',
      ]),
    ).toEqual({
      rpl_semi_sync_master_enabled: 1,
      rpl_semi_sync_master_wait_point: 'AFTER_SYNC',
      rpl_semi_sync_master_timeout: 3_600_000,
    });
    // Only the first replica acknowledges, so it always holds every acknowledged write.
    expect(
      await variables(cluster, 'node2', ['rpl_semi_sync_slave_enabled', 'rpl_semi_sync_master_enabled']),
    ).toEqual({
      rpl_semi_sync_slave_enabled: 1,
      rpl_semi_sync_master_enabled: 0,
    });
    expect(await variables(cluster, 'node3', ['rpl_semi_sync_slave_enabled'])).toEqual({
      rpl_semi_sync_slave_enabled: 0,
    });

    await cluster.query('node1', 'CREATE TABLE app.notes (id INT PRIMARY KEY)');
    cluster.kill('node2', 'SIGSTOP');
    let settled = false;
    const commit = appQuery(cluster, 'node1', 'INSERT INTO notes VALUES (1)').finally(() => {
      settled = true;
    });
    await sleep(1_500);
    expect(settled).toBe(false);
    // Not visible to others until acknowledged, but there: what the failover test reads for strays.
    expect(await idsIn(cluster, 'node1', 'notes')).toEqual([]);
    expect(await idsIn(cluster, 'node1', 'notes', { readUncommitted: true })).toEqual(['1']);
    cluster.kill('node2', 'SIGCONT');
    await commit;
    await waitForIds(cluster, 'node2', 'notes', [1]);

    // After a promotion the others acknowledge the new primary.
    cluster.kill('node1', 'SIGKILL');
    await cluster.promote('node2');
    await cluster.repoint('node3', 'node2');
    await cluster.waitForReplicating('node3', 15_000);
    await appQuery(cluster, 'node2', 'INSERT INTO notes VALUES (2)');
    const [acks] = await cluster.query<{ Value: string }>(
      'node2',
      "SHOW STATUS LIKE 'Rpl_semi_sync_master_yes_tx'",
    );
    expect(Number(acks?.Value)).toBeGreaterThan(0);
  });
});
