import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { MariadbCluster, PgCluster, TestCluster } from '../../../src/testing';
import { processesIn } from './processes';
import { eventually } from './wait';

/**
 * What each engine's own catalogs say after the harness's replication steps, read directly from
 * the servers rather than from the harness's bookkeeping: the harness tests written once for
 * every engine (harness.test.ts) check these after their common checks.
 */
export interface CatalogChecks {
  /** Server settings the engine refuses to start with, and what its log says about them. */
  readonly unstartable: { serverSettings: Record<string, string | number>; says: RegExp };
  /** `replica` replicates from `primary`, the cluster's `round`th primary (node1 is the first). */
  expectReplicating(cluster: TestCluster, replica: string, primary: string, round: number): Promise<void>;
  /** node2 was promoted after node1 crashed, node3 follows it, and the app wrote once before and once after. */
  expectPromoted(cluster: TestCluster): Promise<void>;
}

/**
 * What every freshly started three-node cluster shows, timed from `startedAt` (before the binary
 * lookup): node1 primary, node2 and node3 replicas, on distinct ports that none of the machine's
 * own database services use, every node given to the app, and each node's server running (as the
 * servers' account when the tests run as root).
 */
export function expectFreshCluster(cluster: TestCluster, startedAt: number): void {
  console.info(
    `[harness] ${cluster.description}: primary + 2 replicas in ${Math.round(cluster.startupMs)} ms ` +
      `(${Math.round(performance.now() - startedAt)} ms with binary lookup), base ${cluster.baseDir}`,
  );
  expect(cluster.nodes.map((node) => node.name)).toEqual(['node1', 'node2', 'node3']);
  expect(cluster.primary).toBe('node1');
  const ports = cluster.nodes.map((node) => node.port);
  expect(new Set(ports).size).toBe(3);
  for (const port of ports) expect([5432, 3306]).not.toContain(port);
  expect(cluster.connectionOptions.hosts).toEqual(ports.map((port) => `127.0.0.1:${port}`));
  for (const node of cluster.nodes) {
    expect(node.pid).toBeTypeOf('number');
    expect(processesIn(node.dataDir)).toContain(node.pid);
    if (process.getuid?.() === 0)
      expect(readFileSync(`/proc/${node.pid}/status`, 'utf8')).not.toMatch(/^Uid:\s+0\s/m);
  }
}

/** pg_stat_replication on a PostgreSQL primary, by standby name. */
export function walSenders(cluster: TestCluster, primary: string) {
  return cluster.query<{ application_name: string; state: string; sync_state: string }>(
    primary,
    'SELECT application_name, state, sync_state FROM pg_stat_replication ORDER BY application_name',
  );
}

export async function inRecovery(cluster: TestCluster, node: string): Promise<boolean> {
  const [row] = await cluster.query<{ recovery: boolean }>(node, 'SELECT pg_is_in_recovery() AS recovery');
  return row?.recovery ?? false;
}

export async function walReceiver(cluster: TestCluster, node: string) {
  const [row] = await cluster.query<{ status: string; sender_port: number; received_tli: number }>(
    node,
    'SELECT status, sender_port, received_tli FROM pg_stat_wal_receiver',
  );
  return row;
}

/** MariaDB's global variables `names` on `node`. */
export async function variables(
  cluster: TestCluster,
  node: string,
  names: string[],
): Promise<Record<string, unknown>> {
  const [row] = await cluster.query<Record<string, unknown>>(
    node,
    `SELECT ${names.map((n) => `@@global.${n} AS ${n}`).join(', ')}`,
  );
  return row ?? {};
}

const postgresCatalog: CatalogChecks = {
  unstartable: {
    serverSettings: { shared_buffers: 'plenty' },
    says: /invalid value for parameter "shared_buffers"/,
  },
  /**
   * A standby of the `round`th primary, on timeline `round`: received_tli only moves to a new timeline
   * once the first WAL of it has arrived, a moment after the receiver reports streaming.
   */
  async expectReplicating(cluster, replica, primary, round) {
    expect(await inRecovery(cluster, replica)).toBe(true);
    const expected = { status: 'streaming', sender_port: cluster.node(primary).port, received_tli: round };
    let last: unknown;
    try {
      await eventually(`${replica} to stream timeline ${round} from ${primary}`, async () => {
        last = await walReceiver(cluster, replica);
        return JSON.stringify(last) === JSON.stringify(expected);
      });
    } catch {
      expect(last).toEqual(expected);
    }
  },
  async expectPromoted(cluster) {
    expect(await inRecovery(cluster, 'node2')).toBe(false);
    await postgresCatalog.expectReplicating(cluster, 'node3', 'node2', 2);
  },
};

const mariadbCatalog: CatalogChecks = {
  unstartable: { serverSettings: { 'no-such-option': 1 }, says: /unknown variable 'no-such-option=1'/ },
  async expectReplicating(cluster, replica, primary) {
    const [status] = await cluster.query<Record<string, unknown>>(replica, 'SHOW REPLICA STATUS');
    expect(status).toMatchObject({
      Slave_IO_Running: 'Yes',
      Slave_SQL_Running: 'Yes',
      Master_Port: cluster.node(primary).port,
    });
    expect(await variables(cluster, replica, ['read_only'])).toEqual({ read_only: 1 });
  },
  async expectPromoted(cluster) {
    expect(await cluster.query('node2', 'SHOW REPLICA STATUS')).toEqual([]);
    expect(await variables(cluster, 'node2', ['read_only'])).toEqual({ read_only: 0 });
    await mariadbCatalog.expectReplicating(cluster, 'node3', 'node2', 2);
    // node2's first transaction continues node1's sequence: what the pool reads as its takeover point.
    // (node1 wrote the table and the first note; node2 the second note.)
    const state = await variables(cluster, 'node2', ['gtid_binlog_state', 'gtid_slave_pos']);
    expect(state).toEqual({ gtid_binlog_state: '0-1-2,0-2-3', gtid_slave_pos: '0-1-2' });
  },
};

export const CATALOG_CHECKS: Record<(PgCluster | MariadbCluster)['engine'], CatalogChecks> = {
  postgresql: postgresCatalog,
  mariadb: mariadbCatalog,
};
